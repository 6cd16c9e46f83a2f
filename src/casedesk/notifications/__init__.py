"""Outbound mail (E1): the outbox written in the change's transaction, rendering at send time, SMTP
sending with back-off, and the satisfaction survey (F7).

Its templates are e-mails rendered by the outbox, never pages. May import: the other domain
apps, ``policy`` and ``core``. Never an interface.
"""
