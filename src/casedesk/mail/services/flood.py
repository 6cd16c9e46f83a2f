"""Inbound flood limits (issue 15, item 4; rule 6): more than ``MAIL_FLOOD_PER_SENDER``
messages from one address, or ``MAIL_FLOOD_PER_CASE`` naming one case, inside a minute
are held in the care queue, and care admins get one alert mail per sender or case an hour.

Counted in the database, over the rows already received in the minute before this one
(by the message's own ``received_at``, so the casedesk clock rules and every receiver
process sees the same counts); the cache counters of ``core.ratelimit`` are per process
and run on the wall clock. Automatic mail (auto-replies, bounces, loops) is decided
before this and keeps its handling.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from casedesk.accounts.models import Role, User
from casedesk.cases.models import Case
from casedesk.notifications.models import OutboundMessage
from casedesk.notifications.rendering import new_message_id
from casedesk.notifications.services import outbox_enqueue

from ..models import InboundMessage, State

WINDOW = dt.timedelta(minutes=1)
PER_SENDER = 10
PER_CASE = 20


def _recent(message: InboundMessage) -> object:
    return InboundMessage.objects.filter(
        received_at__gt=message.received_at - WINDOW,
        received_at__lte=message.received_at,
        pk__lt=message.pk,
    ).exclude(state=State.IGNORED)


def flood_reason(message: InboundMessage, case: Case | None) -> tuple[str, str, str] | None:
    """``(code, what, reason)`` when this message is over a limit, else None."""
    per_sender = int(getattr(settings, "MAIL_FLOOD_PER_SENDER", PER_SENDER))
    per_case = int(getattr(settings, "MAIL_FLOOD_PER_CASE", PER_CASE))
    address = message.from_address
    if address and per_sender > 0:
        count = _recent(message).filter(from_address=address).count()  # type: ignore[attr-defined]
        if count >= per_sender:
            return _sender_flood(address, per_sender)
    if case is not None and per_case > 0:
        count = _recent(message).filter(case_id=case.pk).count()  # type: ignore[attr-defined]
        if count >= per_case:
            return _case_flood(case, per_case)
    return None


def _sender_flood(address: str, limit: int) -> tuple[str, str, str]:
    return (
        "flood_sender",
        address,
        f"Held: more than {limit} messages from {address} within a minute "
        "(flood limit). Check the sender, then link or dismiss.",
    )


def _case_flood(case: Case, limit: int) -> tuple[str, str, str]:
    return (
        "flood_case",
        case.number,
        f"Held: more than {limit} messages for {case.number} within a minute "
        "(flood limit). Check the senders, then link or dismiss.",
    )


class FloodCounts:
    """``flood_reason`` for a batch with one query (issue 17, item 2): the rows of the batch's
    minute from its senders or for its cases (pk, time, sender, case), counted here per
    message; the messages of the batch decided before one count as its rows would (their
    rows carry no sender nor case yet)."""

    def __init__(self, batch: list[tuple[InboundMessage, Case | None]]) -> None:
        self.per_sender = int(getattr(settings, "MAIL_FLOOD_PER_SENDER", PER_SENDER))
        self.per_case = int(getattr(settings, "MAIL_FLOOD_PER_CASE", PER_CASE))
        senders = (
            {m.from_address for m, _ in batch if m.from_address} if self.per_sender > 0 else ()
        )
        cases = {c.pk for _, c in batch if c is not None} if self.per_case > 0 else ()
        rows: list[tuple[int, dt.datetime, str, int | None]] = []
        if batch and (senders or cases):
            rows = list(
                InboundMessage.objects.filter(
                    received_at__gt=min(m.received_at for m, _ in batch) - WINDOW,
                    received_at__lte=max(m.received_at for m, _ in batch),
                    pk__lt=max(m.pk for m, _ in batch),
                )
                .filter(Q(from_address__in=senders) | Q(case_id__in=cases))
                .exclude(state=State.IGNORED)
                .values_list("pk", "received_at", "from_address", "case_id")
            )
        self.rows: dict[tuple[int, object], list] = {}  # (column, value) -> its rows
        for row in rows:
            self._add(row)

    def _add(self, row: tuple[int, dt.datetime, str, int | None]) -> None:
        self.rows.setdefault((2, row[2]), []).append(row)
        if row[3] is not None:
            self.rows.setdefault((3, row[3]), []).append(row)

    def _count(self, message: InboundMessage, column: int, value: object) -> int:
        low, high = message.received_at - WINDOW, message.received_at
        rows = self.rows.get((column, value), ())
        return sum(1 for row in rows if row[0] < message.pk and low < row[1] <= high)

    def reason(self, message: InboundMessage, case: Case | None) -> tuple[str, str, str] | None:
        """As ``flood_reason``."""
        address = message.from_address
        if address and self.per_sender > 0:
            count = self._count(message, 2, address)
            if count >= self.per_sender:
                return _sender_flood(address, self.per_sender)
        if case is not None and self.per_case > 0:
            count = self._count(message, 3, case.pk)
            if count >= self.per_case:
                return _case_flood(case, self.per_case)
        return None

    def decided(self, message: InboundMessage) -> None:
        """``message`` (of the batch) has its end state: later ones count it, as its row."""
        if message.state != State.IGNORED:
            self._add((message.pk, message.received_at, message.from_address, message.case_id))


def _care_addresses() -> list[str]:
    care = User.objects.filter(role=Role.CARE, is_active=True).exclude(email="")
    addresses = sorted({u.email.lower() for u in care})
    if addresses:
        return addresses
    managers = User.objects.filter(role=Role.MANAGER, is_active=True).exclude(email="")
    return sorted({u.email.lower() for u in managers})


def flood_alert(*, code: str, what: str, reason: str, now: dt.datetime) -> None:
    """One alert mail per recipient, sender or case, and hour (the outbox's idempotency key),
    in the transaction that held the message."""
    try:
        queue = settings.SITE_URL.rstrip("/") + reverse("console-mail")
    except NoReverseMatch:  # pragma: no cover - the console is always installed
        queue = settings.SITE_URL
    digest = hashlib.sha256(what.lower().encode()).hexdigest()[:24]
    rows = [
        OutboundMessage(
            kind="mail_flood",
            to=[recipient],
            subject=f"Inbound mail held: flood limit ({what})"[:400],
            text_body=(
                f"{reason}\n\nMessages over the limit wait in the mail care queue, and "
                f"further ones this hour are held without another alert:\n{queue}\n"
            ),
            message_id=new_message_id("mail_flood"),
            idempotency_key=f"mail-flood:{code}:{digest}:{now:%Y%m%d%H}:{recipient}"[:300],
            next_attempt_at=now,
            created_at=now,
        )
        for recipient in _care_addresses()
    ]
    outbox_enqueue(rows=rows)
