"""Several workers pumping one outbox at once send every message exactly once (rules 7, 8).

PostgreSQL with real connections, one per thread (``SKIP LOCKED`` plus the conditional
claim); SQLite serialises writers and is covered by test_outbox's claim tests.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from casedesk.notifications.models import MessageState, OutboundMessage
from casedesk.notifications.sending import outbox_pump
from tests.factories import build_world
from tests.waiting import DEADLINE

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: set CASEDESK_DATABASE_URL (CI runs this leg)",
    ),
]


def test_three_workers_send_each_message_once(smtp, now):
    # R: E1, rule 7
    world = build_world(now=now)
    for n in range(40):
        world.open_case(world.alice, subject=f"Dialer stops #{n}")
    total = OutboundMessage.objects.count()
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            while outbox_pump(worker=name, now=now, limit=4):
                pass
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=DEADLINE)
        assert not t.is_alive(), "a pump never finished"
    assert not errors, errors
    ids = Counter(r.message["Message-ID"] for r in smtp.messages)
    assert len(ids) == total == 43 and max(ids.values()) == 1
    assert OutboundMessage.objects.filter(state=MessageState.SENT).count() == total
