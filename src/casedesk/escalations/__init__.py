"""Management escalation requests (C6, E4): explained eligibility, the request, a manager's
state and outcome.

May import: the other domain apps, ``policy`` and ``core``. Never an interface.
"""
