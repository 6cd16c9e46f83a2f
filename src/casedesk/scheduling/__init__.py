"""Durable deadlines (C3-C8): rows with an indexed ``due_at``, claimed under a lease, run
exactly once in effect by ``casedesk worker``; handlers register by kind.

May import: the other domain apps, ``policy`` and ``core``. Never an interface.
"""
