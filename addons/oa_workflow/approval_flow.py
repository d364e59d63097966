# This file is part of the oa_workflow module.
"""Approval flow definitions (SPEC OA-A1), configured in records only"""
import datetime as dt
import operator as op
from ast import literal_eval
from decimal import Decimal

from sql import Null
from sql.aggregate import Max

from trytond import backend
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

APPROVER_TYPES = [
    ('users', "Named Users"),
    ('group', "Group"),
    ('supervisor', "Requester's Supervisor"),
    ('department_manager', "Department Manager"),
    ('field', "Field of the Document"),
    ]
RULES = [
    ('skip', "Skip the Step"),
    ('admin', "Send to the Administrator"),
    ('reject', "Reject"),
    ]
# The fields of a flow step an instance step copies at submission
STEP_FIELDS = ['sequence', 'name', 'approver_type', 'group', 'levels',
    'field_name', 'mode', 'timeout_hours', 'timeout_action']
# The flow's rules an instance keeps for its whole run
INSTANCE_RULES = ['empty_rule', 'requester_rule', 'skip_same_approver']


def document_models():
    """Models that opted in to approvals: every subclass of ApprovalMixin
    (ir.model's cached name items)"""
    from .approval import ApprovalMixin
    pool = Pool()
    IrModel = pool.get('ir.model')
    return sorted(
        (name, string) for name, string in IrModel.get_name_items(
            ApprovalMixin)
        if not getattr(pool.get(name), '__no_approval__', False))


class ConditionError(Exception):
    pass


_OPERATORS = {
    '=': op.eq, '!=': op.ne, '<': op.lt, '<=': op.le, '>': op.gt,
    '>=': op.ge,
    'in': lambda a, b: a in b,
    'not in': lambda a, b: a not in b,
    }


def parse_condition(text):
    "Parse a condition text into a domain, raise ConditionError if invalid"
    if not text or not text.strip():
        return []
    try:
        domain = literal_eval(text.strip())
    except (ValueError, SyntaxError) as exception:
        raise ConditionError(str(exception))
    if isinstance(domain, tuple) and domain and isinstance(domain[0], str):
        domain = [domain]
    _check_domain(domain)
    return domain


def _check_domain(domain):
    if not isinstance(domain, list):
        raise ConditionError(repr(domain))
    for item in domain:
        if item in ('AND', 'OR'):
            continue
        if isinstance(item, list):
            _check_domain(item)
        elif (isinstance(item, tuple) and len(item) == 3
                and isinstance(item[0], str)
                and (item[1] in _OPERATORS
                    or item[1] in {'like', 'ilike', 'not like', 'not ilike'})):
            continue
        else:
            raise ConditionError(repr(item))


def _value_of(record, path):
    value = record
    for name in path.split('.'):
        if value is None:
            return None
        if isinstance(value, dict):
            value = value.get(name)
        else:
            value = getattr(value, name, None)
    if hasattr(value, 'id') and hasattr(value, '__name__'):
        value = value.id
    return value


def _compare(value, operator, target):
    if operator in {'like', 'ilike', 'not like', 'not ilike'}:
        text, pattern = str(value or ''), str(target).strip('%')
        if 'ilike' in operator:
            text, pattern = text.lower(), pattern.lower()
        result = pattern in text
        return not result if operator.startswith('not') else result
    if value is None and operator not in {'=', '!=', 'in', 'not in'}:
        return False
    if isinstance(value, (int, float, Decimal)) and not isinstance(
            value, bool) and isinstance(target, (int, float, Decimal)):
        value, target = Decimal(str(value)), Decimal(str(target))
    if isinstance(value, dt.datetime) and isinstance(target, str):
        target = dt.datetime.fromisoformat(target)
    elif isinstance(value, dt.date) and isinstance(target, str):
        target = dt.date.fromisoformat(target)
    try:
        return _OPERATORS[operator](value, target)
    except TypeError:
        return False


def eval_condition(record, domain):
    "Evaluate a parsed domain on a record (dotted names, Dict keys work)"
    if not domain:
        return True
    mode = 'AND'
    items = list(domain)
    if items and items[0] in ('AND', 'OR'):
        mode = items.pop(0)
    results = []
    for item in items:
        if isinstance(item, list):
            results.append(eval_condition(record, item))
        else:
            name, operator, target = item
            results.append(_compare(_value_of(record, name), operator, target))
    return all(results) if mode == 'AND' else any(results)


class ApproverSpecMixin:
    "Fields describing who approves a step (shared by definition and copy)"
    __slots__ = ()
    name = fields.Char("Name", required=True, translate=True)
    approver_type = fields.Selection(
        APPROVER_TYPES, "Approvers", required=True, sort=False)
    group = fields.Many2One(
        'res.group', "Group", ondelete='RESTRICT',
        states={
            'invisible': Eval('approver_type') != 'group',
            'required': Eval('approver_type') == 'group',
            })
    levels = fields.Integer(
        "Levels Up",
        domain=[If(Eval('approver_type').in_(
                        ['supervisor', 'department_manager']),
                ('levels', '>=', 1), ())],
        states={
            'invisible': ~Eval('approver_type').in_(
                ['supervisor', 'department_manager']),
            'required': Eval('approver_type').in_(
                ['supervisor', 'department_manager']),
            },
        help="1 = the direct supervisor or the manager of the requester's "
        "own department, 2 = one level above, etc.")
    field_name = fields.Char(
        "Document Field",
        states={
            'invisible': Eval('approver_type') != 'field',
            'required': Eval('approver_type') == 'field',
            },
        help="The name of a field of the document pointing to a user or an "
        "employee, e.g. \"employee\" (dotted paths allowed).")
    mode = fields.Selection([
            ('any', "Any One (或签)"),
            ('all', "All (会签)"),
            ], "Mode", required=True, sort=False)
    timeout_hours = fields.Integer(
        "Time Limit (Hours)", domain=['OR',
            ('timeout_hours', '=', None),
            ('timeout_hours', '>=', 0),
            ],
        help="Hours after which the step is overdue; empty for no limit.")
    timeout_action = fields.Selection([
            ('remind', "Remind"),
            ('approve', "Approve Automatically"),
            ('reject', "Reject Automatically"),
            ], "Timeout Action", sort=False,
        states={
            'invisible': ~Eval('timeout_hours'),
            })

    @classmethod
    def default_approver_type(cls):
        return 'supervisor'

    @classmethod
    def default_levels(cls):
        return 1

    @classmethod
    def default_mode(cls):
        return 'any'

    @classmethod
    def default_timeout_action(cls):
        return 'remind'

    def approver_users(self, instance):
        """Return the users (ids, ordered) who approve this step for the
        instance, before rules and delegations"""
        pool = Pool()
        User = pool.get('res.user')
        employee = instance.employee
        users = []
        if self.approver_type == 'users':
            users = [u for u in self.users if u.active]
        elif self.approver_type == 'group':
            if self.group:
                users = User.search([
                        ('groups', '=', self.group.id),
                        ], order=[('id', 'ASC')])
        elif self.approver_type == 'supervisor':
            if employee:
                manager = employee.manager_up(self.levels or 1)
                if manager:
                    users = self._employee_users(manager)
        elif self.approver_type == 'department_manager':
            if employee and employee.department:
                Department = pool.get('oa.department')
                managers = [
                    d.manager for d in Department.ancestors(
                        employee.department)]
                index = (self.levels or 1) - 1
                if index < len(managers) and managers[index]:
                    users = self._employee_users(managers[index])
        elif self.approver_type == 'field':
            value = _value_of_record(instance.document, self.field_name)
            if value is not None:
                if value.__name__ == 'res.user':
                    users = [value]
                elif value.__name__ == 'company.employee':
                    users = self._employee_users(value)
        result = []
        for user in users:
            if user.id not in result:
                result.append(user.id)
        return result

    @staticmethod
    def _employee_users(employee):
        User = Pool().get('res.user')
        return User.search([
                ('employees', '=', employee.id),
                ], order=[('id', 'ASC')])


def _value_of_record(record, path):
    value = record
    for name in (path or '').split('.'):
        if value is None or not name:
            return None
        value = getattr(value, name, None)
    if hasattr(value, '__name__') and hasattr(value, 'id'):
        return value
    return None


class FlowDefinitionMixin:
    "Clear the flow definitions kept by the engine when a flow changes"
    __slots__ = ()

    @classmethod
    def create(cls, vlist):
        records = super().create(vlist)
        Pool().get('oa.approval.flow').clear_definitions()
        return records

    @classmethod
    def write(cls, *args):
        super().write(*args)
        Pool().get('oa.approval.flow').clear_definitions()

    @classmethod
    def delete(cls, records):
        super().delete(records)
        Pool().get('oa.approval.flow').clear_definitions()


class ApprovalFlow(FlowDefinitionMixin, DeactivableMixin,
        sequence_ordered(order='ASC NULLS LAST'), ModelSQL, ModelView):
    "Approval Flow"
    __name__ = 'oa.approval.flow'
    __string__ = "Approval Flow"

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One(
        'company.company', "Company", ondelete='CASCADE',
        help="Leave empty to use the flow in every company.")
    model = fields.Selection(
        'get_document_models', "Document Type", required=True,
        help="The kind of document approved with this flow.")
    form_types = fields.Many2Many(
        'oa.approval.flow-oa.form.type', 'flow', 'form_type', "Form Types",
        states={
            'invisible': Eval('model') != 'oa.form',
            },
        help="The types of custom forms the flow applies to (the flow "
        "named by a form type is used first for its forms).")
    condition = fields.Char(
        "Condition",
        help="An optional domain on the document; the flow applies only "
        "when it matches, e.g. [('amount', '>=', 50000)]. "
        "For custom forms use the field names: [('data.amount', '>=', 5000)].")
    steps = fields.One2Many(
        'oa.approval.flow.step', 'flow', "Steps")
    empty_rule = fields.Selection(
        RULES, "When No Approver", required=True, sort=False,
        help="What to do with a step whose approver set is empty.")
    requester_rule = fields.Selection(
        RULES, "When the Approver Is the Requester", required=True,
        sort=False,
        help="What to do when the only approver of a step is the requester.")
    administrator = fields.Many2One(
        'res.user', "Administrator", ondelete='RESTRICT',
        help="Receives the steps sent to the administrator; "
        "the user \"admin\" when empty.")
    skip_same_approver = fields.Boolean(
        "Skip Same Approver",
        help="Skip a step automatically when its approver approved the "
        "previous step.")
    cc_users = fields.Many2Many(
        'oa.approval.flow-res.user', 'flow', 'user', "Copy To",
        help="Users informed of the outcome (copied to me).")
    number_sequence = fields.Many2One(
        'ir.sequence', "Serial Number Sequence", ondelete='RESTRICT',
        help="Gives approved documents a number from this sequence.")
    instance_count = fields.Function(
        fields.Integer("Instances"), 'get_instance_count')

    # What every submission reads of the flows, as plain values: kept by
    # Tryton's cache (cleared on every server at the commit of a change to
    # a flow, its steps, their users or their translations)
    _model_flows_cache = Cache('oa.approval.flow.model_flows', context=False)
    _definition_cache = Cache('oa.approval.flow.definition', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(1, ('id', 'ASC'))
        cls.sequence.required = True
        cls.sequence.help = (
            "The order in which the flows of a document type are tried: "
            "the first whose condition matches applies.")

    @classmethod
    def __register__(cls, module):
        # Migration: flows without sequence were tried first; they go last,
        # in the order of their creation (before the column is required)
        if backend.TableHandler.table_exist(cls._table):
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            last = cls.default_sequence() - 10
            cursor.execute(*table.select(table.id,
                    where=table.sequence == Null, order_by=[table.id.asc]))
            for id_, in cursor.fetchall():
                last += 10
                cursor.execute(*table.update(
                        [table.sequence], [last], where=table.id == id_))
        super().__register__(module)

    @classmethod
    def default_sequence(cls):
        "After the existing flows: a new flow is tried last"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Max(table.sequence)))
        last, = cursor.fetchone()
        return (last or 0) + 10

    @classmethod
    def clear_definitions(cls):
        cls._model_flows_cache.clear()
        cls._definition_cache.clear()

    @classmethod
    def model_flows(cls, model):
        "The active flows of model, in order of priority"
        ids = cls._model_flows_cache.get(model)
        if ids is None:
            ids = [f.id for f in cls.search([
                        ('model', '=', model),
                        ], order=[('sequence', 'ASC NULLS LAST'),
                        ('id', 'ASC')])]
            cls._model_flows_cache.set(model, ids)
        return cls.browse(list(ids))

    def definition(self):
        """The flow as an instance copies it at submission, in the user's
        language: a mapping with the flow's model, company, condition,
        administrator, the rules an instance keeps (INSTANCE_RULES) and
        'steps', the values of its steps in the order
        the engine runs them (STEP_FIELDS and their users)"""
        key = (self.id, Transaction().language)
        definition = self._definition_cache.get(key)
        if definition is None:
            # read in the current language (a record keeps the context it
            # was instantiated in); stored and returned read-only
            definition = self._definition_cache.set(
                key, self.__class__(self.id)._read_definition())
        return definition

    def _read_definition(self):
        definition = {
            'model': self.model,
            'form_types': [t.id for t in self.form_types],
            'company': self.company.id if self.company else None,
            'condition': self.condition,
            'administrator': (
                self.administrator.id if self.administrator else None),
            }
        for name in INSTANCE_RULES:
            definition[name] = getattr(self, name)
        steps = []
        for step in self.steps:
            values = {n: getattr(step, n) for n in STEP_FIELDS}
            values['group'] = step.group.id if step.group else None
            values['users'] = [u.id for u in step.users]
            steps.append(values)
        # the engine's order (ApprovalInstance.ordered_steps): the steps are
        # created in it, so their ids follow it
        steps.sort(key=lambda v: v['sequence'] or 0)
        definition['steps'] = steps
        return definition

    @classmethod
    def get_document_models(cls):
        return document_models()

    @classmethod
    def default_empty_rule(cls):
        return 'skip'

    @classmethod
    def default_requester_rule(cls):
        return 'skip'

    @classmethod
    def default_skip_same_approver(cls):
        return False

    @fields.depends('model', 'form_types')
    def on_change_model(self):
        if self.model != 'oa.form':
            self.form_types = []

    @classmethod
    def validate(cls, flows):
        super().validate(flows)
        for flow in flows:
            flow.check_condition()
            flow.check_steps()
            flow.check_form_types()

    def check_condition(self):
        try:
            parse_condition(self.condition)
        except ConditionError as exception:
            raise ValidationError(gettext(
                    'oa_workflow.msg_flow_condition_invalid',
                    flow=self.rec_name, condition=self.condition,
                    error=str(exception)))

    def check_steps(self):
        if self.active and not self.steps:
            raise ValidationError(gettext(
                    'oa_workflow.msg_flow_no_steps', flow=self.rec_name))

    def check_form_types(self):
        if self.model != 'oa.form' and self.form_types:
            raise ValidationError(gettext(
                    'oa_workflow.msg_flow_form_types_model',
                    flow=self.rec_name))

    def match(self, document):
        "Return True if the flow applies to the document"
        definition = self.definition()
        if definition['model'] != document.__name__:
            return False
        company = getattr(document, 'company', None)
        if (definition['company'] and company
                and company.id != definition['company']):
            return False
        return eval_condition(
            document, parse_condition(definition['condition']))

    @classmethod
    def get_instance_count(cls, flows, name):
        Instance = Pool().get('oa.approval.instance')
        counts = dict.fromkeys([f.id for f in flows], 0)
        for instance in Instance.search([
                    ('flow', 'in', list(counts)),
                    ]):
            counts[instance.flow.id] += 1
        return counts

    def get_administrator(self):
        "The flow's administrator, the user admin when it names none"
        ModelData = Pool().get('ir.model.data')
        return (self.definition()['administrator']
            or ModelData.get_id('res', 'user_admin'))


class ApprovalFlowUser(FlowDefinitionMixin, ModelSQL):
    "Approval Flow - Copy To User"
    __name__ = 'oa.approval.flow-res.user'
    __string__ = "Approval Flow - Copy To User"
    flow = fields.Many2One(
        'oa.approval.flow', "Flow", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')


class ApprovalFlowFormType(FlowDefinitionMixin, ModelSQL):
    "Approval Flow - Form Type"
    __name__ = 'oa.approval.flow-oa.form.type'
    __string__ = "Approval Flow - Form Type"
    flow = fields.Many2One(
        'oa.approval.flow', "Flow", required=True, ondelete='CASCADE')
    form_type = fields.Many2One(
        'oa.form.type', "Form Type", required=True, ondelete='CASCADE')


class ApprovalFlowStep(FlowDefinitionMixin,
        ApproverSpecMixin, sequence_ordered(), ModelSQL, ModelView):
    "Approval Flow Step"
    __name__ = 'oa.approval.flow.step'
    __string__ = "Approval Flow Step"

    flow = fields.Many2One(
        'oa.approval.flow', "Flow", required=True, ondelete='CASCADE')
    users = fields.Many2Many(
        'oa.approval.flow.step-res.user', 'step', 'user', "Users",
        states={
            'invisible': Eval('approver_type') != 'users',
            })

    @classmethod
    def validate(cls, steps):
        super().validate(steps)
        for step in steps:
            if step.approver_type == 'users' and not step.users:
                raise ValidationError(gettext(
                        'oa_workflow.msg_step_no_users', step=step.rec_name))


class ApprovalFlowStepUser(FlowDefinitionMixin, ModelSQL):
    "Approval Flow Step - User"
    __name__ = 'oa.approval.flow.step-res.user'
    __string__ = "Approval Flow Step - User"
    step = fields.Many2One(
        'oa.approval.flow.step', "Step", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
