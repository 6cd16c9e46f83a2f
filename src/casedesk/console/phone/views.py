"""The phone screen (H1, C3): live calls first, the caller by PIN, one-step log or open."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from casedesk.accounts.models import Role, User
from casedesk.accounts.selectors import contact_may_open_cases, find_contact
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.phone import selectors, services
from casedesk.phone.models import Call
from casedesk.web.access import support_view
from casedesk.web.case_open import CaseOpenForm
from casedesk.web.errors import add_domain_error

from .forms import CallLogForm, PinForm


def _id(value: str | None) -> int:
    return int(value) if value and value.isascii() and value.isdigit() else 0


def _contact(value: str | None) -> User | None:
    return (
        User.objects.filter(pk=_id(value), role=Role.CONTACT, is_active=True)
        .select_related("organisation")
        .first()
    )


def _live_call(value: str | None) -> Call | None:
    return Call.objects.filter(pk=_id(value), ended_at__isnull=True).first()


def _screen_url(contact: User | None = None, call: Call | None = None) -> str:
    query = {k: v.pk for k, v in (("contact", contact), ("call", call)) if v is not None}
    return reverse("console-phone") + (f"?{urlencode(query)}" if query else "")


def _render(
    request: HttpRequest,
    *,
    lookup: PinForm,
    contact: User | None,
    call: Call | None,
    log_form: CallLogForm | None = None,
    open_form: CaseOpenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    card = selectors.caller_card(contact, clock.now()) if contact else None
    if card is not None:
        log_form = log_form or CallLogForm(cases=card.open_cases)
        open_form = open_form or CaseOpenForm(contracts=card.contracts)
    live = [(c, selectors.call_hold(c)) for c in selectors.live_calls()]
    recent = [(c, selectors.call_hold(c)) for c in selectors.recent_calls(20) if not c.is_live]
    return render(
        request,
        "console/phone/phone.html",
        {
            "lookup": lookup,
            "contact": contact,
            "card": card,
            "call": call,
            "log_form": log_form,
            "open_form": open_form,
            "refusal": contact_may_open_cases(contact) if contact else None,
            "live": live,
            "recent": recent,
            "nav": "phone",
        },
        status=status,
    )


@support_view
@require_GET
def phone(request: HttpRequest) -> HttpResponse:
    """Live calls (emergencies first), then the caller found by PIN with their cases."""
    call = _live_call(request.GET.get("call"))
    contact = _contact(request.GET.get("contact")) or (call.caller if call else None)
    lookup = PinForm(request.GET if "pin" in request.GET else None)
    status = 200
    if lookup.is_bound:
        if lookup.is_valid():
            contact, problem = find_contact(lookup.cleaned_data["pin"])
            if contact is None:
                lookup.add_error("pin", problem)
                status = 404 if "No active contact" in problem else 400
        else:
            status = 400
    return _render(request, lookup=lookup, contact=contact, call=call, status=status)


def _caller_or_back(request: HttpRequest) -> User | None:
    contact = _contact(request.POST.get("contact_id"))
    if contact is None:
        messages.error(request, "Find the caller again by PIN.")
    return contact


@support_view
@require_POST
def phone_log(request: HttpRequest) -> HttpResponse:
    """Log the call on one of the caller's open cases, in one step (H1)."""
    contact = _caller_or_back(request)
    if contact is None:
        return redirect("console-phone")
    call = _live_call(request.POST.get("call_id"))
    card = selectors.caller_card(contact, clock.now())
    form = CallLogForm(request.POST, cases=card.open_cases)
    status = 400
    if form.is_valid():
        try:
            call, _ = services.phone_log_call(
                engineer=request.user,
                caller=contact,
                case=form.chosen_case(),
                body=form.cleaned_data["body"],
                public=form.cleaned_data["visibility"] == "public",
                emergency=form.cleaned_data["emergency"],
                now=clock.now(),
                call=call,
            )
        except DomainError as exc:
            status = add_domain_error(form, exc)
        else:
            messages.success(request, f"Call logged on {form.chosen_case().number}.")
            return redirect(_screen_url(contact, call if call.is_live else None))
    return _render(
        request, lookup=PinForm(), contact=contact, call=call, log_form=form, status=status
    )


@support_view
@require_POST
def phone_open(request: HttpRequest) -> HttpResponse:
    """Open a case for the caller (channel phone) and tie it to the call, in one step (H1)."""
    contact = _caller_or_back(request)
    if contact is None:
        return redirect("console-phone")
    call = _live_call(request.POST.get("call_id"))
    card = selectors.caller_card(contact, clock.now())
    form = CaseOpenForm(request.POST, contracts=card.contracts)
    status = 400
    if form.is_valid():
        try:
            _, case = services.phone_open_case(
                engineer=request.user,
                caller=contact,
                draft=form.to_draft(),
                now=clock.now(),
                call=call,
            )
        except DomainError as exc:
            status = add_domain_error(form, exc)
        else:
            messages.success(request, f"Case {case.number} opened for {contact.full_name}.")
            return redirect("console-case-detail", number=case.number)
    return _render(
        request, lookup=PinForm(), contact=contact, call=call, open_form=form, status=status
    )


@support_view
@require_POST
def phone_answer(request: HttpRequest, call_id: int) -> HttpResponse:
    """Take a queued call: its hold ends now (C3)."""
    call = _live_call(str(call_id))
    if call is None:
        messages.error(request, "That call has ended.")
        return redirect("console-phone")
    call = services.call_answered(call=call, engineer=request.user, now=clock.now())
    return redirect(_screen_url(call.caller, call))


@support_view
@require_POST
def phone_end(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _live_call(str(call_id))
    if call is not None:
        services.call_ended(call=call, now=clock.now())
        messages.success(request, "Call ended.")
    return redirect("console-phone")
