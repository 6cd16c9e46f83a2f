"""The console's case page (B4-B10, A7): everything about the case and one form per action.

Refusals of the action views re-render this page with the form's text kept and the
service's reason, at a 4xx status.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from casedesk.accounts.selectors import (
    certifications_for,
    contract_maintenance,
    engineers,
)
from casedesk.cases import selectors
from casedesk.cases.models import Case
from casedesk.cases.permissions import scope_cases
from casedesk.console.cases.forms import (
    AssignForm,
    FixDeliveredForm,
    OutcomeForm,
    ReplyForm,
    RootCauseForm,
    ServiceRestoredForm,
    SupportPriorityForm,
    SupportReopenForm,
    TransitionForm,
    VoipHoldForm,
)
from casedesk.console.cases.sitework_forms import sitework_context
from casedesk.core import clock
from casedesk.obligations.selectors import notices_for_case
from casedesk.obligations.sites import case_site_records, case_voip_flag
from casedesk.sitework.timeline import case_timeline_with_records
from casedesk.sla.selectors import running_milestones
from casedesk.web.access import get_case_or_404, support_view

# --- case page -----------------------------------------------------------------------


def case_page(request: HttpRequest, case: Case, status: int = 200, **forms: Any) -> HttpResponse:
    user: Any = request.user
    now = clock.now()
    team = list(engineers())
    window = selectors.case_reopen_window(case, now)
    site_records = case_site_records(user, case, now=now)  # G2, G3, issue 14 item 7
    transition_form = forms.get("transition_form") or TransitionForm(
        initial={"version": case.version}, case=case
    )
    cutovers = notices_for_case(case)  # G1: opened during a cutover at this site
    sitework = sitework_context(user, case, forms)  # G4-G6
    context = {
        "case": case,
        **_milestone_forms(case, forms),
        **sitework,
        # With the cutover notice, site visits, routing, VoIP assessments and changes (item 7).
        "timeline": case_timeline_with_records(
            user,
            case,
            notices=cutovers,
            visits=sitework["visits"],
            site_entries=site_records.entries,
        ),
        "cutovers": cutovers,
        "voip": case_voip_flag(case),  # G2: a VoIP case on a site that is not ready
        "voip_hold_form": forms.get("voip_hold_form")
        or VoipHoldForm(initial={"version": case.version}),
        "site_changes": site_records.recent_changes,  # G3
        "certifications": certifications_for(case.contact),
        "maintenance": contract_maintenance(case.contract, now),
        "follow_ons": list(
            scope_cases(user, Case.objects.filter(linked_from_id=case.pk)).only("id", "subject")
        ),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "transition_form": transition_form if transition_form.available else None,
        "priority_form": forms.get("priority_form")
        or (
            None
            if case.is_closed
            else SupportPriorityForm(
                initial={
                    "version": case.version,
                    "priority": case.priority,
                    "production_down": case.production_down,
                    "emergency_criterion": case.emergency_criterion,
                }
            )
        ),
        "outcome_form": forms.get("outcome_form")
        or OutcomeForm(
            initial={
                "outcome": case.outcome,
                "change_request_id": case.change_request_id,
                "change_request_status": case.change_request_status,
                "hot_fix": case.hot_fix,
            }
        ),
        "assign_form": forms.get("assign_form")
        or AssignForm(initial={"assignee": case.assignee_id}, engineers=team),
        "reopen_form": forms.get("reopen_form")
        or (SupportReopenForm() if case.is_closed else None),
        "all_info_error": forms.get("all_info_error", ""),
        "reopen_until": window.until,
        "within_window": window.open_now,
        "is_assignee": case.assignee_id == user.pk,
        "window_days": window.days,
        "nav": "queue",
    }
    return render(request, "console/case_detail.html", context, status=status)


def _milestone_forms(case: Case, forms: dict[str, Any]) -> dict[str, Any]:
    """C3: the marks engineers record, each offered while it can still be recorded."""
    running = set() if case.is_closed else running_milestones(case)
    initial = {"version": case.version}
    restorable = case.production_down and not case.is_closed and not case.service_restored_at
    return {
        "root_cause_form": forms.get("root_cause_form")
        or (RootCauseForm(initial=initial) if "root_cause" in running else None),
        "fix_form": forms.get("fix_form")
        or (FixDeliveredForm(initial=initial) if "fix" in running else None),
        "restored_form": forms.get("restored_form")
        or (ServiceRestoredForm(initial=initial) if restorable else None),
    }


@support_view
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    """Everything about the case, the full timeline and the contact's certifications (A7)."""
    return case_page(request, get_case_or_404(request.user, number))


def done(request: HttpRequest, case: Case, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("console-case-detail", number=case.number)
