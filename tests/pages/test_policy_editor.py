"""Policy care admins and managers can edit (issue 11 item 6; C1-C9).

Real console forms: the list, one version, and "new version from this one" with field
errors, a preview and saving as the next version; open cases keep their version (C1).
"""

from __future__ import annotations

import re

import pytest

from casedesk.cases.models import Case
from casedesk.sla.models import PolicyVersion
from casedesk.sla.selectors import policy
from tests.pages.helpers import url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_policy_cache():
    """Versions are cached by number; numbers repeat across rolled-back tests."""
    from casedesk.sla.selectors import _parsed

    _parsed.cache_clear()
    yield
    _parsed.cache_clear()


def _form_data(html: str) -> dict[str, str]:
    """What the browser would post: every input, textarea and selected option as shown."""
    data: dict[str, str] = {}
    for name, value in re.findall(
        r'<input type="(?:text|number)" name="(\w+)" value="([^"]*)"', html
    ):
        data[name] = value
    for tag in re.findall(r"<input [^>]*>", html):
        name = re.search(r'name="(\w+)"', tag)
        if name and 'type="checkbox"' in tag and "checked" in tag:
            data[name.group(1)] = "on"
        elif name and 'type="number"' in tag:
            value = re.search(r'value="([^"]*)"', tag)
            data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<textarea name="(\w+)"[^>]*>\n?(.*?)</textarea>', html, re.S):
        data[name] = body.replace("&amp;", "&")
    for name, body in re.findall(r'<select name="(\w+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = chosen.group(1) if chosen else ""
    return data


@pytest.mark.parametrize("who", ["care", "manager"])
def test_care_and_managers_open_the_editor_engineers_do_not(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(url("console-policy")).status_code == 200
    page = client.get(url("console-policy-new", 0))
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "Working hours",
        "Extra holidays",
        "Follow-up ladder",
        "Root cause",
        "Re-open window",
        "Files kept after closure",
    ):
        assert text in html, text
    client.force_login(world.engineer)
    assert client.get(url("console-policy")).status_code == 404
    assert client.get(url("console-policy-new", 0)).status_code == 404


def test_preview_then_save_a_new_version(client, world):
    # R: C1, C3, C5, B7
    client.force_login(world.care)
    data = _form_data(client.get(url("console-policy-new", 0)).content.decode())
    assert data["followup_days"] == "2, 5, 10" and data["emea_tz"] == "Europe/London"
    assert data["emea_hours"].startswith("mon-fri 08:00-18:00")
    data.update(
        note="Shorter ladder; Christmas Eve off in London",
        followup_days="1, 3, 6",
        sla_medium_root_cause_business_days="10",
        reopen_window_days="45",
        emea_extra="2026-12-24 Christmas Eve",
        preview_priority="medium",
        preview_region="emea",
    )
    preview = client.post(url("console-policy-new", 0), {**data, "preview": "1"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "With this version, a Medium case in Europe, Middle East &amp; Africa opened now" in html
    assert "Reminder #1 (if we ask the customer now)" in html
    # Tue 24 Nov 14:00 + 1 business day → Wed 25 Nov; 10 business days → Tue 8 Dec.
    assert "Wed 25 Nov 14:00 London time" in html
    assert "Root-cause target (10 business days" in html and "Tue 8 Dec 14:00" in html
    assert not PolicyVersion.objects.exists()  # a preview saves nothing

    old_case = world.alice_case
    saved = client.post(url("console-policy-new", 0), {**data, "save": "1"})
    assert saved.status_code == 302
    version = PolicyVersion.objects.get()
    assert saved["Location"] == url("console-policy-detail", version.number)
    assert version.created_by == world.care and version.note.startswith("Shorter ladder")
    chosen = policy(version.number)
    assert chosen.followup.business_days == (1, 3, 6)
    assert chosen.sla.medium.root_cause_business_days == 10
    assert chosen.reopen_window_days == 45
    assert [d.isoformat() for d in chosen.calendar("emea").extra_holidays] == ["2026-12-24"]
    assert Case.objects.get(pk=old_case.pk).policy_version == 0  # C1: open cases keep theirs
    assert world.open_case(world.alice).policy_version == version.number
    detail = client.get(url("console-policy-detail", version.number)).content.decode()
    assert "1, 3, 6" in detail and "2026-12-24" in detail


def test_bad_input_gets_field_errors_not_a_500(client, world):
    client.force_login(world.manager)
    data = _form_data(client.get(url("console-policy-new", 0)).content.decode())
    data.update(
        note="broken",
        followup_days="5, 2",
        emea_hours="mon-fri 18:00-08:00",
        emea_extra="24/12/2026",
        reopen_window_days="0",
    )
    response = client.post(url("console-policy-new", 0), {**data, "save": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "positive and increasing" in html
    assert "closes before it opens" in html
    assert "is not a date such as 2026-12-24" in html
    assert "greater than or equal to 1" in html
    assert not PolicyVersion.objects.exists()


def test_unknown_version_is_404(client, world):
    client.force_login(world.care)
    assert client.get(url("console-policy-detail", 99)).status_code == 404
    assert client.post(url("console-policy-new", 99), {}).status_code == 404


def test_pages_and_mails_read_the_cases_policy(client, world, time_machine):
    # R: B7, C1 — the portal's re-open window and the closed mail follow the case's version.
    import datetime as dt

    from casedesk.cases import services
    from casedesk.notifications.models import OutboundMessage
    from casedesk.notifications.sending import outbox_pump
    from casedesk.policy.defaults import DEFAULT_POLICY
    from casedesk.sla.services import policy_version_save

    version = policy_version_save(
        data=DEFAULT_POLICY.to_dict() | {"reopen_window_days": 12},
        note="12",
        actor=None,
        now=world.now,
    )
    case = world.open_case(world.alice)
    assert case.policy_version == version.number
    services.case_transition(
        case=case,
        actor=world.alice,
        action="close",
        to="resolved",
        reason="ok",
        close_reason="solution_accepted",
        now=world.now,
    )
    outbox_pump(worker="t", now=world.now, limit=100)
    closed_mail = OutboundMessage.objects.get(case=case, kind="closed")
    assert "Within 12 days" in closed_mail.text_body and "30 days" not in closed_mail.text_body
    time_machine.move_to(world.now + dt.timedelta(days=1), tick=False)
    client.force_login(world.alice)
    html = client.get(url("portal-case-detail", case.number)).content.decode()
    assert "Within 12 days of closure" in html
