# This file is part of the crm_ext module.
import datetime as dt
import uuid
from collections import defaultdict
from contextlib import contextmanager
from functools import wraps

from sql import Cast, Literal, Null
from sql.aggregate import Count, Min
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from oa_workflow.requester import current_employee
from oa_workflow.row_lock import lock_rows
from oa_workflow.system_record import SystemRecordMixin

from .exceptions import OwnershipError, QuotaError
from .ownership_policy import ORDERS_IN_EXECUTION

OWNERSHIP_STATES = [
    (None, ""),
    ('open', "Open Pool"),
    ('locked', "Locked"),
    ]
HISTORY_ACTIONS = [
    ('create', "Created"),
    ('request', "Lock Requested"),
    ('lock', "Locked"),
    ('reject', "Lock Rejected"),
    ('assign', "Assigned"),
    ('transfer', "Transferred"),
    ('release', "Released"),
    ('auto_release', "Released Automatically"),
    ('erase', "Erased"),
    ]
OPEN_OPPORTUNITY_STATES = ['lead', 'opportunity', 'converted']
_OWNERSHIP_FIELDS = {
    'owner', 'owner_department', 'ownership_state', 'lock_date', 'pool'}


def taken_meanwhile(func):
    "Decorate a button on customers with Party.crm_taken_meanwhile"
    @wraps(func)
    def wrapper(cls, parties, *args, **kwargs):
        with cls.crm_taken_meanwhile(parties):
            return func(cls, parties, *args, **kwargs)
    return wrapper


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    owner = fields.Many2One(
        'company.employee', "Owner", readonly=True, ondelete='RESTRICT',
        help="The salesperson responsible for the customer (负责人).")
    owner_department = fields.Many2One(
        'oa.department', "Owner Department", readonly=True,
        ondelete='SET NULL')
    ownership_state = fields.Selection(
        OWNERSHIP_STATES, "Ownership", readonly=True,
        help="Open: in the pool, any salesperson may apply to lock it. "
        "Locked: it has an owner.")
    pool = fields.Many2One(
        'crm.customer.pool', "Pool", ondelete='RESTRICT',
        states={'readonly': Eval('ownership_state') == 'locked'},
        help="The pool the customer returns to when released.")
    lock_date = fields.Date("Lock Date", readonly=True)
    last_opportunity_date = fields.Date("Last Opportunity Date",
        readonly=True)
    ownership_history = fields.One2Many(
        'crm.ownership.history', 'party', "Ownership History", readonly=True)
    release_date = fields.Function(
        fields.Date("Release Date"), 'get_release_info')
    release_info = fields.Function(
        fields.Char("Automatic Release"), 'get_release_info')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.owner, Index.Range()),
                    (t.ownership_state, Index.Equality())),
                Index(t, (t.ownership_state, Index.Equality()),
                    (t.pool, Index.Range())),
                Index(t, (t.pool, Index.Range())),
                })
        cls._buttons.update({
                'request_lock': {
                    'invisible': Eval('ownership_state') != 'open',
                    'depends': ['ownership_state'],
                    },
                'release': {
                    'invisible': Eval('ownership_state') != 'locked',
                    'depends': ['ownership_state'],
                    },
                })

    @classmethod
    def check_modification(cls, mode, parties, values=None, external=False):
        super().check_modification(
            mode, parties, values=values, external=external)
        if (mode == 'write' and external
                and (set(values) & (_OWNERSHIP_FIELDS - {'pool'}))
                and not Transaction().context.get('_crm_ownership')):
            raise OwnershipError(gettext('crm_ext.msg_ownership_readonly'))

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        CustomerPool = pool.get('crm.customer.pool')
        Date = pool.get('ir.date')
        Employee = pool.get('company.employee')
        values = super().preprocess_values(mode, values)
        context = Transaction().context
        if (mode == 'create'
                and not context.get('_crm_ownership')
                and (values.get('crm_type') or context.get('crm_customer'))):
            values.setdefault('crm_type', 'organization')
            # the salesperson a new customer is made for (a qualified
            # lead's), else its creator
            given_owner = context.get('_crm_owner')
            employee = (Employee(given_owner) if given_owner
                else cls._crm_current_employee())
            if not values.get('pool'):
                customer_pool = CustomerPool.find(values, employee)
                values['pool'] = customer_pool.id if customer_pool else None
            customer_pool = (CustomerPool(values['pool'])
                if values.get('pool') else None)
            policy = customer_pool.policy if customer_pool else None
            mode_ = policy.creation_mode if policy else 'creator'
            owner = None
            if given_owner or mode_ == 'creator':
                owner = employee
            elif mode_ == 'territory':
                for territory in policy.territories:
                    if territory.match(values):
                        owner = territory.employee
                        break
            if owner:
                if policy:
                    # the quota counted after the concurrent claims
                    cls._crm_lock_employees([owner])
                    cls._crm_check_quota(owner, policy, 1)
                values['owner'] = owner.id
                values['owner_department'] = (
                    owner.department.id if owner.department else None)
                values['ownership_state'] = 'locked'
                values['lock_date'] = Date.today()
            else:
                values['owner'] = None
                values['ownership_state'] = 'open'
        return values

    @classmethod
    def on_modification(cls, mode, parties, field_names=None):
        pool = Pool()
        History = pool.get('crm.ownership.history')
        super().on_modification(mode, parties, field_names=field_names)
        if mode == 'create' and not Transaction().context.get(
                '_crm_ownership'):
            History.record([p for p in parties if p.ownership_state],
                'create', None,
                reason=gettext('crm_ext.msg_history_created'))

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default else {}
        for name in _OWNERSHIP_FIELDS | {'crm_uscc', 'last_opportunity_date',
                'ownership_history'}:
            default.setdefault(name, None)
        return super().copy(parties, default=default)

    @property
    def crm_policy(self):
        """The ownership policy of the customer: its pool's, or the default
        pool's when it has no pool (e.g. bulk imported)"""
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        customer_pool = self.pool or Configuration(1).default_pool
        return customer_pool.policy if customer_pool else None

    # Helpers
    @classmethod
    def _crm_current_employee(cls):
        "The employee the user acts as (never another user's), or None"
        Employee = Pool().get('company.employee')
        employee_id = current_employee()
        return Employee(employee_id) if employee_id else None

    @classmethod
    def _crm_lock_employees(cls, employees, parties=None):
        """Lock the rows of the employees (their quota) and of the parties,
        waiting for the claims that hold them (oa_workflow.row_lock): the
        transaction then counts the quota and reads the owners as the
        previous claims left them

        The employees first, then the parties, each in the order of their
        ids: two claims never wait for each other crosswise."""
        pool = Pool()
        Employee = pool.get('company.employee')
        lock_rows(Employee.browse(sorted({e.id for e in employees})))
        lock_rows(cls.browse(sorted({p.id for p in parties or []})))

    @classmethod
    def _crm_used_quota(cls, employee, exclude_pending=None):
        "Locked customers plus pending lock requests of the employee"
        pool = Pool()
        Request = pool.get('crm.lock.request')
        party = cls.__table__()
        request = Request.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*party.select(Count(party.id),
                where=(party.owner == employee.id)
                & (party.ownership_state == 'locked')))
        locked, = cursor.fetchone()
        where = (request.requester == employee.id) & (
            request.state == 'pending')
        if exclude_pending:
            where &= ~request.id.in_(exclude_pending)
        cursor.execute(*request.select(Count(request.id), where=where))
        pending, = cursor.fetchone()
        return locked + pending

    @classmethod
    def _crm_check_quota(cls, employee, policy, count=1, used=None,
            exclude_pending=None):
        quota = policy.get_quota(employee) if policy else None
        if quota is None:
            return
        if used is None:
            used = cls._crm_used_quota(employee, exclude_pending)
        if used + count > quota:
            suggestion = cls._crm_release_suggestion(employee)
            raise QuotaError(gettext('crm_ext.msg_quota_reached',
                    employee=employee.rec_name, quota=quota, used=used,
                    suggestion=suggestion))

    @classmethod
    def _crm_release_suggestion(cls, employee):
        "Name a low-value, least recently contacted customer of the employee"
        pool = Pool()
        ValueClass = pool.get('crm.value.class')
        with without_check_access():
            customers = cls.search([
                    ('owner', '=', employee.id),
                    ('ownership_state', '=', 'locked'),
                    ], order=[('last_contact_date', 'ASC NULLS FIRST'),
                    ('id', 'ASC')], limit=50)
            if not customers:
                return '-'
            classes = {c.id: i for i, c in enumerate(ValueClass.search([]))}
            customers.sort(key=lambda c: -classes.get(
                    c.value_class.id if c.value_class else None, 999))
            return customers[0].rec_name

    @classmethod
    def _crm_check_cooldown(cls, party, employee, policy):
        pool = Pool()
        History = pool.get('crm.ownership.history')
        Date = pool.get('ir.date')
        if not policy or not policy.cooldown_days:
            return
        since = Date.company_midnight(
            Date.today() - dt.timedelta(days=policy.cooldown_days))
        history = History.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*history.select(history.date,
                where=(history.party == party.id)
                & (history.from_employee == employee.id)
                & history.action.in_(['release', 'auto_release'])
                & (history.date >= since),
                order_by=[history.date.desc], limit=1))
        released = cursor.fetchone()
        if released:
            until = Date.company_date(released[0]) + dt.timedelta(
                days=policy.cooldown_days)
            raise OwnershipError(gettext('crm_ext.msg_cooldown',
                    party=party.rec_name, days=policy.cooldown_days,
                    date=until))

    @classmethod
    def _crm_check_daily_limit(cls, employee, policy, count=1):
        pool = Pool()
        Request = pool.get('crm.lock.request')
        Date = pool.get('ir.date')
        if not policy or policy.daily_claim_limit is None:
            return
        today = Date.company_midnight(Date.today())
        request = Request.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*request.select(Count(request.id),
                where=(request.requester == employee.id)
                & (request.create_date >= today)
                & request.state.in_(['pending', 'approved'])))
        claimed, = cursor.fetchone()
        if claimed + count > policy.daily_claim_limit:
            raise OwnershipError(gettext('crm_ext.msg_daily_limit',
                    employee=employee.rec_name,
                    limit=policy.daily_claim_limit))

    @classmethod
    def _crm_user_has_employee(cls, employee):
        "Whether employee is one of the current user's (cached ones first)"
        User = Pool().get('res.user')
        user_id = Transaction().user
        return bool(user_id) and (employee.id in User.get_employees()
            or employee in User(user_id).employees)

    @classmethod
    def _crm_check_salesperson(cls, employee):
        pool = Pool()
        User = pool.get('res.user')
        UserGroup = pool.get('res.user-res.group')
        ModelData = pool.get('ir.model.data')
        group_id = ModelData.get_id('oa_workflow', 'group_salesperson')
        transaction = Transaction()
        # the usual case: salespeople acting for themselves (cached groups)
        if (group_id in User.get_groups()
                and cls._crm_user_has_employee(employee)):
            return
        with without_check_access(), \
                transaction.set_context(active_test=True):
            users = User.search([('employees', '=', employee.id)])
        if users:
            user_group = UserGroup.user_group_all_table()
            cursor = Transaction().connection.cursor()
            cursor.execute(*user_group.select(user_group.user,
                    where=fields.SQL_OPERATORS['in'](
                        user_group.user, [u.id for u in users])
                    & (user_group.group == group_id)))
            if cursor.fetchone():
                return
        raise OwnershipError(gettext('crm_ext.msg_not_salesperson',
                employee=employee.rec_name))

    @classmethod
    def _crm_check_manager(cls, parties, employee=None):
        """Check the user may manage the ownership of the parties: owner,
        owner's supervisors, department managers or general manager"""
        context = cls._crm_user_context()
        if context['crm_all']:
            return
        employees = set(context['crm_employees'])
        for party in parties:
            if party.owner and party.owner.id not in employees:
                raise OwnershipError(gettext('crm_ext.msg_not_your_customer',
                        party=party.rec_name,
                        owner=party.owner.rec_name))
        if employee and employee.id not in employees:
            raise OwnershipError(gettext('crm_ext.msg_not_your_team',
                    employee=employee.rec_name))

    @classmethod
    def _crm_set_owner(cls, parties, employee):
        pool = Pool()
        Date = pool.get('ir.date')
        values = {
            'owner': employee.id if employee else None,
            'owner_department': (employee.department.id
                if employee and employee.department else None),
            'ownership_state': 'locked' if employee else 'open',
            'lock_date': Date.today() if employee else None,
            }
        # the shares were the previous owner's to give
        Share = pool.get('crm.customer.share')
        changed = [p for p in parties
            if (p.owner.id if p.owner else None) != values['owner']]
        with without_check_access(), \
                Transaction().set_context(_crm_ownership=True):
            if changed:
                Share.delete(Share.search([('party', 'in', changed)]))
            cls.write(list(parties), values)

    # Actions
    @classmethod
    @contextmanager
    def crm_taken_meanwhile(cls, parties, message='crm_ext.msg_not_open'):
        """Give the ownership message (naming the owner) instead of the
        access error on customers that another salesperson locked while
        the user was looking at them: the record rule hides them from the
        user now, or their button is gone"""
        try:
            yield
        except (AccessError, AccessButtonError):
            with without_check_access():
                for party in cls.browse([int(p) for p in parties]):
                    if party.ownership_state == 'locked' and party.owner:
                        raise OwnershipError(gettext(message,
                                party=party.rec_name,
                                owner=party.owner.rec_name))
            raise

    @classmethod
    @taken_meanwhile
    @ModelView.button_action('crm_ext.wizard_request_lock')
    def request_lock(cls, parties):
        "Ask the reason and apply to lock open customers (申请锁定)"
        pass

    @classmethod
    def request_lock_customers(cls, parties, reason=None):
        """Apply to lock open customers for the current user; return the
        lock requests (approved at once when no approval is needed)"""
        pool = Pool()
        Request = pool.get('crm.lock.request')
        employee = cls._crm_current_employee()
        if not employee:
            raise OwnershipError(gettext('crm_ext.msg_no_employee'))
        return Request.submit(parties, employee, reason=reason)

    @classmethod
    def lock_customers(cls, parties, employee, action='lock', reason=None,
            rule=None, check_quota=True):
        """Give open customers to employee after locking rows and checking
        state and quota; used by lock approval and assignment"""
        pool = Pool()
        History = pool.get('crm.ownership.history')
        cls._crm_lock_employees([employee], parties)
        with without_check_access():
            parties = cls.browse(parties)
            by_policy = defaultdict(list)
            for party in parties:
                if party.ownership_state != 'open':
                    raise OwnershipError(gettext('crm_ext.msg_not_open',
                            party=party.rec_name,
                            owner=party.owner.rec_name if party.owner
                            else '-'))
                policy = party.crm_policy
                by_policy[policy].append(party)
            if check_quota:
                for policy, sub_parties in by_policy.items():
                    cls._crm_check_quota(employee, policy, len(sub_parties))
        cls._crm_set_owner(parties, employee)
        History.record(parties, action, employee, reason=reason, rule=rule)

    @classmethod
    def assign(cls, parties, employee, reason=None):
        "Assign open customers or transfer locked ones to employee"
        pool = Pool()
        History = pool.get('crm.ownership.history')
        Opportunity = pool.get('sale.opportunity')
        cls._crm_check_salesperson(employee)
        cls._crm_check_manager(parties, employee)
        cls._crm_lock_employees([employee], parties)
        with without_check_access():
            parties = cls.browse(parties)
            open_ = [p for p in parties if p.ownership_state == 'open']
            locked = [p for p in parties if p.ownership_state == 'locked'
                and p.owner != employee]
            by_policy = defaultdict(int)
            for party in open_ + locked:
                by_policy[party.crm_policy] += 1
            for policy, count in by_policy.items():
                cls._crm_check_quota(employee, policy, count)
        if open_:
            cls._crm_set_owner(open_, employee)
            History.record(open_, 'assign', employee, reason=reason)
        if locked:
            previous = {p.id: p.owner for p in locked}
            cls._crm_set_owner(locked, employee)
            History.record(locked, 'transfer', employee, reason=reason,
                from_employees=previous)
            # Open opportunities move along
            with without_check_access():
                opportunities = Opportunity.search([
                        ('party', 'in', [p.id for p in locked]),
                        ('state', 'in', OPEN_OPPORTUNITY_STATES),
                        ])
                moved = [o for o in opportunities
                    if o.employee != employee]
                if moved:
                    Opportunity.write(moved, {'employee': employee.id})
            cls._crm_transfer_plans(locked, previous, employee)

    @classmethod
    def _crm_transfer_plans(cls, parties, previous, employee):
        "Hook for follow-up plans (CRM-C) to move with the customer"
        pass

    @classmethod
    @ModelView.button_action('crm_ext.wizard_release')
    def release(cls, parties):
        pass

    @classmethod
    def release_customers(cls, parties, reason=None):
        "Return locked customers to their pool"
        pool = Pool()
        History = pool.get('crm.ownership.history')
        lock_rows(cls.browse(parties))
        cls._crm_check_manager(parties)
        with without_check_access():
            parties = cls.browse(parties)
            for party in parties:
                if party.ownership_state != 'locked':
                    raise OwnershipError(gettext('crm_ext.msg_not_locked',
                            party=party.rec_name))
            previous = {p.id: p.owner for p in parties}
        cls._crm_set_owner(parties, None)
        History.record(parties, 'release', None, reason=reason,
            from_employees=previous)

    # Automatic release
    @classmethod
    def get_release_info(cls, parties, names):
        protected = cls._crm_protected(parties)
        result = {name: {} for name in names}
        for party in parties:
            for name in names:
                result[name][party.id] = party._release_info(
                    name, protected.get(party.id))
        return result

    @classmethod
    def _crm_protected(cls, parties):
        """Return {party id: reason} of the locked customers their policy
        protects from automatic release: an opportunity in a protected
        state, a sale order in execution (two queries)"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        opportunity = Opportunity.__table__()
        sale = Sale.__table__()
        policies = {p.id: p.crm_policy for p in parties
            if p.ownership_state == 'locked'}
        policies = {i: p for i, p in policies.items() if p}
        states = {s for p in policies.values() for s in p.exempt_states or []}
        cursor = Transaction().connection.cursor()
        result = {}
        ids = list(policies)
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            party_in = fields.SQL_OPERATORS['in']
            sub_ids = list(sub_ids)
            cursor.execute(*sale.select(sale.party,
                    where=party_in(sale.party, sub_ids)
                    & sale.state.in_(list(ORDERS_IN_EXECUTION)),
                    group_by=[sale.party]))
            for party_id, in cursor:
                if policies[party_id].exempt_orders:
                    result[party_id] = gettext(
                        'crm_ext.msg_release_protected_order')
            if not states:
                continue
            cursor.execute(*opportunity.select(
                    opportunity.party, opportunity.state,
                    where=party_in(opportunity.party, sub_ids)
                    & opportunity.state.in_(list(states)),
                    group_by=[opportunity.party, opportunity.state]))
            for party_id, state in cursor:
                if (party_id not in result and state in (
                            policies[party_id].exempt_states or [])):
                    result[party_id] = gettext(
                        'crm_ext.msg_release_protected_opportunity')
        return result

    def _release_info(self, name, protected=None):
        pool = Pool()
        Date = pool.get('ir.date')
        policy = self.crm_policy
        if self.ownership_state != 'locked' or not policy \
                or not self.lock_date:
            return None
        if protected:
            return protected if name == 'release_info' else None
        rule = policy.rule_for(self.value_class)
        if not rule:
            return None
        dates, reasons = [], []
        if rule.no_contact_days:
            start = max(self.lock_date, self.last_contact_date
                or self.lock_date)
            dates.append(start + dt.timedelta(days=rule.no_contact_days))
            reasons.append(gettext('crm_ext.msg_release_unless_contact'))
        if rule.no_opportunity_days:
            start = max(self.lock_date, self.last_opportunity_date
                or self.lock_date)
            dates.append(
                start + dt.timedelta(days=rule.no_opportunity_days))
            reasons.append(gettext('crm_ext.msg_release_unless_opportunity'))
        if not dates:
            return None
        # released when the first clock runs out (strictly after the limit)
        date = min(dates) + dt.timedelta(days=1)
        if name == 'release_date':
            return date
        days = max((date - Date.today()).days, 0)
        return gettext('crm_ext.msg_release_info', days=days, date=date,
            reasons=gettext('crm_ext.msg_or').join(reasons))

    @classmethod
    def _crm_release_conditions(cls, party, date, shift=0):
        "Yield (policy, rule id, condition) for every policy with pools"
        pool = Pool()
        Policy = pool.get('crm.ownership.policy')
        Configuration = pool.get('crm.configuration')
        default_pool = Configuration(1).default_pool
        for policy in Policy.search([]):
            pool_ids = [p.id for p in policy.pools]
            if default_pool and default_pool.id in pool_ids:
                # customers without pool belong to the default pool
                pool_ids.append(None)
            for rule in policy._release_rule_values():
                rules = [rule]
                # the rule without class must skip the specific classes
                others = [r for r in policy._release_rule_values()
                    if r[0] and not rule[0]]
                rules += [(r[0], None, None, r[3]) for r in others]
                condition = Policy.release_condition(party, pool_ids, rules,
                    policy.exempt_states, date, shift=shift,
                    exempt_orders=policy.exempt_orders)
                if condition is not None:
                    yield policy, rule[3], condition

    @classmethod
    def crm_auto_release(cls, date=None):
        """Release the due customers to their pool, set-based:
        one INSERT ... SELECT into the history and one UPDATE per rule"""
        pool = Pool()
        History = pool.get('crm.ownership.history')
        Date = pool.get('ir.date')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        party = cls.__table__()
        history = History.__table__()
        if date is None:
            date = Date.today()
        batch = uuid.uuid4().hex
        for policy, rule_id, condition in list(
                cls._crm_release_conditions(party, date)):
            reason = gettext('crm_ext.msg_history_auto_release')
            cursor.execute(*history.insert(
                    [history.create_uid, history.create_date, history.party,
                        history.date, history.action, history.from_employee,
                        history.to_employee, history.user, history.reason,
                        history.rule, history.batch],
                    party.select(
                        Cast(Literal(transaction.user), 'INTEGER'),
                        CurrentTimestamp(), party.id, CurrentTimestamp(),
                        Cast(Literal('auto_release'), 'VARCHAR'),
                        party.owner, Cast(Literal(None), 'INTEGER'),
                        Cast(Literal(transaction.user or None), 'INTEGER'),
                        Cast(Literal(reason), 'VARCHAR'),
                        Cast(Literal('crm.ownership.release.rule,%s'
                                % rule_id), 'VARCHAR'),
                        Cast(Literal(batch), 'VARCHAR'),
                        where=condition)))
        released = history.select(history.party,
            where=(history.batch == batch))
        cursor.execute(*party.update(
                [party.owner, party.owner_department, party.ownership_state,
                    party.lock_date, party.write_date, party.write_uid],
                [Null, Null, 'open', Null, CurrentTimestamp(),
                    transaction.user],
                where=party.id.in_(released)))
        cls._crm_invalidate()
        cls._crm_notify_released(batch)
        cls._crm_notify_warning(date)

    @classmethod
    def _crm_notify_released(cls, batch):
        pool = Pool()
        History = pool.get('crm.ownership.history')
        User = pool.get('res.user')
        history = History.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*history.select(
                history.from_employee, Count(history.id), Min(history.party),
                where=(history.batch == batch)
                & (history.from_employee != Null),
                group_by=[history.from_employee]))
        for employee_id, count, party_id in cursor.fetchall():
            for user in User.search([('employees', '=', employee_id)]):
                cls.notify_user([cls(party_id)], 'tryton-warning',
                    gettext('crm_ext.msg_notify_released', count=count),
                    user=user.id)

    @classmethod
    def _crm_notify_warning(cls, date):
        "Warn the owners of customers released in the warning period"
        pool = Pool()
        User = pool.get('res.user')
        Policy = pool.get('crm.ownership.policy')
        party = cls.__table__()
        cursor = Transaction().connection.cursor()
        due = defaultdict(list)
        for policy in Policy.search([('warning_days', '>', 0)]):
            for policy_, rule_id, warn in cls._crm_release_conditions(
                    party, date, shift=policy.warning_days):
                if policy_ != policy:
                    continue
                for sub in cls._crm_release_conditions(party, date):
                    if sub[0] == policy and sub[1] == rule_id:
                        warn &= ~sub[2]
                cursor.execute(*party.select(party.owner, party.id,
                        where=warn & (party.owner != Null)))
                for owner_id, party_id in cursor:
                    due[owner_id].append(party_id)
        for owner_id, party_ids in due.items():
            for user in User.search([('employees', '=', owner_id)]):
                cls.notify_user(cls.browse(party_ids[:100]), 'tryton-warning',
                    gettext('crm_ext.msg_notify_release_warning',
                        count=len(party_ids)), user=user.id)


class OwnershipHistory(SystemRecordMixin, ModelSQL, ModelView):
    "Ownership History"
    __name__ = 'crm.ownership.history'
    __string__ = "Ownership History"
    party = fields.Many2One(
        'party.party', "Customer", required=True, readonly=True,
        ondelete='CASCADE')
    date = fields.Timestamp("Date", required=True, readonly=True)
    action = fields.Selection(HISTORY_ACTIONS, "Action", required=True,
        readonly=True)
    from_employee = fields.Many2One(
        'company.employee', "From", readonly=True, ondelete='SET NULL')
    to_employee = fields.Many2One(
        'company.employee', "To", readonly=True, ondelete='SET NULL')
    user = fields.Many2One('res.user', "By", readonly=True,
        ondelete='SET NULL')
    reason = fields.Text("Reason", readonly=True)
    rule = fields.Reference("Rule", selection=[
            (None, ""),
            ('crm.ownership.release.rule', "Release Rule"),
            ('crm.ownership.policy', "Ownership Policy"),
            ('crm.lock.request', "Lock Request"),
            ], readonly=True)
    batch = fields.Char("Batch", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('party')
        t = cls.__table__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.party, Index.Range()), (t.date, Index.Range())),
                Index(t, (t.batch, Index.Equality()),
                    where=t.batch != Null),
                Index(t, (t.from_employee, Index.Range()),
                    (t.action, Index.Equality())),
                })

    @classmethod
    def record(cls, parties, action, to_employee, reason=None, rule=None,
            from_employees=None):
        if not parties:
            return []
        now = dt.datetime.now()
        user = Transaction().user or None
        vlist = []
        for party in parties:
            if from_employees is not None:
                from_employee = from_employees.get(party.id)
            else:
                from_employee = None
            vlist.append({
                    'party': party.id,
                    'date': now,
                    'action': action,
                    'from_employee': (from_employee.id
                        if from_employee else None),
                    'to_employee': (to_employee.id if to_employee
                        else (party.owner.id if action == 'create'
                            and party.owner else None)),
                    'user': user,
                    'reason': reason,
                    'rule': str(rule) if rule else None,
                    })
        with without_check_access():
            return cls.create(vlist)


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    @classmethod
    def on_modification(cls, mode, opportunities, field_names=None):
        pool = Pool()
        Party = pool.get('party.party')
        Date = pool.get('ir.date')
        super().on_modification(mode, opportunities, field_names=field_names)
        if mode == 'create':
            party = Party.__table__()
            cursor = Transaction().connection.cursor()
            today = Date.today()
            party_ids = list({o.party.id for o in opportunities if o.party})
            for sub_ids in grouped_slice(party_ids, 1000):
                cursor.execute(*party.update(
                        [party.last_opportunity_date], [today],
                        where=fields.SQL_OPERATORS['in'](party.id, sub_ids)
                        & ((party.last_opportunity_date == Null)
                            | (party.last_opportunity_date < today))))
            Party._crm_invalidate(party_ids)


class CustomerWizardMixin:
    """Wizards on customers: a customer another salesperson took meanwhile
    gets the ownership message, not the access error"""
    __slots__ = ()
    _taken_message = 'crm_ext.msg_not_your_customer'

    @classmethod
    def check_access(cls):
        pool = Pool()
        Party = pool.get('party.party')
        context = Transaction().context
        ids = []
        if context.get('active_model') == Party.__name__:
            ids = list(context.get('active_ids') or [])
            if context.get('active_id') is not None:
                ids.append(context['active_id'])
        with Party.crm_taken_meanwhile(
                [i for i in ids if isinstance(i, int)], cls._taken_message):
            super().check_access()


class ReleaseStart(ModelView):
    "Release Customers"
    __name__ = 'crm.customer.release.start'
    __string__ = "Release Customers"
    reason = fields.Text("Reason", required=True)


class Release(CustomerWizardMixin, Wizard):
    "Release Customers"
    __name__ = 'crm.customer.release'
    start = StateView('crm.customer.release.start',
        'crm_ext.customer_release_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Release", 'release', 'tryton-ok', default=True),
            ])
    release = StateTransition()

    def transition_release(self):
        self.model.release_customers(list(self.records),
            reason=self.start.reason)
        return 'end'


class AssignStart(ModelView):
    "Assign Customers"
    __name__ = 'crm.customer.assign.start'
    __string__ = "Assign Customers"
    employee = fields.Many2One('company.employee', "Salesperson",
        required=True,
        help="The open customers are assigned to this salesperson, the "
        "locked ones transferred with their open opportunities.")
    reason = fields.Text("Reason", required=True)
    customer_count = fields.Integer("Customers", readonly=True)


class Assign(CustomerWizardMixin, Wizard):
    "Assign or Transfer Customers"
    __name__ = 'crm.customer.assign'
    start = StateView('crm.customer.assign.start',
        'crm_ext.customer_assign_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Assign", 'assign', 'tryton-ok', default=True),
            ])
    assign = StateTransition()

    def default_start(self, fields):
        return {'customer_count': len(self.records)}

    def transition_assign(self):
        self.model.assign(list(self.records), self.start.employee,
            reason=self.start.reason)
        return 'end'

