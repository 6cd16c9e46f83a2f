"""Issue 17, item 2 (E2, E3, rule 6): a batch routes as one message at a time would, with
its reads done once — the cases (locked in id order), the senders, the flood counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import CaseEvent
from casedesk.mail.models import InboundMessage, State
from casedesk.mail.reference import reference_token
from casedesk.mail.services.batching import Incoming, mail_process_batch, mail_store_batch

from .conftest import reply_bytes

pytestmark = pytest.mark.django_db


def _batch(world, raws: list[bytes]) -> list[InboundMessage]:
    items = [Incoming(raw=r, source="smtp", envelope_from="x@mail.example", envelope_to=["s@x"])
             for r in raws]  # fmt: skip
    rows = mail_store_batch(items, now=world.now)
    mail_process_batch(list(zip(rows, raws, strict=True)), now=world.now)
    return list(InboundMessage.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk"))


def _reply(sender: str, token: str, n: int, headers: str = "") -> bytes:
    return reply_bytes(sender=sender, subject=f"Re: [{token}] #{n}", headers=headers,
                       message_id=f"<batch-{sender}-{n}@acme.example>")  # fmt: skip


def test_a_batch_counts_its_own_earlier_messages_against_the_flood_limits(world, token, settings):
    # R: rule 6 (issue 15 item 4) within one batch; ignored mail never counts.
    settings.MAIL_FLOOD_PER_SENDER, settings.MAIL_FLOOD_PER_CASE = 3, 100
    auto = "Auto-Submitted: auto-replied\r\n"
    raws = [_reply("alice@acme.example", token, 0, auto)]
    raws += [_reply("alice@acme.example", token, n) for n in range(1, 6)]
    rows = _batch(world, raws)
    assert [(m.state, m.reason_code) for m in rows] == [
        (State.IGNORED, "auto_submitted"),
        *[(State.APPENDED, "appended")] * 3,
        *[(State.NEEDS_CARE, "flood_sender")] * 2,
    ]
    # A second batch in the same minute sees the first one's rows.
    later = _batch(world, [_reply("alice@acme.example", token, 9)])
    assert later[0].reason_code == "flood_sender"


def test_a_batch_counts_per_case_across_senders(world, token, settings):
    settings.MAIL_FLOOD_PER_SENDER, settings.MAIL_FLOOD_PER_CASE = 100, 3
    senders = ["alice@acme.example", "bob@acme.example"] * 2
    rows = _batch(world, [_reply(s, token, n) for n, s in enumerate(senders)])
    assert [m.reason_code for m in rows] == ["appended", "appended", "appended", "flood_case"]


def test_a_batch_routes_each_message_as_alone_with_one_read_of_cases_and_senders(world, token):
    # R: E2, E3, rule 1 — per message outcome unchanged; reads once per batch.
    gina_case = world.open_case(world.gina)
    gina_token = str(reference_token(gina_case.pk, world.globex.pk))
    raws = [
        _reply("alice@acme.example", token, 1),
        _reply("gina@globex.example", gina_token, 2),
        _reply("gina@globex.example", token, 3),  # another organisation's case: held
        _reply("stranger@mail.example", token, 4),
        reply_bytes(sender="bob@acme.example", subject="New problem", message_id="<new@a>"),
        _reply("BOB@acme.example", token, 5),  # the address in another case
    ]
    with CaptureQueriesContext(connection) as queries:
        rows = _batch(world, raws)
    assert [m.reason_code for m in rows] == [
        "appended", "appended", "not_participant", "unknown_sender", "no_reference", "appended",
    ]  # fmt: skip
    assert rows[1].case == gina_case and rows[5].sender == world.bob
    assert CaseEvent.objects.filter(case=world.alice_case, kind="customer_update").count() == 2
    selects = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    user_reads = [s for s in selects if '"accounts_user"."email"' in s.partition("WHERE")[2]]
    case_reads = [s for s in selects if s.partition(" WHERE ")[0].endswith('FROM "cases_case"')]
    assert len(user_reads) == 1  # the senders of the batch, once
    # the batch's cases once, then each append locks its case again (cases service)
    assert len(case_reads) == 1 + 3
