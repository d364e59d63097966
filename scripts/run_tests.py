#!/usr/bin/env python3
"""Run the whole test suite, in parallel worker processes.

Tests are grouped by addon (all tests of one addon share one worker, and so
one cached database) plus the cross-module tests of tests/. The closing line
is 'N passed, N failed, N skipped'; the exit code is 1 when a test failed or
none ran."""
import argparse
import json
import os
import subprocess
import sys
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ROOT / 'addons'
# Relative cost, to balance the workers (database build time dominates)
WEIGHTS = {'tests': 4, 'crm_ext': 3, 'oa_workflow': 2, 'upstream': 2}
# Test modules of tests/ run as their own group (their own database build)
OWN_GROUPS = {'tests.test_upstream_scenarios': 'upstream'}
# The tests of tests/ share one demo server: those reading the demo data as
# generated run before those changing it
FIRST = ['tests.test_demo_data']


def test_modules(selectors):
    "Map each group (addon, 'tests' or own group) to its test module names"
    groups = {}
    for addon in sorted(p for p in ADDONS.iterdir()
            if (p / 'tryton.cfg').exists()):
        names = [f'{addon.name}.tests.{f.stem}'
            for f in sorted((addon / 'tests').glob('test_*.py'))]
        if names:
            groups[addon.name] = names
    for f in sorted((ROOT / 'tests').glob('test_*.py')):
        name = f'tests.{f.stem}'
        groups.setdefault(OWN_GROUPS.get(name, 'tests'), []).append(name)
    for names in groups.values():
        names.sort(key=lambda n: (n not in FIRST, n))
    if selectors:
        selected = {}
        for selector in selectors:
            group = OWN_GROUPS.get(selector, selector.split('.')[0])
            if group not in groups:
                sys.exit(f"error: no tests named {selector}")
            if '.' in selector:
                selected.setdefault(group, []).append(selector)
            else:
                selected[group] = groups[group]
        groups = selected
    return groups


def plan(groups, workers):
    "Spread the groups over the workers, heaviest first"
    loads = [[0, []] for _ in range(workers)]
    for group in sorted(groups, key=lambda g: -WEIGHTS.get(g, 1)):
        load = min(loads, key=lambda l: l[0])
        load[0] += WEIGHTS.get(group, 1)
        load[1].extend(groups[group])
    return [names for _, names in loads if names]


def run_worker(names, report):
    "Run the test modules in this process and write a JSON summary"
    sys.path[:0] = [str(ADDONS), str(ROOT)]
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for name in names:
        suite.addTests(loader.loadTestsFromName(name))
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    drop_worker_database()
    # an error of a class or module set-up is not a test that ran
    ran_and_failed = [t for t, _ in result.failures + result.errors
        if not isinstance(t, unittest.suite._ErrorHolder)]
    summary = {
        'run': result.testsRun,
        'passed': result.testsRun - len(ran_and_failed)
        - len(result.unexpectedSuccesses) - len(result.skipped),
        'failed': len(result.failures) + len(result.errors)
        + len(result.unexpectedSuccesses),
        'skipped': len(result.skipped),
        'problems': [str(t) for t, _ in result.failures + result.errors],
        }
    Path(report).write_text(json.dumps(summary))
    return 0


def worker_database(n):
    """A database name no other run uses: the process ids start again from 1
    when the machine restarts, while a PostgreSQL cluster keeps the databases
    of an aborted run (restoring the cache into an existing name fails)"""
    return f'test_{int(time.time())}_{os.getpid()}_{n}'


def drop_worker_database():
    "Drop the worker's PostgreSQL database if a failed test left it behind"
    if os.environ.get('TRYTOND_DATABASE_URI', 'sqlite:').startswith('sqlite'):
        return
    from trytond import backend
    from trytond.tests.test_tryton import DB_NAME, drop_db
    backend.Database.clear_cache()  # the list of databases is cached
    drop_db(DB_NAME)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('selectors', nargs='*',
        help="addons, 'tests', or dotted test module names")
    parser.add_argument('-j', '--jobs', type=int,
        default=int(os.environ.get('TEST_JOBS', min(2, os.cpu_count() or 1))))
    parser.add_argument('--worker', metavar='REPORT')
    args = parser.parse_args()
    if args.worker:
        return run_worker(args.selectors, args.worker)

    groups = test_modules(args.selectors)
    batches = plan(groups, max(1, args.jobs))
    uri = os.environ.get('TRYTOND_DATABASE_URI', 'sqlite://')
    logs = ROOT / 'var' / 'test-logs' / uri.split(':')[0]
    logs.mkdir(parents=True, exist_ok=True)
    print(f"Running {sum(len(b) for b in batches)} test modules on "
        f"{uri.split(':')[0]} in {len(batches)} worker(s); logs in {logs}",
        flush=True)
    started = time.monotonic()
    processes = []
    for n, batch in enumerate(batches):
        env = dict(os.environ, PYTHONUNBUFFERED='1')
        if not uri.startswith('sqlite'):
            env['DB_NAME'] = worker_database(n)
        log = open(logs / f'worker-{n}.log', 'w')
        report = logs / f'worker-{n}.json'
        if report.exists():
            report.unlink()
        process = subprocess.Popen(
            [sys.executable, __file__, '--worker', str(report), *batch],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        processes.append((process, log, report, batch))
    totals = {'run': 0, 'passed': 0, 'failed': 0, 'skipped': 0}
    problems = []
    for process, log, report, batch in processes:
        process.wait()
        log.close()
        text = Path(log.name).read_text(errors='replace')
        print(text)
        if report.exists():
            summary = json.loads(report.read_text())
            for key in totals:
                totals[key] += summary[key]
            problems.extend(summary['problems'])
        else:
            totals['failed'] += 1
            problems.append(f"worker for {', '.join(batch)} crashed "
                f"(exit code {process.returncode})")
    elapsed = time.monotonic() - started
    if problems:
        print("Failed:")
        for problem in problems:
            print(f"  {problem}")
    print(f"Ran {totals['run']} tests in {elapsed:.0f} s")
    print(f"{totals['passed']} passed, {totals['failed']} failed, "
        f"{totals['skipped']} skipped")
    return 1 if totals['failed'] or not totals['run'] else 0


if __name__ == '__main__':
    sys.exit(main())
