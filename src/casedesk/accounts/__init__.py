"""Who is who: organisations, sites, contracts and grace periods, contacts and staff (A1-A8).

Also refusals, certifications, API tokens and the audit log. Services own every write,
selectors every read (``contract_maintenance``, ``contracts_with_maintenance``, token lookup).

May import: ``policy`` and ``core``, and ``notifications.accounts`` to queue account mail
(invitations, password-reset links) in the outbox. Never an interface (``portal``,
``console``, ``api``, ``web``).
"""
