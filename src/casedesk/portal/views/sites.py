"""A customer's sites (G2, G3): VoIP readiness and change records of their own
organisation's sites, and the forms to record them (the page logic is ``web.sites``; a
site of another organisation is a 404)."""

from __future__ import annotations

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

site_list, site_detail, voip_new, change_new = sites.site_views(PAGES, contact_view)
