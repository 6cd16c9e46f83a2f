"""A customer's sites (G2, G3): VoIP readiness and change records of their own
organisation's sites, and the forms to record them (the page logic is ``web.sites``; a
site of another organisation is a 404)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_http_methods

from casedesk.web import sites
from casedesk.web.access import contact_view

PAGES = sites.SitePages(
    layout="layouts/portal.html",
    list="portal-sites",
    detail="portal-site",
    voip="portal-site-voip",
    change="portal-site-change",
    case_detail="portal-case-detail",
)


@contact_view
@require_GET
def site_list(request: HttpRequest) -> HttpResponse:
    return sites.site_list(request, PAGES)


@contact_view
@require_GET
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    return sites.site_detail(request, site_id, PAGES)


@contact_view
@require_http_methods(["GET", "POST"])
def voip_new(request: HttpRequest, site_id: int) -> HttpResponse:
    return sites.voip_new(request, site_id, PAGES)


@contact_view
@require_http_methods(["GET", "POST"])
def change_new(request: HttpRequest, site_id: int) -> HttpResponse:
    return sites.change_new(request, site_id, PAGES)
