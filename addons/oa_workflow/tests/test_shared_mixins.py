# This file is part of the oa_workflow module.
"""The mixins shared by the documents: RecNameSearchMixin and
DeletableStatesMixin (on office supplies)

A plain TestCase: the generic checks of ModuleTestCase run once, in
test_module."""
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .test_supplies import requisition, setup_supplies


class SharedMixinsTestCase(unittest.TestCase):
    "Test the shared mixins"

    @classmethod
    def setUpClass(cls):
        activate_module('oa_workflow')
        super().setUpClass()

    @with_transaction()
    def test_rec_name_search_any_field(self):
        "The name search finds a match on any field, negated on none"
        Item = Pool().get('oa.supply.item')
        data = setup_supplies()
        pen, paper = data['items']['PEN'], data['items']['A4']
        paper.category = "纸张"
        paper.save()
        with set_company(data['company']):
            for clause, expected in [
                    (('rec_name', 'ilike', '%签字%'), [pen]),  # name
                    (('rec_name', 'ilike', 'a4'), [paper]),  # code
                    (('rec_name', 'ilike', '文具'), [pen]),  # category
                    (('rec_name', 'not ilike', 'a4'), [pen]),
                    (('rec_name', '!=', '文具'), [paper]),
                    ]:
                with self.subTest(clause=clause):
                    self.assertEqual(
                        Item.search([clause], order=[('id', 'ASC')]),
                        expected)

    @with_transaction()
    def test_delete_only_deletable_states(self):
        "A draft or cancelled requisition is deleted, an issued one never"
        Requisition = Pool().get('oa.supply.requisition')
        data = setup_supplies({'PEN': 10})
        users, pen = data['users'], data['items']['PEN']
        with set_company(data['company']):
            draft = requisition(users['liu'], [(pen, 1)])
            issued = requisition(users['liu'], [(pen, 1)])
            # no approval flow: approved and issued at once
            Requisition.request([issued])
            self.assertEqual(issued.state, 'issued')
            with self.assertRaisesRegex(
                    AccessError, "cannot be deleted") as cm:
                Requisition.delete([draft, issued])
            self.assertIn(issued.rec_name, cm.exception.message)
            Requisition.delete([draft])
            self.assertEqual(Requisition.search([]), [issued])

            # a cancelled requisition goes with its lines
            cancelled = requisition(users['liu'], [(pen, 1)])
            Requisition.cancel([cancelled])
            Requisition.delete([cancelled])
            self.assertEqual(Requisition.search([]), [issued])
