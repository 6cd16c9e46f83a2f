"""The escalation panel of both case pages (C6): eligibility per kind, and the case's requests."""

from __future__ import annotations

from typing import Any

from django import template

from casedesk.cases.permissions import owns_or_supports
from casedesk.core import clock
from casedesk.escalations.selectors import case_escalations, escalation_options

register = template.Library()


@register.inclusion_tag("panels/escalation.html")
def case_escalation_panel(case: Any, user: Any) -> dict[str, Any]:
    escalations = case_escalations(case)
    options = escalation_options(case, clock.now(), escalations)
    return {
        "case": case,
        "options": options,
        "may_request": any(o.may_request for o in options),
        "escalations": escalations,
        "support": bool(getattr(user, "is_support", False)),
        # C9: a colleague who only sees the case is not offered the request.
        "may_decide": owns_or_supports(user, case),
    }
