"""The console's case actions: reply, transition, priority, outcome, assign, all-info, re-open.

Writes go through ``cases.services`` with ``now=clock.now()``; a refusal re-renders the case
page (``page.case_page``) with the reason.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from casedesk.accounts.selectors import (
    engineers,
)
from casedesk.cases import services
from casedesk.console.cases.forms import (
    AssignForm,
    OutcomeForm,
    ReplyForm,
    SupportPriorityForm,
    SupportReopenForm,
    TransitionForm,
)
from casedesk.console.cases.page import case_page, done
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.web.access import get_case_or_404, support_view
from casedesk.web.errors import add_domain_error


@support_view
@require_POST
def case_reply(request: HttpRequest, number: str) -> HttpResponse:
    """B5: public reply or internal note."""
    case = get_case_or_404(request.user, number)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return case_page(request, case, 400, reply_form=form)
    internal = form.cleaned_data["visibility"] == "internal"
    try:
        services.case_add_update(
            case=case,
            actor=request.user,
            body=form.cleaned_data["body"],
            now=clock.now(),
            internal=internal,
        )
    except DomainError as exc:
        return case_page(request, case, add_domain_error(form, exc), reply_form=form)
    return done(request, case, "Internal note added." if internal else "Reply sent.")


@support_view
@require_POST
def case_transition(request: HttpRequest, number: str) -> HttpResponse:
    """B4, B6: one edge of the status table, with its reason; stale version → 409."""
    case = get_case_or_404(request.user, number)
    form = TransitionForm(request.POST, case=case)
    if not form.is_valid():
        return case_page(request, case, 400, transition_form=form)
    d = form.cleaned_data
    try:
        services.case_transition(
            case=case,
            actor=request.user,
            action=d["action"],
            to=d["to"],
            reason=d["reason"],
            close_reason=d.get("close_reason") or None,
            now=clock.now(),
            expected_version=d["version"],
            reason_public=form.text_public,
        )
    except DomainError as exc:
        status = add_domain_error(
            form,
            exc,
            {"action": "move", "sub_status": "move", "reason_public": "visibility"},
            case=case,
        )
        return case_page(request, case, status, transition_form=form)
    return done(request, case, "Status changed.")


@support_view
@require_POST
def case_priority(request: HttpRequest, number: str) -> HttpResponse:
    """B3, B8: support sets the priority (and Production Down) with a reason."""
    case = get_case_or_404(request.user, number)
    form = SupportPriorityForm(request.POST)
    if not form.is_valid():
        return case_page(request, case, 400, priority_form=form)
    d = form.cleaned_data
    try:
        services.case_change_priority(
            case=case,
            actor=request.user,
            priority=d["priority"],
            reason=d["reason"],
            production_down=bool(d.get("production_down")),
            emergency_criterion=d.get("emergency_criterion") or None,
            now=clock.now(),
            expected_version=d["version"],
            reason_public=form.text_public,
        )
    except DomainError as exc:
        status = add_domain_error(form, exc, case=case)
        return case_page(request, case, status, priority_form=form)
    return done(request, case, "Priority changed.")


@support_view
@require_POST
def case_outcome(request: HttpRequest, number: str) -> HttpResponse:
    """B9: outcome, change request, hot fix."""
    case = get_case_or_404(request.user, number)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return case_page(request, case, 400, outcome_form=form)
    d = form.cleaned_data
    try:
        services.case_set_outcome(
            case=case,
            actor=request.user,
            outcome=d["outcome"],
            change_request_id=d.get("change_request_id") or "",
            change_request_status=d.get("change_request_status") or "",
            hot_fix=bool(d.get("hot_fix")),
            note=d.get("note") or "",
            note_public=form.text_public,
            now=clock.now(),
        )
    except DomainError as exc:
        return case_page(request, case, add_domain_error(form, exc), outcome_form=form)
    return done(request, case, "Outcome recorded.")


@support_view
@require_POST
def case_assign(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_or_404(request.user, number)
    form = AssignForm(request.POST, engineers=list(engineers()))
    if not form.is_valid():
        return case_page(request, case, 400, assign_form=form)
    assignee_id = form.cleaned_data["assignee"]
    assignee = engineers().filter(pk=assignee_id).first() if assignee_id else None
    try:
        services.case_assign(
            case=case,
            actor=request.user,
            assignee=assignee,
            now=clock.now(),
            reason=form.cleaned_data.get("reason") or "",
        )
    except DomainError as exc:
        return case_page(request, case, add_domain_error(form, exc), assign_form=form)
    who = assignee.full_name if assignee else "the queue"
    return done(request, case, f"Assigned to {who}.")


@support_view
@require_POST
def case_all_info(request: HttpRequest, number: str) -> HttpResponse:
    """C4: all necessary information provided starts the root-cause clock."""
    case = get_case_or_404(request.user, number)
    try:
        services.case_mark_all_info_provided(case=case, actor=request.user, now=clock.now())
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return case_page(request, case, exc.status_code, all_info_error=exc.reason)
    return done(request, case, "Marked: all necessary information provided.")


@support_view
@require_POST
def case_reopen(request: HttpRequest, number: str) -> HttpResponse:
    """B7: support re-opens (by phone) within 30 days, with new information."""
    case = get_case_or_404(request.user, number)
    form = SupportReopenForm(request.POST)
    if not form.is_valid():
        return case_page(request, case, 400, reopen_form=form)
    try:
        services.case_reopen(
            case=case,
            actor=request.user,
            information=form.cleaned_data["information"],
            now=clock.now(),
        )
    except DomainError as exc:
        return case_page(request, case, add_domain_error(form, exc), reopen_form=form)
    return done(request, case, "Case re-opened.")
