"""The console's case actions: reply, transition, priority, outcome, assign, the milestone marks
(all information, root cause, fix delivered, service restored), re-open.

Writes go through ``cases.services`` with ``now=clock.now()``; a refusal re-renders the case
page (``page.case_page``) with the reason.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from casedesk.accounts.selectors import (
    engineers,
)
from casedesk.cases import services
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
)
from casedesk.console.cases.page import case_page, done
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.web.access import get_case_or_404, support_view
from casedesk.web.errors import add_domain_error, refuse_stale_form, shown_version_is_stale


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
        if shown_version_is_stale(form, case):  # its choices were the old status's
            return case_page(request, case, refuse_stale_form(form, case), transition_form=form)
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


def _mark(
    request: HttpRequest, number: str, form_class: type, form_name: str, text: str, **call: Any
) -> HttpResponse:
    """One milestone mark (C3): the form's text and version into the service; refusals
    re-render the page with the form and the reason, a stale version at 409."""
    case = get_case_or_404(request.user, number)
    form = form_class(request.POST)
    if not form.is_valid():
        return case_page(request, case, 400, **{form_name: form})
    d = form.cleaned_data
    service = call.pop("service")
    field = call.pop("field")
    try:
        service(
            case=case,
            actor=request.user,
            now=clock.now(),
            expected_version=d["version"],
            **{field: d.get(field) or ""},
        )
    except DomainError as exc:
        return case_page(request, case, add_domain_error(form, exc, case=case), **{form_name: form})
    return done(request, case, text)


@support_view
@require_POST
def case_root_cause(request: HttpRequest, number: str) -> HttpResponse:
    """C3: root cause found; Production Down starts its 7 × 24 h fix target."""
    return _mark(
        request,
        number,
        RootCauseForm,
        "root_cause_form",
        "Root cause recorded.",
        service=services.case_mark_root_cause,
        field="summary",
    )


@support_view
@require_POST
def case_fix_delivered(request: HttpRequest, number: str) -> HttpResponse:
    """C3: the fix or workaround is delivered (meets the dated fix target)."""
    return _mark(
        request,
        number,
        FixDeliveredForm,
        "fix_form",
        "Fix or workaround recorded as delivered.",
        service=services.case_mark_fix_delivered,
        field="note",
    )


@support_view
@require_POST
def case_service_restored(request: HttpRequest, number: str) -> HttpResponse:
    """C3: a Production Down outage ends; its length is recorded."""
    return _mark(
        request,
        number,
        ServiceRestoredForm,
        "restored_form",
        "Service restored: outage recorded.",
        service=services.case_mark_service_restored,
        field="note",
    )


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
