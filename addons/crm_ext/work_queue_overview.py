# This file is part of the crm_ext module.
"""The salesperson's work queues at a glance (CRM-C3): the five counts in
one request (Party.crm_queue_counts), each opening its queue"""
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import PYSONEncoder
from trytond.wizard import Button, StateAction, StateView, Wizard


class WorkQueueOverviewStart(ModelView):
    "Work Queue Overview"
    __name__ = 'crm.work_queue.overview.start'
    __string__ = "Work Queue Overview"

    today = fields.Integer("To Contact Today", readonly=True,
        help="Your customers whose next contact date is today.")
    week = fields.Integer("To Contact This Week", readonly=True,
        help="Your customers to contact from today to Sunday.")
    overdue = fields.Integer("Overdue", readonly=True,
        help="Your customers whose next contact date has passed.")
    stale = fields.Integer("Not Contacted Recently", readonly=True,
        help="Your customers without contact for more days than the "
        "configuration's \"Not Contacted Since (Days)\".")
    never = fields.Integer("Never Contacted", readonly=True,
        help="Your customers without any contact record.")
    stale_days = fields.Integer("Not Contacted Since (Days)", readonly=True)


class WorkQueueOverview(Wizard):
    "Work Queue Overview"
    __name__ = 'crm.work_queue.overview'
    start = StateView('crm.work_queue.overview.start',
        'crm_ext.work_queue_overview_start_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Today", 'open_today', 'tryton-forward', default=True),
            Button("This Week", 'open_week', 'tryton-forward'),
            Button("Overdue", 'open_overdue', 'tryton-forward'),
            Button("Not Contacted Recently", 'open_stale',
                'tryton-forward'),
            Button("Never Contacted", 'open_never', 'tryton-forward'),
            ])
    open_today = StateAction('crm_ext.act_work_queue')
    open_week = StateAction('crm_ext.act_work_queue')
    open_overdue = StateAction('crm_ext.act_work_queue')
    open_stale = StateAction('crm_ext.act_work_queue')
    open_never = StateAction('crm_ext.act_work_queue')

    def default_start(self, fields):
        pool = Pool()
        Party = pool.get('party.party')
        Configuration = pool.get('crm.configuration')
        values = Party.crm_queue_counts()
        values['stale_days'] = Configuration(1).stale_days
        return values

    def _open(self, action, queue):
        "The work queue window reduced to the queue"
        pool = Pool()
        Party = pool.get('party.party')
        Start = pool.get('crm.work_queue.overview.start')
        action['pyson_domain'] = PYSONEncoder().encode(
            Party._crm_my_customers_domain() + [('crm_queue', '=', queue)])
        action['domains'] = []
        action['name'] += ' - %s' % Start.fields_get([queue])[queue]['string']
        return action, {}

    def do_open_today(self, action):
        return self._open(action, 'today')

    def do_open_week(self, action):
        return self._open(action, 'week')

    def do_open_overdue(self, action):
        return self._open(action, 'overdue')

    def do_open_stale(self, action):
        return self._open(action, 'stale')

    def do_open_never(self, action):
        return self._open(action, 'never')
