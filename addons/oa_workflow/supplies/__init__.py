# This file is part of the oa_workflow module.
"""Office supplies (SPEC OA-G1)"""
