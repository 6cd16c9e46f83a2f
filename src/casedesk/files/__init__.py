"""Attachments (D1, D3, D4, C7): storage, resumable-upload state (offsets, locks, checksums,
expiry), downloads' access rule, and the purge. ``tus_client`` is the client that
``casedesk upload`` and the tests use.

The HTTP protocol endpoints live in ``api/transfer``. May import: the other domain apps,
``policy`` and ``core``. Never an interface.
"""
