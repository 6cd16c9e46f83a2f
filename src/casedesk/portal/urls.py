"""Portal URLs, included at "/" without a namespace (names prefixed ``portal-``).

Signing in and out and the password pages keep Django's names (``login``,
``password_reset`` …), which Django's own views redirect to.
"""

from django.urls import path

from .views import (
    account,
    cutovers,
    escalation,
    knowledge,
    opening,
    password,
    resources,
    service,
    sites,
    survey,
)
from .views import cases as views

urlpatterns = [
    path("", account.home, name="home"),
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", account.LogoutView.as_view(), name="logout"),
    path("password-reset/", password.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        password.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        password.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        password.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("password/", password.PasswordChangeView.as_view(), name="password_change"),
    path("cases/", views.case_list, name="portal-case-list"),
    path("cases/new/", opening.case_new, name="portal-case-new"),
    path("cases/<str:number>/", views.case_detail, name="portal-case-detail"),
    path("cases/<str:number>/update/", views.case_update, name="portal-case-update"),
    path("cases/<str:number>/close/", views.case_close, name="portal-case-close"),
    path("cases/<str:number>/reopen/", views.case_reopen, name="portal-case-reopen"),
    path("cases/<str:number>/priority/", views.case_priority, name="portal-case-priority"),
    path("cases/<str:number>/follow-on/", opening.case_follow_on, name="portal-case-follow-on"),
    path(
        "cases/<str:number>/escalate/",
        escalation.case_escalate,
        name="portal-case-escalate",
    ),
    path("survey/<str:token>/", survey.survey, name="survey"),
    path("service/", service.service_dashboard, name="portal-service"),  # I1
    path("profile/", account.profile, name="portal-profile"),
    path("profile/details/", account.profile_details, name="portal-profile-details"),
    path("profile/pin/", account.profile_pin, name="portal-profile-pin"),
    path("cutovers/", cutovers.cutovers, name="portal-cutovers"),  # G1
    # VoIP readiness and change control per site (G2, G3).
    path("sites/", sites.site_list, name="portal-sites"),
    path("sites/<int:site_id>/", sites.site_detail, name="portal-site"),
    path("sites/<int:site_id>/voip/", sites.voip_new, name="portal-site-voip"),
    path("sites/<int:site_id>/changes/", sites.change_new, name="portal-site-change"),
    path(
        "cutovers/<int:notice_id>/diagram/",
        cutovers.cutover_diagram,
        name="portal-cutover-diagram",
    ),
    path("profile/tokens/", account.profile_token_create, name="portal-profile-token-create"),
    path(
        "profile/tokens/<int:token_id>/revoke/",
        account.profile_token_revoke,
        name="portal-profile-token-revoke",
    ),
    # Knowledge, self help and the one search (F3, F4, F6, T12).
    path("kb/", knowledge.kb_home, name="portal-kb"),
    path("kb/<int:pk>/", knowledge.kb_article, name="portal-kb-article"),
    path("kb/<int:pk>/vote/", knowledge.kb_vote, name="portal-kb-vote"),
    path("kb/<int:pk>/comment/", knowledge.kb_comment, name="portal-kb-comment"),
    path("kb/suggest/", knowledge.suggest_json, name="portal-kb-suggest"),
    # An article's images and attachments; the path is what bodies may refer to (F4).
    path("knowledge/files/<int:file_id>/<str:name>", knowledge.article_file, name="kb-file"),
    path("self-help/", knowledge.selfhelp, name="portal-selfhelp"),
    path("self-help/<int:product_id>/", knowledge.selfhelp, name="portal-selfhelp-product"),
    path("search/", knowledge.search_page, name="portal-search"),
    # Contact page, resource centre, licences, feedback (F1, F2, F5, F7).
    path("contact/", resources.contact_page, name="portal-contact"),
    path("resources/", resources.resource_home, name="portal-resources"),
    path("resources/<int:product_id>/", resources.resource_product, name="portal-resource-product"),
    path(
        "resources/downloads/<int:download_id>/",
        resources.resource_download,
        name="portal-resource-download",
    ),
    path("licences/", resources.licence_list, name="portal-licences"),
    path(
        "licences/<int:licence_id>/download/",
        resources.licence_download,
        name="portal-licence-download",
    ),
    path("feedback/", resources.feedback, name="portal-feedback"),
]
