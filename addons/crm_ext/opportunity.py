# This file is part of the crm_ext module.
"""The opportunity at the centre of the deal (SPEC CRM-D1, D2, D3)

Tryton's ``sale.opportunity`` is extended rather than replaced: its
lead -> opportunity -> converted -> won/lost workflow stays, with stages
(milestones) inside the open states, the stage history, the stuck flag,
pausing (暂缓) and everything a deal gathers (contacts, needs, competitors,
team)."""
import datetime as dt
from collections import defaultdict

from sql import Literal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Workflow, fields)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import OpportunityError
from .lead import LeadMixin

# The states in which an opportunity runs through the stages
STAGE_STATES = ['opportunity', 'converted']
CLOSED_STATES = ['won', 'lost', 'cancelled']
THREATS = [
    (None, ""),
    ('low', "Low"),
    ('medium', "Medium"),
    ('high', "High"),
    ]


class Opportunity(LeadMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    department = fields.Many2One('oa.department', "Department",
        ondelete='SET NULL',
        help="The sales department of the deal, by default the "
        "salesperson's.")
    needs = fields.Text("Needs Analysis",
        help="The customer's needs, pains, budget and decision process.")
    contacts = fields.Many2Many('crm.opportunity-party.contact',
        'opportunity', 'party', "Contact Persons",
        domain=[If(Bool(Eval('party')),
                ['OR',
                    ('crm_employer', '=', Eval('party', -1)),
                    ('id', '=', Eval('party', -1)),
                    ],
                [])],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The people of the customer involved in the deal.")
    competitors = fields.One2Many('crm.opportunity.competitor',
        'opportunity', "Competitors")
    team = fields.Many2Many('crm.opportunity-res.user', 'opportunity',
        'user', "Team",
        help="The colleagues working on the deal; they see it as well.")
    stage = fields.Many2One('crm.opportunity.stage', "Stage",
        ondelete='RESTRICT',
        states={
            'invisible': Eval('state') == 'lead',
            'readonly': ~Eval('state').in_(STAGE_STATES),
            },
        help="The milestone the deal has reached.")
    stage_date = fields.Timestamp("In Stage Since", readonly=True,
        help="When the deal entered its stage (or was reactivated after "
        "a pause).")
    days_in_stage = fields.Function(fields.Integer("Days in Stage"),
        'get_days_in_stage')
    stuck = fields.Function(fields.Boolean("Stuck",
            help="The deal stays in its stage longer than the stage "
            "allows (paused deals are never stuck)."),
        'get_stuck', searcher='search_stuck')
    stage_history = fields.One2Many('crm.opportunity.stage.history',
        'opportunity', "Stage History", readonly=True)
    paused = fields.Boolean("Paused", readonly=True,
        help="Paused (暂缓) deals are left aside until their reactivation "
        "date.")
    pause_reason = fields.Text("Pause Reason", readonly=True,
        states={'invisible': ~Eval('paused')})
    reactivation_date = fields.Date("Reactivation Date", readonly=True,
        states={'invisible': ~Eval('paused')},
        help="The deal is reactivated automatically on this date and the "
        "salesperson notified.")
    paused_date = fields.Date("Paused On", readonly=True,
        states={'invisible': ~Eval('paused')})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.stage, Index.Range()),
                    (t.stage_date, Index.Range()),
                    where=t.state.in_(STAGE_STATES)),
                Index(t, (t.reactivation_date, Index.Range()),
                    where=t.paused == Literal(True)),
                Index(t, (t.employee, Index.Range()),
                    (t.state, Index.Equality(cardinality='low'))),
                })
        cls.end_date.help = ("The expected closing date while the deal is "
            "open, the closing date once won, lost or cancelled.")
        cls._buttons.update({
                'pause': {
                    'invisible': (Eval('paused', False)
                        | ~Eval('state').in_(STAGE_STATES)),
                    'depends': ['paused', 'state'],
                    },
                'reactivate': {
                    'invisible': ~Eval('paused', False),
                    'depends': ['paused'],
                    },
                })

    def get_rec_name(self, name):
        "The number and the description: what a salesperson calls the deal"
        name = super().get_rec_name(name)
        if self.description:
            name = f'{name} {self.description}'
        return name

    @classmethod
    def search_rec_name(cls, name, clause):
        "Find a deal by its number, reference, description or customer"
        _, operator, value = clause
        bool_op = 'AND' if (operator.startswith('!')
            or operator.startswith('not ')) else 'OR'
        return [bool_op,
            super().search_rec_name(name, clause),
            ('description', operator, value),
            ('party.rec_name', operator, value),
            ]

    @classmethod
    def validate_fields(cls, opportunities, field_names):
        super().validate_fields(opportunities, field_names)
        if field_names is None or 'amount' in field_names:
            for opportunity in opportunities:
                if opportunity.amount is not None and opportunity.amount < 0:
                    raise ValidationError(gettext(
                            'crm_ext.msg_opportunity_amount_negative',
                            opportunity=opportunity.rec_name))

    @classmethod
    def default_paused(cls):
        return False

    @classmethod
    def default_department(cls):
        pool = Pool()
        Employee = pool.get('company.employee')
        employee = cls.default_employee()
        if employee:
            employee = Employee(employee)
            if employee.department:
                return employee.department.id

    @fields.depends('employee', 'department')
    def on_change_employee(self):
        try:
            super().on_change_employee()
        except AttributeError:
            pass
        if self.employee and self.employee.department:
            self.department = self.employee.department

    @fields.depends('stage')
    def on_change_stage(self):
        if self.stage:
            self.conversion_probability = self.stage.probability

    def get_days_in_stage(self, name):
        if not self.stage_date or self.state not in STAGE_STATES:
            return None
        return (dt.datetime.now() - self.stage_date).days

    def get_stuck(self, name):
        if (self.paused or self.state not in STAGE_STATES
                or not self.stage or not self.stage.max_days
                or not self.stage_date):
            return False
        return (dt.datetime.now() - self.stage_date
            > dt.timedelta(days=self.stage.max_days))

    @classmethod
    def _stuck_domain(cls):
        pool = Pool()
        Stage = pool.get('crm.opportunity.stage')
        now = dt.datetime.now()
        with without_check_access(), Transaction().set_context(
                active_test=False):
            stages = Stage.search([('max_days', '!=', None)])
        if not stages:
            return [('id', '=', -1)]
        return [
            ('state', 'in', STAGE_STATES),
            ('paused', '=', False),
            ['OR'] + [[
                    ('stage', '=', s.id),
                    ('stage_date', '<', now - dt.timedelta(days=s.max_days)),
                    ] for s in stages],
            ]

    @classmethod
    def search_stuck(cls, name, clause):
        _, operator, value = clause[:3]
        positive = (operator == '=') == bool(value)
        domain = cls._stuck_domain()
        if positive:
            return domain
        return [('id', 'not in', cls.search(domain, query=True))]

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('paused', False), 'muted', '')),
            ('//page[@id="crm_lead"]', 'states', {
                    'invisible': ~Eval('capture'),
                    }),
            ('//page[@id="crm_pause"]', 'states', {
                    'invisible': ~Eval('paused'),
                    }),
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Stage = pool.get('crm.opportunity.stage')
        Employee = pool.get('company.employee')
        values = super().preprocess_values(mode, values)
        if (mode == 'create' and values.get('state') in STAGE_STATES
                and not values.get('stage')):
            stage = Stage.first()
            if stage:
                values['stage'] = stage.id
        if values.get('stage'):
            values.setdefault('stage_date', dt.datetime.now())
            if 'conversion_probability' not in values or mode == 'write':
                stage = Stage(values['stage'])
                values.setdefault('conversion_probability', stage.probability)
        if values.get('employee') and not values.get('department'):
            employee = Employee(values['employee'])
            if employee.department:
                values['department'] = employee.department.id
        return values

    @classmethod
    def on_modification(cls, mode, opportunities, field_names=None):
        super().on_modification(mode, opportunities, field_names=field_names)
        if mode == 'create':
            cls._crm_stage_changed([o for o in opportunities if o.stage])
        elif mode == 'write' and field_names & {'stage', 'state'}:
            cls._crm_stage_changed(opportunities)

    @classmethod
    def _crm_stage_changed(cls, opportunities):
        "Keep one open history row per open opportunity, for its stage"
        pool = Pool()
        History = pool.get('crm.opportunity.stage.history')
        if not opportunities:
            return
        now = dt.datetime.now()
        with without_check_access():
            open_rows = History.search([
                    ('opportunity', 'in', [o.id for o in opportunities]),
                    ('end', '=', None),
                    ])
        current = {r.opportunity.id: r.stage for r in open_rows}
        changed = [o for o in opportunities
            if (o.stage if o.state in STAGE_STATES else None)
            != current.get(o.id)]
        if not changed:
            return
        History.close([o for o in changed if o.id in current], now)
        History.open([o for o in changed if o.state in STAGE_STATES], now)

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default else {}
        for name in ['stage_history', 'stage_date', 'pause_reason',
                'reactivation_date', 'paused_date']:
            default.setdefault(name, None)
        default.setdefault('paused', False)
        return super().copy(opportunities, default=default)

    # Workflow
    @classmethod
    @ModelView.button
    @Workflow.transition('opportunity')
    def opportunity(cls, opportunities):
        pool = Pool()
        Stage = pool.get('crm.opportunity.stage')
        super().opportunity(opportunities)
        stage = Stage.first()
        without = [o for o in opportunities if not o.stage]
        if stage and without:
            cls.write(without, {'stage': stage.id})

    @classmethod
    def _crm_unpause_closed(cls, opportunities):
        paused = [o for o in opportunities if o.paused]
        if paused:
            cls.write(paused, {'paused': False, 'reactivation_date': None})

    @classmethod
    @Workflow.transition('won')
    def won(cls, opportunities):
        super().won(opportunities)
        cls._crm_unpause_closed(opportunities)

    @classmethod
    @ModelView.button
    @Workflow.transition('lost')
    def lost(cls, opportunities):
        super().lost(opportunities)
        cls._crm_unpause_closed(opportunities)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, opportunities):
        super().cancel(opportunities)
        cls._crm_unpause_closed(opportunities)

    # Pause (暂缓)
    @classmethod
    @ModelView.button_action('crm_ext.wizard_opportunity_pause')
    def pause(cls, opportunities):
        pass

    @classmethod
    def pause_deals(cls, opportunities, reason, reactivation_date):
        "Pause the open deals until the reactivation date"
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        if not reason or not reason.strip():
            raise OpportunityError(gettext('crm_ext.msg_pause_reason'))
        if not reactivation_date or reactivation_date <= today:
            raise OpportunityError(gettext(
                    'crm_ext.msg_reactivation_date_past',
                    date=reactivation_date or '-', today=today))
        states = dict(cls.fields_get(['state'])['state']['selection'])
        for opportunity in opportunities:
            if opportunity.state not in STAGE_STATES:
                raise OpportunityError(gettext(
                        'crm_ext.msg_pause_closed',
                        opportunity=opportunity.rec_name,
                        state=states.get(opportunity.state)))
            if opportunity.paused:
                raise OpportunityError(gettext(
                        'crm_ext.msg_pause_already',
                        opportunity=opportunity.rec_name,
                        date=opportunity.reactivation_date))
        cls.write(list(opportunities), {
                'paused': True,
                'pause_reason': reason.strip(),
                'reactivation_date': reactivation_date,
                'paused_date': today,
                })

    @classmethod
    @ModelView.button
    def reactivate(cls, opportunities):
        "Reactivate the paused deals now; their stage clock restarts"
        paused = [o for o in opportunities if o.paused]
        if paused:
            cls.write(paused, cls._crm_reactivation_values())

    @classmethod
    def _crm_reactivation_values(cls):
        return {
            'paused': False,
            'reactivation_date': None,
            'stage_date': dt.datetime.now(),
            }

    @classmethod
    def crm_reactivate_due(cls, date=None):
        """Reactivate the paused deals whose date has come and notify their
        salespeople: one search, one write and one notification per user"""
        pool = Pool()
        Date = pool.get('ir.date')
        User = pool.get('res.user')
        if date is None:
            date = Date.today()
        with without_check_access():
            due = cls.search([
                    ('paused', '=', True),
                    ('reactivation_date', '<=', date),
                    ], order=[('id', 'ASC')])
            if not due:
                return []
            by_employee = defaultdict(list)
            for opportunity in due:
                if opportunity.employee:
                    by_employee[opportunity.employee.id].append(opportunity)
            cls.write(due, cls._crm_reactivation_values())
            users = User.search([
                    ('employees', 'in', list(by_employee)),
                    ]) if by_employee else []
        for user in users:
            deals = [o for e in user.employees
                for o in by_employee.get(e.id, [])]
            if not deals:
                continue
            cls.notify_user(deals[:100], 'tryton-notification',
                gettext('crm_ext.msg_notify_reactivated', count=len(deals)),
                description=', '.join(
                    o.rec_name for o in deals[:10]), user=user.id)
        return due


class OpportunityContact(ModelSQL):
    "Opportunity Contact Person"
    __name__ = 'crm.opportunity-party.contact'
    __string__ = "Opportunity Contact Person"
    opportunity = fields.Many2One('sale.opportunity', "Opportunity",
        required=True, ondelete='CASCADE')
    party = fields.Many2One('party.party', "Contact Person", required=True,
        ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('opportunity')


class OpportunityTeam(ModelSQL):
    "Opportunity Team Member"
    __name__ = 'crm.opportunity-res.user'
    __string__ = "Opportunity Team Member"
    opportunity = fields.Many2One('sale.opportunity', "Opportunity",
        required=True, ondelete='CASCADE')
    user = fields.Many2One('res.user', "User", required=True,
        ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('opportunity')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.user, Index.Range())))


class Competitor(DeactivableMixin, ModelSQL, ModelView):
    "Competitor"
    __name__ = 'crm.competitor'
    __string__ = "Competitor"
    name = fields.Char("Name", required=True)
    party = fields.Many2One('party.party', "Party", ondelete='SET NULL',
        help="The competitor as a party, when it is recorded as one.")
    website = fields.Char("Website")
    strengths = fields.Text("Strengths")
    weaknesses = fields.Text("Weaknesses")
    opportunities = fields.One2Many('crm.opportunity.competitor',
        'competitor', "Opportunities", readonly=True)


class OpportunityCompetitor(ModelSQL, ModelView):
    "Opportunity Competitor"
    __name__ = 'crm.opportunity.competitor'
    __string__ = "Opportunity Competitor"
    opportunity = fields.Many2One('sale.opportunity', "Opportunity",
        required=True, ondelete='CASCADE')
    competitor = fields.Many2One('crm.competitor', "Competitor",
        required=True, ondelete='RESTRICT')
    threat = fields.Selection(THREATS, "Threat")
    price = fields.Numeric("Quoted Price", digits=(16, 2),
        help="The competitor's price for the deal, when known.")
    strengths = fields.Text("Strengths in this Deal")
    weaknesses = fields.Text("Weaknesses in this Deal")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('opportunity')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.competitor, Index.Range())))

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if 'price' in field_names:
            for record in records:
                if record.price is not None and record.price < 0:
                    raise ValidationError(gettext(
                            'crm_ext.msg_competitor_price_negative',
                            competitor=record.competitor.rec_name))


class PauseStart(ModelView):
    "Pause Opportunity"
    __name__ = 'crm.opportunity.pause.start'
    __string__ = "Pause Opportunity"
    reason = fields.Text("Reason", required=True,
        help="Why the deal is left aside (暂缓原因).")
    reactivation_date = fields.Date("Reactivation Date", required=True,
        help="The deal comes back on this date and the salesperson is "
        "notified; it must be in the future.")

    @classmethod
    def default_reactivation_date(cls):
        Date = Pool().get('ir.date')
        return Date.today() + dt.timedelta(days=30)


class Pause(Wizard):
    "Pause Opportunity"
    __name__ = 'crm.opportunity.pause'
    start = StateView('crm.opportunity.pause.start',
        'crm_ext.opportunity_pause_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Pause", 'pause', 'tryton-ok', default=True),
            ])
    pause = StateTransition()

    def transition_pause(self):
        self.model.pause_deals(list(self.records), self.start.reason,
            self.start.reactivation_date)
        return 'end'


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if 'sale.opportunity' in model_names:
            context = cls._crm_context()
            key = (*key, Transaction().user,
                tuple(context['crm_employees']))
        return key

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name == 'sale.opportunity':
            context['user_id'] = Transaction().user
        return context


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('sale.opportunity|crm_reactivate_due',
                "Reactivate Paused Opportunities"))
