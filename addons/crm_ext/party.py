# This file is part of the crm_ext module.
import datetime as dt
import weakref
from itertools import chain

import phonenumbers

from sql import Null
from sql.conditionals import Case

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.party.exceptions import EraseError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import (
    Transaction, check_access, inactive_records, without_check_access)

from .exceptions import DuplicateCustomerError, DuplicateCustomerWarning
from .tools import (
    compact_uscc, is_valid_uscc, mask_value, name_key, pinyin_initials,
    warning_key)

CRM_TYPES = [
    (None, ""),
    ('organization', "Organization"),
    ('individual', "Individual"),
    ('contact', "Contact Person"),
    ]
CRM_STATUSES = [
    ('prospect', "Prospect"),
    ('intent', "Intent"),
    ('customer', "Customer"),
    ('lost', "Lost"),
    ]
SENSITIVE_FIELDS = {'phone', 'mobile', 'email', 'fax'}


# The longest name of a party (a company's registered name is far shorter)
NAME_MAX = 200

# transaction -> {(user, counter): {mechanism id: masked type or None}}
_MASKED = weakref.WeakKeyDictionary()


def masking_active():
    """Whether values leaving the server must be masked: RPC reads and
    exports (access checked), and reads of records browsed under access
    checks, such as the records a report template reads"""
    transaction = Transaction()
    context = transaction.context
    # no key of a request's context turns it off (the dispatcher drops the
    # keys starting with '_' from the client's context)
    return bool(transaction.user
        and (transaction.check_access or context.get('_crm_mask_reads')))


class MaskedBrowseMixin:
    "Records browsed under access checks keep masking their reads"
    __slots__ = ()

    @classmethod
    def browse(cls, ids):
        transaction = Transaction()
        # Instances read their fields without access checks: the flag in
        # their context keeps them masked (e.g. in report templates)
        if (transaction.user and transaction.check_access
                and not transaction.context.get('_crm_mask_reads')):
            with transaction.set_context(_crm_mask_reads=True):
                return super().browse(ids)
        return super().browse(ids)


def crm_user_context():
    """Return the CRM visibility context of the current user

    crm_employees: ids of the user's employees, their subordinates (all
    levels) and, for department managers, the members of their department
    tree; crm_shared / crm_shared_edit: ids of the customers shared with them;
    crm_all: the user sees every customer (general manager, root)."""
    pool = Pool()
    return pool.get('party.party')._crm_user_context()


class Party(MaskedBrowseMixin, metaclass=PoolMeta):
    __name__ = 'party.party'

    _crm_context_cache = Cache('crm_ext.user_context', context=False)

    crm_type = fields.Selection(CRM_TYPES, "Customer Type",
        help="Organization or individual customer; a contact person "
        "belongs to an organization.")
    crm_status = fields.Selection([(None, "")] + CRM_STATUSES,
        "Lifecycle Status",
        states={'invisible': ~Eval('crm_type')})
    industry = fields.Many2One('crm.industry', "Industry", ondelete='RESTRICT')
    source = fields.Many2One('crm.source', "Source", ondelete='RESTRICT')
    subdivision = fields.Many2One(
        'country.subdivision', "Province", ondelete='RESTRICT',
        domain=[('parent', '=', None)],
        help="The province or municipality of the customer.")
    city = fields.Char("City")
    value_class = fields.Many2One(
        'crm.value.class', "Value Class", ondelete='RESTRICT')
    crm_uscc = fields.Char("Unified Social Credit Code", size=18,
        help="统一社会信用代码, 18 characters, checked by its check digit.")
    crm_name_key = fields.Char("Name Key", readonly=True,
        help="The name without spaces, brackets and legal suffixes, "
        "used to find duplicates.")
    crm_initials = fields.Char("Pinyin Initials", readonly=True)
    last_contact_date = fields.Date("Last Contact Date")
    next_contact_date = fields.Date("Next Contact Date")
    birthday = fields.Date("Birthday")
    crm_employer = fields.Many2One(
        'party.party', "Employer", ondelete='SET NULL',
        domain=[('crm_type', '=', 'organization')],
        states={'invisible': Eval('crm_type') != 'contact'},
        help="The organization the contact person works for.")
    crm_contacts = fields.One2Many(
        'party.party', 'crm_employer', "Contact Persons",
        states={'invisible': Eval('crm_type') != 'organization'})
    crm_job_title = fields.Char("Job Title",
        states={'invisible': Eval('crm_type') != 'contact'})
    crm_duplicates = fields.Function(fields.Many2Many(
            'party.party', None, None, "Possible Duplicates",
            help="Existing customers with a similar name, the same code "
            "or the same phone number."),
        'on_change_with_crm_duplicates')
    crm_masked = fields.Function(
        fields.Boolean("Masked"), 'get_crm_masked')
    crm_my_deal = fields.Function(fields.Boolean("Customer of My Deals",
            help="The customer of a lead or opportunity of the user, of "
            "their team or on whose team the user is: the user may read it "
            "(sensitive data masked)."),
        'get_crm_my_deal', searcher='search_crm_my_deal')
    crm_readable = fields.Function(fields.Boolean("Readable",
            help="The user may read the customer by the record rules: "
            "the records of other models that show a customer (members, "
            "...) follow it."),
        'get_crm_readable', searcher='search_crm_readable')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.crm_name_key, Index.Equality())),
                Index(t, (t.crm_initials, Index.Similarity(begin=True))),
                Index(t, (t.crm_uscc, Index.Equality()),
                    where=t.crm_uscc != Null),
                Index(t, (t.crm_employer, Index.Range())),
                })

    @classmethod
    def default_crm_type(cls):
        if Transaction().context.get('crm_customer'):
            return 'organization'

    @classmethod
    def default_crm_status(cls):
        if Transaction().context.get('crm_customer'):
            return 'prospect'

    # Normalized columns
    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'name' in values:
            values['crm_name_key'] = name_key(values['name'])
            values['crm_initials'] = pinyin_initials(values['name'])
        if values.get('crm_uscc'):
            values['crm_uscc'] = compact_uscc(values['crm_uscc'])
        return values

    @classmethod
    def search_rec_name(cls, name, clause):
        domain = super().search_rec_name(name, clause)
        _, operator, operand, *extra = clause
        if isinstance(operand, str) and operator in {'ilike', 'like'}:
            value = operand.strip('%').casefold()
            if value and value.isascii() and value.isalnum():
                domain.append(('crm_initials', 'like', value + '%'))
            if value and len(value) >= 15:
                domain.append(('crm_uscc', '=', compact_uscc(value)))
        return domain

    # Duplicate prevention
    @fields.depends('id', 'name', 'crm_uscc', 'contact_mechanisms')
    def on_change_with_crm_duplicates(self, name=None):
        return [p.id for p in self._crm_find_duplicates(
                limit=10, readable=True)]

    def _crm_phones(self):
        "Return the phone numbers of the party in E.164"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        region = Configuration(1).phone_region
        phones = set()
        for mechanism in (getattr(self, 'contact_mechanisms', None) or []):
            value = getattr(mechanism, 'value', None)
            if getattr(mechanism, 'type', None) not in {'phone', 'mobile'} \
                    or not value:
                continue
            try:
                number = phonenumbers.parse(value, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                phones.add(phonenumbers.format_number(
                        number, phonenumbers.PhoneNumberFormat.E164))
        return phones

    def _crm_find_duplicates(self, limit=None, exact=False, readable=False):
        """Return parties that are probably the same customer; readable:
        only those the user may read (the list shown in the form; the
        warning at saving names the others without opening them)"""
        key = name_key(getattr(self, 'name', None))
        uscc = compact_uscc(getattr(self, 'crm_uscc', None))
        phones = self._crm_phones() if not exact else set()
        domain = ['OR']
        if key:
            if exact or len(key) < 4:
                domain.append(('crm_name_key', '=', key))
            else:
                # names containing this one or sharing most of its start
                domain.append(('crm_name_key', 'like', '%' + key + '%'))
                domain.append(('crm_name_key', 'like',
                        key[:max(4, len(key) - 2)] + '%'))
        if uscc:
            domain.append(('crm_uscc', '=', uscc))
        if phones:
            domain.append(('contact_mechanisms', 'where', [
                        ('type', 'in', ['phone', 'mobile']),
                        ('value_compact', 'in', list(phones)),
                        ]))
        if len(domain) == 1:
            return []
        own_id = getattr(self, 'id', None)
        if own_id is not None and own_id >= 0:
            domain = [domain, ('id', '!=', own_id)]
        if readable:
            # with the user's rules, also when read as a Function field
            # (computed without access checks)
            context = {'_check_access': True}
        else:
            context = {'_check_access': False}
        with Transaction().set_context(active_test=False, **context):
            return self.search(domain, limit=limit, order=[('id', 'ASC')])

    @classmethod
    def validate_fields(cls, parties, field_names):
        super().validate_fields(parties, field_names)
        cls.check_crm_name(parties, field_names)
        cls.check_crm_uscc(parties, field_names)
        cls.check_crm_duplicates(parties, field_names)

    @classmethod
    def check_crm_name(cls, parties, field_names=None):
        "A customer has a name, of a length a person gives"
        if field_names and not (field_names & {'name', 'crm_type'}):
            return
        for party in parties:
            name = party.name or ''
            if party.crm_type and not name.strip():
                raise ValidationError(gettext('crm_ext.msg_party_name_blank'))
            if len(name) > NAME_MAX:
                raise ValidationError(gettext(
                        'crm_ext.msg_party_name_too_long',
                        name=name[:20], max=NAME_MAX))

    @classmethod
    def check_crm_uscc(cls, parties, field_names=None):
        if field_names and 'crm_uscc' not in field_names:
            return
        for party in parties:
            if party.crm_uscc and not is_valid_uscc(party.crm_uscc):
                raise ValidationError(gettext(
                        'crm_ext.msg_invalid_uscc',
                        code=party.crm_uscc, party=party.rec_name))

    @classmethod
    def check_crm_duplicates(cls, parties, field_names=None):
        pool = Pool()
        Warning = pool.get('res.user.warning')
        if field_names and not (
                field_names & {'name', 'crm_uscc', 'crm_type'}):
            return
        # an internal key (the RPC context never carries '_' keys)
        if Transaction().context.get('_crm_skip_duplicate_check'):
            return
        for party in parties:
            if not party.crm_type:
                continue
            uscc = party.crm_uscc
            duplicates = party._crm_find_duplicates(exact=True)
            for other in duplicates:
                same_code = uscc and other.crm_uscc == uscc
                same_name = (party.crm_type == 'organization'
                    and other.crm_type == 'organization'
                    and other.crm_name_key == party.crm_name_key)
                if same_code or same_name:
                    raise DuplicateCustomerError(gettext(
                            'crm_ext.msg_duplicate_customer',
                            party=party.name,
                            existing=other.rec_name,
                            code=other.code or '',
                            owner=(other.owner.rec_name if other.owner
                                else gettext('crm_ext.msg_open_pool')),
                            ))
            likely = [p for p in party._crm_find_duplicates(limit=5)
                if p.crm_type]
            if likely:
                key = party._crm_duplicate_warning_key(likely)
                if Warning.check(key):
                    raise DuplicateCustomerWarning(key, gettext(
                            'crm_ext.msg_likely_duplicate_customer',
                            party=party.name,
                            existing=', '.join(
                                '%s (%s)' % (p.rec_name,
                                    p.owner.rec_name if p.owner
                                    else gettext('crm_ext.msg_open_pool'))
                                for p in likely)))

    def _crm_duplicate_warning_key(self, likely):
        """The key of the likely-duplicate warning: the normalized values
        of the customer and the customers they matched, never its own id
        (a new one at each attempt), so that the user's "Yes" is found when
        the same customer is saved again"""
        return warning_key('crm_duplicate',
            name_key(self.name), compact_uscc(self.crm_uscc),
            sorted(self._crm_phones()), sorted(p.id for p in likely))

    @classmethod
    def _crm_invalidate(cls, ids=None):
        "Drop cached values after a direct SQL update of the table"
        transaction = Transaction()
        transaction.counter += 1
        for cache in transaction.cache.values():
            if cls.__name__ in cache:
                if ids is None:
                    cache[cls.__name__].clear()
                else:
                    for id_ in ids:
                        cache[cls.__name__].pop(id_, None)

    # Visibility context and masking
    @classmethod
    def _crm_user_context(cls):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Employee = pool.get('company.employee')
        Department = pool.get('oa.department')
        Share = pool.get('crm.customer.share')
        transaction = Transaction()
        user_id = transaction.user
        if not user_id:
            return {'crm_employees': [], 'crm_shared': [],
                'crm_shared_edit': [], 'crm_all': True}
        groups = User.get_groups()
        key = (user_id, groups)
        result = cls._crm_context_cache.get(key)
        if result is not None:
            return result
        with transaction.set_user(0), without_check_access(), \
                transaction.set_context(active_test=False):
            user = User(user_id)
            employees = [e.id for e in user.employees]
            crm_all = ModelData.get_id(
                'oa_workflow', 'group_general_manager') in groups
            visible = set(Employee.subordinate_ids(employees))
            if ModelData.get_id(
                    'oa_workflow', 'group_department_manager') in groups:
                departments = set()
                for employee in user.employees:
                    departments.update(
                        d.id for d in employee.managed_departments)
                    if employee.department:
                        departments.add(employee.department.id)
                department_ids = Department.descendants(list(departments))
                if department_ids:
                    visible.update(e.id for e in Employee.search([
                                ('department', 'in', department_ids),
                                ]))
            shared, shared_edit = set(), set()
            if employees:
                for share in Share.search([
                            ('employee', 'in', employees),
                            ]):
                    shared.add(share.party.id)
                    if share.mode == 'edit':
                        shared_edit.add(share.party.id)
        result = {
            'crm_employees': sorted(visible),
            'crm_shared': sorted(shared),
            'crm_shared_edit': sorted(shared_edit),
            'crm_all': crm_all,
            }
        cls._crm_context_cache.set(key, result)
        return result

    @classmethod
    def _crm_masked_ids(cls, ids):
        """Return the ids of the parties the user sees only as open-pool
        customers (read straight from the table to avoid recursion)"""
        # Only what leaves the server is masked (RPC read, export); the
        # business code works on the real values
        if not masking_active():
            return set()
        return cls._crm_masked_for_user(ids)

    @classmethod
    def _crm_masked_for_user(cls, ids):
        "Return the ids of the parties whose numbers the user sees masked"
        transaction = Transaction()
        if not transaction.user:
            return set()
        ids = [int(i) for i in ids if i is not None and int(i) >= 0]
        if not ids:
            return set()
        context = cls._crm_user_context()
        if context['crm_all']:
            return set()
        shared = set(context['crm_shared'])
        employees = set(context['crm_employees'])
        table = cls.__table__()
        # a contact person is masked as the organization it works for
        employer = cls.__table__()
        is_contact = (table.crm_type == 'contact') & (employer.id != Null)
        state = Case((is_contact, employer.ownership_state),
            else_=table.ownership_state)
        owner = Case((is_contact, employer.owner), else_=table.owner)
        cursor = transaction.connection.cursor()
        masked = set()
        for sub_ids in grouped_slice(ids, 1000):
            cursor.execute(*table.join(employer, 'LEFT',
                    condition=employer.id == table.crm_employer).select(
                    table.id, state, owner,
                    Case((is_contact, employer.id), else_=table.id),
                    where=fields.SQL_OPERATORS['in'](table.id, sub_ids)))
            for id_, state_, owner_, customer in cursor:
                if state_ is None or customer in shared:
                    continue
                if state_ == 'open' or (owner_ and owner_ not in employees):
                    masked.add(id_)
        return masked

    @classmethod
    def _crm_my_deals_query(cls):
        """The customers of the deals of the user's employees (and team) or
        on whose team the user is, in SQL: the record rule uses it, and
        must not go through the opportunities' own rules"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Team = pool.get('crm.opportunity-res.user')
        opportunity = Opportunity.__table__()
        team = Team.__table__()
        employees = cls._crm_user_context()['crm_employees']
        where = opportunity.id.in_(team.select(team.opportunity,
                where=team.user == Transaction().user))
        if employees:
            where |= fields.SQL_OPERATORS['in'](
                opportunity.employee, employees)
        return opportunity.select(opportunity.party,
            where=(opportunity.party != Null) & where)

    @classmethod
    def get_crm_my_deal(cls, parties, name):
        return cls._crm_in_query(parties, cls._crm_my_deals_query())

    @classmethod
    def _crm_in_query(cls, parties, query):
        "Return {party id: whether the SQL query of party ids has it}"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        result = dict.fromkeys((p.id for p in parties), False)
        for sub_ids in grouped_slice([p.id for p in parties]):
            cursor.execute(*table.select(table.id,
                    where=fields.SQL_OPERATORS['in'](table.id, sub_ids)
                    & table.id.in_(query)))
            result.update((id_, True) for id_, in cursor)
        return result

    @classmethod
    def search_crm_my_deal(cls, name, clause):
        _, operator, value = clause[:3]
        if operator not in {'=', '!='}:
            return []
        positive = (operator == '=') == bool(value)
        return [('id', 'in' if positive else 'not in',
                cls._crm_my_deals_query())]

    @classmethod
    def _crm_readable_query(cls):
        """The parties the user reads by the record rules, in SQL; the
        user of the request when the rules are evaluated as root"""
        transaction = Transaction()
        user = transaction.user or transaction.context.get('user')
        if not user:
            return None
        with transaction.set_user(user), check_access(), inactive_records():
            return cls.search([], order=[], query=True)

    @classmethod
    def get_crm_readable(cls, parties, name):
        query = cls._crm_readable_query()
        if query is None:
            return dict.fromkeys((p.id for p in parties), True)
        return cls._crm_in_query(parties, query)

    @classmethod
    def search_crm_readable(cls, name, clause):
        _, operator, value = clause[:3]
        if operator not in {'=', '!='}:
            return []
        positive = (operator == '=') == bool(value)
        query = cls._crm_readable_query()
        if query is None:
            return [] if positive else [('id', '=', None)]
        return [('id', 'in' if positive else 'not in', query)]

    @classmethod
    def get_crm_masked(cls, parties, name):
        masked = cls._crm_masked_for_user([p.id for p in parties])
        return {p.id: p.id in masked for p in parties}

    def get_contact_mechanism(self, name):
        value = super().get_contact_mechanism(name)
        if value and name in SENSITIVE_FIELDS \
                and self.id in self._crm_masked_ids([self.id]):
            value = mask_value(value, 'email' if name == 'email' else 'phone')
        return value

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        names = set(fields_names) & (SENSITIVE_FIELDS | {'crm_uscc'})
        if names:
            masked = cls._crm_masked_ids(ids)
            for row in result:
                if row['id'] not in masked:
                    continue
                for name in names:
                    if not row.get(name):
                        continue
                    if name == 'crm_uscc':
                        row[name] = row[name][:6] + '*' * 12
                    else:
                        row[name] = mask_value(row[name],
                            'email' if name == 'email' else 'phone')
        return result

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        masked = cls._crm_masked_ids([r.id for r in records])
        if not masked:
            return super().export_data(records, fields_names, header=header)
        data = []
        if header:
            data = super().export_data([], fields_names, header=True)
        sensitive = []
        for i, name in enumerate(fields_names):
            path = name.split('/')
            if path[0] in SENSITIVE_FIELDS | {'crm_uscc'}:
                sensitive.append((i, None))
            elif path[0] == 'contact_mechanisms' and len(path) > 1 \
                    and path[1] in ContactMechanism._crm_sensitive:
                sensitive.append((i, None))
        for record in records:
            rows = super().export_data([record], fields_names)
            if record.id in masked:
                for row in rows:
                    for i, type_ in sensitive:
                        if row[i]:
                            row[i] = mask_value(str(row[i]), type_)
            data.extend(rows)
        return data

    @classmethod
    def on_modification(cls, mode, parties, field_names=None):
        super().on_modification(mode, parties, field_names=field_names)
        if mode == 'delete':
            cls._crm_context_cache.clear()


class ContactMechanism(MaskedBrowseMixin, metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'

    _crm_sensitive = {
        'value', 'value_compact', 'email', 'url', 'rec_name', 'other_value',
        'sip', 'skype', 'website'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # value_compact stores phones in E.164 (+8613812345678)
        cls._sql_indexes.add(
            Index(t, (t.value_compact, Index.Equality()),
                where=t.type.in_(['phone', 'mobile', 'fax'])))

    @fields.depends('party', '_parent_party.addresses')
    def _phone_country_codes(self):
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        codes = list(super()._phone_country_codes())
        region = Configuration(1).phone_region
        if region and region not in codes:
            codes.append(region)
        return chain(codes)

    @classmethod
    def validate_fields(cls, mechanisms, field_names):
        try:
            super().validate_fields(mechanisms, field_names)
        except ValidationError as exception:
            for mechanism in mechanisms:
                if (mechanism.type in {'phone', 'mobile', 'fax'}
                        and mechanism.value
                        and not mechanism._parse_phonenumber(
                            mechanism.value)):
                    raise ValidationError(gettext(
                            'crm_ext.msg_invalid_phone',
                            phone=mechanism.value,
                            party=mechanism.party.rec_name)) from exception
            raise

    def __getattr__(self, name):
        # the values of records browsed under access checks may come from
        # the cache filled by a search (not through read): mask them here
        value = super().__getattr__(name)
        if (value and isinstance(value, str) and name in self._crm_sensitive
                and self.id is not None and self.id >= 0
                and self._context.get('_crm_mask_reads')):
            type_ = self._crm_masked_type()
            if type_:
                value = mask_value(value, type_)
        return value

    def _crm_masked_type(self):
        """The type of the mechanism if masked, else None; computed once
        for the records browsed together (one query per group)"""
        transaction = Transaction()
        store = _MASKED.setdefault(transaction, {})
        known = store.setdefault((self._user, transaction.counter), {})
        if self.id not in known:
            ids = [i for i in getattr(self, '_ids', None) or []
                if i is not None and i >= 0 and i not in known][:1000]
            if self.id not in ids:
                ids.append(self.id)
            with transaction.set_user(self._user), \
                    transaction.set_context(self._context):
                masked = self._crm_masked_ids(ids)
            for id_ in ids:
                known[id_] = masked.get(id_)
        return known[self.id]

    @classmethod
    def _crm_masked_ids(cls, ids):
        "Return {mechanism id: type} of the mechanisms to mask"
        Party = Pool().get('party.party')
        transaction = Transaction()
        if not masking_active():
            return {}
        ids = [int(i) for i in ids if i is not None and int(i) >= 0]
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        rows = []
        for sub_ids in grouped_slice(ids, 1000):
            cursor.execute(*table.select(table.id, table.party, table.type,
                    where=fields.SQL_OPERATORS['in'](table.id, sub_ids)))
            rows.extend(cursor)
        masked_parties = Party._crm_masked_ids({r[1] for r in rows})
        return {i: t for i, p, t in rows if p in masked_parties}

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        if Transaction().user and (set(fields_names) & cls._crm_sensitive):
            masked = cls._crm_masked_ids(ids)
            if masked:
                types = masked
                for row in result:
                    if row['id'] in masked:
                        for name in cls._crm_sensitive & set(fields_names):
                            if row.get(name):
                                row[name] = mask_value(
                                    row[name], types[row['id']])
        return result

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        masked = cls._crm_masked_ids([r.id for r in records])
        if not masked:
            return super().export_data(records, fields_names, header=header)
        result = (super().export_data([], fields_names, header=True)
            if header else [])
        for record in records:
            rows = super().export_data([record], fields_names)
            if record.id in masked:
                for row in rows:
                    for i, name in enumerate(fields_names):
                        if name.split('/')[0] in cls._crm_sensitive \
                                and row[i]:
                            row[i] = mask_value(str(row[i]), record.type)
            result.extend(rows)
        return result


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'

    crm_sales_level = fields.Many2One(
        'crm.sales.level', "Sales Level", ondelete='SET NULL',
        help="Decides how many customers the salesperson may lock.")

    @classmethod
    def on_modification(cls, mode, employees, field_names=None):
        super().on_modification(mode, employees, field_names=field_names)
        Pool().get('party.party')._crm_context_cache.clear()


class Department(metaclass=PoolMeta):
    __name__ = 'oa.department'

    @classmethod
    def on_modification(cls, mode, departments, field_names=None):
        super().on_modification(mode, departments, field_names=field_names)
        Pool().get('party.party')._crm_context_cache.clear()


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def on_modification(cls, mode, users, field_names=None):
        super().on_modification(mode, users, field_names=field_names)
        Pool().get('party.party')._crm_context_cache.clear()


class Erase(metaclass=PoolMeta):
    """Erasure of a person's data on request (PIPL art. 47, SPEC X3)

    The customer's CRM data is erased with the party: the normalized name
    and code used to find duplicates, the stored phone numbers, what the
    contact records, appointments, opportunities, lock requests and their
    approvals say, the reasons of the ownership history. The records stay
    (anonymous), so that the salespeople's activity and funnel keep their
    counts. The customer leaves its owner's quota and its pool; the history
    records the erasure.

    The erasure is refused, with the reason, while the customer has open
    opportunities or pending lock requests, and while the law requires the
    company to keep records naming them: the sale orders and the accounting
    entries, for the retention period of the CRM configuration counted from
    the end of their fiscal year (the law's "except where laws require
    retention": until then the party stays inactive, its data only
    stored)."""
    __name__ = 'party.erase'

    def transition_erase(self):
        pool = Pool()
        Party = pool.get('party.party')
        History = pool.get('crm.ownership.history')
        self.check_erase_access()
        parties = self._crm_parties()
        owners = {p.id: p.owner for p in parties if p.ownership_state}
        state = super().transition_erase()
        if owners:
            History.record(Party.browse(list(owners)), 'erase', None,
                reason=gettext('crm_ext.msg_history_erased'),
                from_employees=owners)
        return state

    @classmethod
    def check_erase_access(cls):
        "Only the party administrators erase (the action's group)"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        # The wizard runs without access checks: the group of its action
        # is checked here
        if Transaction().user and ModelData.get_id(
                'party', 'group_party_admin') not in User.get_groups():
            raise AccessError(gettext('crm_ext.msg_erase_party_access'))

    def _crm_parties(self):
        "The party and the parties it replaced, as the erasure takes them"
        Party = Pool().get('party.party')
        parties = replacing = [self.ask.party]
        with inactive_records():
            while replacing:
                replacing = Party.search([
                        ('replaced_by', 'in', [p.id for p in replacing]),
                        ])
                parties = parties + replacing
        return parties

    def check_erase(self, party):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        LockRequest = pool.get('crm.lock.request')
        super().check_erase(party)
        opportunities = Opportunity.search([
                ('party', '=', party.id),
                ('state', 'in', ['lead', 'opportunity']),
                ], limit=3)
        if opportunities:
            raise EraseError(gettext(
                    'crm_ext.msg_erase_party_open_opportunity',
                    party=party.rec_name,
                    opportunities=', '.join(
                        o.rec_name for o in opportunities)))
        requests = LockRequest.search([
                ('party', '=', party.id),
                ('state', 'in', ['draft', 'pending']),
                ], limit=3)
        if requests:
            raise EraseError(gettext(
                    'crm_ext.msg_erase_party_pending_lock_request',
                    party=party.rec_name,
                    requests=', '.join(r.rec_name for r in requests)))

    def check_erase_company(self, party, company):
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        Sale = pool.get('sale.sale')
        Move = pool.get('account.move')
        Date = pool.get('ir.date')
        super().check_erase_company(party, company)
        years = Configuration(1).erase_retention_years
        if not years:
            return
        # The last record naming the party: a sale order (a contract) or
        # an accounting entry (a voucher)
        records = []
        for sale in Sale.search([
                    ['OR',
                        ('party', '=', party.id),
                        ('shipment_party', '=', party.id),
                        ],
                    ('company', '=', company.id),
                    ('state', '=', 'done'),
                    ], order=[('sale_date', 'DESC')], limit=1):
            records.append((sale.sale_date, gettext(
                        'crm_ext.msg_erase_record_sale',
                        number=sale.number)))
        for move in Move.search([
                    ('lines.party', '=', party.id),
                    ('company', '=', company.id),
                    ('state', '=', 'posted'),
                    ], order=[('date', 'DESC')], limit=1):
            records.append((move.date, gettext(
                        'crm_ext.msg_erase_record_move',
                        number=move.number or move.rec_name)))
        if not records:
            return
        date, record = max(records, key=lambda r: r[0])
        # The retention runs from the end of the fiscal year (the calendar
        # year in China)
        until = dt.date(date.year + years + 1, 1, 1)
        if Date.today() < until:
            raise EraseError(gettext(
                    'crm_ext.msg_erase_party_retention',
                    party=party.rec_name,
                    company=company.rec_name,
                    record=record,
                    record_date=date,
                    years=years,
                    date=until))

    def to_erase(self, party_id):
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        History = pool.get('crm.ownership.history')
        ContactRecord = pool.get('crm.contact_record')
        Comment = pool.get('crm.contact_record.comment')
        Event = pool.get('crm.event')
        Share = pool.get('crm.customer.share')
        LockRequest = pool.get('crm.lock.request')
        Instance = pool.get('oa.approval.instance')
        Task = pool.get('oa.approval.task')
        Opportunity = pool.get('sale.opportunity')
        Registration = pool.get('crm.registration')
        to_erase = super().to_erase(party_id)
        party_columns = [
            # what finds duplicates
            'crm_name_key', 'crm_initials', 'crm_uscc',
            # about the person
            'birthday', 'city', 'subdivision', 'crm_employer',
            'crm_job_title',
            # out of the owner's quota and of the pools
            'owner', 'owner_department', 'ownership_state', 'lock_date',
            'pool',
            ]
        opportunity_columns = [
            'description', 'comment', 'needs', 'lead_name', 'lead_contact',
            'lead_phone', 'lead_email', 'lead_ip']
        lock_request = [('document.party', '=', party_id, 'crm.lock.request')]
        to_erase.extend([
                (Party, [('id', '=', party_id)], False,
                    party_columns, [None] * len(party_columns)),
                # the phone numbers in E.164 that the duplicate check reads
                (ContactMechanism, [('party', '=', party_id)], False,
                    ['value_compact'], [None]),
                (History, [('party', '=', party_id)], False,
                    ['reason'], [None]),
                (ContactRecord, [('party', '=', party_id)], True,
                    ['subject', 'content', 'result'], ['****', '****', None]),
                (Comment, [('record.party', '=', party_id)], False,
                    ['text'], ['****']),
                (Event, [('party', '=', party_id)], True,
                    ['name', 'location', 'description'], ['****', None, None]),
                (Share, [('party', '=', party_id)], False,
                    ['comment'], [None]),
                (LockRequest, [('party', '=', party_id)], True,
                    ['reason', 'comment'], [None, None]),
                # their names copy the request's: customer - requester
                (Instance, lock_request, False, ['name'], ['****']),
                (Task, lock_request, False, ['name'], ['****']),
                (Opportunity, [('party', '=', party_id)], True,
                    opportunity_columns, [None] * len(opportunity_columns)),
                (Registration, [('customer', '=', party_id)], True,
                    ['customer_contact', 'email_body'], [None, None]),
                ])
        return to_erase
