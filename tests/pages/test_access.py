"""Who reaches which page (A3, A4, security rule 3) and what the list pages cost."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, get_resolver

from casedesk.cases.models import Case

from .helpers import url

pytestmark = pytest.mark.django_db

PORTAL_CASE_GETS = ["portal-case-detail", "portal-case-follow-on", "portal-case-escalate"]
PORTAL_CASE_POSTS = [
    "portal-case-update",
    "portal-case-close",
    "portal-case-reopen",
    "portal-case-priority",
    "portal-case-follow-on",
    "portal-case-escalate",
]
CONSOLE_CASE_URLS = [
    "console-case-detail",
    "console-case-reply",
    "console-case-transition",
    "console-case-priority",
    "console-case-outcome",
    "console-case-assign",
    "console-case-all-info",
    "console-case-root-cause",
    "console-case-fix-delivered",
    "console-case-service-restored",
    "console-case-reopen",
    "console-case-article",
    "console-case-site-visit",  # G4
    "console-case-route",  # G5, G6
    "console-case-voip-hold",  # G2
]


def _names(module: str) -> set[str]:
    patterns = get_resolver(module).url_patterns
    return {p.name for p in patterns if isinstance(p, URLPattern) and p.name}


def test_matrix_covers_every_case_url():
    # R: A4 — a new case route missing from this matrix fails here.
    portal = {n for n in _names("casedesk.portal.urls") if n.startswith("portal-case-")}
    assert portal - {"portal-case-list", "portal-case-new"} == set(
        PORTAL_CASE_GETS + PORTAL_CASE_POSTS
    )
    console = {n for n in _names("casedesk.console.urls") if n.startswith("console-case-")}
    assert console - {"console-case-new"} == set(CONSOLE_CASE_URLS)


@pytest.mark.parametrize("who", ["alice", "gina", "carol"])
def test_contact_gets_404_on_every_console_url(as_user, world, who):
    # R: A4 — to a contact the console does not exist.
    client = as_user(getattr(world, who))
    assert client.get(url("console-queue")).status_code == 404
    assert client.get(url("console-case-new")).status_code == 404
    assert client.post(url("console-case-new"), {}).status_code == 404
    own = world.alice_case.number
    for name in CONSOLE_CASE_URLS:
        assert client.get(url(name, own)).status_code == 404, name
        assert client.post(url(name, own), {"body": "x"}).status_code == 404, name


@pytest.mark.parametrize(
    ("who", "case_attr"),
    [
        ("gina", "alice_case"),  # another organisation, despite colleague visibility
        ("alice", "gina_case"),
        ("alice", "carol_case"),  # a colleague, without visibility
        ("carol", "alice_case"),
    ],
)
def test_contact_gets_404_on_cases_they_may_not_see(as_user, world, who, case_attr):
    # R: A3, A4
    client = as_user(getattr(world, who))
    case: Case = getattr(world, case_attr)
    before = (case.version, case.events.count())
    for name in PORTAL_CASE_GETS:
        assert client.get(url(name, case.number)).status_code == 404, name
    for name in PORTAL_CASE_POSTS:
        response = client.post(
            url(name, case.number),
            {
                "body": "x",
                "comment": "x",
                "sub_status": "resolved",
                "information": "x",
                "note": "x",
                "version": case.version,
            },
        )
        assert response.status_code == 404, name
    case.refresh_from_db()
    assert (case.version, case.events.count()) == before
    listing = client.get(url("portal-case-list") + f"?scope=all&q={case.number}")
    assert url("portal-case-detail", case.number) not in listing.content.decode()


def test_colleague_with_visibility_reaches_the_case(as_user, world):
    # R: A3
    response = as_user(world.bob).get(url("portal-case-detail", world.carol_case.number))
    assert response.status_code == 200


def test_missing_and_malformed_numbers_are_404(as_user, world):
    client = as_user(world.alice)
    for number in ("CS-999999", "nonsense", "CS-" + "9" * 20):
        assert client.get(url("portal-case-detail", number)).status_code == 404
    assert as_user(world.engineer).get(url("console-case-detail", "zzz")).status_code == 404


def test_portal_list_query_budget(as_user, world, django_assert_max_num_queries):
    # R: B10 — the list costs the same for 30 cases as for 3.
    for i in range(30):
        world.open_case(world.bob, subject=f"Bulk {i}")
    client = as_user(world.bob)
    with django_assert_max_num_queries(6):
        assert client.get(url("portal-case-list") + "?scope=all").status_code == 200


def test_dashboard_query_budget(as_user, world, django_assert_max_num_queries):
    for i in range(12):
        world.open_case(world.alice, subject=f"Bulk {i}")
    client = as_user(world.alice)
    with django_assert_max_num_queries(10):
        assert client.get(url("home")).status_code == 200


def test_queue_query_budget(as_user, world, django_assert_max_num_queries):
    # R: B10
    for i in range(30):
        world.open_case(world.gina, subject=f"Bulk {i}")
    client = as_user(world.engineer)
    # +1 the total (capped at 1,001 rows), +1 the urgent banner of every console page (B, C3).
    with django_assert_max_num_queries(6 + 2):
        assert client.get(url("console-queue")).status_code == 200


def test_case_page_query_budget(as_user, world, django_assert_max_num_queries):
    from casedesk.cases import services

    for i in range(10):
        services.case_add_update(
            case=world.alice_case, actor=world.engineer, body=f"r{i}", now=world.now
        )
    client = as_user(world.engineer)
    # +5 for the clock and escalation panels (milestones, timers, purged files; the case's
    # escalations and the last support update for C6), each one indexed query; +1: drop box
    # panel (D2); +1: files panel (D1); +1: knowledge panel (articles from this case, F4).
    # The console's urgent banner (one indexed COUNT, C3) fits the base 9. +1: cutover notices
    # whose window the case opened in (G1, one indexed query). +1: the case's site visits (G4;
    # the routing of G5/G6 is read only for a closed case). +2: the site's VoIP assessments
    # and change records (G2, G3: timeline and recent-changes panel, one indexed query each).
    with django_assert_max_num_queries(9 + 5 + 1 + 1 + 1 + 1 + 1 + 2):
        assert client.get(url("console-case-detail", world.alice_case.number)).status_code == 200
    client = as_user(world.alice)
    # +1: the contact's contract access (A3), read once per request. +2: the cutover notice
    # and the approved site visits on the timeline (G1, G4). +2: the site's VoIP assessments
    # and change records on the timeline (G2, G3).
    with django_assert_max_num_queries(6 + 5 + 1 + 1 + 1 + 2 + 2):
        assert client.get(url("portal-case-detail", world.alice_case.number)).status_code == 200
