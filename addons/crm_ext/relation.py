# This file is part of the crm_ext module.
"Relationship network (CRM-A4) and customer-care reminders (CRM-A5)"
import calendar
import datetime as dt
from collections import defaultdict

from sql import Literal, Null
from sql.conditionals import Coalesce
from sql.functions import Extract

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .tools import name_key


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'convert_to_contact': {
                    'invisible': Eval('crm_type') != 'individual',
                    'depends': ['crm_type'],
                    },
                'convert_to_individual': {
                    'invisible': Eval('crm_type') != 'contact',
                    'depends': ['crm_type'],
                    },
                'create_employer': {
                    'invisible': ~Eval('crm_type').in_(
                        ['contact', 'individual']),
                    'depends': ['crm_type'],
                    },
                })

    @classmethod
    @ModelView.button
    def convert_to_contact(cls, parties):
        "Turn individual customers into contact persons of their employer"
        for party in parties:
            if not party.crm_employer:
                raise ValidationError(gettext(
                        'crm_ext.msg_contact_needs_employer',
                        party=party.rec_name))
        cls.write(list(parties), {'crm_type': 'contact'})

    @classmethod
    @ModelView.button
    def convert_to_individual(cls, parties):
        "Turn contact persons into individual customers, keeping the link"
        cls.write(list(parties), {'crm_type': 'individual'})

    @classmethod
    @ModelView.button_action('crm_ext.wizard_create_employer')
    def create_employer(cls, parties):
        pass

    @classmethod
    def get_or_create_employer(cls, name):
        """Return the organization with this name (same normalized key) or
        create it as a prospect"""
        key = name_key(name)
        with without_check_access():
            existing = cls.search([
                    ('crm_name_key', '=', key),
                    ('crm_type', '=', 'organization'),
                    ], limit=1)
        if existing:
            return existing[0]
        with Transaction().set_context(crm_customer=True):
            employer, = cls.create([{
                        'name': name,
                        'crm_type': 'organization',
                        'crm_status': 'prospect',
                        }])
        return employer

    @classmethod
    def _crm_care_dates(cls, days, date):
        "The days to remind of and the (month, day) pairs they cover"
        pool = Pool()
        Date = pool.get('ir.date')
        Configuration = pool.get('crm.configuration')
        if days is None:
            days = Configuration(1).birthday_days
            if days is None:
                days = 7
        if date is None:
            date = Date.today()
        wanted = set()
        for i in range(days + 1):
            day = date + dt.timedelta(days=i)
            wanted.add((day.month, day.day))
            if (day.month, day.day) == (2, 28) and not calendar.isleap(
                    day.year):
                # 29 February is celebrated on the 28th of common years
                wanted.add((2, 29))
        return date, wanted

    @staticmethod
    def _crm_same_day(column, wanted):
        "SQL condition: the month and day of column are in wanted"
        condition = Literal(False)
        for month, day in sorted(wanted):
            condition |= ((Extract('MONTH', column) == month)
                & (Extract('DAY', column) == day))
        return condition

    @classmethod
    def _crm_notify_owners(cls, by_owner, icon, message):
        "Notify the users of each owner (employee) of their customers"
        pool = Pool()
        UserEmployee = pool.get('res.user-company.employee')
        user_employee = UserEmployee.__table__()
        cursor = Transaction().connection.cursor()
        owners = list(by_owner)
        for sub_owners in grouped_slice(owners, backend.MAX_QUERY_PARAMS):
            cursor.execute(*user_employee.select(
                    user_employee.user, user_employee.employee,
                    where=fields.SQL_OPERATORS['in'](
                        user_employee.employee, list(sub_owners))))
            for user_id, owner_id in cursor:
                parties = by_owner[owner_id]
                cls.notify_user(parties, icon,
                    gettext(message, count=len(parties)),
                    description=', '.join(p.rec_name for p in parties[:20]),
                    user=user_id)

    @classmethod
    def crm_birthday_reminder(cls, days=None, date=None):
        """Notify the owners of the customers and contact persons (through
        their employer) whose birthday is in the next days: one query"""
        date, wanted = cls._crm_care_dates(days, date)
        party = cls.__table__()
        employer = cls.__table__()
        owner = Coalesce(party.owner, employer.owner)
        cursor = Transaction().connection.cursor()
        cursor.execute(*party.join(employer, 'LEFT',
                condition=party.crm_employer == employer.id).select(
                owner, party.id,
                where=(party.birthday != Null) & (party.active == True)
                & (owner != Null)
                & cls._crm_same_day(party.birthday, wanted),
                order_by=[owner, party.id]))
        return cls._crm_remind(cursor, 'tryton-star',
            'crm_ext.msg_notify_birthday')

    @classmethod
    def crm_contract_anniversary_reminder(cls, days=None, date=None):
        """Notify the owners of the customers whose sale orders (contracts)
        signed in an earlier year have their anniversary in the next days:
        one query"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        date, wanted = cls._crm_care_dates(days, date)
        party = cls.__table__()
        sale = Sale.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*sale.join(party,
                condition=sale.party == party.id).select(
                party.owner, party.id,
                where=sale.state.in_(['confirmed', 'processing', 'done'])
                & (sale.sale_date != Null)
                & (sale.sale_date < dt.date(date.year, 1, 1))
                & (party.owner != Null)
                & cls._crm_same_day(sale.sale_date, wanted),
                group_by=[party.owner, party.id],
                order_by=[party.owner, party.id]))
        return cls._crm_remind(cursor, 'tryton-star',
            'crm_ext.msg_notify_contract_anniversary')

    @classmethod
    def _crm_remind(cls, rows, icon, message):
        "Group (owner, party) rows by owner and notify them"
        by_owner = defaultdict(list)
        for owner_id, party_id in rows:
            by_owner[owner_id].append(party_id)
        by_owner = {o: cls.browse(ids) for o, ids in by_owner.items()}
        cls._crm_notify_owners(by_owner, icon, message)
        return by_owner


class CreateEmployerStart(ModelView):
    "Create Employer"
    __name__ = 'crm.party.create_employer.start'
    __string__ = "Create Employer"
    name = fields.Char("Employer Name", required=True,
        help="An existing organization with the same normalized name is "
        "linked instead of creating a duplicate.")


class CreateEmployer(Wizard):
    "Create Employer"
    __name__ = 'crm.party.create_employer'
    start = StateView('crm.party.create_employer.start',
        'crm_ext.party_create_employer_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateTransition()

    def transition_create_(self):
        employer = self.model.get_or_create_employer(self.start.name)
        self.model.write(list(self.records), {
                'crm_employer': employer.id,
                'crm_type': 'contact',
                })
        return 'end'
