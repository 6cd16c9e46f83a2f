"""Later list pages (deferred join) hold exactly the rows the full ordering puts there (B10)."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.cases import selectors
from casedesk.cases.models import Case

pytestmark = pytest.mark.django_db
RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _open_many(world):
    for i in range(2 * selectors.PAGE_SIZE + 3):
        world.now += dt.timedelta(minutes=7)
        world.open_case(world.bob, priority=["low", "medium", "high"][i % 3], subject=f"Case {i}")


def _walk(fetch):
    seen, page = [], 1
    while True:
        result = fetch(page)
        assert all(case.organisation.name for case in result.items)  # joined rows present
        seen.extend(case.pk for case in result.items)
        if not result.has_next:
            return seen, page
        page += 1


def _expected(order, **scope):
    qs = Case.objects.filter(status__in=["open", "awaiting_info", "solution_proposed"], **scope)
    if "priority_rank" in order:
        return [c.pk for c in sorted(qs, key=lambda c: (RANK[c.priority], c.opened_at, c.pk))]
    return list(qs.order_by(*order).values_list("pk", flat=True))


@pytest.mark.parametrize("sort", sorted(selectors.QUEUE_SORTS))
def test_queue_pages_partition_the_full_ordering(world, sort):
    # R: B10
    _open_many(world)
    seen, pages = _walk(
        lambda page: selectors.engineer_queue(
            world.engineer, selectors.CaseFilters(scope="all", state="open", sort=sort, page=page)
        )
    )
    assert pages == 3
    assert seen == _expected(selectors.QUEUE_SORTS[sort])


@pytest.mark.parametrize("sort", sorted(selectors.SORTS))
def test_customer_list_pages_partition_the_full_ordering(world, sort):
    # R: B10, A3 (bob sees his colleagues' cases)
    _open_many(world)
    seen, pages = _walk(
        lambda page: selectors.list_cases(
            world.bob, selectors.CaseFilters(scope="all", state="open", sort=sort, page=page)
        )
    )
    assert pages == 3
    assert seen == _expected(selectors.SORTS[sort], organisation=world.acme)


def test_searches_are_planned_for_their_own_term(world):
    # R: B10. On PostgreSQL a search runs with custom plans (a generic plan read all of an
    # organisation's closed cases at 1M cases) and UPPER(subject) has statistics; results
    # are the same on both databases, short terms included.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casedesk.cases.selectors import CaseFilters, list_cases

    world.open_case(world.bob, subject="Recordings missing after the upgrade")
    with CaptureQueriesContext(connection) as captured:
        page = list_cases(world.bob, CaseFilters(scope="all", q="rec"))
    assert [c.subject for c in page.items] == ["Recordings missing after the upgrade"]
    assert [c.subject for c in list_cases(world.bob, CaseFilters(scope="all", q="gr")).items] == [
        "Recordings missing after the upgrade",
        "Voicemail greeting garbled",
    ]
    custom = any("plan_cache_mode" in q["sql"] for q in captured.captured_queries)
    assert custom == (connection.vendor == "postgresql")
    plain = CaptureQueriesContext(connection)
    with plain:
        list_cases(world.bob, CaseFilters(scope="all"))
    assert not any("plan_cache_mode" in q["sql"] for q in plain.captured_queries)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_statisticsobjdef(oid) FROM pg_statistic_ext "
                "WHERE stxname = 'case_subject_upper_stats'"
            )
            (definition,) = cursor.fetchone()
        assert "upper" in definition and "cases_case" in definition
