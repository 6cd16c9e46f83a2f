"""Every write of inbound mail (E2, E3; security rules 1, 2, 5, 6).

``mail_receive`` is the one entry point of every receiver (SMTP, LMTP, IMAP): it
stores the raw bytes and commits the row first (``mail_store``), then processes in a
separate transaction (``mail_process``). Processing claims the row with a conditional
update, so it happens once; any exception rolls the work back, removes files it
wrote, and quarantines the message with the reason, so the next message still runs.

The raw message lives in the files storage under ``mail/raw/…`` rather than in a
BinaryField: messages run to 25 MB, the download streams from a file, the database
stays small for the queues, and the bytes are fsynced before the row commits.

Modules, in the order a message meets them: ``storing`` (raw bytes, then the row),
``reading`` (parse, split quotes, sanitise: outside any transaction), ``receiving`` (the
pipeline: claim, route, quarantine), ``appending`` (a message as a case update with its
files), ``care`` (the care queue: link, open a case, dismiss), ``batching`` (the
receiver's group commit: many messages stored in one transaction, then routed in one).
``_common`` holds the text limits they share. Submodules import each other, the mail
parsers and other apps' services and models; never this package's ``__init__`` and
never an interface. Callers import from here.
"""

from .batching import Incoming, mail_process_batch, mail_store_batch
from .care import (
    CARE_ROLES,
    mail_dismiss,
    mail_link_to_case,
    mail_open_case,
    mail_sender_contact,
)
from .receiving import mail_process, mail_process_pending, mail_receive, mail_receive_oversize
from .storing import mail_raw, mail_store

__all__ = [
    "CARE_ROLES",
    "Incoming",
    "mail_dismiss",
    "mail_link_to_case",
    "mail_open_case",
    "mail_process",
    "mail_process_batch",
    "mail_process_pending",
    "mail_raw",
    "mail_receive",
    "mail_receive_oversize",
    "mail_sender_contact",
    "mail_store",
    "mail_store_batch",
]
