"""Console URLs, included at "console/" without a namespace (names prefixed ``console-``)."""

from django.urls import include, path

from . import escalation_views, views

urlpatterns = [
    path("", views.queue, name="console-queue"),
    path("cases/new/", views.case_new, name="console-case-new"),
    path("cases/<str:number>/", views.case_detail, name="console-case-detail"),
    path("cases/<str:number>/reply/", views.case_reply, name="console-case-reply"),
    path("cases/<str:number>/transition/", views.case_transition, name="console-case-transition"),
    path("cases/<str:number>/priority/", views.case_priority, name="console-case-priority"),
    path("cases/<str:number>/outcome/", views.case_outcome, name="console-case-outcome"),
    path("cases/<str:number>/assign/", views.case_assign, name="console-case-assign"),
    path("cases/<str:number>/all-info/", views.case_all_info, name="console-case-all-info"),
    path("cases/<str:number>/reopen/", views.case_reopen, name="console-case-reopen"),
    path("escalations/", escalation_views.escalations, name="console-escalations"),
    path(
        "escalations/<int:escalation_id>/",
        escalation_views.escalation_detail,
        name="console-escalation",
    ),
    path("mail/", include("casedesk.mail.urls")),
    path("cases/<str:number>/dropbox/", include("casedesk.dropbox.urls")),
]
