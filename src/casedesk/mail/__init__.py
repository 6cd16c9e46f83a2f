"""Inbound e-mail and reference IDs (E2, E3): storing, parsing under limits, sanitising, sender
authentication, routing replies to cases, and the care queue's actions.

``smtp`` (SMTP/LMTP receiver) and ``imap`` (poller) are this domain's protocol adapters. The
care queue's screens live in ``console/care``. May import: the other domain apps, ``policy`` and
``core``. Never an interface.
"""
