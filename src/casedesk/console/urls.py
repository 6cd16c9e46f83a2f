"""Console URLs, included at "console/" without a namespace (names prefixed ``console-``)."""

from django.urls import path

from .account import views as account
from .care import dropbox, feedback, mail
from .cases import actions, opening, page
from .cases import sitework as case_sitework
from .knowledge import views as knowledge
from .manage import deflection, escalations, policy, report_outcomes, report_satisfaction, surveys
from .manage import reports as manage_reports
from .phone import views as phone
from .queue import exports as queue_exports
from .queue import views as queue
from .sites import cutovers, hold, visits
from .sites import pages as site_pages

urlpatterns = [
    path("", queue.queue, name="console-queue"),
    path("exports/cases/", queue_exports.export_cases, name="console-export-cases"),
    path("exports/<int:pk>/", queue_exports.export_status, name="console-export"),
    path("exports/<int:pk>/again/", queue_exports.export_restart, name="console-export-again"),
    path(
        "exports/<int:pk>/download/",
        queue_exports.export_download,
        name="console-export-download",
    ),
    path("cases/new/", opening.case_new, name="console-case-new"),
    path("cases/<str:number>/", page.case_detail, name="console-case-detail"),
    path("cases/<str:number>/reply/", actions.case_reply, name="console-case-reply"),
    path("cases/<str:number>/transition/", actions.case_transition, name="console-case-transition"),
    path("cases/<str:number>/priority/", actions.case_priority, name="console-case-priority"),
    path("cases/<str:number>/outcome/", actions.case_outcome, name="console-case-outcome"),
    path("cases/<str:number>/assign/", actions.case_assign, name="console-case-assign"),
    path("cases/<str:number>/all-info/", actions.case_all_info, name="console-case-all-info"),
    path("cases/<str:number>/root-cause/", actions.case_root_cause, name="console-case-root-cause"),
    path(
        "cases/<str:number>/fix-delivered/",
        actions.case_fix_delivered,
        name="console-case-fix-delivered",
    ),
    path(
        "cases/<str:number>/service-restored/",
        actions.case_service_restored,
        name="console-case-service-restored",
    ),
    path("cases/<str:number>/reopen/", actions.case_reopen, name="console-case-reopen"),
    path("escalations/", escalations.escalations, name="console-escalations"),
    path(
        "escalations/<int:escalation_id>/",
        escalations.escalation_detail,
        name="console-escalation",
    ),
    # Care: the inbound-mail queue (E3) and SFTP drop boxes (D2).
    path("mail/", mail.queue, name="console-mail"),
    path("mail/<int:pk>/", mail.detail, name="console-mail-detail"),
    path("mail/<int:pk>/raw/", mail.raw, name="console-mail-raw"),
    path("mail/<int:pk>/link/", mail.link, name="console-mail-link"),
    path("mail/<int:pk>/open-case/", mail.open_case, name="console-mail-open-case"),
    path("mail/<int:pk>/dismiss/", mail.dismiss, name="console-mail-dismiss"),
    path("cases/<str:number>/dropbox/open/", dropbox.open_dropbox, name="console-dropbox-open"),
    path(
        "cases/<str:number>/dropbox/revoke/", dropbox.revoke_dropbox, name="console-dropbox-revoke"
    ),
    # Managers and care: survey results (F7, I1).
    path("surveys/", surveys.survey_results_page, name="console-surveys"),
    # Reports (I1): service levels against the C3 targets.
    path("reports/service-levels/", manage_reports.service_levels_page, name="console-report-sla"),
    path("reports/backlog/", manage_reports.backlog_page, name="console-report-backlog"),
    path("reports/follow-ups/", report_outcomes.followups_page, name="console-report-followups"),
    path(
        "reports/escalations/", report_outcomes.escalations_page, name="console-report-escalations"
    ),
    path(
        "reports/satisfaction/",
        report_satisfaction.satisfaction_page,
        name="console-report-satisfaction",
    ),
    path("feedback/", feedback.feedback_list, name="console-feedback"),
    path("feedback/<int:pk>/handle/", feedback.feedback_handle, name="console-feedback-handle"),
    # Knowledge base and the one search (F3, F4, F6); deflection for managers (T12).
    path("kb/", knowledge.kb_list, name="console-kb"),
    path("kb/new/", knowledge.kb_new, name="console-kb-new"),
    path("kb/<int:pk>/", knowledge.kb_article, name="console-kb-article"),
    path("kb/<int:pk>/edit/", knowledge.kb_edit, name="console-kb-edit"),
    path("kb/<int:pk>/act/", knowledge.kb_act, name="console-kb-act"),
    path("kb/<int:pk>/files/", knowledge.kb_file_add, name="console-kb-file-add"),
    path("kb/deflection/", deflection.deflection, name="console-kb-deflection"),
    path("cases/<str:number>/article/", knowledge.case_to_article, name="console-case-article"),
    path("search/", knowledge.search_page, name="console-search"),
    # Customer sites: upcoming cutovers (G1).
    path("cutovers/", cutovers.cutovers, name="console-cutovers"),
    # Customer sites: VoIP readiness and change control (G2, G3).
    path("sites/", site_pages.site_list, name="console-sites"),
    path("sites/<int:site_id>/", site_pages.site_detail, name="console-site"),
    path("sites/<int:site_id>/voip/", site_pages.voip_new, name="console-site-voip"),
    path("sites/<int:site_id>/changes/", site_pages.change_new, name="console-site-change"),
    path("cases/<str:number>/voip-hold/", hold.case_voip_hold, name="console-case-voip-hold"),
    path("cutovers/new/", cutovers.cutover_new, name="console-cutover-new"),
    path(
        "cutovers/<int:notice_id>/diagram/",
        cutovers.cutover_diagram,
        name="console-cutover-diagram",
    ),
    # Site visits (G4) and routing out of support (G5, G6).
    path("site-visits/", visits.site_visits, name="console-site-visits"),
    path(
        "site-visits/<int:visit_id>/decide/",
        visits.site_visit_decide,
        name="console-site-visit-decide",
    ),
    path(
        "cases/<str:number>/site-visits/",
        case_sitework.site_visit_request,
        name="console-case-site-visit",
    ),
    path("cases/<str:number>/route/", case_sitework.case_route, name="console-case-route"),
    # The phone desk (H1, C3).
    path("phone/", phone.phone, name="console-phone"),
    path("phone/log/", phone.phone_log, name="console-phone-log"),
    path("phone/open/", phone.phone_open, name="console-phone-open"),
    path("phone/calls/<int:call_id>/answer/", phone.phone_answer, name="console-phone-answer"),
    path("phone/calls/<int:call_id>/end/", phone.phone_end, name="console-phone-end"),
    # Everyone's own account (A2).
    path("profile/", account.profile, name="console-profile"),
    path("profile/details/", account.profile_details, name="console-profile-details"),
    path("profile/tokens/", account.profile_token_create, name="console-profile-token-create"),
    path(
        "profile/tokens/<int:token_id>/revoke/",
        account.profile_token_revoke,
        name="console-profile-token-revoke",
    ),
    # Care and managers: policy versions (C1-C9).
    path("policy/", policy.policy_list, name="console-policy"),
    path("policy/<int:number>/", policy.policy_detail, name="console-policy-detail"),
    path("policy/<int:number>/new/", policy.policy_new, name="console-policy-new"),
]
