"""The care queue (E3): care links a waiting message to a case, opens a case from it,
or dismisses it; each action claims the message once and leaves an ``AuditEvent``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from casedesk.accounts.models import AuditEvent, Role, User
from casedesk.cases.models import Case, Channel
from casedesk.cases.permissions import is_participant
from casedesk.cases.services import CaseDraft, case_open
from casedesk.core.errors import NotFound, PolicyViolation
from casedesk.files.storage import get_storage

from ..models import CARE_STATES, InboundMessage, State
from ..routing import sender_verdict
from ._common import _CONTROL
from .appending import _append, _attach
from .reading import _parsed_parts

CARE_ROLES = (Role.CARE, Role.MANAGER)


def _require_care(actor: User) -> None:
    if not actor.is_active or actor.role not in CARE_ROLES:
        raise NotFound("No such message.")


def _claim_for_care(message: InboundMessage) -> InboundMessage:
    locked = InboundMessage.objects.select_for_update().filter(pk=message.pk).first()
    if locked is None:
        raise NotFound("No such message.")
    if locked.state not in CARE_STATES:
        raise PolicyViolation(
            f"This message was already handled ({locked.get_state_display().lower()})."
        )
    return locked


def _audit(actor: User, action: str, message: InboundMessage, reason: str, now: dt.datetime,
           **data: Any) -> None:  # fmt: skip
    AuditEvent.objects.create(
        at=now,
        actor=actor,
        action=action,
        subject=f"inbound mail #{message.pk} from {message.from_address or 'unknown sender'}",
        reason=reason,
        data={"inbound_id": message.pk, "subject": message.subject[:200], **data},
    )


def _handled(message: InboundMessage, state: str, actor: User, note: str, now: dt.datetime) -> None:
    message.state = state
    message.handled_by = actor
    message.handled_at = now
    message.handled_note = note
    message.save()


def mail_link_to_case(
    *, message: InboundMessage, case: Case, actor: User, now: dt.datetime
) -> InboundMessage:
    """Care links a waiting message to a case (E3).

    A sender who is a participant of that case appears as the author of a customer
    update (it moves Awaiting Info → Open like any reply) — only if the message passed
    sender authentication. Anyone else's mail, and every unauthenticated or quarantined
    message, becomes an internal note by the care admin, without its files.
    """
    _require_care(actor)
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = _claim_for_care(message)
            sender = User.objects.filter(
                email__iexact=locked.from_address or "-", is_active=True, role=Role.CONTACT
            ).first()
            parts = [] if locked.state == State.QUARANTINED else _parsed_parts(locked)
            participant = sender is not None and is_participant(sender, case)
            if sender is not None and participant and _sender_trusted(locked):
                _append(locked, case=case, actor=sender, parts=parts, now=now, written=written,
                        linked_by=actor.email)  # fmt: skip
                note = f"Linked to {case.number} as an update by {sender.email}."
            else:
                why = "the sender is not authenticated" if participant else "not from a participant"
                prefix = (
                    f"E-mail from {locked.from_address or 'an unknown sender'} "
                    f"(subject “{locked.subject}”), linked by care; {why}.\n\n"
                )
                _append(locked, case=case, actor=actor, parts=parts, now=now, written=written,
                        internal=True, prefix=prefix, linked_by=actor.email)  # fmt: skip
                note = f"Linked to {case.number} as an internal note."
            locked.case = case
            _handled(locked, State.LINKED, actor, note, now)
            _audit(actor, "mail.linked", locked, note, now, case=case.number)
    except Exception:
        storage = get_storage()
        for key in written:
            storage.delete(key)
        raise
    return locked


UNAUTHENTICATED_CODES = {"auth_failed", "not_authenticated", "sender_unclear"}


def _sender_trusted(message: InboundMessage) -> bool:
    """May this message speak as its From address? (security fix "auth-failed mail linked
    as the participant's update"). Not when it failed or never reached sender
    authentication (quarantined), nor when its topmost Authentication-Results does not pass.
    """
    if message.state != State.NEEDS_CARE or message.reason_code in UNAUTHENTICATED_CODES:
        return False
    results = [v for n, v in message.headers if n.lower() == "authentication-results"]
    return sender_verdict(results, message.from_address).passed


def mail_open_case(
    *, message: InboundMessage, actor: User, draft: CaseDraft, now: dt.datetime
) -> Case:
    """Care opens a case from a new e-mail of a registered contact (E3, A8), channel e-mail."""
    _require_care(actor)
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = _claim_for_care(message)
            contact = mail_sender_contact(locked)
            if contact is None:
                raise PolicyViolation(
                    "The sender is not a registered, active contact; only contacts open cases "
                    "(A8). Refer them to their partner, or dismiss the message."
                )
            case = case_open(
                contact=contact, draft=draft, now=now, opened_by=actor, channel=Channel.EMAIL
            )
            note = f"Opened {case.number} for {contact.email}."
            if _sender_trusted(locked):
                _attach(case=case, actor=contact, parts=_parsed_parts(locked), now=now,
                        written=written)  # fmt: skip
            elif locked.parts:
                # Unauthenticated: the files would appear as the contact's own uploads.
                note += (
                    f" {len(locked.parts)} attachment(s) kept with the mail: the sender "
                    "is not authenticated."
                )
            locked.case = case
            _handled(locked, State.CASE_OPENED, actor, note, now)
            _audit(actor, "mail.case_opened", locked, note, now, case=case.number)
    except Exception:
        storage = get_storage()
        for key in written:
            storage.delete(key)
        raise
    return case


def mail_dismiss(
    *, message: InboundMessage, actor: User, reason: str, now: dt.datetime
) -> InboundMessage:
    """Care dismisses a waiting message with a reason; the raw message stays stored."""
    _require_care(actor)
    if not reason.strip():
        raise PolicyViolation("Say why the message is dismissed.", field="reason")
    if _CONTROL.search(reason):
        raise PolicyViolation("Remove the control characters from this text.", field="reason")
    with transaction.atomic():
        locked = _claim_for_care(message)
        _handled(locked, State.DISMISSED, actor, reason.strip()[:2000], now)
        _audit(actor, "mail.dismissed", locked, reason.strip()[:2000], now)
    return locked


def mail_sender_contact(message: InboundMessage) -> User | None:
    """The active contact whose address sent the message, if any."""
    if not message.from_address:
        return None
    return (
        User.objects.filter(email__iexact=message.from_address, is_active=True, role=Role.CONTACT)
        .select_related("organisation")
        .first()
    )
