"""Reading cases through the API: lists, detail, timeline, and who may see what."""

from __future__ import annotations

import pytest

from casedesk.cases.services import case_add_update

from .conftest import field_errors


def numbers(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


def test_contact_lists_own_open_cases(world, as_user):  # R: B10, A3
    body = as_user(world.alice).get("/cases").json()
    assert [i["number"] for i in body["items"]] == [world.alice_case.number]
    assert body["page"] == 1
    assert body["has_next"] is False
    item = body["items"][0]
    assert item["status"] == "open"
    assert item["sub_status_label"] == "New"
    assert item["contact"]["email"] == "alice@acme.example"


def test_all_cases_view_needs_colleague_visibility(world, as_user):  # R: A3, B10
    acme = {world.alice_case.number, world.carol_case.number}
    assert set(numbers(as_user(world.bob).get("/cases", scope="all"))) == acme
    # Without the permission "all" narrows to the contact's own cases.
    assert numbers(as_user(world.carol).get("/cases", scope="all")) == [world.carol_case.number]
    # Nobody sees another organisation's cases (A4).
    assert numbers(as_user(world.gina).get("/cases", scope="all")) == [world.gina_case.number]


def test_support_views(world, as_user):  # R: B10, C2
    api = as_user(world.engineer)
    every = {world.alice_case.number, world.carol_case.number, world.gina_case.number}
    assert set(numbers(api.get("/cases", scope="all"))) == every
    assert set(numbers(api.get("/cases", scope="queue"))) == every
    assert numbers(api.get("/cases", scope="queue", region="brazil")) == [world.gina_case.number]
    assert numbers(api.get("/cases", scope="mine")) == []  # nothing assigned yet
    group = world.catalogue["group"].pk
    assert set(numbers(api.get("/cases", scope="queue", product_group=group))) == every
    assert numbers(api.get("/cases", scope="all", state="closed")) == []


def test_filters_and_search(world, as_user):  # R: B10, B11
    api = as_user(world.bob)
    assert numbers(api.get("/cases", scope="all", q="voicemail")) == [world.carol_case.number]
    assert numbers(api.get("/cases", scope="all", q=world.alice_case.number)) == [
        world.alice_case.number
    ]
    assert numbers(api.get("/cases", scope="all", priority="critical")) == []
    assert numbers(api.get("/cases", scope="all", page=2)) == []
    assert len(numbers(api.get("/cases", scope="all", sort="priority", state="any"))) == 2


def test_contacts_have_no_queue(world, as_user):  # R: B10
    response = as_user(world.alice).get("/cases", scope="queue")
    assert response.status_code == 422
    assert "query.scope" in field_errors(response)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "query.page"),
        ({"page": "abc"}, "query.page"),
        ({"page": 10**30}, "query.page"),
        ({"priority": "urgent"}, "query.priority"),
        ({"state": "everything"}, "query.state"),
        ({"product_group": 10**30}, "query.product_group"),
        ({"q": "x" * 201}, "query.q"),
        ({"q": "²"}, "query.q"),
        ({"q": "a\x00b"}, "query.q"),
    ],
)
def test_bad_list_queries_are_field_level_422(world, as_user, params, field):  # R: B10
    response = as_user(world.alice).get("/cases", **params)
    assert response.status_code == 422, response.content
    assert field in field_errors(response)


def test_detail_shows_version_and_actions_for_the_caller(world, as_user):  # R: B4, B11
    number = world.alice_case.number
    contact_view = as_user(world.alice).get(f"/cases/{number}").json()
    assert contact_view["number"] == number
    assert contact_view["version"] == world.alice_case.version
    assert contact_view["contract"] == "K-ACME"
    assert contact_view["major_version"]["name"] == "9"
    assert contact_view["contact_certifications"] is None
    actions = {a["action"]: a for a in contact_view["available_actions"]}
    assert set(actions) == {"close"}
    assert [t["value"] for t in actions["close"]["targets"]] == ["resolved", "cancelled"]

    support_view = as_user(world.engineer).get(f"/cases/{number}").json()
    assert {a["action"] for a in support_view["available_actions"]} == {
        "work",
        "request_info",
        "propose_solution",
        "close",
    }
    assert support_view["contact_certifications"] == []


def test_case_number_is_case_insensitive_and_accepts_bare_digits(world, as_user):  # R: B11
    api = as_user(world.alice)
    number = world.alice_case.number
    assert api.get(f"/cases/{number.lower()}").status_code == 200
    assert api.get(f"/cases/{world.alice_case.pk}").status_code == 200


@pytest.mark.parametrize("who", ["gina", "carol"])
def test_invisible_cases_look_missing(world, as_user, who):  # R: A3, A4 (security rule 3)
    api = as_user(getattr(world, who))
    invisible = api.get(f"/cases/{world.alice_case.number}")
    missing = api.get("/cases/CS-999999")
    assert invisible.status_code == missing.status_code == 404
    assert (
        invisible.json()
        == missing.json()
        == {
            "detail": "No such case.",
            "errors": [{"field": None, "message": "No such case."}],
        }
    )
    assert api.get(f"/cases/{world.alice_case.number}/events").status_code == 404


@pytest.mark.parametrize("number", ["abc", "CS-²", "CS-١", "CS-" + "9" * 40, "%00", "CS--1"])
def test_malformed_case_numbers_are_404(world, as_user, number):  # R: B11 (security rule 3)
    response = as_user(world.alice).get(f"/cases/{number}")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such case."  # the same as a case not visible


def test_colleague_with_visibility_reads_and_writes(world, as_user):  # R: A3
    api = as_user(world.bob)
    number = world.carol_case.number
    assert api.get(f"/cases/{number}").status_code == 200
    assert api.get(f"/cases/{number}/events").status_code == 200
    response = api.post(f"/cases/{number}/updates", {"body": "Bob here: same on our side."})
    assert response.status_code == 201


def test_timeline_hides_internal_notes_from_contacts(world, as_user):  # R: B5, A4
    case_add_update(
        case=world.alice_case,
        actor=world.engineer,
        body="Looks like bug 42",
        now=world.now,
        internal=True,
    )
    case_add_update(case=world.alice_case, actor=world.engineer, body="We are on it", now=world.now)
    number = world.alice_case.number
    contact = as_user(world.alice).get(f"/cases/{number}/events").json()
    assert [e["kind"] for e in contact] == ["opened", "reply"]
    assert all(e["data"] is None for e in contact)
    assert "bug 42" not in str(contact)
    support = as_user(world.engineer).get(f"/cases/{number}/events").json()
    assert [e["kind"] for e in support] == ["opened", "note", "reply"]
    assert support[1]["public"] is False
    assert support[0]["data"]["channel"] == "web"


def test_list_and_detail_query_budgets(world, as_user, django_assert_max_num_queries):  # R: B10
    for i in range(12):
        world.open_case(world.alice, subject=f"Case {i}")
    contact, engineer = as_user(world.alice), as_user(world.engineer)
    # token lookup + one page of cases, whatever the page size
    with django_assert_max_num_queries(3):
        assert len(contact.get("/cases").json()["items"]) == 13
    with django_assert_max_num_queries(3):
        assert len(engineer.get("/cases", scope="queue").json()["items"]) == 15
    with django_assert_max_num_queries(4):
        assert contact.get(f"/cases/{world.alice_case.number}").status_code == 200
    with django_assert_max_num_queries(4):
        assert contact.get(f"/cases/{world.alice_case.number}/events").status_code == 200
