"""URL map: portal at /, console at /console/, API at /api/v1/, care admin at /admin/."""

from django.contrib import admin
from django.urls import include, path

from casedesk.api.api import api

# A database error anywhere in the request is a 503, never a 500 (issue 15 item 11).
handler500 = "casedesk.core.middleware.server_error"

admin.site.site_header = "casedesk — Customer Care"
admin.site.site_title = "casedesk care"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("console/", include("casedesk.console.urls")),
    path("", include("casedesk.api.transfer.urls")),
    path("", include("casedesk.portal.urls")),
]
