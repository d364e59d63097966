# This file is part of the oa_workflow module.
"""Custom forms defined by consultants (SPEC OA-B)

``oa.form`` is also the reference example of a document that opts in to the
approval engine through ``ApprovalMixin``."""
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, DictSchemaMixin, ModelSQL, ModelView, fields,
    sequence_ordered)
from trytond.model.exceptions import AccessError
from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.pyson import Eval

from .approval import ApprovalMixin
from .rec_name import RecNameSearchMixin
from .requester import RequesterMixin

EDITABLE = {'none', 'returned', 'withdrawn', 'rejected', 'cancelled'}
APPROVAL_FIELDS = {'approval_state', 'approval_instance', 'approval_number'}


class FormType(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Form Type"
    __name__ = 'oa.form.type'
    __string__ = "Form Type"

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", strip=True)
    description = fields.Text("Description", translate=True)
    fields_ = fields.One2Many('oa.form.field', 'form_type', "Fields")
    flow = fields.Many2One(
        'oa.approval.flow', "Approval Flow", ondelete='RESTRICT',
        domain=[('model', '=', 'oa.form')],
        help="The flow used for the forms of this type, before any other "
        "(its condition still applies); when empty, the first flow, in "
        "the flows' order, that names this form type and whose condition "
        "matches.")


class FormField(DictSchemaMixin, sequence_ordered(), ModelSQL, ModelView):
    "Form Field"
    __name__ = 'oa.form.field'
    __string__ = "Form Field"

    form_type = fields.Many2One(
        'oa.form.type', "Form Type", required=True, ondelete='CASCADE')
    required = fields.Boolean(
        "Required", help="The field must be filled to submit the form.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        selection = list(cls.type_.selection)
        index = [k for k, _ in selection].index('char') + 1
        selection.insert(index, ('text', "Long Text"))
        cls.type_.selection = selection

    @classmethod
    def get_keys(cls, records):
        keys = super().get_keys(records)
        for key in keys:
            if key['type'] == 'text':
                # the clients have no multi-line widget for dictionaries
                key['type'] = 'char'
            # the clients order the fields by sequence only: the order of
            # the form type's list (sequence, then creation) as one number
            key['sequence'] = (key['sequence'] or 0) * 2 ** 24 + key['id']
        return keys

    @classmethod
    def default_required(cls):
        return False


class Form(RecNameSearchMixin, RequesterMixin, ApprovalMixin, ModelSQL,
        ModelView):
    "Form"
    __name__ = 'oa.form'
    __string__ = "Form"
    _rec_name_search_fields = ['form_type.name', 'subject', 'approval_number']
    _approval_summary_fields = [
        'form_type', 'subject', 'employee', 'date', 'data_text']

    _states = {
        'readonly': ~Eval('approval_state', 'none').in_(list(EDITABLE)),
        }

    form_type = fields.Many2One(
        'oa.form.type', "Form Type", required=True, ondelete='RESTRICT',
        states=_states)
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states=_states)
    requester = fields.Many2One(
        'res.user', "Requester", required=True, readonly=True,
        ondelete='RESTRICT')
    employee = fields.Many2One(
        'company.employee', "Employee", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))], states=_states)
    date = fields.Date("Date", required=True, states=_states)
    subject = fields.Char("Subject", states=_states)
    data = fields.Dict(
        'oa.form.field', "Fields",
        domain=[('form_type', '=', Eval('form_type', -1))],
        states=_states)
    data_text = fields.Char(
        "Content", readonly=True,
        help="The values of the fields as text, to search and export.")

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    def get_rec_name(self, name):
        parts = [self.form_type.rec_name]
        if self.subject:
            parts.append(self.subject)
        if self.approval_number:
            parts.append(self.approval_number)
        else:
            parts.append('#%s' % self.id)
        return ' - '.join(parts)

    @fields.depends('form_type', 'data')
    def on_change_form_type(self):
        "Show every field of the form type, keeping the values it has"
        if self.form_type:
            data = self.data or {}
            self.data = {
                f.name: data.get(f.name) for f in self.form_type.fields_}

    @classmethod
    def _text_of(cls, form_type_id, data):
        pool = Pool()
        Field = pool.get('oa.form.field')
        if not data:
            return ''
        domain = [('name', 'in', list(data))]
        if form_type_id:
            domain.append(('form_type', '=', form_type_id))
        labels = {f.name: f for f in Field.search(
                domain, order=[('sequence', 'ASC NULLS FIRST')])}
        parts = []
        for name in sorted(
                data, key=lambda n: (
                    labels[n].sequence or 0 if n in labels else 0, n)):
            value = data[name]
            if value is None or value == '' or value == []:
                continue
            if isinstance(value, (list, tuple)):
                value = ', '.join(map(str, value))
            field = labels.get(name)
            parts.append('%s: %s' % (field.string if field else name, value))
        return '; '.join(parts)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'data' in values:
            values['data_text'] = cls._text_of(
                values.get('form_type'), values['data'])
        return values

    @classmethod
    def check_modification(cls, mode, forms, values=None, external=False):
        super().check_modification(
            mode, forms, values=values, external=external)
        if mode == 'delete' or (
                mode == 'write' and set(values or {}) - APPROVAL_FIELDS):
            for form in forms:
                if form.approval_state not in EDITABLE:
                    raise AccessError(gettext(
                            'oa_workflow.msg_form_modify_submitted',
                            form=form.rec_name))

    # Approval hooks
    def approval_flows(self):
        "The form type's flow, or the flows naming the form type"
        if not self.form_type:
            return []
        flow = self.form_type.flow
        if flow and flow.active:
            return [flow]
        return [f for f in super().approval_flows()
            if self.form_type.id in f.definition()['form_types']]

    @fields.depends('form_type', 'company', 'requester', 'employee', 'data',
        'subject', 'date', 'approval_state')
    def on_change_with_approval_preview_flow(self, name=None):
        name = 'approval_preview_flow'
        return self.get_approval_preview([self], [name])[name][self.id]

    @fields.depends('form_type', 'company', 'requester', 'employee', 'data',
        'subject', 'date', 'approval_state')
    def on_change_with_approval_preview(self, name=None):
        name = 'approval_preview'
        return self.get_approval_preview([self], [name])[name][self.id]

    @classmethod
    def approval_check_submit(cls, forms):
        super().approval_check_submit(forms)
        for form in forms:
            data = form.data or {}
            for field in form.form_type.fields_:
                value = data.get(field.name)
                if field.required and (
                        value is None or value == '' or value == []):
                    raise UserError(gettext(
                            'oa_workflow.msg_form_field_required',
                            field=field.string,
                            form=form.form_type.rec_name))

    @classmethod
    def copy(cls, forms, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('date', cls.default_date())
        default.setdefault('requester', cls.default_requester())
        return super().copy(forms, default=default)
