# This file is part of the oa_workflow module.
"""Approval engine (SPEC OA-A2 .. A6)

A document model opts in by inheriting ``ApprovalMixin`` (see form.py)::

    class Expense(ApprovalMixin, ModelSQL, ModelView):
        __name__ = 'oa.expense'

        @classmethod
        def approval_approved(cls, expenses):
            cls.write(expenses, {'state': 'approved'})

and by adding an ``ir.model.button`` record for ``submit_approval`` and
``withdraw_approval``. Flows are then configured in records only.
"""
import copy
import datetime as dt
import logging
from collections import defaultdict
from functools import wraps

from sql.conditionals import Coalesce
from sql.operators import Concat, Equal

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    Index, Model, ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.model.exceptions import AccessError
from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If, PYSONEncoder
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .approval_flow import INSTANCE_RULES, ApproverSpecMixin, RULES
from .row_lock import lock_rows
from .system_record import SystemRecordMixin

logger = logging.getLogger(__name__)

DOCUMENT_STATES = [
    ('none', "Not Submitted"),
    ('running', "Under Approval"),
    ('approved', "Approved"),
    ('rejected', "Rejected"),
    ('returned', "Returned"),
    ('withdrawn', "Withdrawn"),
    ('cancelled', "Cancelled"),
    ]
INSTANCE_STATES = [
    ('running', "Running"),
    ('approved', "Approved"),
    ('rejected', "Rejected"),
    ('returned', "Returned"),
    ('withdrawn', "Withdrawn"),
    ('cancelled', "Cancelled"),
    ]
TASK_OPEN = ('pending', 'waiting')
APPROVAL_FIELDS = {'approval_state', 'approval_instance', 'approval_number'}
TASK_USER_FIELDS = {'comment', 'other_user', 'add_position'}
INSTANCE_USER_FIELDS = {'forward_to', 'comment'}


def _now():
    return dt.datetime.now()


def _client_create(cls):
    "Check the create a client asks of an approvable document"
    def decorator(func):
        @wraps(func)
        def wrapper(vlist, *args, **kwargs):
            cls._approval_check_client('create', values=vlist)
            return func(vlist, *args, **kwargs)
        return wrapper
    return decorator


def _client_write(cls):
    "Check the write a client asks of approvable documents"
    def decorator(func):
        @wraps(func)
        def wrapper(*args):
            actions = iter(args)
            for records, values in zip(actions, actions):
                cls._approval_check_client('write', records, values)
            return func(*args)
        return wrapper
    return decorator


def _client_delete(cls):
    "Check the delete a client asks of approvable documents"
    def decorator(func):
        @wraps(func)
        def wrapper(records, *args, **kwargs):
            cls._approval_check_client('delete', records)
            return func(records, *args, **kwargs)
        return wrapper
    return decorator


class ApprovalMixin(object):
    """Mixin for documents that go through approval flows

    The document implements the hooks ``approval_submitted``,
    ``approval_approved``, ``approval_rejected``, ``approval_returned``,
    ``approval_withdrawn`` and ``approval_cancelled`` (classmethods taking
    the records) and may override ``approval_get_requester``,
    ``approval_get_employee``, ``approval_flows`` and
    ``approval_check_submit``; the approvers read the fields of
    ``_approval_summary_fields`` in their task."""
    __slots__ = ()
    _approval_summary_fields = []

    approval_state = fields.Selection(
        DOCUMENT_STATES, "Approval State", readonly=True, sort=False)
    approval_instance = fields.Many2One(
        'oa.approval.instance', "Approval", readonly=True,
        ondelete='SET NULL')
    approval_number = fields.Char("Serial Number", readonly=True)
    approval_requester = fields.Function(fields.Many2One(
            'res.user', "Approval Requester",
            help="The user who submitted the document for approval."),
        'get_approval_requester', searcher='search_approval_requester')
    approval_preview_flow = fields.Function(fields.Many2One(
            'oa.approval.flow', "Approval Flow to Use",
            states={
                'invisible': Eval('approval_state', 'none').in_(
                    ['running', 'approved']),
                },
            help="The flow the document takes if it is submitted now."),
        'get_approval_preview')
    approval_preview = fields.Function(fields.Text(
            "Approval Route",
            states={
                'invisible': Eval('approval_state', 'none').in_(
                    ['running', 'approved']),
                },
            help="The steps of the flow and their approvers if the document "
            "is submitted now."),
        'get_approval_preview')
    approval_by_me = fields.Function(fields.Boolean(
            "Requested by Me",
            help="Whether you submit the document: only its requester may "
            "withdraw it."),
        'get_approval_by_me')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        for name, decorator in [
                ('create', _client_create), ('write', _client_write),
                ('delete', _client_delete)]:
            if name in cls.__rpc__:
                rpc = copy.copy(cls.__rpc__[name])
                rpc.decorator = decorator(cls)
                cls.__rpc__[name] = rpc
        cls._buttons.update({
                'submit_approval': {
                    'invisible': Eval('approval_state').in_(
                        ['running', 'approved']),
                    'depends': ['approval_state'],
                    },
                # the requester's action: the approvers do not see it
                'withdraw_approval': {
                    'invisible': ((Eval('approval_state') != 'running')
                        | ~Eval('approval_by_me', False)),
                    'depends': ['approval_state', 'approval_by_me'],
                    },
                })

    @classmethod
    def default_approval_state(cls):
        return 'none'

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        # Only the engine sets the approval fields (the client's create,
        # write and delete are checked further in _approval_check_client)
        if not external:
            return
        if mode == 'write' and APPROVAL_FIELDS & set(values or {}):
            raise AccessError(gettext(
                    'oa_workflow.msg_document_approval_fields',
                    document=records[0].rec_name if records else ''))
        if mode == 'create':
            for record in records:
                if ((record.approval_state or 'none') != 'none'
                        or record.approval_instance
                        or record.approval_number):
                    raise AccessError(gettext(
                            'oa_workflow.msg_document_approval_fields',
                            document=record.rec_name))

    @classmethod
    def _approval_check_client(cls, mode, records=None, values=None):
        """Refuse what a client asks by create, write or delete (the RPC
        entry points, not the server's code under them): the state is
        changed by the buttons only, and nobody changes a document under
        approval, the approvers decide on what was submitted"""
        state = cls._approval_state_field()
        if mode == 'create':
            default = getattr(cls, 'default_' + state, None) if state else None
            for vals in values:
                if (state in vals
                        and vals[state] != (default() if default else None)):
                    raise AccessError(gettext(
                            'oa_workflow.msg_document_state_by_buttons',
                            document=cls.__names__()['model']))
            return
        if mode == 'write' and state and state in values:
            raise AccessError(gettext(
                    'oa_workflow.msg_document_state_by_buttons',
                    document=records[0].rec_name if records else ''))
        with without_check_access():
            for record in cls.browse([int(r) for r in records]):
                if record.approval_state == 'running':
                    raise AccessError(gettext(
                            'oa_workflow.msg_document_under_approval',
                            document=record.rec_name))

    @classmethod
    def _approval_state_field(cls):
        "The name of the document's workflow state, if it has one"
        if issubclass(cls, Workflow):
            return getattr(cls, '_transition_state', 'state')

    @classmethod
    def copy(cls, records, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('approval_state', 'none')
        default.setdefault('approval_instance', None)
        default.setdefault('approval_number', None)
        return super().copy(records, default=default)

    def get_approval_requester(self, name):
        if self.approval_instance:
            return self.approval_instance.requester.id

    def get_approval_by_me(self, name):
        user = Transaction().user
        if self.approval_instance:
            return self.approval_instance.requester.id == user
        return self.approval_get_requester() == user

    @classmethod
    def search_approval_requester(cls, name, clause):
        nested = clause[0][len(name):]
        return [('approval_instance.requester' + nested,) + tuple(clause[1:])]

    # Overridable parts
    def approval_summary(self):
        """The text shown to the approvers in their task: a line per field
        of _approval_summary_fields with a value"""
        names = list(self._approval_summary_fields)
        descriptions = self.fields_get(names)
        lines = []
        for name in names:
            value = getattr(self, name)
            if value is None or value == '':
                continue
            description = descriptions[name]
            if isinstance(value, Model):
                value = value.rec_name
            elif description.get('selection') and isinstance(
                    description['selection'], list):
                value = dict(description['selection']).get(value, value)
            lines.append(gettext('oa_workflow.msg_summary_line',
                    field=description['string'], value=value))
        return '\n'.join(lines)

    def approval_get_requester(self):
        "Return the id of the user who submits the document"
        return Transaction().user

    def approval_get_employee(self):
        "Return the employee of the requester (res.user.employee)"
        User = Pool().get('res.user')
        requester = self.approval_get_requester()
        if requester:
            return User(requester).employee

    def approval_get_company(self):
        company = getattr(self, 'company', None)
        if company:
            return company
        employee = self.approval_get_employee()
        if employee:
            return employee.company

    def approval_flows(self):
        "Return the candidate flows, in order of priority"
        Flow = Pool().get('oa.approval.flow')
        return Flow.model_flows(self.__name__)

    def approval_find_flow(self):
        "The first flow whose condition matches the document"
        for flow in self.approval_flows():
            if flow.match(self):
                return flow

    @classmethod
    def get_approval_preview(cls, records, names):
        "The flow and the route of the documents if submitted now"
        Instance = Pool().get('oa.approval.instance')
        result = {n: {} for n in names}
        for record in records:
            flow, route = None, None
            if record.approval_state not in {'running', 'approved'}:
                flow, route = Instance.preview(record)
            if 'approval_preview_flow' in result:
                result['approval_preview_flow'][record.id] = (
                    flow.id if flow else None)
            if 'approval_preview' in result:
                result['approval_preview'][record.id] = route
        return result

    @classmethod
    def approval_check_submit(cls, records):
        "Check the documents can be submitted; raise UserError otherwise"
        for record in records:
            if record.approval_state in {'running', 'approved'}:
                raise UserError(gettext(
                        'oa_workflow.msg_document_already_submitted',
                        document=record.rec_name))

    @classmethod
    def check_approved(cls, records):
        """Helper for documents: raise if an approval is running or the
        document is not approved (e.g. before confirming it)"""
        for record in records:
            if record.approval_state == 'running':
                raise UserError(gettext(
                        'oa_workflow.msg_document_approval_running',
                        document=record.rec_name))
            if record.approval_state != 'approved':
                raise UserError(gettext(
                        'oa_workflow.msg_document_not_approved',
                        document=record.rec_name))

    # Hooks (documents decide what they do)
    @classmethod
    def approval_submitted(cls, records):
        pass

    @classmethod
    def approval_approved(cls, records):
        pass

    @classmethod
    def approval_rejected(cls, records):
        pass

    @classmethod
    def approval_returned(cls, records):
        pass

    @classmethod
    def approval_withdrawn(cls, records):
        pass

    @classmethod
    def approval_cancelled(cls, records):
        pass

    @classmethod
    def _approval_set_state(cls, records, state, number=None, values=None):
        values = dict(values or {}, approval_state=state)
        if number:
            values['approval_number'] = number
        with without_check_access():
            cls.write(records, values)
        hook = {
            'running': cls.approval_submitted,
            'approved': cls.approval_approved,
            'rejected': cls.approval_rejected,
            'returned': cls.approval_returned,
            'withdrawn': cls.approval_withdrawn,
            'cancelled': cls.approval_cancelled,
            }[state]
        hook(records)

    @classmethod
    @ModelView.button
    def submit_approval(cls, records):
        Instance = Pool().get('oa.approval.instance')
        cls.approval_check_submit(records)
        Instance.submit(records)

    @classmethod
    @ModelView.button
    def withdraw_approval(cls, records):
        Instance = Pool().get('oa.approval.instance')
        instances = []
        for record in records:
            if (record.approval_state != 'running'
                    or not record.approval_instance):
                raise UserError(gettext(
                        'oa_workflow.msg_instance_finished',
                        instance=record.rec_name))
            instances.append(record.approval_instance)
        Instance.withdraw(instances)


class DocumentNameMixin(object):
    """The name of the document (its rec_name, as the client reads it with
    the reference) is the approval's copy of it, made at submission: the
    readers of an approval (a monitor, an approver by transfer) see it
    without being allowed to read the document itself, which they may still
    not open"""
    __slots__ = ()

    @classmethod
    def read(cls, ids, fields_names):
        if {f for f in fields_names if f.startswith('document.')} != {
                'document.rec_name'}:
            return super().read(ids, fields_names)
        names = [f for f in fields_names if f != 'document.rec_name']
        rows = super().read(ids, names + (
                ['document'] if 'document' not in names else []))
        # the rows passed the access check of the reader
        document_names = cls._document_names([r['id'] for r in rows])
        for row in rows:
            document = row['document'] if 'document' in names \
                else row.pop('document')
            try:
                id_ = int(document.split(',', 1)[1]) if document else -1
            except ValueError:
                id_ = -1
            row['document.'] = ({'id': id_,
                    'rec_name': document_names.get(row['id']) or ''}
                if id_ >= 0 else None)
        return rows

    @classmethod
    def _document_names(cls, ids):
        "Return the document name of each record id"
        raise NotImplementedError


class ApprovalInstance(
        DocumentNameMixin, SystemRecordMixin, ModelSQL, ModelView):
    "Approval Instance"
    __name__ = 'oa.approval.instance'
    __string__ = "Approval Instance"
    _rec_name = 'name'

    name = fields.Char("Name", readonly=True)
    document = fields.Reference(
        "Document", selection='get_document_models', required=True,
        readonly=True)
    flow = fields.Many2One(
        'oa.approval.flow', "Flow", required=True, readonly=True,
        ondelete='RESTRICT')
    company = fields.Many2One(
        'company.company', "Company", readonly=True, ondelete='CASCADE')
    requester = fields.Many2One(
        'res.user', "Requester", required=True, readonly=True,
        ondelete='RESTRICT')
    employee = fields.Many2One(
        'company.employee', "Employee", readonly=True, ondelete='SET NULL')
    state = fields.Selection(
        INSTANCE_STATES, "State", required=True, readonly=True, sort=False)
    # Copy of the flow's rules: a running instance keeps its definition
    empty_rule = fields.Selection(RULES, "When No Approver", readonly=True)
    requester_rule = fields.Selection(
        RULES, "When the Approver Is the Requester", readonly=True)
    skip_same_approver = fields.Boolean("Skip Same Approver", readonly=True)
    administrator = fields.Many2One(
        'res.user', "Administrator", readonly=True, ondelete='SET NULL')
    steps = fields.One2Many(
        'oa.approval.instance.step', 'instance', "Steps", readonly=True)
    current_step = fields.Many2One(
        'oa.approval.instance.step', "Current Step", readonly=True,
        ondelete='SET NULL')
    step_since = fields.DateTime("At Step Since", readonly=True)
    submitted_at = fields.DateTime("Submitted At", readonly=True)
    finished_at = fields.DateTime("Finished At", readonly=True)
    number = fields.Char("Serial Number", readonly=True)
    tasks = fields.One2Many(
        'oa.approval.task', 'instance', "Tasks", readonly=True)
    logs = fields.One2Many(
        'oa.approval.log', 'instance', "Trail", readonly=True)
    copies = fields.One2Many(
        'oa.approval.copy', 'instance', "Copied To", readonly=True)
    waiting_hours = fields.Function(
        fields.Float("Hours Waiting", digits=(16, 1)), 'get_waiting_hours')
    current_approvers = fields.Function(
        fields.Char("Current Approvers"), 'get_current_approvers')
    forward_to = fields.Many2One(
        'res.user', "Forward To",
        states={
            'invisible': Eval('state') != 'running',
            },
        help="The user who receives the current step on a special forward.")
    comment = fields.Text(
        "Comment", states={
            'invisible': Eval('state') != 'running',
            },
        help="Written in the trail with the monitoring actions.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality()),
                    (t.requester, Index.Equality())),
                Index(t, (t.document, Index.Equality())),
                })
        cls._order = [('submitted_at', 'DESC'), ('id', 'DESC')]
        cls._buttons.update({
                'urge': {
                    'invisible': Eval('state') != 'running',
                    'depends': ['state'],
                    },
                'special_forward': {
                    'invisible': Eval('state') != 'running',
                    'readonly': ~Eval('forward_to'),
                    'depends': ['state', 'forward_to'],
                    },
                'force_end': {
                    'invisible': Eval('state') != 'running',
                    'depends': ['state'],
                    },
                'pull_back': {
                    'invisible': Eval('state') != 'running',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def get_document_models(cls):
        from .approval_flow import document_models
        return document_models()

    @classmethod
    def _document_names(cls, ids):
        with without_check_access():
            return {r['id']: r['name'] for r in cls.read(ids, ['name'])}

    @classmethod
    def default_state(cls):
        return 'running'

    @classmethod
    def check_modification(cls, mode, instances, values=None, external=False):
        super().check_modification(
            mode, instances, values=values, external=external)
        if (external and mode == 'write'
                and set(values or {}) - INSTANCE_USER_FIELDS):
            raise AccessError(gettext(
                    'oa_workflow.msg_instance_write_buttons',
                    instance=instances[0].rec_name if instances else ''))

    def get_waiting_hours(self, name):
        if self.state == 'running' and self.step_since:
            return round(
                (_now() - self.step_since).total_seconds() / 3600, 1)

    def get_current_approvers(self, name):
        if self.state != 'running':
            return ''
        return ', '.join(
            t.user.rec_name for t in self.tasks if t.state == 'pending')

    def ordered_steps(self):
        return sorted(self.steps, key=lambda s: (s.sequence or 0, s.id))

    # Engine
    @classmethod
    def submit(cls, documents):
        """Start an instance of the matching flow for each document (the
        documents without one are approved at once)

        The instance copies the flow's definition; its first steps are
        resolved before it is saved, so that the steps are created in their
        state (skipped, running) and the first approvers get their tasks
        without the instance and its steps being read back."""
        pool = Pool()
        Log = pool.get('oa.approval.log')
        Step = pool.get('oa.approval.instance.step')
        starts = []
        with without_check_access():
            for document in documents:
                Document = pool.get(document.__name__)
                flow = document.approval_find_flow()
                if not flow:
                    Document._approval_set_state([document], 'approved')
                    continue
                definition = flow.definition()
                values = {
                    'name': document.rec_name,
                    'document': document,
                    'flow': flow.id,
                    'company': (document.approval_get_company()
                        or Transaction().context.get('company')),
                    'requester': document.approval_get_requester(),
                    'employee': document.approval_get_employee(),
                    'state': 'running',
                    'administrator': flow.get_administrator(),
                    'submitted_at': _now(),
                    }
                values.update((n, definition[n]) for n in INSTANCE_RULES)
                instance = cls(**values)
                steps = [
                    Step.copy_from(v) for v in definition['steps']]
                index, users = instance._plan_start(steps)
                values['step_since'] = getattr(instance, 'step_since', None)
                instance.save()
                for step in steps:
                    step.instance = instance
                Step.save(steps)
                Document._approval_set_state([document], 'running', values={
                        'approval_instance': instance.id,
                        'approval_number': None,
                        })
                Log.add(instance, 'submit')
                starts.append((instance, values, definition['steps'], steps,
                        index, users))
            for instance, values, definitions, steps, index, users in starts:
                for step in steps[:index]:
                    if step.state == 'skipped':
                        Log.add(instance, 'skip', step=step)
                if users:
                    step_id = steps[index].id
                    cls.write([instance], {'current_step': step_id})
                    # the records as just saved, not read back
                    instance = cls(instance.id, current_step=step_id, **values)
                    step = Step.copy_from(definitions[index], step_id,
                        instance=instance.id, state='running',
                        started_at=values['step_since'])
                    instance._create_tasks(step, users)
                else:
                    instance._advance(start=index)
        return [s[0] for s in starts]

    @classmethod
    def preview(cls, document):
        """The flow the document takes if it is submitted now and its route
        as text: each step with its approvers once the flow's rules are
        applied (delegations apply when the tasks are made), as the
        engine would resolve them; (None, the reason) without flow"""
        pool = Pool()
        Step = pool.get('oa.approval.instance.step')
        User = pool.get('res.user')
        with without_check_access():
            flow = document.approval_find_flow()
            if not flow:
                return None, gettext('oa_workflow.msg_preview_no_flow')
            definition = flow.definition()
            values = {n: definition[n] for n in INSTANCE_RULES}
            instance = cls(document=document, flow=flow.id,
                requester=document.approval_get_requester(),
                employee=document.approval_get_employee(),
                administrator=flow.get_administrator(), **values)
            lines, previous = [], set()
            separator = gettext('oa_workflow.msg_preview_separator')
            for number, step_values in enumerate(definition['steps'], 1):
                step = Step.copy_from(step_values)
                users, outcome = instance._resolve(step, previous)
                if outcome == 'reject':
                    approvers = gettext('oa_workflow.msg_preview_reject')
                elif not users:
                    approvers = gettext('oa_workflow.msg_preview_skip')
                else:
                    approvers = separator.join(
                        u.rec_name for u in User.browse(users))
                    if len(users) > 1:
                        approvers = gettext(
                            'oa_workflow.msg_preview_mode_%s' % step.mode,
                            users=approvers)
                lines.append(gettext('oa_workflow.msg_preview_step',
                        number=number, step=step.name, approvers=approvers))
                if outcome == 'reject':
                    break
                # who approved is known only when a single user approves
                previous = set(users) if len(users) == 1 else set()
            return flow, '\n'.join(lines)

    def _plan_start(self, steps):
        """Resolve the steps of a new instance from the first on, as
        _advance does, before it is saved: the skipped steps and the first
        one with approvers get their state. Return the index of that step
        and its approvers, or the index where _advance must go on (a
        rejection, or no step left) and None."""
        for index, step in enumerate(steps):
            users, outcome = self._resolve(step, set())
            if outcome == 'reject':
                return index, None
            if not users:
                step.state = 'skipped'
                continue
            step.state = 'running'
            step.started_at = self.step_since = _now()
            return index, users
        return len(steps), None

    def _advance(self, start=None, previous_approvers=None):
        "Activate the next step that has approvers, or finish the instance"
        pool = Pool()
        Log = pool.get('oa.approval.log')
        steps = self.ordered_steps()
        if start is None:
            if self.current_step:
                current = self.current_step
                start = steps.index(current) + 1
                previous_approvers = {
                    t.decided_by.id for t in current.tasks
                    if t.state == 'approved' and t.decided_by}
            else:
                start = 0
        previous_approvers = previous_approvers or set()
        for step in steps[start:]:
            users, outcome = self._resolve(step, previous_approvers)
            if outcome == 'reject':
                step.state = 'rejected'
                step.save()
                self.current_step = step
                self.save()
                Log.add(self, 'auto_reject', step=step)
                self._finish('rejected')
                return
            if not users:
                step.state = 'skipped'
                step.save()
                Log.add(self, 'skip', step=step)
                continue
            step.state = 'running'
            step.started_at = self.step_since = _now()
            step.save()
            self.current_step = step
            self.save()
            self._create_tasks(step, users)
            return
        self._finish('approved')

    def _resolve(self, step, previous_approvers):
        "Return (user ids, outcome) for the step after the flow's rules"
        users = step.approver_users(self)
        rule = None
        if not users:
            rule = self.empty_rule or 'skip'
        else:
            others = [u for u in users if u != self.requester.id]
            if not others:
                rule = self.requester_rule or 'skip'
            else:
                users = others
        if rule == 'skip':
            users = []
        elif rule == 'reject':
            return [], 'reject'
        elif rule == 'admin':
            admin = self.administrator
            users = [admin.id] if admin else []
        if self.skip_same_approver and previous_approvers and users:
            remaining = [u for u in users if u not in previous_approvers]
            if step.mode == 'any' and len(remaining) < len(users):
                users = []
            elif step.mode == 'all':
                users = remaining
        return users, None

    def _create_tasks(self, step, users, kind='normal', origin=None):
        pool = Pool()
        Task = pool.get('oa.approval.task')
        Delegation = pool.get('oa.approval.delegation')
        deadline = None
        if step.timeout_hours:
            deadline = _now() + dt.timedelta(hours=step.timeout_hours)
        tasks, seen = [], set()
        for user in users:
            delegate = Delegation.get_delegate(user, self.flow)
            assignee = delegate or user
            if assignee in seen:
                continue
            seen.add(assignee)
            tasks.append(Task(
                    instance=self, step=step, user=assignee,
                    requester=self.requester, document=self.document,
                    name='%s - %s' % (self.name or '', step.name or ''),
                    delegator=user if delegate else None,
                    state='pending', kind=kind, origin=origin,
                    deadline=deadline))
        assignees = [t.user for t in tasks]
        Task.save(tasks)
        self.notify_tasks(step, tasks, assignees)
        return tasks

    def notify_tasks(self, step, tasks, users, urge=False):
        "Tell each user that their task of the step is waiting"
        msg = ('oa_workflow.msg_notify_urge' if urge
            else 'oa_workflow.msg_notify_task')
        # their names are their rec_name; read from the records at hand
        label = gettext(msg, document=self.name or self.rec_name,
            step=step.name or step.rec_name,
            requester=self.requester_name())
        for task, user in zip(tasks, users):
            notify([user], label, 'oa.approval.task', [task])

    def requester_name(self):
        """The requester's rec_name (name or login), in one query: res.user's
        read adds the companies and employees of the user's own row"""
        User = Pool().get('res.user')
        user = User.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*user.select(user.name, user.login,
                where=user.id == self.requester.id))
        name, login = cursor.fetchone()
        return name or login

    def _finish(self, state, log=False):
        pool = Pool()
        Task = pool.get('oa.approval.task')
        Copy = pool.get('oa.approval.copy')
        Log = pool.get('oa.approval.log')
        self.state = state
        self.finished_at = _now()
        if state == 'approved' and self.flow.number_sequence:
            self.number = self.flow.number_sequence.get()
        self.save()
        if self.current_step and self.current_step.state == 'running':
            self.current_step.state = (
                'approved' if state == 'approved' else 'cancelled')
            self.current_step.save()
        Task.cancel([t for t in self.tasks if t.state in TASK_OPEN])
        if log:
            Log.add(self, state)
        document = self.document
        if document:
            Document = pool.get(document.__name__)
            document = Document(document.id)
            if document.approval_instance == self:
                Document._approval_set_state(
                    [document], state, number=self.number)
        copies = []
        if state in {'approved', 'rejected'}:
            for user in self.flow.cc_users:
                copies.append(Copy(instance=self, user=user))
            Copy.save(copies)
        users = [self.requester] + [c.user for c in copies]
        states = dict(self.__class__.fields_get(
                ['state'])['state']['selection'])
        notify(users, gettext(
                'oa_workflow.msg_notify_finished',
                document=self.name, state=states[state]),
            'oa.approval.instance', [self])

    def check_running(self):
        if self.state != 'running':
            raise UserError(gettext(
                    'oa_workflow.msg_instance_finished',
                    instance=self.rec_name))

    @classmethod
    def withdraw(cls, instances):
        "Withdrawal by the requester (撤回)"
        pool = Pool()
        Log = pool.get('oa.approval.log')
        lock_rows(cls.browse(instances))
        user = Transaction().user
        instances = cls.browse(instances)
        for instance in instances:
            instance.check_running()
            if user not in {0, instance.requester.id} and not _is_monitor():
                raise AccessError(gettext(
                        'oa_workflow.msg_withdraw_not_requester',
                        instance=instance.rec_name))
        with without_check_access():
            for instance in instances:
                Log.add(instance, 'withdraw')
                instance._finish('withdrawn')

    # Monitoring
    @classmethod
    @ModelView.button
    def urge(cls, instances):
        pool = Pool()
        Log = pool.get('oa.approval.log')
        Task = pool.get('oa.approval.task')
        with without_check_access():
            for instance in cls.browse(instances):
                instance.check_running()
                tasks = [t for t in instance.tasks if t.state == 'pending']
                Task.notify_assigned(tasks, urge=True)
                Log.add(instance, 'urge', comment=instance.comment)
            cls.write(instances, {'comment': None})

    @classmethod
    @ModelView.button
    def special_forward(cls, instances):
        "Reassign the current step to another user (特送)"
        pool = Pool()
        Log = pool.get('oa.approval.log')
        Task = pool.get('oa.approval.task')
        lock_rows(cls.browse(instances))
        instances = cls.browse(instances)
        for instance in instances:
            instance.check_running()
            if not instance.forward_to:
                raise UserError(gettext(
                        'oa_workflow.msg_forward_no_user',
                        instance=instance.rec_name))
        with without_check_access():
            for instance in instances:
                step = instance.current_step
                Task.cancel([t for t in step.tasks if t.state in TASK_OPEN])
                Log.add(instance, 'forward', step=step,
                    target=instance.forward_to, comment=instance.comment)
                instance._create_tasks(step, [instance.forward_to.id])
            cls.write(instances, {'forward_to': None, 'comment': None})

    @classmethod
    @ModelView.button
    def force_end(cls, instances):
        pool = Pool()
        Log = pool.get('oa.approval.log')
        lock_rows(cls.browse(instances))
        instances = cls.browse(instances)
        for instance in instances:
            instance.check_running()
        with without_check_access():
            for instance in instances:
                Log.add(instance, 'force_end', comment=instance.comment)
                instance._finish('cancelled')
            cls.write(instances, {'comment': None})

    @classmethod
    @ModelView.button
    def pull_back(cls, instances):
        "Bring the instance back to its previous step, or to the requester"
        pool = Pool()
        Log = pool.get('oa.approval.log')
        Task = pool.get('oa.approval.task')
        lock_rows(cls.browse(instances))
        instances = cls.browse(instances)
        for instance in instances:
            instance.check_running()
        with without_check_access():
            for instance in instances:
                steps = instance.ordered_steps()
                current = instance.current_step
                index = steps.index(current)
                previous = [
                    i for i, s in enumerate(steps[:index])
                    if s.state == 'approved']
                Task.cancel(
                    [t for t in current.tasks if t.state in TASK_OPEN])
                Log.add(instance, 'pull_back', step=current,
                    comment=instance.comment)
                instance.comment = None
                if not previous:
                    instance._finish('returned')
                    continue
                current.state = 'waiting'
                current.save()
                for step in steps[previous[-1]:index]:
                    step.state = 'waiting'
                    step.save()
                instance._advance(start=previous[-1])


def _is_monitor():
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    User = pool.get('res.user')
    groups = set(User.get_groups())
    for xml_id in ['group_consultant', 'group_general_manager',
            'group_office_admin']:
        if ModelData.get_id('oa_workflow', xml_id) in groups:
            return True
    return False


def notify(users, label, model, records, description=None):
    """Notify the users of records through their channels (res.user's
    oa_notify: the web client, e-mail, and what other modules add)"""
    Pool().get('res.user').oa_notify(
        users, label, model, records, description=description)


class ApprovalInstanceStep(SystemRecordMixin,
        ApproverSpecMixin, sequence_ordered(), ModelSQL, ModelView):
    "Approval Instance Step"
    __name__ = 'oa.approval.instance.step'
    __string__ = "Approval Instance Step"

    instance = fields.Many2One(
        'oa.approval.instance', "Instance", required=True,
        ondelete='CASCADE', readonly=True)
    users = fields.Many2Many(
        'oa.approval.instance.step-res.user', 'step', 'user', "Users",
        readonly=True)
    state = fields.Selection([
            ('waiting', "Waiting"),
            ('running', "Running"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ('skipped', "Skipped"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    started_at = fields.DateTime("Started At", readonly=True)
    tasks = fields.One2Many(
        'oa.approval.task', 'step', "Tasks", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        for name in ['name', 'approver_type', 'group', 'levels',
                'field_name', 'mode', 'timeout_hours', 'timeout_action',
                'sequence']:
            getattr(cls, name).readonly = True
        # a snapshot of the flow step's name in the requester's language
        # at submission (the flow may change later)
        cls.name.translate = False

    @classmethod
    def default_state(cls):
        return 'waiting'

    @classmethod
    def copy_from(cls, values, id=None, **extra):
        """A new step from the values of a flow step (its definition); with
        id, the step saved from them, with the extra values"""
        values = dict(values, users=list(values['users']), **extra)
        values.setdefault('state', 'waiting')
        return cls(id, **values)


class ApprovalInstanceStepUser(ModelSQL):
    "Approval Instance Step - User"
    __name__ = 'oa.approval.instance.step-res.user'
    __string__ = "Approval Instance Step - User"
    step = fields.Many2One(
        'oa.approval.instance.step', "Step", required=True,
        ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')


class ApprovalTask(
        DocumentNameMixin, SystemRecordMixin, ModelSQL, ModelView):
    "Approval Task"
    __name__ = 'oa.approval.task'
    __string__ = "Approval Task"
    _rec_name = 'name'

    # The relations and the long comment are loaded lazily: the search of
    # an inbox list then prefetches only small columns
    instance = fields.Many2One(
        'oa.approval.instance', "Approval", required=True,
        ondelete='CASCADE', readonly=True, loading='lazy')
    step = fields.Many2One(
        'oa.approval.instance.step', "Step", required=True,
        ondelete='CASCADE', readonly=True, loading='lazy')
    # Copied from the instance when the task is created, so that the inboxes
    # and their record rule read and filter the task table alone
    name = fields.Char("Name", readonly=True)
    document = fields.Reference(
        "Document", selection='get_document_models', readonly=True)
    requester = fields.Many2One(
        'res.user', "Requester", readonly=True, ondelete='RESTRICT')
    instance_state = fields.Function(
        fields.Selection(INSTANCE_STATES, "Approval State"),
        'get_instance_fields')
    employee = fields.Function(fields.Many2One(
            'company.employee', "Employee",
            help="The employee the approved document is for."),
        'get_instance_fields', searcher='search_employee')
    user = fields.Many2One(
        'res.user', "Approver", required=True, readonly=True,
        ondelete='RESTRICT')
    delegator = fields.Many2One(
        'res.user', "On Behalf Of", readonly=True, ondelete='SET NULL')
    state = fields.Selection([
            ('pending', "To Do"),
            ('waiting', "Waiting for Added Approver"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ('returned', "Returned"),
            ('transferred', "Transferred"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False,
        # the client shows the static selection itself: no per-row strings
        loading='lazy')
    kind = fields.Selection([
            ('normal', "Normal"),
            ('before', "Added Before"),
            ('after', "Added After"),
            ], "Kind", required=True, readonly=True)
    origin = fields.Many2One(
        'oa.approval.task', "Origin", readonly=True, ondelete='SET NULL')
    comment = fields.Text(
        "Comment", states={
            'readonly': Eval('state') != 'pending',
            }, loading='lazy')
    other_user = fields.Many2One(
        'res.user', "Transfer / Add To",
        states={
            'invisible': Eval('state') != 'pending',
            },
        help="The user for \"Transfer\" and \"Add Approver\".",
        loading='lazy')
    add_position = fields.Selection([
            ('before', "Before Me"),
            ('after', "After Me"),
            ], "Add Approver", states={
            'invisible': Eval('state') != 'pending',
            })
    deadline = fields.DateTime("Deadline", readonly=True)
    reminded_at = fields.DateTime("Reminded At", readonly=True)
    decided_at = fields.DateTime("Decided At", readonly=True)
    decided_by = fields.Many2One(
        'res.user', "Decided By", readonly=True, ondelete='SET NULL',
        loading='lazy')
    document_summary = fields.Function(
        fields.Text("Summary",
            help="What the document asks for, to decide on it here."),
        'get_document_summary')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                # the "to do" inbox: count + first rows of (user, state)
                # with the columns of the record rule: index-only scans
                Index(t, (t.user, Index.Equality()),
                    (t.state, Index.Equality()),
                    (t.id, Index.Range(order='DESC')),
                    include=[t.delegator, t.requester]),
                Index(t, (t.deadline, Index.Range()),
                    where=Equal(t.state, 'pending')),
                Index(t, (t.decided_by, Index.Equality())),
                Index(t, (t.instance, Index.Equality())),
                })
        cls._order = [('id', 'DESC')]
        pending = Eval('state') != 'pending'
        cls._buttons.update({
                'approve': {
                    'invisible': pending, 'depends': ['state'],
                    },
                'reject': {
                    'invisible': pending, 'depends': ['state'],
                    },
                'send_back': {
                    'invisible': pending, 'depends': ['state'],
                    },
                'transfer': {
                    'invisible': pending,
                    'readonly': ~Bool(Eval('other_user')),
                    'depends': ['state', 'other_user'],
                    },
                'add_approver': {
                    'invisible': pending,
                    'readonly': ~Bool(Eval('other_user')),
                    'depends': ['state', 'other_user'],
                    },
                'open_document': {},
                })

    @classmethod
    def get_document_models(cls):
        from .approval_flow import document_models
        return document_models()

    @classmethod
    def _document_names(cls, ids):
        "The instance's name: the task's own is followed by its step"
        with without_check_access():
            return {r['id']: (r['instance.'] or {}).get('name')
                for r in cls.read(ids, ['instance.name'])}

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_kind(cls):
        return 'normal'

    @classmethod
    def default_add_position(cls):
        return 'after'

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        Instance = pool.get('oa.approval.instance')
        Step = pool.get('oa.approval.instance.step')
        table_h = cls.__table_handler__(module)
        fill = not table_h.column_exist('requester')
        super().__register__(module)
        if fill:
            # Migration: copy the instance's fields onto the existing tasks
            task = cls.__table__()
            instance = Instance.__table__()
            step = Step.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*task.update(
                    [task.requester, task.document, task.name],
                    [instance.requester, instance.document,
                        Concat(Concat(Coalesce(instance.name, ''), ' - '),
                            Coalesce(step.name, ''))],
                    from_=[instance, step],
                    where=(task.instance == instance.id)
                    & (task.step == step.id)))

    @classmethod
    def get_instance_fields(cls, tasks, names):
        "Read the instance's fields of all tasks in one query (inbox lists)"
        pool = Pool()
        Instance = pool.get('oa.approval.instance')
        task = cls.__table__()
        instance = Instance.__table__()
        cursor = Transaction().connection.cursor()
        columns = {
            'instance_state': instance.state,
            'employee': instance.employee,
            }
        result = {name: {} for name in names}
        for sub_tasks in grouped_slice(tasks, backend.MAX_QUERY_PARAMS):
            cursor.execute(*task.join(instance,
                    condition=task.instance == instance.id).select(
                    task.id, *(columns[n] for n in names),
                    where=fields.SQL_OPERATORS['in'](
                        task.id, [t.id for t in sub_tasks])))
            for task_id, *values in cursor:
                for name, value in zip(names, values):
                    result[name][task_id] = value
        return result

    def get_document_summary(self, name):
        "The document's summary for its approvers (the task gives the right)"
        pool = Pool()
        document = self.document
        if not document or document.id is None or document.id < 0:
            return None
        Document = pool.get(document.__name__)
        with without_check_access():
            # the document may have been deleted
            if not Document.search([('id', '=', document.id)]):
                return None
            return Document(document.id).approval_summary()

    @classmethod
    def search_employee(cls, name, clause):
        """In SQL on the task and instance tables: a record rule on tasks
        may use it without the instances' rules (which read the tasks)"""
        pool = Pool()
        Instance = pool.get('oa.approval.instance')
        task = cls.__table__()
        instance = Instance.__table__()
        _, operator, value = clause[:3]
        if (operator not in {'=', '!=', 'in', 'not in'} or value is None
                or (operator in {'in', 'not in'} and None in value)):
            return [('instance.employee',) + tuple(clause[1:])]
        where = fields.SQL_OPERATORS[operator](
            instance.employee, list(value) if 'in' in operator else value)
        return [('id', 'in', task.join(instance,
                    condition=task.instance == instance.id).select(
                    task.id, where=where))]

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') == 'pending', 'success', '')),
            ]

    @classmethod
    def check_modification(cls, mode, tasks, values=None, external=False):
        super().check_modification(
            mode, tasks, values=values, external=external)
        if (external and mode == 'write'
                and set(values or {}) - TASK_USER_FIELDS):
            raise AccessError(gettext(
                    'oa_workflow.msg_task_write_buttons',
                    task=tasks[0].rec_name if tasks else ''))

    @classmethod
    def notify_assigned(cls, tasks, urge=False):
        "Notify the users of tasks, one message text per instance step"
        steps = defaultdict(list)
        for task in tasks:
            steps[task.instance, task.step].append(task)
        for (instance, step), step_tasks in steps.items():
            instance.notify_tasks(
                step, step_tasks, [t.user for t in step_tasks], urge=urge)

    @classmethod
    def cancel(cls, tasks):
        if tasks:
            cls.write(tasks, {'state': 'cancelled'})

    @classmethod
    def _check_actionable(cls, tasks, system=False):
        user = Transaction().user
        for task in tasks:
            running = task.instance.state == 'running'
            if task.state == 'pending' and running:
                pass
            elif (task.state == 'cancelled'
                    and any(t.state in {'approved', 'rejected', 'returned'}
                        for t in task.step.tasks if t != task)):
                # another approver of the step decided first
                raise UserError(gettext(
                        'oa_workflow.msg_task_already_decided',
                        task=task.rec_name))
            elif not running:
                raise UserError(gettext(
                        'oa_workflow.msg_instance_finished',
                        instance=task.instance.rec_name))
            else:
                raise UserError(gettext(
                        'oa_workflow.msg_task_already_decided',
                        task=task.rec_name))
            if not system and user != 0 and task.user.id != user:
                raise AccessError(gettext(
                        'oa_workflow.msg_task_not_yours',
                        task=task.rec_name))

    @classmethod
    def _lock_and_check(cls, tasks, system=False):
        Instance = Pool().get('oa.approval.instance')
        # Lock the instances (waiting for a concurrent decision), so the
        # second approver sees the decision of the first
        lock_rows(Instance.browse(sorted({t.instance.id for t in tasks})))
        tasks = cls.browse([t.id for t in tasks])
        cls._check_actionable(tasks, system=system)
        return tasks

    def _log(self, action, **kwargs):
        Log = Pool().get('oa.approval.log')
        Log.add(self.instance, action, step=self.step,
            comment=self.comment, on_behalf_of=self.delegator, **kwargs)

    def _decided(self, state):
        self.state = state
        self.decided_at = _now()
        self.decided_by = Transaction().user or None
        self.save()

    @classmethod
    @ModelView.button
    def approve(cls, tasks):
        tasks = cls._lock_and_check(tasks)
        with without_check_access():
            for task in tasks:
                task._approve()

    @classmethod
    def _approve_system(cls, tasks):
        tasks = cls._lock_and_check(tasks, system=True)
        for task in tasks:
            task._approve(action='auto_approve')

    def _approve(self, action='approve'):
        self._decided('approved')
        self._log(action)
        step = self.step
        if (self.kind == 'before' and self.origin
                and self.origin.state == 'waiting'):
            self.origin.state = 'pending'
            self.origin.save()
            self.notify_assigned([self.origin])
            return
        others = [t for t in step.tasks if t.id != self.id]
        if step.mode == 'any' and self.kind != 'after':
            self.cancel([
                    t for t in others
                    if t.state in TASK_OPEN and t.kind != 'after'])
        step = self.step.__class__(step.id)
        if not any(t.state in TASK_OPEN for t in step.tasks):
            step.state = 'approved'
            step.save()
            instance = self.instance.__class__(self.instance.id)
            instance._advance()

    @classmethod
    @ModelView.button
    def reject(cls, tasks):
        tasks = cls._lock_and_check(tasks)
        with without_check_access():
            for task in tasks:
                task._end('rejected', 'reject')

    @classmethod
    @ModelView.button
    def send_back(cls, tasks):
        "Return to the requester (退回)"
        tasks = cls._lock_and_check(tasks)
        with without_check_access():
            for task in tasks:
                task._end('returned', 'return')

    def _end(self, state, action):
        self._decided(state)
        self._log(action)
        if self.instance.state != 'running':
            return
        step = self.step
        step.state = 'rejected' if state == 'rejected' else 'cancelled'
        step.save()
        self.instance._finish(state)

    @classmethod
    @ModelView.button
    def transfer(cls, tasks):
        "Hand the task to another person (转办)"
        tasks = cls._lock_and_check(tasks)
        cls._check_other_user(tasks)
        with without_check_access():
            for task in tasks:
                target = task.other_user
                task._decided('transferred')
                task._log('transfer', target=target)
                task.instance._create_tasks(
                    task.step, [target.id], kind=task.kind, origin=task)
                task.other_user = None
                task.save()

    @classmethod
    @ModelView.button
    def add_approver(cls, tasks):
        "Add an approver before or after oneself (加签)"
        tasks = cls._lock_and_check(tasks)
        cls._check_other_user(tasks)
        with without_check_access():
            for task in tasks:
                target = task.other_user
                task.other_user = None
                if task.add_position == 'before':
                    task.state = 'waiting'
                    task.save()
                    task._log('add_before', target=target)
                    task.instance._create_tasks(
                        task.step, [target.id], kind='before', origin=task)
                else:
                    task.save()
                    task._log('add_after', target=target)
                    task.instance._create_tasks(
                        task.step, [target.id], kind='after', origin=task)
                    task._approve()

    @classmethod
    def delegate(cls, tasks):
        "Reroute pending tasks to the delegates of their users"
        Delegation = Pool().get('oa.approval.delegation')
        for task in tasks:
            if task.state != 'pending':
                continue
            delegate = Delegation.get_delegate(task.user, task.instance.flow)
            if not delegate:
                continue
            task.state = 'transferred'
            task.decided_at = _now()
            task.save()
            new, = task.instance._create_tasks(
                task.step, [task.user.id], kind=task.kind, origin=task)
            Pool().get('oa.approval.log').add(
                task.instance, 'delegate', step=task.step,
                on_behalf_of=task.user, target=new.user)

    @classmethod
    def _check_other_user(cls, tasks):
        for task in tasks:
            if not task.other_user:
                raise UserError(gettext(
                        'oa_workflow.msg_task_no_other_user',
                        task=task.rec_name))
            if task.other_user in {task.user, task.instance.requester}:
                raise UserError(gettext(
                        'oa_workflow.msg_task_other_user_invalid',
                        task=task.rec_name,
                        user=task.other_user.rec_name))

    @classmethod
    @ModelView.button_action('oa_workflow.act_task_document')
    def open_document(cls, tasks):
        for task in tasks:
            document = task.instance.document
            if document:
                return {
                    'name': document.rec_name,
                    'res_model': document.__name__,
                    'res_id': [document.id],
                    'views': [(None, 'form'), (None, 'tree')],
                    'pyson_domain': PYSONEncoder().encode(
                        [('id', '=', document.id)]),
                    }

    @classmethod
    def cron_overdue(cls):
        "Remind approvers of overdue tasks and apply the timeout actions"
        now = _now()
        tasks = cls.search([
                ('state', '=', 'pending'),
                ('deadline', '<', now),
                ('instance.state', '=', 'running'),
                ], order=[('id', 'ASC')])
        remind, approve, reject = [], [], []
        for task in tasks:
            action = task.step.timeout_action or 'remind'
            if action == 'approve':
                approve.append(task)
            elif action == 'reject':
                reject.append(task)
            elif (not task.reminded_at
                    or task.reminded_at < now - dt.timedelta(days=1)):
                remind.append(task)
        if approve or reject:
            Instance = Pool().get('oa.approval.instance')
            lock_rows(Instance.browse(
                    sorted({t.instance.id for t in approve + reject})))
        if remind:
            cls.notify_assigned(remind, urge=True)
            cls.write(remind, {'reminded_at': now})
            for task in remind:
                task._log('remind')
        for task in approve:
            task = cls(task.id)
            if task.state == 'pending' and task.instance.state == 'running':
                task._approve(action='auto_approve')
        for task in reject:
            task = cls(task.id)
            if task.state == 'pending' and task.instance.state == 'running':
                task._end('rejected', 'auto_reject')


class ApprovalLog(SystemRecordMixin, ModelSQL, ModelView):
    "Approval Trail"
    __name__ = 'oa.approval.log'
    __string__ = "Approval Trail"

    instance = fields.Many2One(
        'oa.approval.instance', "Approval", required=True,
        ondelete='CASCADE', readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    user = fields.Many2One(
        'res.user', "User", readonly=True, ondelete='SET NULL',
        help="Empty for actions of the system.")
    on_behalf_of = fields.Many2One(
        'res.user', "On Behalf Of", readonly=True, ondelete='SET NULL')
    action = fields.Selection([
            ('submit', "Submitted"),
            ('approve', "Approved"),
            ('reject', "Rejected"),
            ('return', "Returned to Requester"),
            ('withdraw', "Withdrawn"),
            ('transfer', "Transferred"),
            ('delegate', "Delegated"),
            ('add_before', "Approver Added Before"),
            ('add_after', "Approver Added After"),
            ('skip', "Step Skipped"),
            ('auto_approve', "Approved Automatically"),
            ('auto_reject', "Rejected Automatically"),
            ('remind', "Reminded"),
            ('urge', "Urged"),
            ('forward', "Special Forward"),
            ('force_end', "Force-Ended"),
            ('pull_back', "Pulled Back"),
            ], "Action", required=True, readonly=True, sort=False)
    step_name = fields.Char("Step", readonly=True)
    target = fields.Many2One(
        'res.user', "To", readonly=True, ondelete='SET NULL')
    comment = fields.Text("Comment", readonly=True)
    actor = fields.Function(fields.Char("By"), 'get_actor')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def add(cls, instance, action, step=None, comment=None,
            on_behalf_of=None, target=None):
        user = Transaction().user or None
        log = cls(
            instance=instance, date=_now(), user=user, action=action,
            step_name=step.name if step else None, comment=comment,
            on_behalf_of=on_behalf_of, target=target)
        log.save()
        return log

    def get_actor(self, name):
        if not self.user:
            return gettext('oa_workflow.msg_log_system')
        if self.on_behalf_of:
            return gettext('oa_workflow.msg_log_on_behalf',
                user=self.user.rec_name, delegator=self.on_behalf_of.rec_name)
        return self.user.rec_name


class ApprovalCopy(SystemRecordMixin, ModelSQL, ModelView):
    "Approval Copy"
    __name__ = 'oa.approval.copy'
    __string__ = "Approval Copy"

    instance = fields.Many2One(
        'oa.approval.instance', "Approval", required=True,
        ondelete='CASCADE', readonly=True)
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE', readonly=True)
    document = fields.Function(
        fields.Reference("Document", selection='get_document_models'),
        'get_document')
    instance_state = fields.Function(
        fields.Selection(INSTANCE_STATES, "Approval State"), 'get_document')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.user, Index.Equality())))
        cls._order = [('id', 'DESC')]

    @classmethod
    def get_document_models(cls):
        from .approval_flow import document_models
        return document_models()

    def get_document(self, name):
        if name == 'instance_state':
            return self.instance.state
        return str(self.instance.document) if self.instance.document else None
