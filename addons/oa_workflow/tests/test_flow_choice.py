# This file is part of the oa_workflow module.
"""Which approval flow a document takes (SPEC OA-A1, OA-B2)

A flow applies only to its own document type and, for custom forms, to its
own form types; flows are tried in an explicit order, a new flow last; the
form shows the flow and the route it would take before it is submitted.

A plain TestCase: the generic checks of ModuleTestCase run once, in
test_module."""
import unittest
from decimal import Decimal

from trytond.model.exceptions import (
    RequiredValidationError, ValidationError)
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction


def setup_trip(form_types=True):
    """The demo's business trip: 小刘 (supervisor 张主管) asks, 王总 is
    general manager; the form types 出差申请 and 采购申请 both have an
    amount; the flow 出差审批 (supervisor, then any general manager, for
    5 000 or more) is the trip's flow (and names it with form_types)"""
    pool = Pool()
    User = pool.get('res.user')
    Flow = pool.get('oa.approval.flow')
    FormType = pool.get('oa.form.type')
    ModelData = pool.get('ir.model.data')
    company = create_company()
    gm_group = ModelData.get_id('oa_workflow', 'group_general_manager')
    with set_company(company):
        rep = create_employee(company, "小刘")
        lead = create_employee(company, "张主管")
        boss = create_employee(company, "王总")
        rep.supervisor = lead
        rep.save()
        users = {}
        for key, employee in [('rep', rep), ('lead', lead), ('boss', boss)]:
            users[key], = User.create([{
                        'login': 'flow_%s' % key,
                        'name': employee.party.name,
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [employee.id])],
                        'employee': employee.id,
                        }])
        User.write([users['boss']], {'groups': [('add', [gm_group])]})
        fields_ = [('create', [{
                        'name': 'amount', 'string': "金额",
                        'type_': 'numeric', 'digits': 2,
                        }])]
        trip, purchase = FormType.create([
                {'name': "出差申请", 'code': 'TRIP', 'fields_': fields_},
                {'name': "采购申请", 'code': 'BUY', 'fields_': fields_},
                ])
        values = {
            'name': "出差审批", 'model': 'oa.form',
            'condition': "[('data.amount', '>=', 5000)]",
            'steps': [('create', [{
                            'sequence': 10, 'name': "主管审批",
                            'approver_type': 'supervisor', 'levels': 1,
                            }, {
                            'sequence': 20, 'name': "总经理审批",
                            'approver_type': 'group', 'group': gm_group,
                            'mode': 'any',
                            }])],
            }
        if form_types:
            values['form_types'] = [('add', [trip.id])]
        flow, = Flow.create([values])
        trip.flow = flow
        trip.save()
    return company, users, flow, trip, purchase


def one_step_flow(name, form_type, approver, **values):
    "A flow for the custom forms of form_type, decided by approver"
    Flow = Pool().get('oa.approval.flow')
    values.update({
            'name': name, 'model': 'oa.form',
            'form_types': [('add', [form_type.id])],
            'steps': [('create', [{
                            'name': "审批", 'approver_type': 'users',
                            'users': [('add', [approver.id])],
                            }])],
            })
    flow, = Flow.create([values])
    return flow


def make_form(company, user, form_type, amount, save=True):
    Form = Pool().get('oa.form')
    with Transaction().set_user(user.id), \
            Transaction().set_context(company=company.id):
        form = Form(form_type=form_type, company=company, requester=user,
            employee=user.employee, subject="测试",
            data={'amount': Decimal(amount)})
        if save:
            form.save()
    return form


def submit(user, forms):
    Form = Pool().get('oa.form')
    with Transaction().set_user(user.id):
        Form.submit_approval(forms)


class FlowChoiceTestCase(unittest.TestCase):
    "Test which flow a document takes"

    @classmethod
    def setUpClass(cls):
        activate_module('oa_workflow')
        super().setUpClass()

    @with_transaction()
    def test_other_form_type_not_caught(self):
        """A form of another type for 5 000 or more does not take the
        trip's flow, made as the demo made it (no form types named)"""
        company, users, flow, trip, purchase = setup_trip(form_types=False)
        with set_company(company):
            big_trip = make_form(company, users['rep'], trip, 8000)
            big_purchase = make_form(company, users['rep'], purchase, 8000)
            submit(users['rep'], [big_trip, big_purchase])
            self.assertEqual(big_trip.approval_instance.flow, flow)
            # no flow for purchases: approved at submission
            self.assertIsNone(big_purchase.approval_instance)
            self.assertEqual(big_purchase.approval_state, 'approved')

    @with_transaction()
    def test_flow_names_form_types(self):
        """Without a flow on the form type, a form takes the first flow
        naming its type whose condition matches, never another type's"""
        pool = Pool()
        Flow = pool.get('oa.approval.flow')
        company, users, flow, trip, purchase = setup_trip()
        with set_company(company):
            trip.flow = None
            trip.save()
            buying = one_step_flow("采购审批", purchase, users['boss'])
            forms = [
                make_form(company, users['rep'], trip, 8000),
                make_form(company, users['rep'], trip, 800),
                make_form(company, users['rep'], purchase, 8000),
                ]
            submit(users['rep'], forms)
            self.assertEqual(
                [f.approval_instance.flow if f.approval_instance else None
                    for f in forms], [flow, None, buying])
            # a flow of another document type names no form type
            other, = Flow.create([{
                        'name': "其他", 'model': 'oa.form',
                        'steps': [('create', [{'name': "审批"}])],
                        }])
            other.model = 'oa.supply.requisition'
            other.form_types = [trip]
            with self.assertRaises(ValidationError):
                other.save()

    @with_transaction()
    def test_form_type_flow_wins(self):
        """The form type's flow is used before the flows naming the type,
        whatever their order; an inactive one is not used"""
        company, users, flow, trip, purchase = setup_trip()
        with set_company(company):
            first = one_step_flow(
                "出差快速审批", trip, users['boss'], sequence=1)
            self.assertLess(first.sequence, flow.sequence)
            form = make_form(company, users['rep'], trip, 8000)
            submit(users['rep'], [form])
            self.assertEqual(form.approval_instance.flow, flow)

            flow.active = False
            flow.save()
            form = make_form(company, users['rep'], trip, 8000)
            submit(users['rep'], [form])
            self.assertEqual(form.approval_instance.flow, first)

    @with_transaction()
    def test_order_explicit_new_flow_last(self):
        """A new flow gets a sequence after every existing flow and is tried
        last; the consultant's order (the list's handle writes the
        sequences) decides; a flow always has a sequence"""
        pool = Pool()
        Flow = pool.get('oa.approval.flow')
        company, users, flow, trip, purchase = setup_trip()
        with set_company(company):
            trip.flow = None
            trip.save()
            flow.sequence = 500
            flow.save()
            new = one_step_flow("出差新流程", trip, users['boss'])
            self.assertGreater(new.sequence, flow.sequence)
            self.assertEqual(Flow.search([('id', 'in', [flow.id, new.id])]),
                [flow, new])
            form = make_form(company, users['rep'], trip, 8000)
            submit(users['rep'], [form])
            self.assertEqual(form.approval_instance.flow, flow)

            # the consultant drags the new flow first
            Flow.write([new], {'sequence': 1})
            form = make_form(company, users['rep'], trip, 8000)
            submit(users['rep'], [form])
            self.assertEqual(form.approval_instance.flow, new)

            with self.assertRaises(RequiredValidationError):
                Flow.write([new], {'sequence': None})

    @with_transaction()
    def test_preview(self):
        """Before submission the form shows the flow it would take and its
        steps with their approvers, also while it is being filled"""
        pool = Pool()
        Form = pool.get('oa.form')
        User = pool.get('res.user')
        company, users, flow, trip, purchase = setup_trip()
        with set_company(company):
            big = make_form(company, users['rep'], trip, 8000)
            self.assertEqual(big.approval_preview_flow, flow)
            # any one of the general managers (admin is one of them)
            managers = User.search([('groups', '=', flow.steps[1].group.id)],
                order=[('id', 'ASC')])
            self.assertIn(users['boss'], managers)
            self.assertEqual(big.approval_preview.splitlines(), [
                    "1. 主管审批: 张主管",
                    "2. 总经理审批: %s (any one)" % ", ".join(
                        u.rec_name for u in managers),
                    ])
            small = make_form(company, users['rep'], trip, 800)
            other = make_form(company, users['rep'], purchase, 8000)
            for form in [small, other]:
                self.assertIsNone(form.approval_preview_flow)
                self.assertEqual(form.approval_preview,
                    "No approval flow applies: the document is approved as "
                    "soon as it is submitted.")

            # while it is filled (not saved), as the client asks for it
            with Transaction().set_user(users['rep'].id):
                unsaved = make_form(
                    company, users['rep'], purchase, 8000, save=False)
                self.assertIsNone(
                    unsaved.on_change_with_approval_preview_flow())
                unsaved.form_type = trip
                self.assertEqual(
                    unsaved.on_change_with_approval_preview_flow(), flow.id)
                self.assertIn(
                    "张主管", unsaved.on_change_with_approval_preview())

            # what it shows is what the submission does
            submit(users['rep'], [big])
            self.assertEqual(big.approval_instance.flow, flow)
            self.assertEqual(
                [t.user for t in big.approval_instance.tasks],
                [users['lead']])
            # once submitted, the instance tells the route
            self.assertIsNone(Form(big.id).approval_preview_flow)

    @with_transaction()
    def test_form_type_shows_its_fields(self):
        """Choosing the form type shows every field of the type to fill,
        keeping the values of the fields it has"""
        pool = Pool()
        Form = pool.get('oa.form')
        FormField = pool.get('oa.form.field')
        company, users, flow, trip, purchase = setup_trip()
        with set_company(company):
            FormField.create([{
                        'form_type': trip.id, 'name': 'destination',
                        'string': "目的地", 'type_': 'char', 'sequence': 1,
                        }])
            form = Form(data={'amount': Decimal(800), 'other': "x"})
            form.form_type = trip
            form.on_change_form_type()
            self.assertEqual(form.data,
                {'destination': None, 'amount': Decimal(800)})
