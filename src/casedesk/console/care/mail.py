"""The care queue in the console (E3): list, detail, raw download, link, open a case, dismiss.

Only care admins and managers reach these pages; to everyone else (engineers, contacts)
they answer 404 like a missing message. The sender's HTML is never rendered raw: the
page shows the nh3-sanitised body under the site's strict CSP, and the original .eml is
a download (``Content-Disposition: attachment``, ``nosniff``), never displayed inline.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from casedesk.accounts.selectors import contracts_with_maintenance
from casedesk.cases.models import Case
from casedesk.cases.selectors import access_case
from casedesk.console.care.forms import DismissForm, LinkForm
from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.files.storage import get_storage
from casedesk.mail import selectors, services
from casedesk.mail.models import InboundMessage, State
from casedesk.mail.parsing import safe_text
from casedesk.web.case_open import CaseOpenForm
from casedesk.web.errors import add_domain_error

View = Callable[..., HttpResponse]


def care_view(view: View) -> View:
    """Care and managers only; anyone else gets the 404 of a page that does not exist."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.may_handle_mail(request.user):
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    return wrapper


def _message(request: HttpRequest, pk: int) -> InboundMessage:
    try:
        return selectors.access_inbound(request.user, pk)
    except NotFound:
        raise Http404("Not found.") from None


@care_view
def queue(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "care")
    if view not in ("care", "handled", "all"):
        view = "care"
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    page = selectors.care_queue(request.user, view=view, page=number)
    return render(
        request,
        "console/care/mail_queue.html",
        {
            "page": page,
            "view": view,
            "nav": "mail",
            "waiting": selectors.care_queue_count(request.user),
        },
    )


RAW_SHOWN = 64 * 1024


def _raw_text(message: InboundMessage) -> str:
    """The start of the raw message as text, for mail the parser could not read whole
    (quarantined, or with defects): care reads it on the page (escaped, never rendered)."""
    if message.state != State.QUARANTINED and not message.defects:
        return ""
    try:
        with get_storage().open_read(message.raw_key) as stream:
            head = stream.read(RAW_SHOWN + 1)
    except FileNotFoundError:
        return ""
    text = head[:RAW_SHOWN].decode("utf-8", "replace").replace("\x00", "\ufffd")
    return text + ("\n[… the rest is in the download]" if len(head) > RAW_SHOWN else "")


def _readable(message: InboundMessage) -> InboundMessage:
    """Header text of rows stored before the surrogate fix (issue 15, item 14): a lone
    surrogate in a JSON field saved, then broke the page with UnicodeEncodeError."""
    message.headers = [[safe_text(str(n)), safe_text(str(v))] for n, v in message.headers]
    return message


def _detail(request: HttpRequest, message: InboundMessage, status: int = 200, **forms: Any):
    return render(
        request,
        "console/care/mail_detail.html",
        {
            "message": _readable(message),
            "raw_text": _raw_text(message),
            "link_form": forms.get("link_form") or LinkForm(),
            "dismiss_form": forms.get("dismiss_form") or DismissForm(),
            "contact": services.mail_sender_contact(message),
            "nav": "mail",
        },
        status=status,
    )


@care_view
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _message(request, pk))


@care_view
def raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The original message as received, as a download only (rule 5)."""
    message = _message(request, pk)
    try:
        stream = get_storage().open_read(message.raw_key)
    except FileNotFoundError:
        raise Http404("The raw message is no longer stored.") from None
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=f"message-{message.pk}.eml",
        content_type="message/rfc822",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@care_view
@require_POST
def link(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _detail(request, message, 400, link_form=form)
    try:
        case = access_case(request.user, form.cleaned_data["case_number"])
        services.mail_link_to_case(message=message, case=case, actor=request.user, now=clock.now())
    except NotFound:
        form.add_error("case_number", "No case has that number.")
        return _detail(request, message, 404, link_form=form)
    except DomainError as exc:
        return _detail(request, message, add_domain_error(form, exc), link_form=form)
    messages.success(request, f"Linked to {case.number}.")
    return redirect("console-case-detail", number=case.number)


@care_view
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    form = DismissForm(request.POST)
    if not form.is_valid():
        return _detail(request, message, 400, dismiss_form=form)
    try:
        services.mail_dismiss(
            message=message, actor=request.user, reason=form.cleaned_data["reason"], now=clock.now()
        )
    except DomainError as exc:
        return _detail(request, message, add_domain_error(form, exc), dismiss_form=form)
    messages.success(request, "Message dismissed.")
    return redirect("console-mail")


@care_view
@require_http_methods(["GET", "POST"])
def open_case(request: HttpRequest, pk: int) -> HttpResponse:
    """A new case from the message, for the registered contact who sent it (E3, A8)."""
    message = _message(request, pk)
    contact = services.mail_sender_contact(message)
    if contact is None or not message.needs_care:
        messages.error(
            request,
            "Only a waiting message from a registered contact can become a case.",
        )
        return _detail(request, message, 400)
    now = clock.now()
    contracts = contracts_with_maintenance(contact, now)
    status = 200
    if request.method == "POST":
        form = CaseOpenForm(request.POST, contracts=contracts)
        if form.is_valid():
            try:
                case: Case = services.mail_open_case(
                    message=message, actor=request.user, draft=form.to_draft(), now=now
                )
            except DomainError as exc:
                status = add_domain_error(form, exc)
            else:
                messages.success(request, f"Case {case.number} opened for {contact.full_name}.")
                return redirect("console-case-detail", number=case.number)
        else:
            status = 400
    else:
        form = CaseOpenForm(
            contracts=contracts,
            initial={"subject": message.subject[:200], "description": message.text[:20_000]},
        )
    return render(
        request,
        "console/care/mail_open_case.html",
        {
            "message": message,
            "contact": contact,
            "form": form,
            "contracts": contracts,
            "nav": "mail",
        },
        status=status,
    )
