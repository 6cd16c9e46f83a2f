"""Console: the follow-up outcomes (C5) and escalations (C6) reports as tables, SVG charts
and CSV, scoped like the service-level report (``reports.selectors.report_scope``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from casedesk.core import clock
from casedesk.reports.outcomes import OutcomeReport, Row, escalation_report, followup_outcomes
from casedesk.reports.selectors import report_scope
from casedesk.web.access import support_view
from casedesk.web.charts import bar_chart, line_chart
from casedesk.web.exports import csv_response

from .reports import report_form

TEMPLATE = "console/manage/reports_outcomes.html"


def outcome_csv_rows(report: OutcomeReport) -> Iterator[list[Any]]:
    """One line per period, then per priority, then the total; a column per figure."""
    for dim, rows in (("period", report.trend), ("priority", report.by_priority)):
        for row in rows:
            yield [f"{dim}: {row.label}", *(row.get(m) for m, _ in report.columns)]
    yield ["total", *(report.total.get(m) for m, _ in report.columns)]


def _cells(report: OutcomeReport, row: Row) -> list[tuple[str, int]]:
    """(column label, value): the label rides on each cell for the phone layout."""
    return [(label, row.get(m)) for m, label in report.columns]


def _page(request: HttpRequest, *, tab: str, title: str, build: Any, chart_metric: str) -> Any:
    scope = report_scope(request.user)
    if scope is None:
        raise Http404("Not found.")
    form = report_form(request)
    context: dict[str, Any] = {"form": form, "nav": "reports", "report_tab": tab, "title": title}
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    data = form.cleaned_data
    report = build(
        scope=scope, start=data["start"], end=data["end"], period=data["period"], now=clock.now()
    )
    if request.GET.get("format") == "csv":
        header = [
            "group",
            *(m.split(".", 1)[1] for m, _ in report.columns),
        ]
        name = f"{tab}-{data['start']}-{data['end']}.csv"
        return csv_response(name, header, outcome_csv_rows(report))
    label = dict(report.columns)[chart_metric]
    context.update(
        report=report,
        columns=report.columns,
        trend_rows=[(r.label, _cells(report, r)) for r in report.trend],
        priority_rows=[(r.label, _cells(report, r)) for r in report.by_priority],
        total_row=_cells(report, report.total),
        trend_chart=line_chart(
            f"{label} per {report.period}",
            f"{label} from {report.start} to {report.end}, one point per {report.period}.",
            [(r.label, r.get(chart_metric)) for r in report.trend],
        ),
        total_chart=bar_chart(
            f"{title}: totals",
            f"Each figure of the {title.lower()} report over the whole range.",
            [(lbl, report.total.get(m)) for m, lbl in report.columns],
        ),
        query=request.GET.urlencode(),
    )
    return context


@support_view
def followups_page(request: HttpRequest) -> HttpResponseBase:
    """Reminders sent, responses after each, automatic closes and re-openings (C5)."""
    out = _page(
        request,
        tab="followups",
        title="Follow-up outcomes",
        build=followup_outcomes,
        chart_metric="followup.reminder1",
    )
    if isinstance(out, HttpResponseBase):
        return out
    return render(request, TEMPLATE, out)


@support_view
def escalations_page(request: HttpRequest) -> HttpResponseBase:
    """Requests, eligible and refused by reason, outcomes and time to outcome (C6)."""
    out = _page(
        request,
        tab="escalations",
        title="Escalations",
        build=escalation_report,
        chart_metric="escalation.requested",
    )
    if isinstance(out, HttpResponseBase):
        return out
    report: OutcomeReport = out["report"]
    total = report.total
    out.update(
        refusals=report.extra["refusals"],
        kinds=report.extra["kinds"],
        refusal_chart=bar_chart(
            "Refused requests by reason",
            "Escalation and root-cause requests the system refused, by the reason it gave.",
            [(label, n) for _, label, n in report.extra["refusals"]],
        ),
        times=[
            (label, total.get(metric), total.average_hours(metric))
            for metric, label in (
                ("escalation.in_progress", "Taken up"),
                ("escalation.resolved", "Resolved"),
                ("escalation.declined", "Declined"),
            )
        ],
    )
    return render(request, TEMPLATE, out)
