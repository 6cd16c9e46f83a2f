"""Sites for support (G2, G3): every site's VoIP readiness and change records, and the forms
that record them for a customer (the page logic is the kit's ``web.sites``)."""

from __future__ import annotations

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

site_list, site_detail, voip_new, change_new = sites.site_views(PAGES, support_view)
