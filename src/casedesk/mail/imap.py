"""The IMAP poller (stdlib imaplib): a mailbox as the inbound source (E2, E3, rule 6).

Each poll selects the folder, searches UNSEEN, and imports the messages in bounded
batches: ``BODY.PEEK[]`` (peek: the server does not mark it read yet), ``mail_receive``,
and only after the raw message is committed, ``\\Seen`` (or a move to
``CASEDESK_IMAP_MOVE_TO``). A message is imported once: its key is the server, user,
folder, UIDVALIDITY and UID, stored unique on the row, so a crash between storing and
flagging, or a message marked unread again, never makes a duplicate; the same message
in two UIDs of the mailbox (same Message-ID, delivered twice) is stored once. One failing
message is logged and left unseen for the next poll; the batch goes on. A message over
the size limit is not downloaded: its header is stored and quarantined for care, and
the message stays in the mailbox.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from casedesk.core import clock

from .models import InboundMessage
from .parsing import mail_limits
from .services import mail_receive, mail_receive_oversize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str
    ssl: bool = True
    folder: str = "INBOX"
    move_to: str = ""

    @classmethod
    def from_settings(cls) -> ImapConfig:
        use_ssl = bool(settings.IMAP_SSL)
        return cls(
            host=settings.IMAP_HOST,
            port=settings.IMAP_PORT or (993 if use_ssl else 143),
            user=settings.IMAP_USER,
            password=settings.IMAP_PASSWORD,
            ssl=use_ssl,
            folder=settings.IMAP_FOLDER or "INBOX",
            move_to=settings.IMAP_MOVE_TO,
        )


@dataclass
class PollReport:
    imported: int = 0
    already_imported: int = 0
    failed: int = 0
    states: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"imported {self.imported}, already imported {self.already_imported}, "
            f"failed {self.failed}"
        )


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(data: list) -> bytes:
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2:
            return bytes(item[1])
    raise imaplib.IMAP4.error("FETCH returned no message data")


def _size(data: list) -> int:
    text = b" ".join(x if isinstance(x, bytes) else x[0] for x in data if x)
    match = re.search(rb"RFC822\.SIZE (\d+)", text)
    return int(match[1]) if match else 0


class _Mailbox:
    def __init__(self, config: ImapConfig, timeout: float) -> None:
        self.config = config
        cls = imaplib.IMAP4_SSL if config.ssl else imaplib.IMAP4
        self.conn = cls(config.host, config.port, timeout=timeout)
        self.conn.login(config.user, config.password)
        typ, _ = self.conn.select(_quote(config.folder))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot select {config.folder}")
        self.uidvalidity = (self.conn.response("UIDVALIDITY")[1] or [b"0"])[0].decode()

    @property
    def name(self) -> str:
        """The mailbox, for Message-ID deduplication (``mail_store``'s ``mailbox``)."""
        c = self.config
        return f"imap:{c.host}:{c.port}/{c.user}/{c.folder}"

    def key(self, uid: bytes) -> str:
        c = self.config
        return f"{c.host}:{c.port}/{c.user}/{c.folder}/{self.uidvalidity}/{uid.decode()}"

    def unseen(self) -> list[bytes]:
        typ, data = self.conn.uid("SEARCH", None, "UNSEEN")
        if typ != "OK":
            raise imaplib.IMAP4.error("SEARCH failed")
        return data[0].split() if data and data[0] else []

    def fetch(self, uid: bytes, what: str) -> list:
        typ, data = self.conn.uid("FETCH", uid, what)
        if typ != "OK" or not data or data == [None]:
            raise imaplib.IMAP4.error(f"FETCH {what} failed for UID {uid!r}")
        return data

    def done(self, uid: bytes) -> None:
        """Out of the unseen set: moved away, or flagged \\Seen."""
        target = self.config.move_to
        if target:
            typ, _ = self.conn.uid("MOVE", uid, _quote(target))
            if typ == "OK":
                return
            typ, _ = self.conn.uid("COPY", uid, _quote(target))
            if typ == "OK":
                self.conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted \Seen)")
                self.conn.expunge()
                return
            log.warning("IMAP: could not move UID %s to %s; flagging it seen", uid, target)
        self.conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")

    def close(self) -> None:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self.conn.logout()


def mail_poll(
    *,
    config: ImapConfig | None = None,
    batch_size: int = 50,
    max_messages: int = 500,
    timeout: float = 60.0,
    now: Callable[[], object] = clock.now,
) -> PollReport:
    """One poll of the mailbox; connection errors propagate, message errors do not."""
    config = config or ImapConfig.from_settings()
    limit = mail_limits().max_bytes
    report = PollReport()
    box = _Mailbox(config, timeout)
    try:
        uids = box.unseen()[:max_messages]
        for start in range(0, len(uids), batch_size):
            for uid in uids[start : start + batch_size]:
                try:
                    state = _import(box, uid, limit, now, report)
                except (imaplib.IMAP4.abort, OSError):
                    raise  # the connection is gone: the next poll starts over
                except Exception:
                    log.exception("IMAP: UID %s not imported; left unseen for the next poll", uid)
                    report.failed += 1
                    continue
                report.states[state] = report.states.get(state, 0) + 1
    finally:
        box.close()
    return report


def _import(
    box: _Mailbox, uid: bytes, limit: int, now: Callable[[], object], report: PollReport
) -> str:
    key = box.key(uid)
    existing = InboundMessage.objects.filter(dedupe_key=key).only("state").first()
    if existing is not None:
        box.done(uid)
        report.already_imported += 1
        return existing.state
    size = _size(box.fetch(uid, "(RFC822.SIZE)"))
    common = {
        "source": "imap",
        "envelope_from": None,
        "envelope_to": box.config.user,
        "mailbox": box.name,
    }
    if size > limit:
        head = _literal(box.fetch(uid, "(BODY.PEEK[HEADER])"))
        message = mail_receive_oversize(
            head=head,
            size=size,
            dedupe_key=key,
            now=now(),
            **common,  # type: ignore[arg-type]
        )
    else:
        raw = _literal(box.fetch(uid, "(BODY.PEEK[])"))
        message = mail_receive(raw=raw, dedupe_key=key, now=now(), **common)  # type: ignore[arg-type]
    box.done(uid)
    if message.dedupe_key == key:
        report.imported += 1
    else:  # the same message under another UID was imported before
        report.already_imported += 1
    return message.state
