# This file is part of the oa_workflow module.
"Helpers shared by the tests of the office modules"
from trytond.pool import Pool


def create_flow(model, name, approver, step="主管审批"):
    "An approval flow of one step, decided by the approver, for the model"
    Flow = Pool().get('oa.approval.flow')
    flow, = Flow.create([{
                'name': name,
                'model': model,
                'steps': [('create', [{
                                'name': step,
                                'approver_type': 'users',
                                'users': [('add', [approver.id])],
                                }])],
                }])
    return flow
