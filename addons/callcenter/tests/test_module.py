# This file is part of the callcenter module.
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from oa_workflow.tests.tools import TranslationTestMixin


class CallcenterTestCase(TranslationTestMixin, ModuleTestCase):
    "Test callcenter module"
    module = 'callcenter'

    @with_transaction()
    def test_configuration_defaults(self):
        "Missed calls create call-back tasks unless configured otherwise"
        pool = Pool()
        Configuration = pool.get('callcenter.configuration')
        config = Configuration(1)
        self.assertTrue(config.missed_call_task)
        self.assertFalse(config.cti_secret)


del ModuleTestCase
