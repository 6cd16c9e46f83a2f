"""Queue case notifications in the outbox, inside the caller's transaction (E1, E4; rule 7).

``notify_case_event`` is called right where a ``CaseEvent`` is created (and
``notify_case_events`` for a worker batch's many events, one INSERT for all). It decides
who hears about the event — recipients are fixed at event time — and inserts one outbox
row per recipient with what the send pump needs to render the mail just before sending
(ADR 0004); the worker sends them after commit. Who gets what:

- the case contact: opened (with the reference ID), support's public replies, information
  requested, solution proposed, follow-ups #1/#2, the final notice (#3) of an automatic
  close, closed (both with the survey link), re-opened;
- the assigned engineer: customer updates (unless they wrote it);
- the management address (``CASEDESK_MANAGEMENT_EMAIL``): escalation requests (E4);
- the assigned engineer and every active manager: SLA milestone warnings and breaches,
  never for a closed case (C9) — the engineer a message of their own (their case), the
  managers one message with their addresses in the envelope only (``bcc``);
- the engineers of the centre serving a new case now (follow the sun, C2): "new case";
  for a Critical case they and the centre's on-call engineers get "urgent case", around
  the clock — as **one** message with the engineers in the SMTP envelope only (``bcc``),
  so they never see each other's addresses, and an opening costs two messages, not one
  per engineer (issue 17 item 4); a case still unassigned later goes to the region's
  queue owners (B, C3), likewise as one message in ``bcc``.

One message to many in ``bcc`` is for staff mail whose text never names its reader
(``Planned.undisclosed``); its recipients are exactly those of the rule, split into
messages of at most ``MAX_RECIPIENTS``.

Internal notes, assignments and other internal events mail nobody outside support.
Events whose ``data`` carries ``"auto_submitted": true`` (the inbound path recording an
auto-reply) mail nobody, so two robots cannot answer each other forever.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from casedesk.accounts.models import Role, User
from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.core.errors import PolicyViolation
from casedesk.core.rows import Inserter
from casedesk.policy.text import has_c0_control
from casedesk.policy.transitions import Action, CloseReason

from .handover import claim_for_handover, lease_sql
from .models import MessageState, OutboundMessage, SurveyResponse
from .rendering import case_facts, new_message_id, render_mail, thread_root
from .selectors import survey_answered
from .survey import SurveyInvitation, survey_link


@dataclass
class Planned:
    """One kind of mail for one audience: customer-facing (portal link) or staff (console).

    ``extra`` is stored on the outbox row (JSON) for rendering at send time; ``eager``
    plans carry objects instead and are rendered now (escalations: rare, and they quote a
    record a manager may edit before the pump runs). ``undisclosed`` plans go to their
    whole audience as one message, the addresses in the envelope only (``bcc``); only
    for staff mail whose text never names its reader.
    """

    kind: str
    recipients: list[str]
    staff: bool
    extra: dict[str, Any] = field(default_factory=dict)
    eager: bool = False
    undisclosed: bool = False


def _address(user: User | None, *, not_actor_id: int | None = None) -> list[str]:
    if user is None or not user.is_active or not user.email:
        return []
    if not_actor_id is not None and user.pk == not_actor_id:
        return []
    return [user.email]


def _contact(case: Case) -> list[str]:
    return _address(case.contact)


def _managers() -> list[str]:
    return list(
        User.objects.filter(role=Role.MANAGER, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def _plan_transition(event: CaseEvent, case: Case, now: dt.datetime) -> list[Planned]:
    action = event.data.get("action")
    if action == Action.REQUEST_INFO:
        return [Planned("info_requested", _contact(case), False)]
    if action == Action.PROPOSE_SOLUTION:
        return [Planned("solution_proposed", _contact(case), False)]
    if action == Action.REOPEN:
        # The new information support recorded just before re-opening travels with it.
        information = (
            CaseEvent.objects.filter(
                case=case, at=event.at, kind=EventKind.REPLY, public=True, pk__lt=event.pk
            )
            .order_by("-pk")
            .values_list("body", flat=True)
            .first()
        )
        return [Planned("reopened", _contact(case), False, {"information": information or ""})]
    if action == Action.CLOSE:
        if event.data.get("close_reason") == CloseReason.NO_RESPONSE:
            return []  # the final notice (follow-up #3) is the closing mail
        return [
            Planned("closed", _contact(case), False, {"survey_url": survey_link(case, now=now)})
        ]
    return []


def _plan(event: CaseEvent, case: Case, now: dt.datetime) -> list[Planned]:
    kind = event.kind
    if kind == EventKind.OPENED:
        return [Planned("opened", _contact(case), False), _plan_new_case(event, case, now)]
    if kind == EventKind.UNASSIGNED:
        from casedesk.sla.staffing import queue_owners

        owners = queue_owners(case.region)
        return [Planned("unassigned", owners, True, dict(event.data), undisclosed=True)]
    if kind == EventKind.REPLY and event.public and not case.is_closed:
        # A reply written while re-opening a closed case travels in the re-opened mail.
        return [Planned("reply", _contact(case), False)]
    if kind == EventKind.CUSTOMER_UPDATE:
        return [
            Planned("customer_update", _address(case.assignee, not_actor_id=event.actor_id), True)
        ]
    if kind == EventKind.TRANSITION:
        return _plan_transition(event, case, now)
    if kind == EventKind.FOLLOW_UP:
        if event.data.get("final"):
            extra = {"survey_url": survey_link(case, now=now) if case.closed_at else ""}
            return [Planned("final_notice", _contact(case), False, extra)]
        return [Planned("followup", _contact(case), False, {"step": event.data.get("step")})]
    if kind == EventKind.MILESTONE:
        if case.is_closed:
            return []  # C9: a milestone ends with the case; nothing breaches after closure
        which = "milestone_breach" if event.data.get("breach") else "milestone_warning"
        engineer = _address(case.assignee)
        mine = {a.strip().lower() for a in engineer}
        managers = [m for m in _managers() if m.strip().lower() not in mine]
        return [
            Planned(which, engineer, True),
            Planned(which, managers, True, undisclosed=True),
        ]
    if kind == EventKind.ESCALATION:
        return _plan_escalation(event)
    return []


def _plan_new_case(event: CaseEvent, case: Case, now: dt.datetime) -> Planned:
    """B, C2: the centre on shift hears of a new case; a Critical one wakes its on-call."""
    from casedesk.sla.staffing import staff_for_case

    staff = staff_for_case(case, now)
    opener = event.actor_id
    people = staff.engineers + staff.on_call
    if opener is not None and event.actor is not None and event.actor.email in people:
        people = [p for p in people if p != event.actor.email]
    extra = {
        "centre": staff.centre_label,
        "routing": staff.routing.reason,
        "on_call": staff.routing.on_call,
    }
    kind = "urgent_case" if staff.urgent else "new_case"
    return Planned(kind, people, True, extra, undisclosed=True)


def _plan_escalation(event: CaseEvent) -> list[Planned]:
    """E4: a request goes to the management address; its outcome back to the requester."""
    from casedesk.escalations.models import Escalation

    escalation = (
        Escalation.objects.select_related("requested_by")
        .filter(pk=event.data.get("escalation"))
        .first()
    )
    if escalation is None:
        return []
    extra = {"escalation": escalation}
    state = event.data.get("state")
    if state == "open":
        return [Planned("escalation", [settings.MANAGEMENT_EMAIL], True, extra, eager=True)]
    if state in ("resolved", "declined"):
        requester = escalation.requested_by
        staff = requester.role != Role.CONTACT
        return [Planned("escalation_outcome", _address(requester), staff, extra, eager=True)]
    return []


MAILING_EVENTS = frozenset(
    {
        EventKind.OPENED,
        EventKind.REPLY,
        EventKind.CUSTOMER_UPDATE,
        EventKind.TRANSITION,
        EventKind.FOLLOW_UP,
        EventKind.MILESTONE,
        EventKind.ESCALATION,
        EventKind.UNASSIGNED,
    }
)


def _unique(addresses: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.strip().lower(), address.strip())
    return [a for a in seen.values() if a]


# RFC 5321 4.5.3.1.8: every server takes at least 100 recipients per transaction; beyond
# that it may answer 452, so a larger audience is split into messages of at most 100.
MAX_RECIPIENTS = 100


def _messages(planned: Planned) -> Iterator[tuple[list[str], list[str], str]]:
    """``(to, bcc, key)`` of each message of a plan: one per recipient, or for an
    ``undisclosed`` plan one per ``MAX_RECIPIENTS`` of its audience, all in ``bcc``. The
    key ends the idempotency key: the address, or ``people<n>`` for the n-th group."""
    recipients = _unique(planned.recipients)
    if not planned.undisclosed:
        for recipient in recipients:
            yield [recipient], [], recipient.lower()
        return
    for n, start in enumerate(range(0, len(recipients), MAX_RECIPIENTS)):
        yield [], recipients[start : start + MAX_RECIPIENTS], f"people{n}"


def notify_case_event(*, event: CaseEvent, now: dt.datetime) -> list[OutboundMessage]:
    """Queue the mails ``event`` causes; must run inside the transaction that created it."""
    return notify_case_events(events=[event], now=now)


# The people a plan reads, by the event kinds that need them (loaded in one query).
_NEEDS_ASSIGNEE = frozenset({EventKind.CUSTOMER_UPDATE, EventKind.MILESTONE})


def _cases_with_people(events: list[CaseEvent]) -> dict[int, Case]:
    """Each event's case — the caller's instance when cached (no re-read) — with its contact
    and, where the plan needs it, assignee, fetched together for the whole batch."""
    cases: dict[int, Case] = {}
    missing: set[int] = set()
    for event in events:
        if CaseEvent.case.is_cached(event):
            cases.setdefault(event.case_id, event.case)
        else:
            missing.add(event.case_id)
    missing -= cases.keys()
    if missing:
        cases.update({c.pk: c for c in Case.objects.filter(pk__any=missing)})
    wanted: dict[int, list[tuple[Case, str]]] = {}
    for event in events:
        case = cases[event.case_id]
        fields = ["contact"] + (["assignee"] if event.kind in _NEEDS_ASSIGNEE else [])
        for name in fields:
            descriptor = getattr(Case, name)
            user_id = getattr(case, f"{name}_id")
            if user_id is not None and not descriptor.is_cached(case):
                wanted.setdefault(user_id, []).append((case, name))
    if wanted:
        for user in User.objects.filter(pk__any=wanted):
            for case, name in wanted[user.pk]:
                setattr(case, name, user)
    for event in events:
        event.case = cases[event.case_id]  # the plan and the rows share the loaded case
    return cases


def notify_case_events(*, events: Iterable[CaseEvent], now: dt.datetime) -> list[OutboundMessage]:
    """Queue the mails of many events with one INSERT (a worker batch's reminders).

    Same rules as ``notify_case_event``, inside the transaction that created the events.
    Each row records the recipients, kind, Message-ID and thread headers, the case's own
    fields as they are now and the plan's extras; the send pump renders the mail. The
    rows of one event are inserted in plan order, the customer's mail first, so it is
    claimed (due order, then id) before the staff notice.
    """
    mailing = [
        event
        for event in events
        if event.kind in MAILING_EVENTS and not event.data.get("auto_submitted")
    ]
    if not mailing:
        return []
    cases = _cases_with_people(mailing)
    rows: list[OutboundMessage] = []
    for event in mailing:
        case = cases[event.case_id]
        root = thread_root(case)
        facts = case_facts(case)
        for planned in _plan(event, case, now):
            for to, bcc, key in _messages(planned):
                row = OutboundMessage(
                    case=case,
                    event=event,
                    kind=planned.kind,
                    to=to,
                    bcc=bcc,
                    message_id=new_message_id(planned.kind),
                    in_reply_to=root,
                    references=root,
                    idempotency_key=f"event:{event.pk}:{planned.kind}:{key}"[:300],
                    next_attempt_at=now,
                    created_at=now,
                )
                if planned.eager:
                    rendered = render_mail(
                        planned.kind,
                        case=case,
                        staff=planned.staff,
                        extra={"event": event, "actor": event.actor, **planned.extra},
                    )
                    row.subject, row.text_body = rendered.subject, rendered.text
                    row.html_body = rendered.html
                else:
                    row.context = {"staff": planned.staff, "case": facts, "extra": planned.extra}
                rows.append(row)
    return outbox_enqueue(rows=rows)


# Written with every mailing case event; see core.rows.Inserter.
_OUTBOX = Inserter(OutboundMessage)


def outbox_enqueue(*, rows: list[OutboundMessage]) -> list[OutboundMessage]:
    """Insert outbox rows; a row whose idempotency key exists already is skipped (rule 7).

    Queued by a worker's deadline step (``handover.outbox_handover``), the rows are
    inserted claimed for its outbox step, as its claim statement would leave them. Only
    the rows written carry the claim afterwards: a skipped one (queued already, a batch
    run again) has no key and keeps the state it was built with, as it is not ours."""
    if not rows:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox rows are written inside the transaction of their change")
    handed = claim_for_handover() if connection.features.can_return_rows_from_bulk_insert else None
    if handed is None:
        _OUTBOX.insert_many(rows, ignore_conflicts=True)
        return rows
    built = [(row.state, row.claimed_by, row.attempts) for row in rows]
    for row in rows:
        row.state, row.claimed_by, row.attempts = MessageState.SENDING, handed.tag, 1
    try:
        _OUTBOX.insert_many(
            rows,
            ignore_conflicts=True,
            keys=True,
            match="idempotency_key",  # a row already queued (a batch run again) is not ours
            computed={"claimed_until": lease_sql()},
        )
    finally:  # written or not (an error), a row without a key is not ours to send
        for row, unclaimed in zip(rows, built, strict=True):
            if row.pk is None:
                row.state, row.claimed_by, row.attempts = unclaimed
            else:
                handed.messages.append(row)
    return rows


@transaction.atomic
def survey_respond(
    *,
    invitation: SurveyInvitation,
    score: int,
    solved: bool,
    comment: str,
    now: dt.datetime,
) -> SurveyResponse:
    """Record the one answer for this closure (F7); a second one is refused."""
    if not 1 <= score <= 5:
        raise PolicyViolation("Choose a score from 1 to 5.", field="score")
    if has_c0_control(comment):
        raise PolicyViolation("Remove the control characters from this text.", field="comment")
    case = Case.objects.select_for_update().get(pk=invitation.case.pk)
    if survey_answered(invitation):
        raise PolicyViolation(ALREADY_RECORDED)
    try:
        with transaction.atomic():
            return SurveyResponse.objects.create(
                case=case,
                closure=invitation.closure,
                priority=case.priority,
                score=score,
                solved=solved,
                comment=comment.strip()[:5000],
                created_at=now,
            )
    except IntegrityError:
        raise PolicyViolation(ALREADY_RECORDED) from None


ALREADY_RECORDED = "Your answer for this case is already recorded. Thank you."


def outbox_retry(*, ids: list[int], now: dt.datetime) -> int:
    """Queue failed messages again (care, after fixing an address or the SMTP settings)."""
    return OutboundMessage.objects.filter(pk__in=ids, state=MessageState.FAILED).update(
        state=MessageState.PENDING, attempts=0, next_attempt_at=now, last_error=""
    )
