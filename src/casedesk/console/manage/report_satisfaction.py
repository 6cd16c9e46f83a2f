"""Console: the satisfaction report (F7, I1) — survey scores by priority, region, product,
engineer and period, response rate and comments — scoped like the other reports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from casedesk.core import clock
from casedesk.reports.satisfaction import DIMENSIONS, SatisfactionReport, satisfaction
from casedesk.reports.selectors import report_scope
from casedesk.web.access import support_view
from casedesk.web.charts import bar_chart, line_chart
from casedesk.web.exports import csv_response

from .reports import report_form

TEMPLATE = "console/manage/reports_satisfaction.html"
HEADER = ["group", "invitations", "responses", "response_rate", "average_score", "solved"]


def _line(label: str, d: dict[str, Any]) -> list[Any]:
    return [label, *(d[k] for k in HEADER[1:])]


def satisfaction_csv_rows(report: SatisfactionReport) -> Iterator[list[Any]]:
    for dim, rows in [("period", report.trend), *report.by_dimension.items()]:
        for row in rows:
            yield _line(f"{dim}: {row.label}", row.as_dict())
    yield _line("total", report.total.as_dict())


@support_view
def satisfaction_page(request: HttpRequest) -> HttpResponseBase:
    """Scores and response rates per period and dimension, the distribution, comments."""
    scope = report_scope(request.user)
    if scope is None:
        raise Http404("Not found.")
    form = report_form(request)
    context: dict[str, Any] = {"form": form, "nav": "reports", "report_tab": "satisfaction"}
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    data = form.cleaned_data
    report = satisfaction(
        scope=scope, start=data["start"], end=data["end"], period=data["period"], now=clock.now()
    )
    if request.GET.get("format") == "csv":
        name = f"satisfaction-{data['start']}-{data['end']}.csv"
        return csv_response(name, HEADER, satisfaction_csv_rows(report))
    context.update(
        report=report,
        sections=[(dim, DIMENSIONS[dim], report.by_dimension[dim]) for dim in DIMENSIONS],
        trend_chart=line_chart(
            f"Average score per {report.period}",
            f"Average survey score (1–5) from {report.start} to {report.end}, one point per "
            f"{report.period}; periods without responses show as 0.",
            [(r.label, round(r.average or 0, 2)) for r in report.trend],
        ),
        score_chart=bar_chart(
            "Responses per score",
            "Number of survey responses giving each score from 1 (poor) to 5 (excellent).",
            [(str(score), n) for score, n in report.distribution],
        ),
        query=request.GET.urlencode(),
    )
    return render(request, TEMPLATE, context)
