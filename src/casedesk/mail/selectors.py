"""Reads of inbound mail, for Customer Care and managers only (E3; rule 3).

Anyone else — engineers, contacts — is answered exactly as for a message that does
not exist. The queue lists what waits for care, oldest first, a page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from casedesk.core.errors import NotFound

from .models import CARE_STATES, InboundMessage, State
from .services import CARE_ROLES

PAGE_SIZE = 50
LIST_FIELDS = (
    "id", "state", "reason_code", "reason", "received_at", "size", "source",
    "from_address", "from_name", "subject", "case_id",
)  # fmt: skip


def may_handle_mail(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in CARE_ROLES)


@dataclass
class MailPage:
    items: list[InboundMessage]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def care_queue(user: Any, *, view: str = "care", page: int = 1) -> MailPage:
    """``care``: waiting for care, oldest first; ``handled``/``all``: newest first."""
    if not may_handle_mail(user):
        raise NotFound("Not found.")
    qs = InboundMessage.objects.only(*LIST_FIELDS)
    if view == "care":
        qs = qs.filter(state__in=CARE_STATES).order_by("received_at", "id")
    elif view == "handled":
        qs = qs.exclude(state__in=[*CARE_STATES, State.RECEIVED]).order_by("-received_at", "-id")
    else:
        qs = qs.order_by("-received_at", "-id")
    page = max(1, min(page, 10_000))
    start = (page - 1) * PAGE_SIZE
    rows = list(qs[start : start + PAGE_SIZE + 1])
    return MailPage(items=rows[:PAGE_SIZE], number=page, has_next=len(rows) > PAGE_SIZE)


def care_queue_count(user: Any) -> int:
    if not may_handle_mail(user):
        return 0
    return InboundMessage.objects.filter(state__in=CARE_STATES).count()


def access_inbound(user: Any, pk: int) -> InboundMessage:
    """The message if ``user`` is care or a manager; otherwise NotFound, like a missing one."""
    if not may_handle_mail(user):
        raise NotFound("Not found.")
    message = (
        InboundMessage.objects.select_related("case", "sender", "handled_by").filter(pk=pk).first()
    )
    if message is None:
        raise NotFound("Not found.")
    return message
