"""Cases and their timeline (B1-B11): models, services (every write), selectors (every read,
scoped) and permissions (the one visibility rule, security rule 3).

May import: the other domain apps, ``policy`` and ``core``. Never an interface.
"""
