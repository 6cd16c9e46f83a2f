"""Domain objects → response dictionaries.

What a caller sees depends on who they are: internal event data and contacts'
certifications are for support staff only (A7); the actions offered come from the
status table for the caller's actor, so the API never offers an edge the server would
refuse (architecture convention 3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casedesk.accounts.selectors import certifications_for
from casedesk.cases.models import EventKind
from casedesk.cases.permissions import OWNER_ACTIONS, actor_for, can_see_internal, owns_or_supports
from casedesk.policy.transitions import Action, available_actions
from casedesk.policy.voip import is_voip_case
from casedesk.sla.selectors import policy

if TYPE_CHECKING:
    from casedesk.accounts.models import User
    from casedesk.cases.models import Case, CaseEvent
    from casedesk.cases.selectors import Page

# Edges with a rule of their own have an endpoint of their own.
_ENDPOINTS = {
    Action.REOPEN: "reopen",
    Action.REQUEST_REOPEN: "reopen",
    Action.HOLD_VOIP: "voip-hold",  # G2: the site's readiness decides
}


def _person(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"full_name": user.full_name, "email": user.email}


def _ref(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "subject": case.subject,
        "kind": case.kind,
        "status": case.status,
        "status_label": case.status_enum.label,
        "sub_status": case.sub_status,
        "sub_status_label": case.sub_status_enum.label,
        "priority": case.priority,
        "production_down": case.production_down,
        "organisation": case.organisation.name,
        "contact": _person(case.contact),
        "assignee": _person(case.assignee),
        "product_group": _ref(case.product_group),
        "product": _ref(case.product),
        "region": case.region,
        "opened_at": case.opened_at,
        "updated_at": case.updated_at,
        "closed_at": case.closed_at,
        "version": case.version,
    }


def case_page(page: Page) -> dict[str, Any]:
    return {
        "items": [case_summary(c) for c in page.items],
        "page": page.number,
        "has_next": page.has_next,
    }


def _may_be_held_for_voip(case: Case) -> bool:
    """G2: the hold is offered on VoIP cases that are not Production Down, by the case's
    own policy (the site's readiness is checked when it is asked for, with the reason)."""
    group = case.product_group.name if case.product_group_id else None
    rules = policy(case.policy_version).voip
    return rules.holds_allowed and not case.production_down and is_voip_case(group, rules)


def actions_for(user: User, case: Case) -> list[dict[str, Any]]:
    """The status-table edges this caller may take from here (B4); a colleague who only
    sees the case is not offered closing or re-open requests (C9)."""
    edges = available_actions(actor_for(user), case.status_enum, case.sub_status_enum)
    if not owns_or_supports(user, case):
        edges = [e for e in edges if e.action not in OWNER_ACTIONS]
    if not _may_be_held_for_voip(case):
        edges = [e for e in edges if e.action is not Action.HOLD_VOIP]
    return [
        {
            "action": edge.action.value,
            "label": edge.action.label,
            "targets": [{"value": t.value, "label": t.label} for t in edge.targets],
            "close_reasons": [{"value": r.value, "label": r.label} for r in edge.close_reasons],
            "endpoint": _ENDPOINTS.get(edge.action, "transitions"),
        }
        for edge in edges
    ]


def case_detail(user: User, case: Case) -> dict[str, Any]:
    data = case_summary(case)
    data.update(
        sub_type=case.sub_type,
        admin_category=case.admin_category,
        description=case.description,
        business_impact=case.business_impact,
        expected_behaviour=case.expected_behaviour,
        circumstances=case.circumstances,
        frequency=case.frequency,
        scope=case.scope,
        recent_changes=case.recent_changes,
        load_at_time=case.load_at_time,
        contract=case.contract.number,
        site=case.site.name,
        major_version=_ref(case.major_version),
        patch=_ref(case.patch),
        environment=case.environment,
        deployment=case.deployment,
        language=case.language,
        channel=case.channel,
        emergency_criterion=case.emergency_criterion,
        close_reason=case.close_reason,
        closed_by_followup=case.closed_by_followup,
        outcome=case.outcome,
        change_request_id=case.change_request_id,
        change_request_status=case.change_request_status,
        hot_fix=case.hot_fix,
        linked_from=case.linked_from.number if case.linked_from_id else None,
        all_info_at=case.all_info_at,
        service_restored_at=case.service_restored_at,
        milestones=[
            {
                "kind": m.kind,
                "started_at": m.started_at,
                "target_at": m.target_at,
                "met_at": m.met_at,
                "breached_at": m.breached_at,
                "settled_at": m.settled_at,
                "settlement": m.settlement,
            }
            # No milestone starts before "all information provided" (C4): no query then.
            for m in (case.milestones.order_by("started_at", "id") if case.all_info_at else ())
        ],
        available_actions=actions_for(user, case),
        contact_certifications=None,
    )
    if can_see_internal(user):
        data["contact_certifications"] = [
            {
                "product": c.product.name,
                "version": c.version,
                "function": c.function,
                "valid_until": c.valid_until,
            }
            for c in certifications_for(case.contact)
        ]
    return data


def event(user: User, ev: CaseEvent) -> dict[str, Any]:
    label = EventKind(ev.kind).label if ev.kind in EventKind.values else ev.kind
    return {
        "id": ev.pk,
        "at": ev.at,
        "kind": ev.kind,
        "kind_label": label,
        "summary": ev.summary,
        "public": ev.public,
        "body": ev.body,
        "actor": {"full_name": ev.actor.full_name, "role": ev.actor.role} if ev.actor else None,
        "data": ev.data if can_see_internal(user) else None,
    }
