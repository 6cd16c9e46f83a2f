"""Customer portal case pages (B2-B10): thin views over cases.services and cases.selectors.

Every case is fetched through ``access_case`` (a case the contact may not see is a 404),
every write goes through a service with ``now=clock.now()``, and a refused write
re-renders its form with the reason and a 4xx status, never a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from casedesk.cases import selectors, services
from casedesk.cases.models import Case
from casedesk.cases.permissions import owns_or_supports, scope_cases
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.policy.priority import PHONE_FOR_HIGHER, Priority
from casedesk.policy.transitions import Action, Actor, CloseReason, SubStatus, available_actions
from casedesk.portal.forms import (
    CaseListFilterForm,
    CloseForm,
    PriorityRequestForm,
    ReopenRequestForm,
    UpdateForm,
)
from casedesk.sitework.timeline import case_timeline_with_records
from casedesk.web.access import contact_view, get_case_or_404
from casedesk.web.errors import add_domain_error

LIST_TITLES = {
    ("mine", "open"): "My open cases",
    ("mine", "closed"): "My closed cases",
    ("all", "open"): "All open cases",
    ("all", "closed"): "All closed cases",
}
# The contact's close picks the sub-status; the close reason follows from it (B6).
CONTACT_CLOSE_REASON = {
    SubStatus.RESOLVED.value: CloseReason.SOLUTION_ACCEPTED,
    SubStatus.CANCELLED.value: CloseReason.CUSTOMER_REQUEST,
}


# --- lists -------------------------------------------------------------------------


def list_filters(request: HttpRequest, form: CaseListFilterForm) -> selectors.CaseFilters:
    data = form.cleaned_data if form.is_valid() else {}
    scope = "all" if request.GET.get("scope") == "all" else "mine"
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    return selectors.CaseFilters(
        scope=scope,
        state=data.get("state") or "open",
        priority=data.get("priority") or "",
        product_group=data.get("product_group"),
        q=(data.get("q") or "").strip(),
        sort=data.get("sort") or "updated",
        page=page,
    )


@contact_view
def case_list(request: HttpRequest) -> HttpResponse:
    """My open/closed cases; with A3, all open/closed cases of the organisation (B10)."""
    form = CaseListFilterForm(request.GET or None)
    filters = list_filters(request, form)
    user: Any = request.user
    if filters.scope == "all" and not user.can_see_colleagues:
        filters = selectors.CaseFilters(**{**filters.__dict__, "scope": "mine"})
    page = selectors.list_cases(user, filters)
    return render(
        request,
        "portal/case_list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "title": LIST_TITLES.get((filters.scope, filters.state), "Cases"),
            "nav": "all" if filters.scope == "all" else "mine",
            "show_contact": filters.scope == "all",
            "filtered": bool(filters.priority or filters.product_group or filters.q),
        },
    )


# --- detail and actions --------------------------------------------------------------


def detail_context(request: HttpRequest, case: Case, now: dt.datetime, **forms: Any) -> dict:
    """Everything the contact's case page shows; ``forms`` replaces a blank form by a bound one."""
    user: Any = request.user
    # C9: a colleague who sees the case may add information; deciding is the owner's.
    decides = owns_or_supports(user, case)
    actions = (
        {e.action for e in available_actions(Actor.CONTACT, case.status_enum, case.sub_status_enum)}
        if decides
        else set()
    )
    window = selectors.case_reopen_window(case, now)
    reopen_until, within_window = window.until, window.open_now
    follow_ons = list(
        scope_cases(user, Case.objects.filter(linked_from_id=case.pk)).only("id", "subject")
    )
    return {
        "case": case,
        # Call logs, the notice of a cutover it was opened in, approved visits, routing, and the
        # site's VoIP assessments and changes, as visibility allows (G1-G6).
        "timeline": case_timeline_with_records(user, case),
        "voip_held": case.sub_status == SubStatus.VOIP_READINESS_PENDING,
        "update_form": forms.get("update_form") or UpdateForm(),
        "close_form": forms.get("close_form")
        or (CloseForm(initial={"version": case.version}) if Action.CLOSE in actions else None),
        "reopen_form": forms.get("reopen_form")
        or (
            ReopenRequestForm()
            if Action.REQUEST_REOPEN in actions and within_window and not case.closed_by_followup
            else None
        ),
        "priority_form": forms.get("priority_form")
        or (
            PriorityRequestForm(initial={"version": case.version})
            if decides and case.priority == Priority.LOW and not case.is_closed
            else None
        ),
        "reopen_until": reopen_until,
        "within_window": within_window,
        "reopen_requested": case.sub_status == SubStatus.CUSTOMER_REQUESTED_REOPEN,
        "phone_note": PHONE_FOR_HIGHER,
        "follow_ons": follow_ons,
        "window_days": window.days,
        "decides": decides,
        "nav": "mine",
    }


def _detail(
    request: HttpRequest, case: Case, now: dt.datetime, status: int = 200, **forms: Any
) -> HttpResponse:
    return render(
        request,
        "portal/case_detail.html",
        detail_context(request, case, now, **forms),
        status=status,
    )


@contact_view
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_or_404(request.user, number)
    return _detail(request, case, clock.now())


def _case_action(
    request: HttpRequest,
    number: str,
    form_class: type[Any],
    form_name: str,
    act: Any,
    success: str,
    aliases: dict[str, str] | None = None,
) -> HttpResponse:
    """One contact action: validate the form, call the service, re-render on refusal.

    ``act(case, data, now)`` calls the service; a refusal lands on the form field it names
    with its 4xx status and the contact's text kept (a stale version gets the new one).
    """
    case = get_case_or_404(request.user, number)
    now = clock.now()
    form = form_class(request.POST)
    if not form.is_valid():
        return _detail(request, case, now, 400, **{form_name: form})
    try:
        act(case, form.cleaned_data, now)
    except DomainError as exc:
        status = add_domain_error(form, exc, aliases, case=case)
        return _detail(request, case, now, status, **{form_name: form})
    messages.success(request, success.format(number=case.number))
    return redirect("portal-case-detail", number=case.number)


@contact_view
@require_POST
def case_update(request: HttpRequest, number: str) -> HttpResponse:
    """B5: a plain-text update; Awaiting Info / Solution Proposed → Open / Customer Responded."""
    return _case_action(
        request,
        number,
        UpdateForm,
        "update_form",
        lambda case, data, now: services.case_add_update(
            case=case, actor=request.user, body=data["body"], now=now
        ),
        "Your update was added to the case.",
    )


@contact_view
@require_POST
def case_close(request: HttpRequest, number: str) -> HttpResponse:
    """B6: Resolved or Cancelled plus a closure comment; stale version → 409."""
    return _case_action(
        request,
        number,
        CloseForm,
        "close_form",
        lambda case, data, now: services.case_transition(
            case=case,
            actor=request.user,
            action=Action.CLOSE,
            to=data["sub_status"],
            reason=data["comment"],
            close_reason=CONTACT_CLOSE_REASON[data["sub_status"]],
            now=now,
            expected_version=data["version"],
        ),
        "Case {number} is closed. Thank you.",
        {"reason": "comment"},
    )


@contact_view
@require_POST
def case_reopen(request: HttpRequest, number: str) -> HttpResponse:
    """B7: request to re-open within the case policy's window, with new information."""
    return _case_action(
        request,
        number,
        ReopenRequestForm,
        "reopen_form",
        lambda case, data, now: services.case_reopen(
            case=case, actor=request.user, information=data["information"], now=now
        ),
        "Your request to re-open was sent to support.",
    )


@contact_view
@require_POST
def case_priority(request: HttpRequest, number: str) -> HttpResponse:
    """B8: Low → Medium with a work note; High/Critical only by phone."""
    return _case_action(
        request,
        number,
        PriorityRequestForm,
        "priority_form",
        lambda case, data, now: services.case_change_priority(
            case=case,
            actor=request.user,
            priority=Priority.MEDIUM,
            reason=data["note"],
            now=now,
            expected_version=data["version"],
        ),
        "The case is now Medium priority.",
        {"reason": "note"},
    )
