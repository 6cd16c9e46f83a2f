"""The survey journey in a real browser (F7): the link from the closed-case mail, answered
without logging in; then the manager sees the answer. A real browser sends the Origin
and Referer headers the CSRF check reads, which the test client does not."""

from __future__ import annotations

import re

import pytest

from casedesk.cases import services
from casedesk.core import clock
from casedesk.notifications.models import OutboundMessage, SurveyResponse
from casedesk.notifications.sending import outbox_render
from tests.factories import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_contact_answers_the_survey_and_the_manager_sees_it(browser, live_server, settings):
    # R: F7, B6
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = live_server.url
    world = build_world(now=clock.now())
    services.case_transition(
        case=world.alice_case,
        actor=world.alice,
        action="close",
        to="resolved",
        reason="Works now",
        close_reason="solution_accepted",
        now=clock.now(),
    )
    mail = OutboundMessage.objects.get(case=world.alice_case, kind="closed")
    assert not outbox_render(messages=[mail])  # rendered as the pump would (ADR 0004)
    link = re.search(r"http://\S+/survey/\S+/", mail.text_body)[0]

    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(link)
    assert world.alice_case.number in page.content()
    page.get_by_label("4", exact=True).check()
    page.get_by_label("Yes").check()
    page.get_by_label("Anything you would like to tell us?").fill("Quick and <b>clear</b>")
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state()
    assert "answer is recorded" in page.content()
    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.solved, answer.comment) == (4, True, "Quick and <b>clear</b>")

    manager = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    manager.goto(f"{live_server.url}/login/")
    manager.get_by_label("Email").fill(world.manager.email)
    manager.get_by_label("Password").fill(PASSWORD)
    manager.get_by_role("button", name="Log in").click()
    manager.wait_for_load_state()
    manager.goto(f"{live_server.url}/console/surveys/")
    assert "4.00" in manager.content() and "Quick and &lt;b&gt;clear&lt;/b&gt;" in manager.content()
