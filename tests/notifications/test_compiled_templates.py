"""Mail templates compiled once with their blocks written into ``_base`` render exactly what
Django's ``extends`` renders (issue 17 item 3; E1)."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from casedesk.cases.models import CaseEvent
from casedesk.notifications.rendering import (
    KINDS,
    CaseView,
    _flatten,
    as_of_event,
    case_facts,
    compiled,
    render_mail,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("staff", [False, True])
@pytest.mark.parametrize("ext", ["txt", "html"])
def test_every_kind_renders_as_with_extends(world, kind, staff, ext):
    case = world.alice_case
    case.subject = 'Dialer <b>stops</b> & "drops" calls'
    event = CaseEvent.objects.filter(case=case).first()
    event.body = "Line one <script>x</script>\n\nLine two & more"
    name = f"notifications/{kind}.{ext}"
    context = {
        "case": CaseView(case),
        "number": case.number,
        "case_subject": case.subject,
        "reference": "CDR1-1ABCDEF",
        "url": "https://support.example/cases/CS-000001/",
        "staff": staff,
        "reopen_days": 14,
        "event": event,
        "actor": world.engineer,
        "step": 2,
        "survey_url": "https://support.example/survey/x/",
        "information": "More <i>information</i>",
        "centre": "EMEA",
        "routing": "business hours",
    }
    assert "{% extends" not in compiled(name).source
    assert compiled(name).render(_context(context)) == render_to_string(name, context)


def _context(values):
    from django.template import Context

    return Context(values)


def test_the_case_view_shows_the_event_time_facts_and_labels(world):
    case = world.alice_case
    facts = case_facts(case) | {"status": "awaiting_info", "subject": "Then"}
    view = as_of_event(case, facts)
    assert (view.subject, view["subject"], view.status) == ("Then", "Then", "awaiting_info")
    assert view.get_status_display == "Awaiting Info"
    assert view.number == case.number and view.contact == case.contact
    assert case.subject != "Then"  # the case itself is untouched
    rendered = render_mail("opened", case=view, staff=False, extra={})
    assert f"[{case.number}] Case opened: Then [" in rendered.subject
    assert "Awaiting Info" in rendered.text


def test_templates_of_another_shape_are_left_to_django():
    def load(name):  # pragma: no cover — never reached for these
        raise AssertionError(name)

    assert _flatten("no extends here", load) is None
    assert _flatten('{% extends "x" %}{% block a %}{{ block.super }}{% endblock %}', load) is None
    assert _flatten('{% extends "x" %}{% load humanize %}', load) is None


def test_one_events_mail_to_many_people_is_rendered_once(world, smtp, monkeypatch):
    # An event's mail to several people on rows of their own (a milestone to the engineer
    # and every manager): one rendering for all of them, and each still gets the whole
    # mail. (Here: the same event's mail, copied to three more people.) A new case's
    # notice to the centre is one row anyway (test_centre_notice).
    from casedesk.notifications import sending
    from casedesk.notifications.models import OutboundMessage

    case = world.open_case(world.alice)
    rows = OutboundMessage.objects.filter(case=case)
    staff_rows = [m for m in rows if m.kind == "opened"]
    for n in range(3):  # two more engineers of the same centre hear of it
        OutboundMessage.objects.create(
            **{
                f.attname: getattr(staff_rows[0], f.attname)
                for f in OutboundMessage._meta.concrete_fields
                if f.attname not in ("id", "to", "message_id", "idempotency_key")
            },
            to=[f"extra{n}@support.example"],
            message_id=f"<extra-{n}@casedesk.test>",
            idempotency_key=f"extra-{n}",
        )
    pending = OutboundMessage.objects.filter(state="pending", text_body="")
    distinct = {(m.event_id, m.kind) for m in pending}
    assert pending.count() > len(distinct)
    calls = []
    real = sending.render_mail
    monkeypatch.setattr(sending, "render_mail", lambda *a, **k: calls.append(a) or real(*a, **k))
    sending.outbox_pump(worker="w", now=world.now, limit=500)
    assert len(calls) == len(distinct)  # one per event and kind, not one per recipient
    staff = OutboundMessage.objects.filter(case=case, kind=staff_rows[0].kind)
    assert staff.count() == len(staff_rows) + 3
    assert len({(m.subject, m.text_body, m.html_body) for m in staff}) == 1
    assert all(m.state == "sent" and m.text_body for m in staff)
