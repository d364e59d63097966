# This file is part of the oa_workflow module.
"""Meeting rooms (SPEC OA-E1 .. E3)"""
