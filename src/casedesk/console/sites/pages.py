"""Sites for support (G2, G3): every site's VoIP readiness and change records, and the forms
that record them for a customer (the page logic is the kit's ``web.sites``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_http_methods

from casedesk.web import sites
from casedesk.web.access import support_view

PAGES = sites.SitePages(
    layout="layouts/console.html",
    list="console-sites",
    detail="console-site",
    voip="console-site-voip",
    change="console-site-change",
    case_detail="console-case-detail",
)


@support_view
@require_GET
def site_list(request: HttpRequest) -> HttpResponse:
    return sites.site_list(request, PAGES)


@support_view
@require_GET
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    return sites.site_detail(request, site_id, PAGES)


@support_view
@require_http_methods(["GET", "POST"])
def voip_new(request: HttpRequest, site_id: int) -> HttpResponse:
    return sites.voip_new(request, site_id, PAGES)


@support_view
@require_http_methods(["GET", "POST"])
def change_new(request: HttpRequest, site_id: int) -> HttpResponse:
    return sites.change_new(request, site_id, PAGES)
