"""The queue's default order and the urgent counter read an index, not the table (B10; issue 11).

PostgreSQL only. The test table is tiny, where sorting a handful of rows is cheapest, so the
plan is asked for with sequential scans and sorts discouraged: what is left is whether an
index can deliver the rows in the queue's order at all — the property a million-case table
needs (there the planner picks the index on its own)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from casedesk.cases import selectors
from casedesk.cases.models import Case

pytestmark = pytest.mark.django_db


def plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_queue_orders_by_the_urgency_index_without_sorting(world):
    qs = (
        Case.objects.filter(selectors._state_filter("waiting_on_support"))
        .order_by(*selectors.QUEUE_SORTS["urgent"])
        .values("pk")[:26]
    )
    text = plan(qs)
    assert "case_active_urgency_idx" in text, text
    assert "Sort" not in text, text
    due = Case.objects.filter(selectors._state_filter("open")).order_by(
        *selectors.QUEUE_SORTS["due"]
    )
    assert "case_active_due_idx" in plan(due.values("pk")[:26])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_urgent_counter_reads_its_partial_index(world):
    from casedesk.cases.models import ACTIVE_Q

    qs = Case.objects.filter(ACTIVE_Q, priority="critical", assignee__isnull=True)
    qs = qs.order_by().values("pk")
    assert "case_urgent_unassigned_idx" in plan(qs[:100])
