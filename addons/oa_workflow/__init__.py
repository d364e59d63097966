# This file is part of the oa_workflow module.
