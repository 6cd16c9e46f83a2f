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
            return (
                "flood_sender",
                address,
                f"Held: more than {per_sender} messages from {address} within a minute "
                "(flood limit). Check the sender, then link or dismiss.",
            )
    if case is not None and per_case > 0:
        count = _recent(message).filter(case_id=case.pk).count()  # type: ignore[attr-defined]
        if count >= per_case:
            return (
                "flood_case",
                case.number,
                f"Held: more than {per_case} messages for {case.number} within a minute "
                "(flood limit). Check the senders, then link or dismiss.",
            )
    return None


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
