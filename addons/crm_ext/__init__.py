# This file is part of the crm_ext module.
from . import routes  # noqa: F401
