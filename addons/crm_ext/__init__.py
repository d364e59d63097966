# This file is part of the crm_ext module.
