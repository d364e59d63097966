# This file is part of the partner_portal module.
from trytond.model.exceptions import DomainValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from oa_workflow.tests.tools import TranslationTestMixin


class PartnerPortalTestCase(TranslationTestMixin, ModuleTestCase):
    "Test partner_portal module"
    module = 'partner_portal'

    @with_transaction()
    def test_configuration(self):
        "Portal sessions are short and must last at least an hour"
        pool = Pool()
        Configuration = pool.get('partner.portal.configuration')
        config = Configuration(1)
        self.assertEqual(config.session_hours, 8)
        self.assertEqual(config.protection_days, 90)
        config.session_hours = 0
        with self.assertRaises(DomainValidationError):
            config.save()


del ModuleTestCase
