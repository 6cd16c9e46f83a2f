"""Shared bits of the page tests."""

from __future__ import annotations

from typing import Any

from django.urls import reverse


def url(name: str, *args: Any) -> str:
    return reverse(name, args=args)


def open_form_data(world: Any, **overrides: Any) -> dict[str, Any]:
    """A complete, valid open-case form for alice's contract (B2)."""
    data = {
        "contract": str(world.acme_contract.pk),
        "kind": "support",
        "sub_type": "problem",
        "product": str(world.catalogue["product"].pk),
        "major_version": str(world.catalogue["version"].pk),
        "patch": str(world.catalogue["patch"].pk),
        "environment": "prod",
        "priority": "medium",
        "subject": "Agents cannot log in after upgrade",
        "description": "Since the 9.2.1 upgrade last night agents get error 403 at login.",
        "business_impact": "25 agents",
        "expected_behaviour": "Agents log in",
        "circumstances": "Every login",
        "frequency": "always",
        "scope": "Everyone",
        "recent_changes": "Upgraded to 9.2.1",
        "load_at_time": "Low",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def request_info(world: Any, case: Any) -> Any:
    from casedesk.cases import services

    return services.case_transition(
        case=case,
        actor=world.engineer,
        action="request_info",
        to="info_required",
        reason="Please send the logs.",
        now=world.now,
    )


def close_case(world: Any, case: Any, *, when: Any = None) -> Any:
    from casedesk.cases import services

    return services.case_transition(
        case=case,
        actor=world.alice if case.contact_id == world.alice.pk else case.contact,
        action="close",
        to="resolved",
        reason="Works now.",
        close_reason="solution_accepted",
        now=when or world.now,
    )
