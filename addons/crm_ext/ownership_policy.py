# This file is part of the crm_ext module.
import datetime as dt
from collections import defaultdict

from sql import Literal, Null
from sql.aggregate import Count
from sql.conditionals import Coalesce
from sql.operators import Exists

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields,
    sequence_ordered)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

# the states of sale orders that are contracts in execution
ORDERS_IN_EXECUTION = ('confirmed', 'processing')

CREATION_MODES = [
    ('creator', "Creator Owns"),
    ('open', "Open Pool"),
    ('territory', "Assignment by Region and Industry"),
    ]
OPPORTUNITY_STATES = [
    ('lead', "Lead"),
    ('opportunity', "Opportunity"),
    ('converted', "Converted"),
    ]


class _NameCodeMixin(DeactivableMixin, sequence_ordered(), ModelSQL,
        ModelView):
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code), 'crm_ext.msg_code_unique'),
            ]


class Industry(_NameCodeMixin):
    "Customer Industry"
    __name__ = 'crm.industry'
    __string__ = "Customer Industry"


class Source(_NameCodeMixin):
    "Customer Source"
    __name__ = 'crm.source'
    __string__ = "Customer Source"


class ValueClass(_NameCodeMixin):
    "Customer Value Class"
    __name__ = 'crm.value.class'
    __string__ = "Customer Value Class"


class SalesLevel(_NameCodeMixin):
    "Sales Level"
    __name__ = 'crm.sales.level'
    __string__ = "Sales Level"


class CustomerPool(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Customer Pool"
    __name__ = 'crm.customer.pool'
    __string__ = "Customer Pool"
    name = fields.Char("Name", required=True, translate=True)
    policy = fields.Many2One(
        'crm.ownership.policy', "Ownership Policy", required=True,
        ondelete='RESTRICT')
    department = fields.Many2One(
        'oa.department', "Department", ondelete='SET NULL',
        help="New customers created by members of this department (or a "
        "sub-department) go to this pool.")
    subdivision = fields.Many2One(
        'country.subdivision', "Province", ondelete='SET NULL',
        domain=[('parent', '=', None)],
        help="New customers of this province go to this pool.")
    industry = fields.Many2One(
        'crm.industry', "Industry", ondelete='SET NULL',
        help="New customers of this industry go to this pool.")

    @classmethod
    def find(cls, values, employee=None):
        "Return the first pool matching the values of a new customer"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        Department = pool.get('oa.department')
        departments = set()
        if employee and employee.department:
            departments = {d.id for d in Department.ancestors(
                    employee.department)}
        for customer_pool in cls.search([]):
            if customer_pool.subdivision and (customer_pool.subdivision.id
                    != values.get('subdivision')):
                continue
            if customer_pool.industry and (customer_pool.industry.id
                    != values.get('industry')):
                continue
            if customer_pool.department and (customer_pool.department.id
                    not in departments):
                continue
            if not (customer_pool.subdivision or customer_pool.industry
                    or customer_pool.department):
                continue
            return customer_pool
        return Configuration(1).default_pool


class OwnershipPolicy(DeactivableMixin, ModelSQL, ModelView):
    "Ownership Policy"
    __name__ = 'crm.ownership.policy'
    __string__ = "Ownership Policy"
    name = fields.Char("Name", required=True, translate=True)
    creation_mode = fields.Selection(CREATION_MODES, "New Customers",
        required=True,
        help="Who owns a newly created customer.")
    default_quota = fields.Integer("Lock Quota",
        domain=['OR', ('default_quota', '=', None),
            ('default_quota', '>=', 0)],
        help="The maximum number of customers a salesperson may lock; "
        "empty means no limit. Lines by sales level override it.")
    quotas = fields.One2Many(
        'crm.ownership.policy.quota', 'policy', "Quotas by Sales Level")
    needs_approval = fields.Boolean("Lock Needs Approval",
        help="A lock request waits for a supervisor or department manager.")
    daily_claim_limit = fields.Integer("Daily Claim Limit",
        domain=['OR', ('daily_claim_limit', '=', None),
            ('daily_claim_limit', '>=', 0)],
        help="How many open customers a salesperson may claim per day; "
        "empty means no limit.")
    cooldown_days = fields.Integer("Cool-down Days", required=True,
        domain=[('cooldown_days', '>=', 0)],
        help="Days during which a salesperson who released a customer "
        "may not claim it again.")
    warning_days = fields.Integer("Warning Days", required=True,
        domain=[('warning_days', '>=', 0)],
        help="Owners are warned this many days before an automatic release.")
    release_rules = fields.One2Many(
        'crm.ownership.release.rule', 'policy', "Release Rules")
    exempt_states = fields.MultiSelection(
        OPPORTUNITY_STATES, "Protected Opportunity States",
        help="Customers with an opportunity in one of these states are "
        "never released automatically.")
    exempt_orders = fields.Boolean(
        "Protect Customers with Orders in Execution",
        help="Customers with a sale order confirmed or being processed (a "
        "contract in execution) are never released automatically.")
    territories = fields.One2Many(
        'crm.ownership.territory', 'policy', "Territories",
        states={'invisible': Eval('creation_mode') != 'territory'})
    pools = fields.One2Many('crm.customer.pool', 'policy', "Pools",
        readonly=True)
    preview_count = fields.Function(
        fields.Integer("Customers Released Now"),
        'on_change_with_preview_count')
    preview_customers = fields.Function(
        fields.Many2Many('party.party', None, None, "Customers Released Now",
            help="The customers the release rules, as edited, would "
            "release today."),
        'on_change_with_preview_customers')
    preview_blocked = fields.Function(
        fields.Many2Many('company.employee', None, None,
            "Salespeople Blocked",
            help="The salespeople who, with the quotas as edited, have "
            "reached their lock quota (locked and requested customers) and "
            "could not lock more."),
        'on_change_with_preview_blocked')
    preview_blocked_count = fields.Function(
        fields.Integer("Salespeople Blocked"),
        'on_change_with_preview_blocked_count')

    @classmethod
    def default_creation_mode(cls):
        return 'creator'

    @classmethod
    def default_cooldown_days(cls):
        return 30

    @classmethod
    def default_warning_days(cls):
        return 7

    @classmethod
    def default_needs_approval(cls):
        return False

    @classmethod
    def default_exempt_states(cls):
        return ['opportunity', 'converted']

    @classmethod
    def default_exempt_orders(cls):
        return True

    def get_quota(self, employee):
        "Return the lock quota of the employee or None for no limit"
        level = employee.crm_sales_level if employee else None
        if level:
            for line in self.quotas:
                if line.level == level:
                    return line.quota
        return self.default_quota

    def rule_for(self, value_class):
        "Return the release rule that applies to a value class"
        default = None
        for rule in self.release_rules:
            if rule.value_class and value_class \
                    and rule.value_class.id == value_class.id:
                return rule
            if not rule.value_class and default is None:
                default = rule
        return default

    # Release conditions shared by the cron, the warnings and the preview
    def _release_rule_values(self):
        return [(r.value_class.id if r.value_class else None,
                r.no_contact_days, r.no_opportunity_days, r.id)
            for r in (self.release_rules or [])]

    @classmethod
    def release_condition(
            cls, party, pool_ids, rules, exempt_states, date, shift=0,
            exempt_orders=False):
        """Return the SQL condition of the customers due for release at date

        rules is a list of (value_class id or None, contact days,
        opportunity days, rule id); a rule with a value class applies to
        the customers of that class, the rule without class to the others.
        The clock runs from the later of the lock date and the last contact
        (or opportunity) date: lock_date < limit AND COALESCE(last, lock) <
        limit, which are plain column comparisons.
        Customers with an opportunity in exempt_states or, if exempt_orders,
        a sale order in execution are excluded."""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        opportunity = Opportunity.__table__()
        sale = Sale.__table__()
        if not pool_ids or not rules:
            return None
        classes = [r[0] for r in rules if r[0]]
        conditions = []
        for value_class, contact_days, opportunity_days, _ in rules:
            if value_class:
                class_cond = party.value_class == value_class
            elif classes:
                class_cond = ((party.value_class == Null)
                    | ~party.value_class.in_(classes))
            else:
                class_cond = Literal(True)
            clocks = []
            if contact_days:
                limit = date - dt.timedelta(days=contact_days - shift)
                clocks.append((party.lock_date < limit)
                    & (Coalesce(party.last_contact_date, party.lock_date)
                        < limit))
            if opportunity_days:
                limit = date - dt.timedelta(days=opportunity_days - shift)
                clocks.append((party.lock_date < limit)
                    & (Coalesce(party.last_opportunity_date, party.lock_date)
                        < limit))
            if not clocks:
                continue
            clock = clocks[0]
            for other in clocks[1:]:
                clock |= other
            conditions.append(class_cond & clock)
        if not conditions:
            return None
        rule_cond = conditions[0]
        for other in conditions[1:]:
            rule_cond |= other
        ids = [i for i in pool_ids if i is not None]
        pool_cond = party.pool.in_(ids) if ids else Literal(False)
        if None in pool_ids:
            pool_cond |= (party.pool == Null)
        condition = ((party.ownership_state == 'locked')
            & pool_cond
            & (party.lock_date != Null)
            & rule_cond)
        if exempt_states:
            condition &= ~Exists(opportunity.select(
                    Literal(1),
                    where=(opportunity.party == party.id)
                    & opportunity.state.in_(list(exempt_states))))
        if exempt_orders:
            condition &= ~Exists(sale.select(
                    Literal(1),
                    where=(sale.party == party.id)
                    & sale.state.in_(list(ORDERS_IN_EXECUTION))))
        return condition

    @fields.depends(
        'id', 'release_rules', 'exempt_states', 'exempt_orders', 'pools')
    def on_change_with_preview_customers(self, name=None):
        pool = Pool()
        Date = pool.get('ir.date')
        Party = pool.get('party.party')
        party = Party.__table__()
        Configuration = pool.get('crm.configuration')
        default_pool = Configuration(1).default_pool
        pool_ids = [p.id for p in (self.pools or []) if p.id and p.id >= 0]
        if default_pool and default_pool.id in pool_ids:
            pool_ids.append(None)
        rules = []
        for rule in (self.release_rules or []):
            rules.append((
                    rule.value_class.id if getattr(
                        rule, 'value_class', None) else None,
                    getattr(rule, 'no_contact_days', None),
                    getattr(rule, 'no_opportunity_days', None), None))
        condition = self.release_condition(
            party, pool_ids, rules, self.exempt_states or [], Date.today(),
            exempt_orders=self.exempt_orders)
        if condition is None:
            return []
        cursor = Transaction().connection.cursor()
        cursor.execute(*party.select(party.id, where=condition,
                order_by=[party.id.asc]))
        return [i for i, in cursor]

    @fields.depends(methods=['on_change_with_preview_customers'])
    def on_change_with_preview_count(self, name=None):
        return len(self.on_change_with_preview_customers())

    @fields.depends('default_quota', 'quotas')
    def on_change_with_preview_blocked(self, name=None):
        """The employees whose used quota (locked customers and pending
        requests, two grouped queries) reaches the quota as edited"""
        pool = Pool()
        Party = pool.get('party.party')
        Request = pool.get('crm.lock.request')
        Employee = pool.get('company.employee')
        party = Party.__table__()
        request = Request.__table__()
        cursor = Transaction().connection.cursor()
        used = defaultdict(int)
        cursor.execute(*party.select(party.owner, Count(party.id),
                where=(party.ownership_state == 'locked')
                & (party.owner != Null),
                group_by=[party.owner]))
        for employee_id, count in cursor:
            used[employee_id] += count
        cursor.execute(*request.select(request.requester, Count(request.id),
                where=request.state == 'pending',
                group_by=[request.requester]))
        for employee_id, count in cursor:
            used[employee_id] += count
        by_level = {}
        for line in (self.quotas or []):
            level = getattr(line, 'level', None)
            if level and getattr(line, 'quota', None) is not None:
                by_level[level.id] = line.quota
        if self.default_quota is None and not by_level:
            return []
        blocked = []
        for employee in Employee.browse(sorted(used)):
            level = employee.crm_sales_level
            quota = by_level.get(level.id if level else None,
                self.default_quota)
            if quota is not None and used[employee.id] >= quota:
                blocked.append(employee.id)
        return blocked

    @fields.depends(methods=['on_change_with_preview_blocked'])
    def on_change_with_preview_blocked_count(self, name=None):
        return len(self.on_change_with_preview_blocked())


class PolicyQuota(ModelSQL, ModelView):
    "Ownership Policy Quota"
    __name__ = 'crm.ownership.policy.quota'
    __string__ = "Ownership Policy Quota"
    policy = fields.Many2One(
        'crm.ownership.policy', "Policy", required=True, ondelete='CASCADE')
    level = fields.Many2One(
        'crm.sales.level', "Sales Level", required=True, ondelete='CASCADE')
    quota = fields.Integer("Lock Quota", required=True,
        domain=[('quota', '>=', 0)])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls.__access__.add('policy')
        cls._sql_constraints += [
            ('level_unique', Unique(t, t.policy, t.level),
                'crm_ext.msg_policy_level_unique'),
            ]


class ReleaseRule(ModelSQL, ModelView):
    "Ownership Release Rule"
    __name__ = 'crm.ownership.release.rule'
    __string__ = "Ownership Release Rule"
    policy = fields.Many2One(
        'crm.ownership.policy', "Policy", required=True, ondelete='CASCADE')
    value_class = fields.Many2One(
        'crm.value.class', "Value Class", ondelete='CASCADE',
        help="Empty: the rule applies to the customers of the other classes.")
    no_contact_days = fields.Integer("Days Without Contact",
        domain=['OR', ('no_contact_days', '=', None),
            ('no_contact_days', '>', 0)],
        help="Release when there is no contact record for this many days.")
    no_opportunity_days = fields.Integer("Days Without Opportunity",
        domain=['OR', ('no_opportunity_days', '=', None),
            ('no_opportunity_days', '>', 0)],
        help="Release when there is no new opportunity for this many days.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('policy')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.policy, Index.Range())))

    def get_rec_name(self, name):
        parts = []
        if self.no_contact_days:
            parts.append(gettext('crm_ext.msg_rule_no_contact',
                    days=self.no_contact_days))
        if self.no_opportunity_days:
            parts.append(gettext('crm_ext.msg_rule_no_opportunity',
                    days=self.no_opportunity_days))
        text = ' / '.join(parts)
        if self.value_class:
            text = '%s: %s' % (self.value_class.rec_name, text)
        return '%s [%s]' % (self.policy.rec_name, text)

    @classmethod
    def validate_fields(cls, rules, field_names):
        super().validate_fields(rules, field_names)
        for rule in rules:
            for days in [rule.no_contact_days, rule.no_opportunity_days]:
                if days is not None and days <= 0:
                    raise ValidationError(gettext(
                            'crm_ext.msg_negative_days'))


class Territory(sequence_ordered(), ModelSQL, ModelView):
    "Ownership Territory"
    __name__ = 'crm.ownership.territory'
    __string__ = "Ownership Territory"
    policy = fields.Many2One(
        'crm.ownership.policy', "Policy", required=True, ondelete='CASCADE')
    subdivision = fields.Many2One(
        'country.subdivision', "Province", ondelete='CASCADE',
        domain=[('parent', '=', None)])
    industry = fields.Many2One('crm.industry', "Industry", ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Salesperson", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('policy')

    def match(self, values):
        if self.subdivision and self.subdivision.id != values.get(
                'subdivision'):
            return False
        if self.industry and self.industry.id != values.get('industry'):
            return False
        return True
