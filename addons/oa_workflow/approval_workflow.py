# This file is part of the oa_workflow module.
"""Documents whose approval outcomes are transitions of their workflow

A document lists in ``_approval_transitions`` the name of the transition
(a classmethod taking the records) each outcome of the approval engine runs::

    class Requisition(ApprovalWorkflowMixin, Workflow, ModelSQL, ModelView):
        _approval_transitions = {
            'approved': 'issue',
            'rejected': 'reject',
            'returned': 'draft',
            ...
            }

The transition runs without access check: the approver may not be allowed
to write the document otherwise. An outcome not listed does nothing; a
document overrides the hook of an outcome that is not a transition."""
from trytond.transaction import without_check_access

from .approval import ApprovalMixin


def _transition_hook(outcome):
    "The hook approval_<outcome> running the transition mapped to outcome"
    name = 'approval_' + outcome

    def hook(cls, records):
        getattr(super(ApprovalWorkflowMixin, cls), name)(records)
        transition = cls._approval_transitions.get(outcome)
        if transition:
            with without_check_access():
                getattr(cls, transition)(records)
    hook.__name__ = hook.__qualname__ = name
    return classmethod(hook)


class ApprovalWorkflowMixin(ApprovalMixin):
    __slots__ = ()
    # {outcome: name of the transition classmethod}
    _approval_transitions = {}

    approval_submitted = _transition_hook('submitted')
    approval_approved = _transition_hook('approved')
    approval_rejected = _transition_hook('rejected')
    approval_returned = _transition_hook('returned')
    approval_withdrawn = _transition_hook('withdrawn')
    approval_cancelled = _transition_hook('cancelled')
