"""Issue 15, item 4 (rule 6): a sender cannot flood a case. Over the real SMTP receiver,
with the clock frozen so "within a minute" is what the test says, not how fast it runs."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest

from casedesk.cases.models import CaseEvent
from casedesk.mail.models import InboundMessage, State
from casedesk.mail.smtp import start_receiver
from casedesk.notifications.models import OutboundMessage

from .conftest import reply_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(world, time_machine):
    time_machine.move_to(world.now, tick=False)
    controller = start_receiver(host="127.0.0.1", port=0)
    yield controller
    controller.stop()


def _send(port: int, *messages: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for raw in messages:
            assert smtp.sendmail("x@mail.example", ["support@casedesk.invalid"], raw) == {}


def _reply(sender: str, token: str, n: int, **kwargs) -> bytes:
    return reply_bytes(sender=sender, subject=f"Re: [{token}] #{n}",
                       message_id=f"<flood-{sender}-{n}@acme.example>", **kwargs)  # fmt: skip


def _updates(case) -> int:
    return CaseEvent.objects.filter(case=case, kind="customer_update").count()


def _alerts() -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(kind="mail_flood"))


def test_more_than_n_from_one_sender_in_a_minute_are_held_with_one_alert(
    receiver, settings, world, token, time_machine
):
    # R: rule 6; issue 15 item 4
    settings.MAIL_FLOOD_PER_SENDER, settings.MAIL_FLOOD_PER_CASE = 3, 100
    _send(receiver.port, *(_reply("alice@acme.example", token, n) for n in range(5)))
    states = list(InboundMessage.objects.order_by("pk").values_list("state", "reason_code"))
    assert states[:3] == [(State.APPENDED, "appended")] * 3
    assert states[3:] == [(State.NEEDS_CARE, "flood_sender")] * 2
    assert _updates(world.alice_case) == 3
    held = InboundMessage.objects.filter(reason_code="flood_sender").first()
    assert "alice@acme.example" in held.reason and held.case == world.alice_case
    alerts = _alerts()  # one per recipient and hour, however many are held
    assert [a.to for a in alerts] == [[world.care.email]]
    assert "alice@acme.example" in alerts[0].subject and "/console/mail/" in alerts[0].text_body
    # A minute later the sender is welcome again.
    time_machine.move_to(world.now + dt.timedelta(seconds=61), tick=False)
    _send(receiver.port, _reply("alice@acme.example", token, 9))
    assert InboundMessage.objects.order_by("pk").last().state == State.APPENDED


def test_more_than_m_for_one_case_in_a_minute_are_held(receiver, settings, world, token):
    settings.MAIL_FLOOD_PER_SENDER, settings.MAIL_FLOOD_PER_CASE = 100, 3
    _send(
        receiver.port,
        _reply("alice@acme.example", token, 1),
        _reply("bob@acme.example", token, 1),
        _reply("alice@acme.example", token, 2),
        _reply("bob@acme.example", token, 2),
    )
    codes = list(InboundMessage.objects.order_by("pk").values_list("reason_code", flat=True))
    assert codes == ["appended", "appended", "appended", "flood_case"]
    assert _updates(world.alice_case) == 3
    assert len(_alerts()) == 1 and world.alice_case.number in _alerts()[0].subject


def test_automatic_mail_keeps_its_handling_and_raises_no_alert(receiver, settings, world, token):
    settings.MAIL_FLOOD_PER_SENDER = 1
    auto = "Auto-Submitted: auto-replied\r\n"
    _send(receiver.port, *(_reply("alice@acme.example", token, n, headers=auto) for n in range(4)))
    assert set(InboundMessage.objects.values_list("state", "reason_code")) == {
        (State.IGNORED, "auto_submitted")
    }
    assert _alerts() == []
    _send(receiver.port, _reply("alice@acme.example", token, 10))  # ignored mail did not count
    assert InboundMessage.objects.order_by("pk").last().state == State.APPENDED
