"""``grouping_sets`` (issue 13 items 5, 10): one query grouping the same rows several ways —
``GROUP BY GROUPING SETS`` on PostgreSQL, one ``GROUP BY`` per set elsewhere — answers what
grouping each way separately answers, a NULL key (no engineer) kept apart from the rows a
set does not group by."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.db.models import F, Q

from casedesk.reports.grouping import grouping_sets
from casedesk.reports.models import DailyCount

pytestmark = pytest.mark.django_db
D1, D2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)


def test_every_set_equals_its_own_grouping(world):
    eve, max_ = world.engineer, world.manager
    rows = [  # day, metric, region, assignee, count, total
        (D1, "survey.response", "emea", eve, 2, 9.0),
        (D1, "survey.response", "brazil", None, 1, 4.0),
        (D1, "survey.invited", "emea", None, 3, 0.0),
        (D2, "survey.response", "emea", max_, 1, 1.0),
        (D2, "survey.invited", "brazil", eve, 5, 0.0),
        (D2, "followup.closed", "emea", eve, 7, 0.0),  # outside the filter below
    ]
    for day, metric, region, who, n, t in rows:
        DailyCount.objects.create(
            day=day, metric=metric, region=region, priority="medium", organisation=world.acme,
            assignee=who, count=n, total=t,
        )  # fmt: skip
    qs = DailyCount.objects.filter(Q(metric__startswith="survey."))
    keys = {g: F(g) for g in ("day", "metric", "region", "assignee")}
    sets = [("day", "metric"), ("region", "metric"), ("assignee", "metric")]
    found = grouping_sets(qs, keys, sets, ("count", "total"))
    expected = []
    for group in ("day", "region", "assignee"):
        cells: dict = defaultdict(lambda: [0, 0, 0.0])
        for day, metric, region, who, n, t in rows:
            if not metric.startswith("survey."):
                continue
            value = {"day": day, "region": region, "assignee": who and who.pk}[group]
            cell = cells[(value, metric)]
            cell[0] += 1
            cell[1] += n
            cell[2] += t
        expected.append([(*k, *v) for k, v in cells.items()])
    assert [sorted(got, key=repr) for got in found] == [sorted(e, key=repr) for e in expected]
    # The engineer set keeps "no engineer" (NULL) as a row of its own: 1 + 3 rows.
    assert (None, "survey.response", 1, 1, 4.0) in found[2]
    assert (None, "survey.invited", 1, 3, 0.0) in found[2]
