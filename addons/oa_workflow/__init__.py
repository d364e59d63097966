# This file is part of the oa_workflow module.
from . import routes  # noqa: F401
