# This file is part of the oa_workflow module.
"""Documents deleted only in some states

A model using ``DeletableStatesMixin`` names the states in
``_deletable_states`` and the ir.message refusing the others in
``_delete_message``: its keyword ``_delete_message_name`` takes the record's
name::

    class Requisition(DeletableStatesMixin, Workflow, ModelSQL, ModelView):
        _deletable_states = {'draft', 'cancelled'}
        _delete_message = 'oa_workflow.msg_supply_requisition_delete'
        _delete_message_name = 'requisition'
"""
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError


class DeletableStatesMixin(object):
    "Refuse to delete the records whose state is not deletable"
    __slots__ = ()
    _deletable_states = {'draft', 'cancelled'}
    _delete_message = None
    _delete_message_name = 'record'

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if mode == 'delete':
            for record in records:
                if record.state not in cls._deletable_states:
                    raise AccessError(gettext(cls._delete_message, **{
                                cls._delete_message_name: record.rec_name}))
