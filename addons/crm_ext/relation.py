# This file is part of the crm_ext module.
"Relationship network (CRM-A4) and customer-care reminders (CRM-A5)"
import datetime as dt
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
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
    def crm_birthday_reminder(cls, days=None, date=None):
        "Notify the owners of contacts whose birthday is in the next days"
        pool = Pool()
        User = pool.get('res.user')
        Date = pool.get('ir.date')
        Configuration = pool.get('crm.configuration')
        if days is None:
            days = Configuration(1).birthday_days
            if days is None:
                days = 7
        if date is None:
            date = Date.today()
        wanted = {((date + dt.timedelta(days=i)).month,
                (date + dt.timedelta(days=i)).day) for i in range(days + 1)}
        by_owner = defaultdict(list)
        with without_check_access():
            parties = cls.search([('birthday', '!=', None)])
            for party in parties:
                if (party.birthday.month, party.birthday.day) not in wanted:
                    continue
                owner = party.owner or (party.crm_employer.owner
                    if party.crm_employer else None)
                if owner:
                    by_owner[owner.id].append(party)
        for owner_id, birthday_parties in by_owner.items():
            for user in User.search([('employees', '=', owner_id)]):
                cls.notify_user(birthday_parties, 'tryton-star',
                    gettext('crm_ext.msg_notify_birthday',
                        count=len(birthday_parties)),
                    description=', '.join(
                        p.rec_name for p in birthday_parties[:20]),
                    user=user.id)
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
