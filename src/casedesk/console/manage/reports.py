"""Console: the service-level (I1, C3) and backlog reports as tables, SVG charts and CSV.

Managers and care see every case; engineers see their region's cases and their own
(``reports.selectors.report_scope``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from itertools import chain
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from casedesk.core import clock
from casedesk.reports.backlog import DIMENSIONS, backlog_report
from casedesk.reports.holdtimes import call_scope
from casedesk.reports.periods import PERIODS
from casedesk.reports.selectors import ServiceLevelReport, report_scope, service_levels
from casedesk.web.access import support_view
from casedesk.web.charts import bar_chart, line_chart
from casedesk.web.exports import csv_response

MAX_DAYS = 3 * 366
MISSES_AFTER = re.compile(r"(\d{1,12})-(fix|root_cause)")


class RangeForm(forms.Form):
    """Any range of days, at most three years."""

    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end comes before the start.")
            elif start.year < 2000 or end.year > 2100:
                self.add_error("end", "Choose days between 2000 and 2100.")
            elif (end - start).days > MAX_DAYS:
                self.add_error("end", "Choose a range of at most three years.")
        return data


class ReportForm(RangeForm):
    """The range cut into day/week/month/quarter buckets."""

    period = forms.ChoiceField(choices=[(p, p.title()) for p in PERIODS], initial="week")


def report_form(request: HttpRequest) -> ReportForm:
    """The query string's range, defaulting to the last 90 days by week."""
    today = clock.now().date()
    defaults = {"start": today - dt.timedelta(days=89), "end": today, "period": "week"}
    given = {k: request.GET.get(k) or defaults[k] for k in defaults}
    return ReportForm(given)


SLA_HEADER = [
    "group",
    "cases",
    "root_cause_avg_business_days",
    "root_cause_p90_business_days",
    "root_cause_target_business_days",
    "fix_avg_days",
    "fix_p90_days",
    "fix_target_days",
    "outage_avg_hours",
    "outage_target_hours",
    "hold_time",
    "hold_avg_minutes",
    "hold_calls",
    "hold_met",
    "hold_missed",
    "milestones_met",
    "milestones_missed",
    "milestones_running",
]


def sla_csv_rows(report: ServiceLevelReport) -> Iterator[list[Any]]:
    for dim, rows in (
        ("priority", report.by_priority),
        ("region", report.by_region),
        ("product_group", report.by_product_group),
    ):
        for row in rows:
            d = row.as_dict()
            yield [
                f"{dim}: {d['label']}",
                d["cases"],
                d["root_cause_avg_days"],
                d["root_cause_p90_days"],
                d["root_cause_target_days"],
                d["fix_avg_days"],
                d["fix_p90_days"],
                d["fix_target_days"],
                d["outage_avg_hours"],
                d["outage_target_hours"],
                d["hold"],
                d["hold_avg_minutes"],
                d["hold_calls"],
                d["hold_met"],
                d["hold_missed"],
                d["milestones_met"],
                d["milestones_missed"],
                d["milestones_running"],
            ]


@support_view
def service_levels_page(request: HttpRequest) -> HttpResponse:
    scope = report_scope(request.user)
    if scope is None:
        raise Http404("Not found.")
    form = report_form(request)
    context: dict[str, Any] = {"form": form, "nav": "reports"}
    if not form.is_valid():
        return render(request, "console/manage/reports_sla.html", context, status=400)
    data = form.cleaned_data
    after = request.GET.get("misses_after", "")
    found = MISSES_AFTER.fullmatch(after)
    if after and found is None:
        form.add_error(None, "That link to more missed milestones is not valid.")
        return render(request, "console/manage/reports_sla.html", context, status=400)
    report = service_levels(
        scope=scope,
        start=data["start"],
        end=data["end"],
        period=data["period"],
        now=clock.now(),
        calls=call_scope(request.user),
        misses_after=(int(found[1]), found[2]) if found else None,
    )
    if request.GET.get("format") == "csv":
        name = f"service-levels-{data['start']}-{data['end']}.csv"
        return csv_response(name, SLA_HEADER, sla_csv_rows(report))
    total = report.total
    context.update(
        report=report,
        total=total,
        rows=[(r, r.as_dict()) for r in report.by_priority],
        regions=[(r, r.as_dict()) for r in report.by_region],
        groups=[(r, r.as_dict()) for r in report.by_product_group],
        trend_chart=line_chart(
            "Cases opened per " + report.period,
            f"Cases opened from {report.start} to {report.end}, one point per {report.period}.",
            [(str(b), n) for b, n, _ in report.trend],
        ),
        share_chart=bar_chart(
            "Milestones met, missed and running",
            "Number of root-cause and fix milestones of the cases in the range, by state.",
            [("Met", total.met), ("Missed", total.missed), ("Running", total.running)],
        ),
        query=request.GET.urlencode(),
        more_query=_more_misses_query(request, report),
    )
    return render(request, "console/manage/reports_sla.html", context)


def _more_misses_query(request: HttpRequest, report: ServiceLevelReport) -> str:
    """The query string of the next page of missed milestones, or "" when none is left."""
    if not report.more_misses:
        return ""
    query = request.GET.copy()
    last = report.misses[-1]
    query["misses_after"] = f"{last.case_id}-{last.kind}"
    query.pop("format", None)
    return query.urlencode()


@support_view
def backlog_page(request: HttpRequest) -> HttpResponse:
    """Open cases by age, whom they wait on, priority, region and assignee; the daily trend."""
    scope = report_scope(request.user)
    if scope is None:
        raise Http404("Not found.")
    today = clock.now().date()
    defaults = {"start": today - dt.timedelta(days=89), "end": today}
    form = RangeForm({k: request.GET.get(k) or defaults[k] for k in defaults})
    context: dict[str, Any] = {"form": form, "nav": "reports"}
    if not form.is_valid():
        return render(request, "console/manage/reports_backlog.html", context, status=400)
    data = form.cleaned_data
    report = backlog_report(scope=scope, start=data["start"], end=data["end"], now=clock.now())
    if request.GET.get("format") == "csv":
        rows = (
            [DIMENSIONS[dim], label, n] for dim, items in report.by_dimension.items()
            for label, n in items
        )  # fmt: skip
        trend = (["Recorded open cases", day.isoformat(), n] for day, n in report.trend)
        return csv_response(
            f"backlog-{data['end']}.csv", ["dimension", "value", "open_cases"], chain(rows, trend)
        )
    context.update(
        report=report,
        sections=[
            (dim, DIMENSIONS[dim], items, bar_chart(
                f"Open cases by {DIMENSIONS[dim].lower()}",
                f"Number of cases open now, by {DIMENSIONS[dim].lower()}.",
                items[:15],
            ))
            for dim, items in report.by_dimension.items()
        ],
        trend_chart=line_chart(
            "Open cases at the end of each recorded day",
            f"Backlog recorded by the nightly snapshot from {data['start']} to {data['end']}.",
            [(d.isoformat(), n) for d, n in report.trend],
        ),
        query=request.GET.urlencode(),
    )  # fmt: skip
    return render(request, "console/manage/reports_backlog.html", context)
