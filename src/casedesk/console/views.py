"""Support console (B4-B10, A7, H1): the queue, the full case page and one form per action.

Only support roles reach these views; to a contact every console URL is a 404 (rule 3).
Writes go through ``cases.services`` with ``now=clock.now()``; refusals re-render the
case page with the form's text kept and the service's reason, at a 4xx status.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from casedesk.accounts.models import Role, User
from casedesk.accounts.selectors import (
    certifications_for,
    contact_may_open_cases,
    contract_maintenance,
    engineers,
)
from casedesk.cases import selectors, services
from casedesk.cases.models import Case, Channel
from casedesk.cases.permissions import scope_cases
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.policy.reopen import DEFAULT_REOPEN_WINDOW_DAYS
from casedesk.portal.forms import CaseOpenForm
from casedesk.portal.views import contracts_with_maintenance
from casedesk.portal.web import add_domain_error, get_case_or_404, support_view
from casedesk.sla.selectors import centres_now

from .forms import (
    AssignForm,
    ContactLookupForm,
    OutcomeForm,
    QueueFilterForm,
    ReplyForm,
    SupportPriorityForm,
    SupportReopenForm,
    TransitionForm,
)

# --- queue ---------------------------------------------------------------------------


@support_view
def queue(request: HttpRequest) -> HttpResponse:
    """Queues by product group and region, waiting on support and oldest first by default."""
    form = QueueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    try:
        page_number = int(request.GET.get("page", "1"))
    except ValueError:
        page_number = 1
    centres = centres_now(clock.now())
    filters = selectors.CaseFilters(
        scope="all",
        state=data.get("state") or "waiting_on_support",
        product_group=data.get("product_group"),
        region=data.get("region") or "",
        regions=centres.regions_of(data.get("centre") or ""),
        priority=data.get("priority") or "",
        assignee=data.get("assignee") or "",
        q=(data.get("q") or "").strip(),
        sort=data.get("sort") or "oldest",
        page=page_number,
    )
    page = selectors.engineer_queue(request.user, filters)
    # Counted over this page only: an unbounded COUNT over a million cases is not cheap.
    by_group = Counter(
        c.product_group.name if c.product_group else "No product" for c in page.items
    )
    by_region = Counter(c.get_region_display() for c in page.items)
    return render(
        request,
        "console/queue.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "by_group": sorted(by_group.items()),
            "by_region": sorted(by_region.items()),
            "nav": "queue",
            "centres": centres,
            "filtered": any(
                (
                    filters.product_group,
                    filters.region,
                    filters.regions,
                    filters.priority,
                    filters.assignee,
                    filters.q,
                )
            ),
        },
    )


# --- case page -----------------------------------------------------------------------


def _detail(request: HttpRequest, case: Case, status: int = 200, **forms: Any) -> HttpResponse:
    user: Any = request.user
    now = clock.now()
    team = list(engineers())
    reopen_until = (
        case.closed_at + dt.timedelta(days=DEFAULT_REOPEN_WINDOW_DAYS) if case.closed_at else None
    )
    transition_form = forms.get("transition_form") or TransitionForm(
        initial={"version": case.version}, case=case
    )
    context = {
        "case": case,
        "timeline": selectors.case_timeline(user, case),
        "certifications": certifications_for(case.contact),
        "maintenance": contract_maintenance(case.contract, now.date()),
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
        "reopen_until": reopen_until,
        "within_window": reopen_until is not None and now <= reopen_until,
        "is_assignee": case.assignee_id == user.pk,
        "window_days": DEFAULT_REOPEN_WINDOW_DAYS,
        "nav": "queue",
    }
    return render(request, "console/case_detail.html", context, status=status)


@support_view
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    """Everything about the case, the full timeline and the contact's certifications (A7)."""
    return _detail(request, get_case_or_404(request.user, number))


def _done(request: HttpRequest, case: Case, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("console-case-detail", number=case.number)


@support_view
@require_POST
def case_reply(request: HttpRequest, number: str) -> HttpResponse:
    """B5: public reply or internal note."""
    case = get_case_or_404(request.user, number)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _detail(request, case, 400, reply_form=form)
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
        return _detail(request, case, add_domain_error(form, exc), reply_form=form)
    return _done(request, case, "Internal note added." if internal else "Reply sent.")


@support_view
@require_POST
def case_transition(request: HttpRequest, number: str) -> HttpResponse:
    """B4, B6: one edge of the status table, with its reason; stale version → 409."""
    case = get_case_or_404(request.user, number)
    form = TransitionForm(request.POST, case=case)
    if not form.is_valid():
        return _detail(request, case, 400, transition_form=form)
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
        )
    except DomainError as exc:
        status = add_domain_error(form, exc, {"action": "move", "sub_status": "move"}, case=case)
        return _detail(request, case, status, transition_form=form)
    return _done(request, case, "Status changed.")


@support_view
@require_POST
def case_priority(request: HttpRequest, number: str) -> HttpResponse:
    """B3, B8: support sets the priority (and Production Down) with a reason."""
    case = get_case_or_404(request.user, number)
    form = SupportPriorityForm(request.POST)
    if not form.is_valid():
        return _detail(request, case, 400, priority_form=form)
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
        )
    except DomainError as exc:
        status = add_domain_error(form, exc, case=case)
        return _detail(request, case, status, priority_form=form)
    return _done(request, case, "Priority changed.")


@support_view
@require_POST
def case_outcome(request: HttpRequest, number: str) -> HttpResponse:
    """B9: outcome, change request, hot fix."""
    case = get_case_or_404(request.user, number)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return _detail(request, case, 400, outcome_form=form)
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
            now=clock.now(),
        )
    except DomainError as exc:
        return _detail(request, case, add_domain_error(form, exc), outcome_form=form)
    return _done(request, case, "Outcome recorded.")


@support_view
@require_POST
def case_assign(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_or_404(request.user, number)
    form = AssignForm(request.POST, engineers=list(engineers()))
    if not form.is_valid():
        return _detail(request, case, 400, assign_form=form)
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
        return _detail(request, case, add_domain_error(form, exc), assign_form=form)
    who = assignee.full_name if assignee else "the queue"
    return _done(request, case, f"Assigned to {who}.")


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
        return _detail(request, case, exc.status_code, all_info_error=exc.reason)
    return _done(request, case, "Marked: all necessary information provided.")


@support_view
@require_POST
def case_reopen(request: HttpRequest, number: str) -> HttpResponse:
    """B7: support re-opens (by phone) within 30 days, with new information."""
    case = get_case_or_404(request.user, number)
    form = SupportReopenForm(request.POST)
    if not form.is_valid():
        return _detail(request, case, 400, reopen_form=form)
    try:
        services.case_reopen(
            case=case,
            actor=request.user,
            information=form.cleaned_data["information"],
            now=clock.now(),
        )
    except DomainError as exc:
        return _detail(request, case, add_domain_error(form, exc), reopen_form=form)
    return _done(request, case, "Case re-opened.")


# --- open a case for a caller (H1) ---------------------------------------------------


def find_contact(who: str) -> tuple[User | None, str]:
    """The active contact with this e-mail or support PIN, or why there is none."""
    who = who.strip()
    contacts = User.objects.filter(role=Role.CONTACT, is_active=True).select_related("organisation")
    if "@" in who:
        found = list(contacts.filter(email__iexact=who)[:2])
    elif who.isdigit() and len(who) == 6:
        found = list(contacts.filter(support_pin=who)[:2])
    else:
        return None, "Enter the contact's e-mail address or their 6-digit support PIN."
    if not found:
        return None, "No active contact has that e-mail or PIN."
    if len(found) > 1:
        return None, "More than one contact has that PIN; ask for their e-mail address."
    return found[0], ""


@support_view
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    """Support opens a case for a contact who phoned (B2, H1); channel is phone."""
    now = clock.now()
    status = 200
    contact: User | None = None
    form: CaseOpenForm | None = None
    lookup = ContactLookupForm(request.GET or None)
    if request.method == "POST":
        contact = (
            User.objects.filter(
                pk=request.POST.get("contact_id") or 0, role=Role.CONTACT, is_active=True
            )
            .select_related("organisation")
            .first()
        )
        if contact is None:
            lookup = ContactLookupForm()
            messages.error(request, "Choose the contact again.")
            status = 400
    elif lookup.is_valid():
        contact, problem = find_contact(lookup.cleaned_data["who"])
        if contact is None:
            lookup.add_error("who", problem)
            status = 404 if "No active contact" in problem else 400
    if contact is not None:
        contracts = contracts_with_maintenance(contact, now.date())
        if request.method == "POST":
            form = CaseOpenForm(request.POST, contracts=contracts)
            if form.is_valid():
                try:
                    case = services.case_open(
                        contact=contact,
                        draft=form.to_draft(),
                        now=now,
                        opened_by=request.user,
                        channel=Channel.PHONE,
                    )
                except DomainError as exc:
                    status = add_domain_error(form, exc)
                else:
                    messages.success(request, f"Case {case.number} opened for {contact.full_name}.")
                    return redirect("console-case-detail", number=case.number)
            else:
                status = 400
        else:
            form = CaseOpenForm(contracts=contracts)
    return render(
        request,
        "console/case_new.html",
        {
            "lookup": lookup,
            "contact": contact,
            "form": form,
            "refusal": contact_may_open_cases(contact) if contact else None,
            "contracts": contracts_with_maintenance(contact, now.date()) if contact else [],
            "nav": "new",
        },
        status=status,
    )
