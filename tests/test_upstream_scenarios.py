"""Tryton's own scenarios of the upstream modules our addons extend or
depend on, run with the five addons activated: a regression check that the
addons keep upstream behaviour.

Each scenario's `activate_modules(modules, *setup)` activates our addons
instead (their dependencies include every module below), so all scenarios
share one database build; the build with a scenario's set-up (company,
chart of accounts) is cached once, made from that build."""
import doctest
import fnmatch
import glob
import os
import unittest

from trytond.modules import get_module_info
from trytond.tests import tools
from trytond.tests.test_tryton import (
    DB_CACHE, STRIP_DECIMAL, _db_cache_file, _pg_restore, _sqlite_copy,
    backend, backup_db_cache, doctest_checker, doctest_teardown)

ADDONS = ['callcenter', 'crm_ext', 'member_points', 'oa_workflow',
    'partner_portal']
# The upstream modules whose models, views or rules our addons extend
# (party, sale_opportunity, sale; company has no scenario) or whose
# records they use (product, currency, country)
UPSTREAM = ['party', 'sale_opportunity', 'sale', 'product', 'currency',
    'country']
# Scenarios not run, with the reason. These download reference data from
# the internet (ISO lists through pycountry, not installed; the ECB's rates):
# CI has no network, and our addons change neither countries nor currencies.
SKIPS = {
    'country': {'scenario_country_import.rst'},
    'currency': {'scenario_currency_import.rst',
        'scenario_currency_rate_update.rst'},
    }

_activate_modules = tools.activate_modules


def activate_modules(modules, *setup):
    "Activate our addons (and any module they do not depend on)"
    if isinstance(modules, str):
        modules = [modules]
    modules = ADDONS + sorted(set(modules) - _closure(ADDONS))
    name = '-'.join(sorted(modules))
    if setup:
        name += '--' + '|'.join(tools._func_name(f) for f in setup)
    if _restore(name):
        return tools._get_config()
    # build the database of the modules, or restore it, then set it up
    config = _activate_modules(modules)
    if setup:
        for func in setup:
            func(config=config)
        backup_db_cache(name)
    return config


def _restore(name):
    """Restore the database cached under name, as restore_db_cache does but
    without initialising the pool: proteus's configuration does it right
    after (each initialisation loads the twenty modules: 1.5 s a scenario)"""
    if not DB_CACHE:
        return False
    cache_file = _db_cache_file(DB_CACHE, name)
    if backend.name == 'sqlite':
        return _sqlite_copy(cache_file, restore=True)
    elif backend.name == 'postgresql':
        return _pg_restore(cache_file)
    return False


def _closure(modules, _cache={}):
    key = tuple(modules)
    if key not in _cache:
        result, todo = set(), list(modules)
        while todo:
            module = todo.pop()
            if module not in result:
                result.add(module)
                todo.extend(get_module_info(module).get('depends', []))
        _cache[key] = result
    return _cache[key]


def setUp(test):
    tools.activate_modules = activate_modules


def tearDown(test):
    tools.activate_modules = _activate_modules
    return doctest_teardown(test)


def load_tests(loader, tests, pattern):
    optionflags = (doctest.REPORT_ONLY_FIRST_FAILURE | doctest.ELLIPSIS
        | doctest.IGNORE_EXCEPTION_DETAIL)
    if backend.name == 'sqlite':
        optionflags |= STRIP_DECIMAL
    for module in UPSTREAM:
        directory = get_module_info(module)['directory']
        for path in sorted(glob.glob(
                    os.path.join(directory, 'tests', 'scenario_*.rst'))):
            if os.path.basename(path) in SKIPS.get(module, ()):
                continue
            if loader.testNamePatterns and not any(
                    fnmatch.fnmatchcase(path, p)
                    for p in loader.testNamePatterns):
                continue
            tests.addTests(doctest.DocFileSuite(path, module_relative=False,
                    setUp=setUp, tearDown=tearDown, encoding='utf-8',
                    checker=doctest_checker, optionflags=optionflags))
    return tests


if __name__ == '__main__':
    unittest.main()
