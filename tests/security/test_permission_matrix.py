"""The generated permission matrix (security rule 3; A3, A4): every route × every role.

Every URL the project serves is listed in ROUTES with the rule it follows. A route
that is missing here fails ``test_every_route_is_in_the_matrix``, so a new page or
endpoint cannot ship without its access rule being tried. For case routes each role
is tried against its own case, a colleague's (with and without colleague
visibility) and another organisation's: what it may not see must answer exactly like
a case that does not exist, for reads and writes alike, and change nothing.
"""

from __future__ import annotations

import json

import pytest
from django.urls import URLResolver, get_resolver

from casedesk.accounts.services import api_token_create
from casedesk.cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db

MISSING = "CS-999999"

# rule: "portal-case" (contacts by visibility), "console-case" (support staff only),
# "api-case" (anyone by visibility, bearer token), "contact-page", "console-page",
# "api-page", "user-page" (any signed-in person: logout, password change), "public" (login,
# password reset, docs), "admin" (Django admin, staff only), "attachment"
# (a file, by whoever may see its case), "tus-create" (a tus upload on a visible, open
# case), "tus-upload" (a tus upload, by its creator only).
ROUTES: dict[str, str] = {
    "": "contact-page",
    "login/": "public",
    "logout/": "user-page",
    "password-reset/": "public",
    "password-reset/sent/": "public",
    "password-reset/<uidb64>/<token>/": "public",
    "password-reset/done/": "public",
    "password/": "user-page",
    "cases/": "contact-page",
    "cases/new/": "contact-page",
    "cases/<str:number>/": "portal-case",
    "cases/<str:number>/update/": "portal-case",
    "cases/<str:number>/close/": "portal-case",
    "cases/<str:number>/reopen/": "portal-case",
    "cases/<str:number>/priority/": "portal-case",
    "cases/<str:number>/follow-on/": "portal-case",
    "cases/<str:number>/escalate/": "portal-case",
    "profile/": "contact-page",
    "profile/details/": "contact-page",
    "profile/pin/": "contact-page",
    "profile/tokens/": "contact-page",
    "profile/tokens/<int:token_id>/revoke/": "contact-page",
    "console/": "console-page",
    "console/cases/new/": "console-page",
    "console/cases/<str:number>/": "console-case",
    "console/cases/<str:number>/reply/": "console-case",
    "console/cases/<str:number>/transition/": "console-case",
    "console/cases/<str:number>/priority/": "console-case",
    "console/cases/<str:number>/outcome/": "console-case",
    "console/cases/<str:number>/assign/": "console-case",
    "console/cases/<str:number>/all-info/": "console-case",
    "console/cases/<str:number>/root-cause/": "console-case",
    "console/cases/<str:number>/fix-delivered/": "console-case",
    "console/cases/<str:number>/service-restored/": "console-case",
    "console/cases/<str:number>/reopen/": "console-case",
    "console/escalations/": "console-page",
    "console/escalations/<int:escalation_id>/": "console-page",
    "console/mail/": "console-page",
    "console/mail/<int:pk>/": "console-mail",
    "console/mail/<int:pk>/raw/": "console-mail",
    "console/mail/<int:pk>/link/": "console-mail",
    "console/mail/<int:pk>/open-case/": "console-mail",
    "console/mail/<int:pk>/dismiss/": "console-mail",
    "console/cases/<str:number>/dropbox/open/": "console-case",
    "console/cases/<str:number>/dropbox/revoke/": "console-case",
    "api/v1/": "public",
    "api/v1/openapi.json": "public",
    "api/v1/docs": "public",
    "api/v1/auth/token": "public",
    "api/v1/me": "api-page",
    "api/v1/me/pin": "api-page",
    "api/v1/catalogue": "api-page",
    "api/v1/cases": "api-page",
    "api/v1/cases/<number>": "api-case",
    "api/v1/cases/<number>/events": "api-case",
    "api/v1/cases/<number>/follow-on": "api-case",
    "api/v1/cases/<number>/updates": "api-case",
    "api/v1/cases/<number>/transitions": "api-case",
    "api/v1/cases/<number>/close": "api-case",
    "api/v1/cases/<number>/reopen": "api-case",
    "api/v1/cases/<number>/priority": "api-case",
    "api/v1/cases/<number>/outcome": "api-case",
    "api/v1/cases/<number>/assign": "api-case",
    "api/v1/cases/<number>/all-info": "api-case",
    "api/v1/cases/<number>/root-cause": "api-case",
    "api/v1/cases/<number>/fix-delivered": "api-case",
    "api/v1/cases/<number>/service-restored": "api-case",
    "api/v1/cases/<number>/attachments": "api-case",
    "api/v1/attachments/<attachment_id>/download": "attachment",
    "files/<int:attachment_id>/download/": "attachment",
    "uploads/": "tus-create",
    "uploads/<str:upload_id>": "tus-upload",
    "api/v1/cases/<number>/escalation": "api-case",
    "api/v1/cases/<number>/escalations": "api-case",
    # F7: public by signed token (tests/notifications/test_survey.py tries bad tokens).
    "survey/<str:token>/": "public",
    # Issue 15 item 9: by signed, expiring token, on the files origin only
    # (tests/files/test_files_origin.py tries forged, expired and wrong-host requests).
    "files/signed/<str:token>/": "public",
    "console/surveys/": "console-page",
    # F3, F4, F6, T12: readers by policy.articles (tests/security/test_knowledge_matrix.py).
    "kb/": "public",
    "kb/<int:pk>/": "article",
    "kb/<int:pk>/vote/": "article",
    "kb/<int:pk>/comment/": "article",
    "kb/suggest/": "contact-page",
    # An article's file: its article's readers only (tests/knowledge/test_article_files.py).
    "knowledge/files/<int:file_id>/<str:name>": "article",
    "self-help/": "public",
    "self-help/<int:product_id>/": "public",
    "search/": "public",
    "console/kb/": "console-page",
    "console/kb/new/": "console-page",
    "console/kb/<int:pk>/": "console-page",
    "console/kb/<int:pk>/edit/": "console-page",
    "console/kb/<int:pk>/act/": "console-page",
    "console/kb/<int:pk>/files/": "console-page",
    "console/kb/deflection/": "console-page",
    "console/cases/<str:number>/article/": "console-case",
    "console/search/": "console-page",
    "console/profile/": "console-page",
    "console/profile/details/": "console-page",
    "console/profile/tokens/": "console-page",
    "console/profile/tokens/<int:token_id>/revoke/": "console-page",
    # C1-C9 (issue 11 item 6): policy versions, care and managers only.
    "console/policy/": "console-policy",
    "console/policy/<int:number>/": "console-policy",
    "console/policy/<int:number>/new/": "console-policy",
    # I1 reports, scoped by reports.selectors.report_scope (tests/reports/ tries each role).
    "console/reports/service-levels/": "console-page",
    "console/reports/backlog/": "console-page",
    "console/reports/follow-ups/": "console-page",
    "console/reports/escalations/": "console-page",
    "console/reports/satisfaction/": "console-page",
    # Background exports (issue 13 item 7): the requester only (tests/reports/test_export_jobs.py
    # tries another engineer, a manager and a contact on someone's job and file).
    "console/exports/cases/": "console-page",
    "console/exports/<int:pk>/": "console-page",
    "console/exports/<int:pk>/again/": "console-page",
    "console/exports/<int:pk>/download/": "console-page",
    "service/": "contact-page",
    "api/v1/reports/service-levels": "api-page",
    "api/v1/reports/backlog": "api-page",
    "api/v1/reports/follow-ups": "api-page",
    "api/v1/reports/escalations": "api-page",
    "api/v1/reports/satisfaction": "api-page",
    # H1: the IVR/CTI's routes, by a telephony token only (test_telephony_routes_below).
    "api/v1/telephony/pin-checks": "telephony",
    "api/v1/telephony/calls": "telephony",
    "api/v1/telephony/calls/<call_id>/answered": "telephony",
    "api/v1/telephony/calls/<call_id>/ended": "telephony",
    "api/v1/telephony/calls/<call_id>/cases": "telephony",
    # G1: cutover notices (tests/pages/test_cutovers.py: own organisation's sites only).
    "cutovers/": "contact-page",
    "console/cutovers/": "console-page",
    # H1, C3: the phone desk.
    "console/phone/": "console-page",
    "console/phone/log/": "console-page",
    "console/phone/open/": "console-page",
    "console/phone/calls/<int:call_id>/answer/": "console-page",
    "console/phone/calls/<int:call_id>/end/": "console-page",
    # G1, G4-G6: site work (tests/security/test_sitework_matrix.py tries every role on the
    # "cutover" and "site-visit" routes: a contact only their own organisation's).
    "cutovers/<int:notice_id>/diagram/": "cutover",
    "console/cutovers/new/": "console-page",
    "console/cutovers/<int:notice_id>/diagram/": "console-page",
    "console/site-visits/": "console-page",
    "console/site-visits/<int:visit_id>/decide/": "console-page",
    "console/cases/<str:number>/site-visits/": "console-case",
    "console/cases/<str:number>/route/": "console-case",
    "api/v1/cutovers": "api-page",
    "api/v1/cutovers/<notice_id>": "cutover",
    "api/v1/cutovers/<notice_id>/diagram": "cutover",
    "api/v1/cases/<number>/site-visits": "api-case",
    "api/v1/cases/<number>/routing": "api-case",
    "api/v1/cases/<number>/timeline": "api-case",
    "api/v1/site-visits/<visit_id>/decision": "site-visit",
    # F1, F2, F5, F7: contacts' pages; products by contract cover, licences by organisation
    # (tests/security/test_resources_matrix.py tries every role on each).
    "contact/": "contact-page",
    "resources/": "contact-page",
    "resources/<int:product_id>/": "resource",
    "resources/downloads/<int:download_id>/": "resource",
    "licences/": "contact-page",
    "licences/<int:licence_id>/download/": "resource",
    "feedback/": "contact-page",
    "console/feedback/": "console-page",
    "console/feedback/<int:pk>/handle/": "console-page",
    "api/v1/contact": "api-page",
    "api/v1/resources/products": "api-page",
    "api/v1/resources/products/<product_id>": "resource",
    "api/v1/resources/downloads/<download_id>": "resource",
    "api/v1/licences": "api-page",
    "api/v1/licences/<licence_id>/download": "resource",
    "api/v1/articles": "api-page",
    "api/v1/articles/<article_id>": "article",
    "api/v1/search": "api-page",
    # G2, G3: site records; "site" = a contact's own organisation's sites only, support all
    # (tests/security/test_sites_matrix.py tries every role on own, others' and missing).
    "sites/": "contact-page",
    "sites/<int:site_id>/": "site",
    "sites/<int:site_id>/voip/": "site",
    "sites/<int:site_id>/changes/": "site",
    "console/sites/": "console-page",
    "console/sites/<int:site_id>/": "console-page",
    "console/sites/<int:site_id>/voip/": "console-page",
    "console/sites/<int:site_id>/changes/": "console-page",
    "console/cases/<str:number>/voip-hold/": "console-case",
    "api/v1/sites": "api-page",
    "api/v1/sites/<site_id>/voip-assessments": "site",
    "api/v1/sites/<site_id>/voip-assessments/upload": "site",
    "api/v1/sites/<site_id>/changes": "site",
    "api/v1/cases/<number>/voip-hold": "api-case",
}

# Every field any form or endpoint takes, so a write is a plausible one.
FORM = {
    "body": "matrix probe",
    "comment": "matrix probe",
    "reason": "matrix probe",
    "information": "matrix probe",
    "sub_status": "resolved",
    "close_reason": "solution_accepted",
    "priority": "medium",
    "action": "close",
    "to": "resolved",
    "outcome": "fix",
    "summary": "matrix probe",
    "internal": "",
    "assignee": "",
}


API_BODIES = {
    "updates": {"body": "matrix probe"},
    "transitions": {
        "action": "close",
        "to": "resolved",
        "reason": "matrix probe",
        "close_reason": "solution_accepted",
    },
    "close": {
        "sub_status": "resolved",
        "close_reason": "solution_accepted",
        "comment": "matrix probe",
    },
    "reopen": {"information": "matrix probe"},
    "priority": {"priority": "medium", "reason": "matrix probe"},
    "outcome": {"outcome": "fix"},
    "assign": {"assignee_email": None},
    "all-info": {},
    "root-cause": {"summary": "matrix probe"},
    "fix-delivered": {"note": "matrix probe"},
    "service-restored": {"note": "matrix probe"},
    "follow-on": {"description": "matrix probe"},
    "voip-hold": {"reason": "matrix probe"},
    "site-visits": {"reason": "matrix probe", "visit_on": "2030-01-01", "days": 1},
    "routing": {"kind": "customisation"},
    "escalations": {
        "kind": "standard",
        "reason": "matrix probe",
        "summary": "matrix probe",
        "expectations": "matrix probe",
    },
}


def _routes() -> list[str]:
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    return sorted({r for r in walk(get_resolver().url_patterns) if not r.startswith("admin/")})


def test_every_route_is_in_the_matrix():
    missing = set(_routes()) - set(ROUTES)
    assert not missing, f"routes without an access rule in the matrix: {sorted(missing)}"


def _url(route: str, number: str) -> str:
    return "/" + route.replace("<str:number>", number).replace("<number>", number)


def _call(client, method: str, route: str, number: str, token: str | None):
    url = _url(route, number)
    if route.startswith("api/"):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        if method == "get":
            return client.get(url, **headers)
        body = API_BODIES.get(route.rsplit("/", 1)[-1], {})
        return client.post(url, data=json.dumps(body), content_type="application/json", **headers)
    return client.get(url) if method == "get" else client.post(url, FORM)


def _fingerprint(case: Case) -> tuple:
    case.refresh_from_db()
    return (
        case.version,
        case.status,
        case.sub_status,
        case.priority,
        case.assignee_id,
        CaseEvent.objects.filter(case=case).count(),
    )


CASE_ROUTES = sorted(r for r, rule in ROUTES.items() if rule.endswith("-case"))


@pytest.mark.parametrize("route", CASE_ROUTES)
def test_case_routes_hide_what_the_actor_may_not_see(client, world, route):
    # R: A3, A4 — (actor, case, may see?) for every case route.
    rule = ROUTES[route]
    pairs = [
        (world.alice, world.alice_case, True),  # own case
        (world.alice, world.carol_case, False),  # colleague's, no visibility
        (world.bob, world.carol_case, True),  # colleague's, with visibility (A3)
        (world.bob, world.gina_case, False),  # another organisation's
        (world.gina, world.alice_case, False),
        (world.engineer, world.gina_case, True),
        (world.care, world.alice_case, True),
        (world.manager, world.gina_case, True),
    ]
    for user, case, may_see in pairs:
        if rule == "console-case" and user.is_contact:
            may_see = False  # the console does not exist for contacts
        token = api_token_create(user=user, name="matrix", now=world.now)
        client.force_login(user)
        for method in ("get", "post"):
            before = _fingerprint(case)
            response = _call(client, method, route, case.number, token)
            missing = _call(client, method, route, MISSING, token)
            where = f"{method.upper()} {route} as {user.email} on {case.number}"
            assert response.status_code < 500, where
            if may_see:
                assert response.status_code != 404 or method == "post", where
                continue
            assert response.status_code == missing.status_code, where
            assert response.status_code in (404, 405), where
            assert case.number.encode() not in response.content, where
            assert _fingerprint(case) == before, f"{where} changed the case"
        client.logout()


@pytest.mark.parametrize(
    "route",
    CASE_ROUTES
    + sorted(
        r
        for r, rule in ROUTES.items()
        if rule in ("contact-page", "console-page", "api-page", "user-page") and "<" not in r
    ),
)
def test_anonymous_gets_nothing(client, world, route):
    # R: A4 — no session, no token: a login redirect or 401, never data.
    for method in ("get", "post"):
        response = _call(client, method, route, world.alice_case.number, None)
        assert response.status_code in (302, 401, 403, 404, 405), f"{method} {route}"
        assert world.alice_case.subject.encode() not in response.content


@pytest.mark.parametrize("route", sorted(r for r, rule in ROUTES.items() if rule == "console-page"))
def test_contacts_never_reach_the_console(client, world, route):
    # R: A4
    client.force_login(world.bob)
    assert client.get("/" + route).status_code == 404
    assert client.post("/" + route, FORM).status_code == 404


def test_lists_never_show_another_organisations_cases(client, world):
    # R: A3, A4 — lists, API lists and search.
    forbidden = {
        world.alice: [world.carol_case, world.gina_case],
        world.bob: [world.gina_case],
        world.gina: [world.alice_case, world.carol_case],
    }
    for user, cases in forbidden.items():
        client.force_login(user)
        token = api_token_create(user=user, name="matrix", now=world.now)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        for case in cases:
            pages = [
                client.get("/cases/", {"scope": "all", "state": "open"}),
                client.get("/cases/", {"scope": "all", "state": "open", "q": case.number}),
                client.get("/api/v1/cases", {"scope": "all", "state": "any"}, **auth),
                client.get(
                    "/api/v1/cases", {"scope": "all", "state": "any", "q": case.number}, **auth
                ),
                client.get("/"),
            ]
            for page in pages:
                assert page.status_code == 200
                # The search box echoes the query, so look for the case's subject as well.
                assert case.subject.encode() not in page.content, (user.email, case.number)
            for page in (pages[0], pages[2], pages[4]):
                assert case.number.encode() not in page.content, (user.email, case.number)
        client.logout()


def test_contacts_cannot_use_the_care_back_office(client, world):
    # R: A4 — /admin/ is staff only.
    client.force_login(world.bob)
    response = client.get("/admin/cases/case/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(world.engineer)
    assert client.get("/admin/cases/case/").status_code == 302


@pytest.mark.parametrize("path", ["/login/", "/api/v1/docs"])
def test_pages_load_nothing_from_other_hosts(client, path):
    # No CDN: every script and stylesheet comes from our own origin.
    body = client.get(path).content.decode()
    assert "http://" not in body.replace("http://www.w3.org", "")
    assert "https://" not in body.replace("https://www.w3.org", "")


# --- files: downloads and tus uploads (D1, D3; security rules 3, 5, 9) ----------------

VISIBILITY = [
    ("alice", "alice_case", True),
    ("alice", "carol_case", False),
    ("bob", "carol_case", True),
    ("bob", "gina_case", False),
    ("gina", "alice_case", False),
    ("engineer", "gina_case", True),
    ("care", "alice_case", True),
    ("manager", "gina_case", True),
]


def _attachments(world):
    import io

    from casedesk.files.services import attachment_store

    return {
        name: attachment_store(
            case=getattr(world, name),
            actor=getattr(world, name).contact,
            filename=f"{name}.log",
            stream=io.BytesIO(b"secret bytes of " + name.encode()),
            source="browser",
            now=world.now,
        )
        for name in ("alice_case", "carol_case", "gina_case")
    }


@pytest.mark.parametrize("route", sorted(r for r, rule in ROUTES.items() if rule == "attachment"))
def test_attachment_routes_hide_what_the_actor_may_not_see(client, world, route):
    # R: A4, D3 — a file answers exactly like a missing one to whoever may not see its case.
    files = _attachments(world)
    missing_id = max(a.pk for a in files.values()) + 1000
    for user_name, case_name, may_see in VISIBILITY:
        user, att = getattr(world, user_name), files[case_name]
        token = api_token_create(user=user, name="matrix", now=world.now)
        client.force_login(user)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if route.startswith("api/") else {}

        def get(pk, auth=auth):
            url = "/" + route.replace("<int:attachment_id>", str(pk))
            return client.get(url.replace("<attachment_id>", str(pk)), **auth)

        response, missing = get(att.pk), get(missing_id)
        where = f"{route} as {user.email} on {case_name}"
        if may_see:
            assert response.status_code == 200, where
            assert b"".join(response.streaming_content).startswith(b"secret bytes"), where
            assert response["Content-Disposition"].startswith("attachment;"), where
            assert response["X-Content-Type-Options"] == "nosniff", where
        else:
            assert response.status_code == missing.status_code == 404, where
            assert response.content == missing.content, where
        client.logout()


def _tus_headers(token, **extra):
    return {"HTTP_TUS_RESUMABLE": "1.0.0", "HTTP_AUTHORIZATION": f"Bearer {token}", **extra}


def test_tus_creation_follows_case_visibility(client, world):
    # R: A4, D1 — an upload can only be started on a case the caller may see.
    import base64

    from casedesk.files.models import Upload

    for user_name, case_name, may_see in VISIBILITY:
        user, case = getattr(world, user_name), getattr(world, case_name)
        token = api_token_create(user=user, name="matrix", now=world.now)

        def create(number, token=token):
            meta = f"case {base64.b64encode(number.encode()).decode()},filename eA=="
            headers = _tus_headers(token, HTTP_UPLOAD_LENGTH="1", HTTP_UPLOAD_METADATA=meta)
            return client.generic("POST", "/uploads/", b"", **headers)

        before = Upload.objects.count()
        response, missing = create(case.number), create(MISSING)
        where = f"tus create as {user.email} on {case_name}"
        if may_see:
            assert response.status_code == 201, where
        else:
            assert response.status_code == missing.status_code == 404, where
            assert response.content == missing.content, where
            assert Upload.objects.count() == before, where


def test_tus_upload_answers_only_its_creator(client, world):
    # R: A4, security rule 9 — the upload URL is bound to the person who created it.
    from casedesk.files.models import Upload
    from casedesk.files.uploads import upload_create

    upload = upload_create(
        user=world.alice,
        case=world.alice_case,
        filename="a.log",
        content_type="",
        length=4,
        source="cli",
        now=world.now,
    )
    for name in ("bob", "carol", "gina", "engineer", "care", "manager"):
        token = api_token_create(user=getattr(world, name), name="matrix", now=world.now)
        for path in (f"/uploads/{upload.pk}", "/uploads/missing-upload-id"):
            assert client.head(path, **_tus_headers(token)).status_code == 404
            patch = client.generic(
                "PATCH",
                path,
                b"1234",
                content_type="application/offset+octet-stream",
                **_tus_headers(token, HTTP_UPLOAD_OFFSET="0"),
            )
            assert patch.status_code == 404, name
            assert client.delete(path, **_tus_headers(token)).status_code == 404
    assert Upload.objects.get().offset == 0


@pytest.mark.parametrize(
    "route",
    sorted(r for r, rule in ROUTES.items() if rule in ("attachment", "tus-create", "tus-upload")),
)
def test_anonymous_gets_no_files(client, world, route):
    # R: A4 — no session, no token: a login redirect or 401, never a file or an upload.
    att = _attachments(world)["alice_case"]
    url = "/" + route.replace("<int:attachment_id>", str(att.pk))
    url = url.replace("<attachment_id>", str(att.pk)).replace("<str:upload_id>", "x" * 32)
    tus = {"HTTP_TUS_RESUMABLE": "1.0.0"}
    for method in ("get", "post", "head", "delete"):
        response = getattr(client, method)(url, **tus)
        assert response.status_code in (302, 401, 403, 404, 405, 415), f"{method} {route}"
        assert b"secret bytes" not in response.content


@pytest.mark.parametrize("route", sorted(r for r, rule in ROUTES.items() if rule == "console-mail"))
def test_mail_care_queue_is_for_care_and_managers_only(client, world, route):
    # R: E3, A4 — inbound mail may name any organisation: care and managers only; everyone
    # else gets the 404 of a missing message, and nothing changes.
    from casedesk.mail.models import InboundMessage
    from casedesk.mail.services import mail_receive

    message = mail_receive(
        raw=b"From: stranger@else.example\r\nSubject: hello\r\n\r\nbody\r\n",
        source="test",
        envelope_from="stranger@else.example",
        envelope_to="support@casedesk.invalid",
        now=world.now,
    )
    url = "/" + route.replace("<int:pk>", str(message.pk))
    missing = "/" + route.replace("<int:pk>", "999999")
    for user in (world.alice, world.bob, world.gina, world.engineer):
        client.force_login(user)
        for method in ("get", "post"):
            response = getattr(client, method)(url, FORM)
            assert response.status_code == 404, f"{method} {route} as {user.email}"
            assert getattr(client, method)(missing, FORM).status_code == 404
        assert InboundMessage.objects.get(pk=message.pk).state == message.state
    client.logout()
    assert client.get(url).status_code == 302  # anonymous: the login page
    for user in (world.care, world.manager):
        client.force_login(user)
        assert client.get(missing).status_code in (404, 405)
        response = client.get(url)
        assert response.status_code in (200, 400, 405), f"GET {route} as {user.email}"


@pytest.mark.parametrize(
    "route", sorted(r for r, rule in ROUTES.items() if rule == "console-policy")
)
def test_policy_pages_are_for_care_and_managers_only(client, world, route):
    # R: C1, A4 — everyone else gets the 404 of a missing page, and no version is saved.
    from casedesk.sla.models import PolicyVersion

    url = "/" + route.replace("<int:number>", "0")
    for user in (world.alice, world.bob, world.gina, world.engineer):
        client.force_login(user)
        assert client.get(url).status_code == 404, (route, user.email)
        assert client.post(url, {**FORM, "save": "1"}).status_code == 404
    assert not PolicyVersion.objects.exists()
    client.logout()
    assert client.get(url).status_code == 302
    for user in (world.care, world.manager):
        client.force_login(user)
        assert client.get(url).status_code == 200, (route, user.email)


@pytest.mark.parametrize("route", sorted(r for r, rule in ROUTES.items() if rule == "telephony"))
def test_telephony_routes_open_to_the_telephony_token_only(client, world, route):
    # R: H1, A4 — no person's token or session opens them; the telephony token does.
    from casedesk.phone.models import Call
    from casedesk.phone.services import telephony_token_create

    url = "/" + route.replace("<call_id>", "pbx-1")
    post = route.endswith(("pin-checks", "calls", "answered", "ended"))
    body = json.dumps({"pin": "123456"} if "pin" in route else {"call_id": "pbx-1"})
    if route.endswith(("answered", "ended")):
        body = "{}"

    def send(**headers: str):  # type: ignore[no-untyped-def]
        if post:
            return client.post(url, body, content_type="application/json", headers=headers)
        return client.get(url, headers=headers)

    for user in (world.alice, world.bob, world.engineer, world.care, world.manager):
        token = api_token_create(user=user, name="matrix", now=world.now)
        assert send(Authorization=f"Bearer {token}").status_code == 401
        client.force_login(user)
        assert send().status_code == 401
        client.logout()
    assert not Call.objects.exists()
    machine = telephony_token_create(name="pbx", now=world.now)
    assert send(Authorization=f"Bearer {machine}").status_code in (200, 404)
