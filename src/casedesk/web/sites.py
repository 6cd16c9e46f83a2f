"""A site's records pages (G2, G3), the same for customers and support: the site list with
VoIP readiness, the site page (assessments line by line, changes with their plans), and
the forms that record them. ``portal`` and ``console`` each wrap these in their own access
decorator, URL names and layout (``SitePages``); the reads and writes scope the rest (a
contact's site of another organisation is a 404, rule 3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound, PolicyViolation
from casedesk.obligations import sites
from casedesk.obligations.changes import change_record
from casedesk.obligations.measurements import MeasurementErrors
from casedesk.obligations.voip import voip_assessment_record, voip_assessment_upload

from .errors import add_domain_error
from .site_forms import ChangeForm, VoipTypedForm, VoipUploadForm


@dataclass(frozen=True)
class SitePages:
    """One interface's layout and URL names for these pages."""

    layout: str
    list: str
    detail: str
    voip: str
    change: str
    case_detail: str

    def context(self, **extra: Any) -> dict[str, Any]:
        return {"layout": self.layout, "urls": self, "nav": "sites", **extra}


def _site(request: HttpRequest, site_id: int) -> Any:
    try:
        return sites.access_site(request.user, site_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404("No such site.") from None


def site_list(request: HttpRequest, pages: SitePages) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    rows = sites.sites_with_readiness(request.user, query=query)  # type: ignore[arg-type]
    return render(request, "sites/list.html", pages.context(rows=rows, q=query))


def site_detail(request: HttpRequest, site_id: int, pages: SitePages) -> HttpResponse:
    site = _site(request, site_id)
    user: Any = request.user
    return render(
        request,
        "sites/detail.html",
        pages.context(
            site=site,
            latest=sites.latest_assessment(site.pk),
            assessments=sites.assessments_for(user, site),
            changes=sites.changes_for(user, site),
            held=sites.voip_cases_held_at(site.pk) if user.is_support else [],
        ),
    )


def voip_new(request: HttpRequest, site_id: int, pages: SitePages) -> HttpResponse:
    """Typed lines or a measurement file; a bad file lists every bad row, stores nothing."""
    site = _site(request, site_id)
    user: Any = request.user
    which = request.POST.get("form", "")
    typed = VoipTypedForm(request.POST if which == "typed" else None, user=user)
    upload = VoipUploadForm(
        request.POST if which == "upload" else None,
        request.FILES if which == "upload" else None,
        user=user,
    )
    file_errors: list[tuple[str, str]] = []
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if which == "typed" and typed.is_valid():
                assessment = voip_assessment_record(
                    actor=user,
                    site=site,
                    lines=typed.lines,
                    measured_at=typed.cleaned_data["measured_at"],
                    notes=typed.cleaned_data.get("notes") or "",
                    public=typed.public,
                    now=clock.now(),
                )
                return _recorded(request, pages, site, assessment)
            if which == "upload" and upload.is_valid():
                sent = upload.cleaned_data["file"]
                assessment = voip_assessment_upload(
                    actor=user,
                    site=site,
                    filename=sent.name,
                    data=sent.read(),
                    measured_at=upload.cleaned_data.get("measured_at"),
                    public=upload.public,
                    now=clock.now(),
                )
                return _recorded(request, pages, site, assessment)
        except MeasurementErrors as exc:
            file_errors = exc.errors
            refused = PolicyViolation(
                "The file was refused and nothing was stored; fix the rows listed and send it "
                "again.",
                field="file",
            )
            status = add_domain_error(upload, refused)
        except DomainError as exc:
            status = add_domain_error(typed if which == "typed" else upload, exc)
    return render(
        request,
        "sites/voip_new.html",
        pages.context(site=site, typed=typed, upload=upload, file_errors=file_errors),
        status=status,
    )


def _recorded(request: HttpRequest, pages: SitePages, site: Any, assessment: Any) -> HttpResponse:
    verdict = "passes" if assessment.passed else "fails"
    count = assessment.lines.count()
    messages.success(request, f"Assessment recorded: {count} line(s); it {verdict}.")
    return redirect(pages.detail, site_id=site.pk)


def change_new(request: HttpRequest, site_id: int, pages: SitePages) -> HttpResponse:
    site = _site(request, site_id)
    user: Any = request.user
    form = ChangeForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                change_record(
                    actor=user,
                    site=site,
                    draft=form.to_draft(),
                    public=form.public,
                    now=clock.now(),
                )
            except DomainError as exc:
                status = add_domain_error(form, exc)
            else:
                messages.success(request, f"Change recorded for {site.name}.")
                return redirect(pages.detail, site_id=site.pk)
    return render(
        request, "sites/change_new.html", pages.context(site=site, form=form), status=status
    )


View = Callable[..., HttpResponse]


def site_views(pages: SitePages, guard: Callable[[View], View]) -> tuple[View, View, View, View]:
    """The four site pages of one interface (list, detail, VoIP form, change form), each
    behind that interface's access guard; the portal and the console differ only in these."""

    @require_GET
    def site_list_view(request: HttpRequest) -> HttpResponse:
        return site_list(request, pages)

    @require_GET
    def site_detail_view(request: HttpRequest, site_id: int) -> HttpResponse:
        return site_detail(request, site_id, pages)

    @require_http_methods(["GET", "POST"])
    def voip_new_view(request: HttpRequest, site_id: int) -> HttpResponse:
        return voip_new(request, site_id, pages)

    @require_http_methods(["GET", "POST"])
    def change_new_view(request: HttpRequest, site_id: int) -> HttpResponse:
        return change_new(request, site_id, pages)

    return (
        guard(site_list_view),
        guard(site_detail_view),
        guard(voip_new_view),
        guard(change_new_view),
    )
