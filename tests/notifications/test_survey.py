"""The satisfaction survey (F7, B6): signed link, public page, one answer, manager results."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import signing

from casedesk.cases import services
from casedesk.notifications.models import OutboundMessage, SurveyResponse
from casedesk.notifications.sending import outbox_pump, outbox_render
from casedesk.notifications.survey import SALT, survey_token

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def close(world, case, at, actor=None):
    return services.case_transition(
        case=case,
        actor=actor or (world.alice if case.contact_id == world.alice.pk else world.engineer),
        action="close",
        to="resolved",
        reason="Works now",
        close_reason="solution_accepted",
        now=at,
    )


def text_of(row: OutboundMessage) -> str:
    """The text the pump would send (rows are rendered at send time, ADR 0004)."""
    assert not outbox_render(messages=[row])
    return row.text_body


def survey_path(case) -> str:
    row = OutboundMessage.objects.get(case=case, kind="closed")
    return re.search(r"https?://[^/\s]+(/survey/[^/\s]+/)", text_of(row))[1]


def test_survey_end_to_end_from_the_mail(client, smtp, world):
    # R: F7, B6 — the link in the sent mail opens the page, the answer is stored once.
    at = world.now
    case = close(world, world.alice_case, at)
    outbox_pump(worker="t", now=at, limit=100)
    mail = next(r.message for r in smtp.messages if "Case closed" in r.message["Subject"])
    text = mail.get_body(preferencelist=("plain",)).get_content()
    path = re.search(r"https://support\.casedesk\.example(/survey/\S+/)", text)[1]
    with time_machine.travel(at + dt.timedelta(days=1), tick=False):
        page = client.get(path)
        assert page.status_code == 200
        body = page.content.decode()
        assert case.number in body and case.subject in body
        assert "Acme" not in body and case.description not in body  # nothing else shown
        assert page["Referrer-Policy"] == "same-origin"  # the token never goes elsewhere
        answer = {"score": "4", "solved": "yes", "comment": "Quick <b>help</b>, thanks"}
        done = client.post(path, answer)
        assert done.status_code == 200 and b"answer is recorded" in done.content
        again = client.post(path, {"score": "1", "solved": "no", "comment": "changed my mind"})
        assert again.status_code == 409 and b"already recorded" in again.content
        assert b"already recorded" in client.get(path).content
    [response] = SurveyResponse.objects.all()
    assert (response.case_id, response.score, response.solved) == (case.pk, 4, True)
    assert response.closure == case.closed_at and response.priority == "medium"
    assert response.comment == "Quick <b>help</b>, thanks"


def test_bad_input_is_a_form_error(client, world):
    # R: F7 — out-of-range score or missing answer: 400 with the form, nothing stored.
    case = close(world, world.alice_case, world.now)
    path = survey_path(case)
    with time_machine.travel(world.now, tick=False):
        for bad, why in (
            ({"score": "9", "solved": "yes"}, "Select a valid choice. 9 is not one of"),
            ({"solved": "yes"}, "How satisfied are you with the support you received?: This"),
            ({"score": "3"}, "Was your problem solved?: This field is required."),
            ({"score": "3", "solved": "yes", "comment": "a\x00b"}, "Null characters are not"),
        ):
            response = client.post(path, bad)
            assert response.status_code == 400, bad
            assert why in re.sub(r"<[^>]+>", "", response.content.decode()), bad
    assert not SurveyResponse.objects.exists()


def test_edited_forged_or_expired_tokens_are_404_and_leak_nothing(client, world):
    # R: F7, rule 3 — the token binds the case; anything else looks like a missing page.
    case = close(world, world.alice_case, world.now)
    path = survey_path(case)
    token = path.split("/")[2]
    other = close(world, world.gina_case, world.now, actor=world.engineer)
    forged_payload = signing.loads(token, salt=SALT)
    forged_payload["c"] = other.pk
    tries = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # edited signature
        signing.dumps(forged_payload, salt="wrong-salt", compress=False),  # other salt
        signing.dumps(forged_payload, salt=SALT, key="not-our-secret", compress=False),
        token.replace(token.split(":")[0], signing.dumps(forged_payload).split(":")[0]),
        "x" * 1000,
        "..%2f..%2fetc",
        "",
    ]
    missing = client.get("/survey/nothing-here/")
    assert missing.status_code == 404
    with time_machine.travel(world.now, tick=False):
        for bad in tries:
            for method in (client.get, client.post):
                response = method(f"/survey/{bad}/", {"score": "5", "solved": "yes"})
                assert response.status_code == 404, bad
                assert case.number.encode() not in response.content
                assert other.number.encode() not in response.content
                assert case.subject.encode() not in response.content
    with time_machine.travel(world.now + dt.timedelta(days=61), tick=False):
        assert client.get(path).status_code == 404  # valid ~60 days
    assert not SurveyResponse.objects.exists()


def test_one_answer_per_closure_a_new_closure_asks_again(client, world):
    # R: F7, B7 — after a re-open and a new close, the new mail carries a new survey.
    case = close(world, world.alice_case, world.now)
    first = survey_path(case)
    later = world.now + dt.timedelta(days=2)
    services.case_reopen(case=case, actor=world.engineer, information="Back again", now=later)
    case.refresh_from_db()
    close(world, case, later + dt.timedelta(hours=1), actor=world.engineer)
    rows = OutboundMessage.objects.filter(case=case, kind="closed").order_by("id")
    second = re.search(r"https?://[^/\s]+(/survey/[^/\s]+/)", text_of(rows[1]))[1]
    assert first != second
    with time_machine.travel(later + dt.timedelta(hours=2), tick=False):
        assert client.post(first, {"score": "2", "solved": "no"}).status_code == 200
        assert client.post(second, {"score": "5", "solved": "yes"}).status_code == 200
        again = client.post(second, {"score": "1", "solved": "no"})
        assert again.status_code == 409
        assert "Your answer for this case is already recorded." in again.content.decode()
    assert SurveyResponse.objects.filter(case=case).count() == 2
    assert sorted(SurveyResponse.objects.values_list("score", flat=True)) == [2, 5]


def test_token_is_bound_to_its_closure(world):
    # R: F7 — the token names the case and the closure time it was issued for.
    case = close(world, world.alice_case, world.now)
    payload = signing.loads(survey_token(case, now=world.now), salt=SALT)
    assert payload["c"] == case.pk and payload["k"] == case.closed_at.isoformat()


def test_results_page_for_managers_and_care_only(client, world):
    # R: F7, I1 — averages overall and per priority, response rate, chart, latest comments.
    at = world.now
    cases = [world.alice_case, world.open_case(world.alice, priority="low"), world.carol_case]
    for case in cases:
        close(world, case, at, actor=world.engineer)
    with time_machine.travel(at, tick=False):
        client.post(survey_path(cases[0]), {"score": "5", "solved": "yes", "comment": "Great"})
        client.post(survey_path(cases[1]), {"score": "2", "solved": "no", "comment": "<i>slow</i>"})
    for user in (world.manager, world.care):
        client.force_login(user)
        page = client.get("/console/surveys/")
        assert page.status_code == 200
        body = page.content.decode()
        assert "3.50" in body  # overall average
        assert "67 %" in body  # 2 answers to 3 invitations
        assert "<svg" in body and "<rect" in body  # the bar chart, drawn here
        assert "Great" in body and "&lt;i&gt;slow&lt;/i&gt;" in body
        assert "5.00" in body and "2.00" in body  # medium and low averages
        assert "http://" not in body.replace("http://www.w3.org", "")  # no CDN
    for user in (world.engineer, world.alice, world.bob):
        client.force_login(user)
        assert client.get("/console/surveys/").status_code == 404
    client.logout()
    assert client.get("/console/surveys/").status_code == 302
