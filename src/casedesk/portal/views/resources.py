"""The contact page, resource centre, licences and feedback in the portal (F1, F2, F5, F7).

Contacts only (``contact_view``). A product the contact's contracts do not cover, another
organisation's licence, or a missing one: the same 404 (security rule 3). Every licence
file handed out is audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.resources import selectors, services
from casedesk.web.access import contact_view
from casedesk.web.downloads import stored_file_response
from casedesk.web.errors import add_domain_error

from ..resource_forms import FeedbackForm


@require_safe
@contact_view
def contact_page(request: HttpRequest) -> HttpResponse:
    """F5: whom to call, when, and what to do when production is down."""
    return render(request, "portal/contact.html", {"nav": "contact", **selectors.contact_page()})


@require_safe
@contact_view
def resource_home(request: HttpRequest) -> HttpResponse:
    products = selectors.covered_products(request.user)  # type: ignore[arg-type]
    return render(request, "portal/resources.html", {"nav": "resources", "products": products})


@require_safe
@contact_view
def resource_product(request: HttpRequest, product_id: int) -> HttpResponse:
    """F1: releases and downloads, documents, end of support and end of life."""
    try:
        product = selectors.access_product(request.user, product_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404("No such product.") from None
    context: dict[str, Any] = selectors.product_resources(product)
    context.update(nav="resources", today=clock.today())
    return render(request, "portal/resource_product.html", context)


@require_safe
@contact_view
def resource_download(request: HttpRequest, download_id: int) -> HttpResponse:
    try:
        download = selectors.access_download(request.user, download_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404("No such file.") from None
    return stored_file_response(download)


@require_safe
@contact_view
def licence_list(request: HttpRequest) -> HttpResponse:
    """F2: the organisation's licences, expiring ones flagged ahead of time."""
    rows = selectors.licence_rows(request.user, clock.today())  # type: ignore[arg-type]
    return render(request, "portal/licences.html", {"nav": "licences", "rows": rows})


@require_safe
@contact_view
def licence_download(request: HttpRequest, licence_id: int) -> HttpResponse:
    try:
        licence = selectors.access_licence(request.user, licence_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404("No such licence.") from None
    response = stored_file_response(licence)
    if response.status_code == 200:
        services.licence_downloaded(actor=request.user, licence=licence, now=clock.now())  # type: ignore[arg-type]
    return response


@contact_view
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest) -> HttpResponse:
    """F7: tell Customer Care what works and what does not."""
    status = 200
    form = FeedbackForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.feedback_send(
                    contact=request.user,  # type: ignore[arg-type]
                    topic=form.cleaned_data["topic"],
                    body=form.cleaned_data["body"],
                    now=clock.now(),
                )
            except DomainError as exc:
                status = add_domain_error(form, exc)
            else:
                messages.success(request, "Thank you: Customer Care will read your feedback.")
                return redirect("portal-feedback")
        else:
            status = 400
    return render(request, "portal/feedback.html", {"nav": "feedback", "form": form}, status=status)
