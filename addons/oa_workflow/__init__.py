# This file is part of the oa_workflow module.
from . import tryton_fixes  # noqa: F401
from . import routes  # noqa: F401
