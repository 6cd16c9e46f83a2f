"""Every write to a case (convention 1): one transaction, explicit arguments, an audit event.

Each function locks the case row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the
``IMMEDIATE`` transaction already serialises writers), checks the policy tables, writes,
bumps ``version`` and appends a ``CaseEvent``. A caller that passes ``expected_version``
gets ``StaleObject`` instead of overwriting a change it has not seen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from casedesk.accounts.models import Contract, Role, User
from casedesk.accounts.selectors import contact_may_open_cases, contract_maintenance
from casedesk.core.errors import (
    NotFound,
    NotPermitted,
    PolicyViolation,
    StaleObject,
    TransitionNotAllowed,
)
from casedesk.core.rows import Inserter
from casedesk.notifications.services import notify_case_event
from casedesk.policy.priority import (
    EmergencyCriterion,
    Priority,
    priority_change_decision,
    production_down_decision,
)
from casedesk.policy.reopen import reopen_decision
from casedesk.policy.text import has_c0_control
from casedesk.policy.transitions import (
    STATUS_OF,
    Action,
    Actor,
    CloseReason,
    Status,
    SubStatus,
    check_transition,
)
from casedesk.sla.milestones import milestone_meet, milestone_start_root_cause
from casedesk.sla.retention import retention_on_transition
from casedesk.sla.selectors import policy
from casedesk.sla.services import followups_on_priority, followups_on_transition

from .models import (
    Case,
    CaseEvent,
    ChangeRequestStatus,
    Channel,
    EventKind,
    Kind,
    Outcome,
    SubType,
)
from .permissions import actor_for, is_participant
from .selectors import OpeningFacts, opening_facts


@dataclass(frozen=True, kw_only=True)
class CaseDraft:
    """What opening a case needs (B2); interfaces build it from a form or JSON body."""

    contract_id: int
    subject: str
    description: str
    kind: str = Kind.SUPPORT
    sub_type: str = SubType.PROBLEM
    admin_category: str = ""
    product_id: int | None = None
    major_version_id: int | None = None
    patch_id: int | None = None
    environment: str = "prod"
    priority: str = Priority.LOW
    production_down: bool = False
    emergency_criterion: str = ""
    business_impact: str = ""
    expected_behaviour: str = ""
    circumstances: str = ""
    frequency: str = ""
    scope: str = ""
    recent_changes: str = ""
    load_at_time: str = ""


# Written on every opening and action; see core.rows.Inserter.
_CASES = Inserter(Case)
_EVENTS = Inserter(CaseEvent)


def _event(
    case: Case,
    *,
    kind: str,
    actor: User | None,
    now: dt.datetime,
    body: str = "",
    public: bool = True,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = _EVENTS.insert(
        CaseEvent(
            case=case, at=now, actor=actor, kind=kind, public=public, body=body, data=data or {}
        )
    )
    notify_case_event(event=event, now=now)  # E1: outbox rows in this transaction
    return event


def _lock(case: Case, expected_version: int | None) -> Case:
    """The current row, locked for this transaction; refuse a write based on a stale read."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleObject(
            "This case was changed by someone else after you loaded it. Reload it, check the "
            "latest updates, and try again; nothing you entered was saved."
        )
    return locked


def _touch(case: Case, now: dt.datetime, fields: list[str]) -> None:
    case.version += 1
    case.updated_at = now
    case.save(update_fields=[*fields, "version", "updated_at"])


def _require_participant(actor: User, case: Case) -> None:
    if not is_participant(actor, case):
        raise NotFound("No such case.")


def _require_support(actor: User) -> None:
    if actor.role == Role.CONTACT:
        raise NotPermitted("Only support staff may do this.")


# --- opening -------------------------------------------------------------------------


def _resolve_product(draft: CaseDraft, contract: Contract, facts: OpeningFacts) -> dict[str, Any]:
    """The catalogue entries named by the draft, checked against each other and the contract.

    ``facts`` already holds them, each only if it fits the one before (version of this
    product, patch of this version), so this is decision only, no queries.
    """
    if draft.kind == Kind.ADMIN:
        return {}
    if draft.product_id is None:
        raise PolicyViolation("Choose the product.", field="product")
    product = facts.product
    if product is None:
        raise PolicyViolation("Unknown product.", field="product")
    if facts.contract_lists_products and not facts.contract_covers_product:
        if product.third_party:
            raise PolicyViolation(
                f"{product.name} was not bought from us, so we cannot support it (G5). Please "
                "contact its vendor.",
                field="product",
            )
        raise PolicyViolation(
            f"{product.name} is not covered by contract {contract.number}.", field="product"
        )
    version, patch = facts.major_version, facts.patch
    if draft.major_version_id is None:
        if draft.kind == Kind.SUPPORT:
            raise PolicyViolation("Choose the major version.", field="major_version")
    elif version is None:
        raise PolicyViolation(
            "That version is not a version of this product.", field="major_version"
        )
    if draft.patch_id is not None and patch is None:
        raise PolicyViolation("That patch does not belong to this version.", field="patch")
    return {
        "product": product,
        "product_group": product.group,
        "major_version": version,
        "patch": patch,
    }


def _reject_control_characters(**texts: str) -> None:
    """NUL and other C0 controls are never meant and PostgreSQL refuses NUL outright."""
    for field, text in texts.items():
        if has_c0_control(text):
            raise PolicyViolation("Remove the control characters from this text.", field=field)


def _check_draft(draft: CaseDraft) -> tuple[Priority, EmergencyCriterion | None]:
    _reject_control_characters(**{k: v for k, v in draft.__dict__.items() if isinstance(v, str)})
    if draft.kind not in Kind.values:
        raise PolicyViolation("Unknown case kind.", field="kind")
    if draft.kind == Kind.SUPPORT and draft.sub_type not in SubType.values:
        raise PolicyViolation("Choose Problem or Inquiry.", field="sub_type")
    if draft.kind == Kind.ADMIN and not draft.admin_category:
        raise PolicyViolation("Choose what the admin case is about.", field="admin_category")
    if not draft.subject.strip():
        raise PolicyViolation("A subject is required.", field="subject")
    if not draft.description.strip():
        raise PolicyViolation("Describe the problem.", field="description")
    try:
        priority = Priority(draft.priority)
        criterion = (
            EmergencyCriterion(draft.emergency_criterion) if draft.emergency_criterion else None
        )
    except ValueError:
        raise PolicyViolation(
            "Unknown priority or emergency criterion.", field="priority"
        ) from None
    verdict = production_down_decision(
        priority=priority, production_down=draft.production_down, criterion=criterion
    )
    if not verdict:
        raise PolicyViolation(verdict.reason, field="emergency_criterion")
    return priority, criterion


@transaction.atomic
def case_open(
    *,
    contact: User,
    draft: CaseDraft,
    now: dt.datetime,
    opened_by: User | None = None,
    channel: str = Channel.WEB,
    linked_from: Case | None = None,
) -> Case:
    """Open a case for ``contact`` (B2, B3, A5, A6, A8); support may open one by phone."""
    opened_by = opened_by or contact
    if opened_by.pk != contact.pk and opened_by.role == Role.CONTACT:
        raise NotPermitted("Contacts open cases for themselves only.")
    facts = opening_facts(
        contact=contact,
        contract_id=draft.contract_id,
        product_id=draft.product_id,
        major_version_id=draft.major_version_id,
        patch_id=draft.patch_id,
    )
    verdict = contact_may_open_cases(contact, refused=facts.refused)
    if not verdict:
        raise PolicyViolation(verdict.reason)
    contract = facts.contract
    if contract is None:
        raise PolicyViolation("Choose one of your organisation's contracts.", field="contract")
    maintenance = contract_maintenance(contract, now.date())
    if not maintenance:
        raise PolicyViolation(maintenance.reason, field="contract")
    priority, criterion = _check_draft(draft)
    catalogue = _resolve_product(draft, contract, facts)
    case = Case(
        kind=draft.kind,
        sub_type=draft.sub_type if draft.kind == Kind.SUPPORT else "",
        admin_category=draft.admin_category if draft.kind == Kind.ADMIN else "",
        # The contact's organisation row is usually loaded with the contact (session or
        # token lookup); handing it over saves the caller a query when it serialises.
        organisation=contact.organisation,
        contract=contract,
        site=contract.site,
        contact=contact,
        environment=draft.environment,
        deployment=contract.deployment,
        region=contract.region,
        language=contract.language,
        channel=channel,
        priority=priority,
        production_down=draft.production_down,
        emergency_criterion=criterion.value if criterion else "",
        subject=draft.subject.strip(),
        description=draft.description.strip(),
        business_impact=draft.business_impact.strip(),
        expected_behaviour=draft.expected_behaviour.strip(),
        circumstances=draft.circumstances.strip(),
        frequency=draft.frequency,
        scope=draft.scope.strip(),
        recent_changes=draft.recent_changes.strip(),
        load_at_time=draft.load_at_time.strip(),
        status=Status.OPEN,
        sub_status=SubStatus.NEW,
        opened_at=now,
        updated_at=now,
        linked_from=linked_from,
        policy_version=facts.policy_number,
        **catalogue,
    )
    _CASES.insert(case)
    _event(
        case,
        kind=EventKind.OPENED,
        actor=opened_by,
        now=now,
        body=case.description,
        data={
            "channel": channel,
            "priority": priority.value,
            "production_down": draft.production_down,
            "maintenance": maintenance.reason,
        },
    )
    if linked_from is not None:
        _event(
            linked_from,
            kind=EventKind.LINKED,
            actor=opened_by,
            now=now,
            data={"case": case.number, "direction": "follow-on"},
        )
    return case


# --- status ------------------------------------------------------------------------


def _apply_transition(
    case: Case,
    *,
    action: Action,
    actor_kind: Actor,
    actor: User | None,
    to: SubStatus,
    reason: str,
    now: dt.datetime,
    close_reason: CloseReason | None = None,
    extra_fields: list[str] | None = None,
) -> None:
    """The one writer of status (convention 3); ``case`` must already be locked."""
    verdict = check_transition(
        action=action,
        actor=actor_kind,
        status=case.status_enum,
        sub_status=case.sub_status_enum,
        to_sub_status=to,
        close_reason=close_reason,
    )
    if not verdict:
        raise TransitionNotAllowed(verdict.reason)
    before = (case.status_enum, case.sub_status_enum)
    case.status = STATUS_OF[to].value
    case.sub_status = to.value
    fields = ["status", "sub_status", *(extra_fields or [])]
    if action is Action.CLOSE:
        case.closed_at = now
        case.close_reason = close_reason.value if close_reason else ""
        case.closed_by_followup = close_reason is CloseReason.NO_RESPONSE
        fields += ["closed_at", "close_reason", "closed_by_followup"]
    elif action is Action.REOPEN:
        case.closed_at = None
        case.close_reason = ""
        case.closed_by_followup = False
        fields += ["closed_at", "close_reason", "closed_by_followup"]
    fields += followups_on_transition(case=case, action=action, now=now)
    retention_on_transition(case=case, action=action, now=now)
    if action is Action.PROPOSE_SOLUTION:
        milestone_meet(case=case, kind="fix", now=now)
    _touch(case, now, fields)
    _event(
        case,
        kind=EventKind.TRANSITION,
        actor=actor,
        now=now,
        body=reason,
        data={
            "action": action.value,
            "from": [before[0].value, before[1].value],
            "to": [case.status, case.sub_status],
            "from_label": f"{before[0].label} / {before[1].label}",
            "to_label": f"{STATUS_OF[to].label} / {to.label}",
            "close_reason": close_reason.value if close_reason else "",
        },
    )


def _parse_sub_status(value: str | SubStatus) -> SubStatus:
    try:
        return SubStatus(value)
    except ValueError:
        raise PolicyViolation(f"Unknown sub-status “{value}”.", field="sub_status") from None


@transaction.atomic
def case_transition(
    *,
    case: Case,
    actor: User,
    action: Action | str,
    to: SubStatus | str,
    reason: str,
    now: dt.datetime,
    close_reason: CloseReason | str | None = None,
    expected_version: int | None = None,
) -> Case:
    """Move a case along an edge of the status table, recording who, when and why (B4)."""
    _require_participant(actor, case)
    try:
        action = Action(action)
        close = CloseReason(close_reason) if close_reason else None
    except ValueError:
        raise PolicyViolation("Unknown action or close reason.", field="action") from None
    if action in (Action.REOPEN, Action.REQUEST_REOPEN):
        raise PolicyViolation("Use re-open, which checks the re-open window.", field="action")
    _reject_control_characters(reason=reason)
    if action is Action.CLOSE and not reason.strip():
        raise PolicyViolation("A closure comment is required.", field="reason")
    locked = _lock(case, expected_version)
    _apply_transition(
        locked,
        action=action,
        actor_kind=actor_for(actor),
        actor=actor,
        to=_parse_sub_status(to),
        reason=reason.strip(),
        now=now,
        close_reason=close,
    )
    return locked


@transaction.atomic
def case_close_after_followups(*, case: Case, now: dt.datetime, notice: str) -> Case:
    """C5/B6: the system closes a silent case after the third follow-up."""
    locked = _lock(case, None)
    _apply_transition(
        locked,
        action=Action.CLOSE,
        actor_kind=Actor.SYSTEM,
        actor=None,
        to=SubStatus.RESOLVED,
        reason=notice,
        now=now,
        close_reason=CloseReason.NO_RESPONSE,
    )
    return locked


# --- updates -----------------------------------------------------------------------


@transaction.atomic
def case_add_update(
    *,
    case: Case,
    actor: User,
    body: str,
    now: dt.datetime,
    internal: bool = False,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """A contact's update, an engineer's public reply, or an internal note (B5).

    A customer update while the case waits on the customer moves it to
    Open / Customer Responded. ``data`` rides on the event (an e-mail reply's channel,
    sanitised HTML and quoted history).
    """
    _require_participant(actor, case)
    _reject_control_characters(body=body)
    text = body.strip()
    if not text:
        raise PolicyViolation("Write something first.", field="body")
    locked = _lock(case, None)
    if locked.is_closed:
        raise PolicyViolation(
            "This case is closed. Request to re-open it with the new information, or open a "
            "new case.",
            field="body",
        )
    kind_of_actor = actor_for(actor)
    if kind_of_actor is Actor.CONTACT:
        if internal:
            raise NotPermitted("Contacts cannot write internal notes.")
        event = _event(
            locked, kind=EventKind.CUSTOMER_UPDATE, actor=actor, now=now, body=text, data=data
        )
        if locked.status_enum in (Status.AWAITING_INFO, Status.SOLUTION_PROPOSED):
            _apply_transition(
                locked,
                action=Action.CUSTOMER_RESPONSE,
                actor_kind=Actor.CONTACT,
                actor=actor,
                to=SubStatus.CUSTOMER_RESPONDED,
                reason="Customer update received.",
                now=now,
            )
        else:
            _touch(locked, now, [])
        return event
    kind = EventKind.NOTE if internal else EventKind.REPLY
    event = _event(
        locked, kind=kind, actor=actor, now=now, body=text, public=not internal, data=data
    )
    _touch(locked, now, [])
    return event


# --- re-open -----------------------------------------------------------------------


@transaction.atomic
def case_reopen(*, case: Case, actor: User, information: str, now: dt.datetime) -> Case:
    """B7: within 30 days and with new information.

    From the portal this is a request (Closed / Customer Requested Re-open) that support
    accepts; support re-opens directly (by phone), including cases closed by follow-up.
    """
    _require_participant(actor, case)
    _reject_control_characters(information=information)
    locked = _lock(case, None)
    if not locked.is_closed or locked.closed_at is None:
        raise TransitionNotAllowed("Only a closed case can be re-opened.")
    kind = actor_for(actor)
    verdict = reopen_decision(
        actor=kind,
        closed_at=locked.closed_at,
        now=now,
        closed_by_followup=locked.closed_by_followup,
        new_information=information,
        window_days=policy(locked.policy_version).reopen_window_days,
    )
    if not verdict:
        raise PolicyViolation(verdict.reason, field="information")
    _event(
        locked,
        kind=EventKind.CUSTOMER_UPDATE if kind is Actor.CONTACT else EventKind.REPLY,
        actor=actor,
        now=now,
        body=information.strip(),
    )
    if kind is Actor.CONTACT:
        _apply_transition(
            locked,
            action=Action.REQUEST_REOPEN,
            actor_kind=kind,
            actor=actor,
            to=SubStatus.CUSTOMER_REQUESTED_REOPEN,
            reason=verdict.reason,
            now=now,
        )
    else:
        _apply_transition(
            locked,
            action=Action.REOPEN,
            actor_kind=kind,
            actor=actor,
            to=SubStatus.INVESTIGATION,
            reason=verdict.reason,
            now=now,
        )
    return locked


def case_open_follow_on(
    *,
    old_case: Case,
    contact: User,
    draft: CaseDraft,
    now: dt.datetime,
    opened_by: User | None = None,
    channel: str = Channel.WEB,
) -> Case:
    """B7: after the re-open window, a new case linked to the old one."""
    _require_participant(opened_by or contact, old_case)
    if not old_case.is_closed:
        raise PolicyViolation("The earlier case is still open; update it instead.")
    return case_open(
        contact=contact,
        draft=draft,
        now=now,
        opened_by=opened_by,
        channel=channel,
        linked_from=old_case,
    )


# --- priority, outcome, assignment -------------------------------------------------


@transaction.atomic
def case_change_priority(
    *,
    case: Case,
    actor: User,
    priority: Priority | str,
    reason: str,
    now: dt.datetime,
    production_down: bool | None = None,
    emergency_criterion: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """B8: Low → Medium by the contact with a work note; everything else by support."""
    _require_participant(actor, case)
    try:
        requested = Priority(priority)
        criterion = EmergencyCriterion(emergency_criterion) if emergency_criterion else None
    except ValueError:
        raise PolicyViolation(
            "Unknown priority or emergency criterion.", field="priority"
        ) from None
    locked = _lock(case, expected_version)
    if locked.is_closed:
        raise PolicyViolation("The priority of a closed case cannot change.")
    kind = actor_for(actor)
    down = locked.production_down if production_down is None else production_down
    if kind is Actor.CONTACT and production_down is not None:
        raise PolicyViolation(
            "Production Down is set by support after a phone call.", field="production_down"
        )
    if requested is not Priority.CRITICAL:
        down, criterion = False, None
    elif criterion is None and down:
        criterion = (
            EmergencyCriterion(locked.emergency_criterion) if locked.emergency_criterion else None
        )
    unchanged = requested.value == locked.priority and down == locked.production_down
    if unchanged:
        raise PolicyViolation(f"The case is already {requested.label}.", field="priority")
    if requested.value != locked.priority:
        verdict = priority_change_decision(
            actor=kind, current=locked.priority_enum, requested=requested, reason=reason
        )
        if not verdict:
            raise PolicyViolation(verdict.reason, field="priority")
    elif not reason.strip():
        raise PolicyViolation("A priority change needs a reason.", field="reason")
    flag = production_down_decision(priority=requested, production_down=down, criterion=criterion)
    if not flag:
        raise PolicyViolation(flag.reason, field="emergency_criterion")
    before = {"priority": locked.priority, "production_down": locked.production_down}
    locked.priority = requested.value
    locked.production_down = down
    locked.emergency_criterion = criterion.value if criterion else ""
    _touch(locked, now, ["priority", "production_down", "emergency_criterion"])
    followups_on_priority(case=locked, now=now)
    _event(
        locked,
        kind=EventKind.PRIORITY,
        actor=actor,
        now=now,
        body=reason.strip(),
        data={
            "from": before["priority"],
            "to": requested.value,
            "production_down_from": before["production_down"],
            "production_down": down,
        },
    )
    return locked


@transaction.atomic
def case_set_outcome(
    *,
    case: Case,
    actor: User,
    outcome: str,
    now: dt.datetime,
    change_request_id: str = "",
    change_request_status: str = "",
    hot_fix: bool = False,
    note: str = "",
) -> Case:
    """B9: the outcome; a defect carries its change-request id and status."""
    _require_participant(actor, case)
    _require_support(actor)
    if outcome not in Outcome.values:
        raise PolicyViolation("Choose an outcome.", field="outcome")
    if change_request_status and change_request_status not in ChangeRequestStatus.values:
        raise PolicyViolation("Unknown change-request status.", field="change_request_status")
    if outcome == Outcome.DEFECT and not change_request_id.strip():
        raise PolicyViolation(
            "A defect is tracked as a change request: give its id.", field="change_request_id"
        )
    locked = _lock(case, None)
    locked.outcome = outcome
    locked.change_request_id = change_request_id.strip()
    locked.change_request_status = change_request_status or (
        ChangeRequestStatus.SUBMITTED if outcome == Outcome.DEFECT else ""
    )
    locked.hot_fix = hot_fix
    _touch(locked, now, ["outcome", "change_request_id", "change_request_status", "hot_fix"])
    _event(
        locked,
        kind=EventKind.OUTCOME,
        actor=actor,
        now=now,
        body=note.strip(),
        data={
            "outcome": outcome,
            "outcome_label": Outcome(outcome).label,
            "change_request_id": locked.change_request_id,
            "change_request_status": locked.change_request_status,
            "hot_fix": hot_fix,
        },
    )
    return locked


@transaction.atomic
def case_assign(
    *, case: Case, actor: User, assignee: User | None, now: dt.datetime, reason: str = ""
) -> Case:
    """Give the case to an engineer (or take it back to the queue)."""
    _require_participant(actor, case)
    _require_support(actor)
    if assignee is not None and (not assignee.is_active or assignee.role == Role.CONTACT):
        raise PolicyViolation("Cases are assigned to support staff only.", field="assignee")
    locked = _lock(case, None)
    if locked.assignee_id == (assignee.pk if assignee else None):
        return locked
    locked.assignee = assignee
    _touch(locked, now, ["assignee"])
    _event(
        locked,
        kind=EventKind.ASSIGNMENT,
        actor=actor,
        now=now,
        body=reason,
        public=False,
        data={
            "to": assignee.pk if assignee else None,
            "to_name": assignee.full_name if assignee else "",
        },
    )
    return locked


@transaction.atomic
def case_mark_all_info_provided(*, case: Case, actor: User, now: dt.datetime) -> Case:
    """C4: starts the root-cause clock; recorded once."""
    _require_participant(actor, case)
    _require_support(actor)
    locked = _lock(case, None)
    if locked.is_closed:
        raise PolicyViolation("The case is closed.")
    if locked.all_info_at is not None:
        raise PolicyViolation(
            f"All necessary information was already marked provided at "
            f"{locked.all_info_at:%Y-%m-%d %H:%M} UTC."
        )
    locked.all_info_at = now
    _touch(locked, now, ["all_info_at"])
    milestone = milestone_start_root_cause(case=locked, now=now)
    _event(
        locked,
        kind=EventKind.ALL_INFO,
        actor=actor,
        now=now,
        data={"root_cause_due": milestone.target_at.isoformat(), "reason": milestone.reason},
    )
    return locked


@transaction.atomic
def case_mark_root_cause(*, case: Case, actor: User, summary: str, now: dt.datetime) -> Case:
    """C3: the root-cause milestone is met; Production Down starts its fix target."""
    _require_participant(actor, case)
    _require_support(actor)
    if not summary.strip():
        raise PolicyViolation("Summarise the root cause.", field="summary")
    locked = _lock(case, None)
    if locked.all_info_at is None:
        raise PolicyViolation("Mark all necessary information provided first (C4).")
    met = milestone_meet(case=locked, kind="root_cause", now=now)
    if met is None:
        raise PolicyViolation("The root cause was already recorded.")
    _touch(locked, now, [])
    _event(
        locked,
        kind=EventKind.ROOT_CAUSE,
        actor=actor,
        now=now,
        body=summary.strip(),
        data={"on_time": now <= met.target_at},
    )
    return locked
