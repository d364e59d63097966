# This file is part of the member_points module.
from trytond.model.exceptions import DomainValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class MemberPointsTestCase(ModuleTestCase):
    "Test member_points module"
    module = 'member_points'

    @with_transaction()
    def test_configuration(self):
        "Points validity defaults to 24 months and cannot be negative"
        pool = Pool()
        Configuration = pool.get('member.configuration')
        config = Configuration(1)
        self.assertEqual(config.expiry_months, 24)
        self.assertEqual(config.adjust_approval_threshold, 1000)
        config.expiry_months = -1
        with self.assertRaises(DomainValidationError):
            config.save()


del ModuleTestCase
