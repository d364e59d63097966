# This file is part of the crm_ext module.
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class CrmExtTestCase(ModuleTestCase):
    "Test crm_ext module"
    module = 'crm_ext'

    @with_transaction()
    def test_configuration_phone_region(self):
        "The default phone region is CN, normalized and validated"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        config = Configuration(1)
        self.assertEqual(config.phone_region, 'CN')
        config.phone_region = ' hk '
        config.save()
        self.assertEqual(Configuration(1).phone_region, 'HK')
        config = Configuration(1)
        config.phone_region = 'ZZ'
        with self.assertRaises(ValidationError):
            config.save()

    @with_transaction()
    def test_role_hierarchy(self):
        "Management roles inherit the salesperson's accesses"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')
        ref = lambda name: Group(ModelData.get_id('oa_workflow', name))
        self.assertEqual(
            ref('group_general_manager').parent, ref('group_department_manager'))
        self.assertEqual(
            ref('group_department_manager').parent,
            ref('group_sales_supervisor'))
        self.assertEqual(
            ref('group_sales_supervisor').parent, ref('group_salesperson'))


del ModuleTestCase
