"""Demo and benchmark data for the CRM + OA suite (SPEC X5)."""
