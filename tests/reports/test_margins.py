"""Monthly margins (I1, C5, C6, F7; issue 13 item 10; ADR 0008 addendum): the follow-up,
escalation and satisfaction figures are the same whether whole months come from the
monthly margins, every stored day from ``DailyCount``, or everything is computed live
from the records — over a generated world of four months and two partial ones, for every
viewer, range and period; and a re-stored day reaches the margins of its month."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
import time_machine
from django.core.management import call_command

from casedesk.accounts.models import Role
from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.escalations.models import Escalation
from casedesk.notifications.models import SurveyResponse
from casedesk.reports import margins
from casedesk.reports.models import DailyCount, MarginMonth, MonthlyMargin, RollupDay
from casedesk.reports.outcomes import escalation_report, followup_outcomes
from casedesk.reports.rollups import rollup_day
from casedesk.reports.satisfaction import satisfaction
from casedesk.reports.selectors import report_scope
from casedesk.reports.services import rollup_catch_up
from tests.factories import build_world, make_user

pytestmark = pytest.mark.django_db
UTC = dt.UTC
FIRST = dt.date(2026, 8, 20)  # the generated activity: 20 Aug (a partial August) …
NOW = dt.datetime(2026, 12, 10, 12, tzinfo=UTC)  # … to today noon (a partial December)
WHOLE = [dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)]
RANGES = [
    (dt.date(2026, 8, 1), dt.date(2026, 12, 31), "week"),  # partial ends, three whole months
    (dt.date(2026, 9, 1), dt.date(2026, 11, 30), "day"),  # exactly the whole months
    (dt.date(2026, 9, 15), dt.date(2026, 11, 10), "month"),  # October whole, two halves
    (dt.date(2026, 10, 1), dt.date(2026, 10, 31), "day"),  # one month
    (dt.date(2026, 10, 2), dt.date(2026, 10, 31), "day"),  # a month less a day: no margin
]
CODES = ("priority", "impact", "too_soon", "analysis_not_started")


def _event(case: Case, at: dt.datetime, event_kind: str, **data: object) -> None:
    CaseEvent.objects.create(case=case, at=at, kind=event_kind, data=data, public=False)


def generated_world(seed: int = 13):  # type: ignore[no-untyped-def]
    """Six cases over three regions, four priority groups, two products and organisations,
    three assignees (and nobody); 0–4 things a day happen to them: closures (with a survey
    answer one to sixty hours later, across day and month ends), the follow-up ladder,
    customer responses, re-openings, refused and eligible escalations and outcomes."""
    w = build_world(now=dt.datetime(2026, 8, 1, 9, tzinfo=UTC))
    rio = make_user("rio@support.example", role=Role.ENGINEER, region="brazil")
    c = w.catalogue
    more = [
        w.open_case(w.alice, priority="high"),
        w.open_case(w.gina, priority="low"),
        w.open_case(
            w.bob, priority="critical", production_down=True, emergency_criterion="server_down"
        ),
    ]
    cases = [w.alice_case, w.carol_case, w.gina_case, *more]
    dims = [
        {"assignee": w.engineer},
        {"product": c["other_product"], "product_group": c["other_group"], "region": "americas"},
        {"assignee": rio},
        {"assignee": rio, "region": "americas"},
        {"product": c["other_product"], "product_group": c["other_group"]},
        {"assignee": w.engineer},
    ]
    for case, fields in zip(cases, dims, strict=True):
        Case.objects.filter(pk=case.pk).update(**fields)
    rng = random.Random(seed)
    day = FIRST
    while day <= NOW.date():
        for _ in range(rng.randint(0, 4)):
            case = rng.choice(cases)
            minutes = rng.randrange(12 * 60 if day == NOW.date() else 24 * 60)
            at = dt.datetime.combine(day, dt.time.min, tzinfo=UTC) + dt.timedelta(minutes=minutes)
            what = rng.choice(["close", "ladder", "request", "response", "reopen", "escalate"])
            if what == "close":
                reason = rng.choice(["solution_accepted", "no_response_after_followups"])
                _event(case, at, EventKind.TRANSITION, action="close", close_reason=reason)
                answered = at + dt.timedelta(hours=rng.randint(1, 60))
                if rng.random() < 0.7 and answered < NOW:
                    SurveyResponse.objects.create(
                        case=case, closure=at, priority=rng.choice(["medium", "high", "low"]),
                        score=rng.randint(1, 5), solved=rng.random() < 0.6,
                        comment=rng.choice(["", "Thanks"]), created_at=answered,
                    )  # fmt: skip
            elif what == "ladder":
                step = rng.randint(1, 3)
                _event(case, at, EventKind.FOLLOW_UP, step=step, final=step == 3)
            elif what in ("request", "response", "reopen"):
                action = {"request": "request_info", "response": "customer_response"}
                _event(case, at, EventKind.TRANSITION, action=action.get(what, what))
            elif rng.random() < 0.5:
                kind = rng.choice(["standard", "root_cause"])
                code = rng.choice(CODES)
                _event(case, at, EventKind.ESCALATION, refused=True, kind=kind, code=code)
            else:
                esc = Escalation.objects.create(
                    case=case, kind="standard", requested_by=w.alice, requested_at=at,
                    eligibility="Quiet", subject="S", reason="R", summary="S",
                    expectations="E", state="resolved",
                )  # fmt: skip
                _event(case, at, EventKind.ESCALATION, state="open", escalation=esc.pk)
                outcome = at + dt.timedelta(minutes=rng.randint(30, 100 * 60))
                state = rng.choice(["in_progress", "resolved", "declined"])
                if outcome < NOW:
                    _event(case, outcome, EventKind.ESCALATION, state=state, escalation=esc.pk)
        day += dt.timedelta(days=1)
    return w, rio


def figures(scope, start, end, period):  # type: ignore[no-untyped-def]
    """Every figure of the three reports (sums rounded: float additions in another order)."""

    def outcome(report):  # type: ignore[no-untyped-def]
        rows = [*report.trend, *report.by_priority, report.total]
        return [
            (
                r.label,
                sorted(r.values.items()),
                sorted((m, round(t, 6)) for m, t in r.hours.items()),
            )
            for r in rows
        ] + [sorted(report.extra.items())]

    def score(rows):  # type: ignore[no-untyped-def]
        return sorted((r.label, r.invitations, r.responses, round(r.score_sum, 6), r.solved)
                      for r in rows)  # fmt: skip

    args = {"scope": scope, "start": start, "end": end, "period": period, "now": NOW}
    sat = satisfaction(**args)
    return {
        "followups": outcome(followup_outcomes(**args)),
        "escalations": outcome(escalation_report(**args)),
        "satisfaction": (
            score(sat.trend),
            {d: score(rows) for d, rows in sat.by_dimension.items()},
            score([sat.total]),
            sat.distribution,
        ),
    }


def all_figures(viewers):  # type: ignore[no-untyped-def]
    return {
        (name, start, end, period): figures(report_scope(user), start, end, period)
        for name, user in viewers.items()
        for start, end, period in RANGES
    }


@pytest.fixture
def world_and_viewers():  # type: ignore[no-untyped-def]
    w, rio = generated_world()
    viewers = {"manager": w.manager, "care": w.care, "rio": rio, "eve": w.engineer}
    viewers |= {"alice": w.alice, "gina": w.gina}
    return w, viewers


def test_margins_stored_days_and_live_give_the_same_figures(world_and_viewers, monkeypatch):
    # R: I1, C5, C6, F7 — issue 13 item 10.
    _, viewers = world_and_viewers
    live = all_figures(viewers)
    assert live[("manager", *RANGES[0])]["satisfaction"][2][0][1] > 30  # invitations
    with time_machine.travel(NOW, tick=False):
        call_command("reports_rollup", "--start", "2026-08-01", stdout=io.StringIO())
    # Margins for the whole stored months only: August from the 1st is stored, December is not
    # over; the backfill summed each month once.
    assert list(MarginMonth.objects.values_list("month", flat=True)) == [
        dt.date(2026, 8, 1), *WHOLE,
    ]  # fmt: skip
    assert MonthlyMargin.objects.filter(month=dt.date(2026, 12, 1)).count() == 0
    used: list[list[dt.date]] = []
    real = margins.add_margins

    def spy(out, months, prefix, groups):  # type: ignore[no-untyped-def]
        used.append(list(months))
        return real(out, months, prefix, groups)

    monkeypatch.setattr("casedesk.reports.rollups.add_margins", spy)
    assert all_figures(viewers) == live
    assert [dt.date(2026, 8, 1), *WHOLE] in used  # the long range took its months from them
    assert [] in used  # 2 Oct–31 Oct: no whole month
    # Without margins: every stored day from DailyCount.
    MarginMonth.objects.all().delete()
    assert all_figures(viewers) == live
    # Margins are what the unscoped view reads: with the months' daily rows gone, the
    # manager's figures over whole months stand (a scoped viewer's would not).
    with time_machine.travel(NOW, tick=False):
        call_command("reports_rollup", "--start", "2026-09-01", "--end", "2026-11-30",
                     stdout=io.StringIO())  # fmt: skip
    DailyCount.objects.filter(day__gte=WHOLE[0], day__lt=dt.date(2026, 12, 1)).delete()
    for name in ("manager", "care"):
        for start, end, period in (RANGES[1], RANGES[3]):
            got = figures(report_scope(viewers[name]), start, end, period)
            assert got == live[(name, start, end, period)]
    rio = (*RANGES[1][:2], "day")
    assert figures(report_scope(viewers["rio"]), *rio) != live[("rio", *RANGES[1])]


def test_a_re_stored_day_reaches_its_months_margins(world_and_viewers):
    # R: I1 — issue 13 item 10: a day stored again (a definition changed, a late record)
    # recomputes its month's margins; a batch drops them until it sums the month once.
    w, _ = world_and_viewers
    for day in range(31):
        rollup_day(day=dt.date(2026, 10, 1) + dt.timedelta(days=day), now=NOW)
    assert list(MarginMonth.objects.values_list("month", flat=True)) == [WHOLE[1]]
    manager = report_scope(w.manager)
    october = (dt.date(2026, 10, 1), dt.date(2026, 10, 31), "week")
    before = figures(manager, *october)
    late = dt.datetime(2026, 10, 15, 10, tzinfo=UTC)
    _event(w.alice_case, late, EventKind.TRANSITION, action="close", close_reason="x")
    assert figures(manager, *october) == before  # stored until stored again
    rollup_day(day=late.date(), now=NOW, margins=False)
    assert not MarginMonth.objects.exists()  # the month is read by day until re-summed
    by_day = figures(manager, *october)
    invited = by_day["satisfaction"][2][0][1]
    assert invited == before["satisfaction"][2][0][1] + 1
    rollup_day(day=late.date(), now=NOW)
    assert MarginMonth.objects.get().month == WHOLE[1]
    assert figures(manager, *october) == by_day
    margin = MonthlyMargin.objects.get(
        month=WHOLE[1], dim="day", value="2026-10-15", metric="survey.invited"
    )
    daily = DailyCount.objects.filter(day=late.date(), metric="survey.invited")
    assert margin.count == sum(daily.values_list("count", flat=True))


def test_the_nightly_run_sums_a_month_once_its_last_day_is_stored(world_and_viewers):
    # R: I1 — issue 13 item 10: the worker's catch-up stores the days, then the months.
    for day in range(29):
        rollup_day(day=dt.date(2026, 11, 1) + dt.timedelta(days=day), now=NOW)
    assert not MarginMonth.objects.exists()  # 30 November not stored yet
    days = rollup_catch_up(now=dt.datetime(2026, 12, 1, 0, 10, tzinfo=UTC))
    assert days == [dt.date(2026, 11, 30)]
    assert RollupDay.objects.count() == 30
    assert list(MarginMonth.objects.values_list("month", flat=True)) == [WHOLE[2]]
    rows = MarginMonth.objects.get().rows
    assert rows == MonthlyMargin.objects.count() > 0
