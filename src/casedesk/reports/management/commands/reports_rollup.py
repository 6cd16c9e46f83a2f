"""``casedesk manage reports_rollup --start 2024-01-01 [--end 2026-12-04] [--only sla]``:
store the daily rollups of past days (ADR 0008) — the event counts and the service-level
cells of the cases opened each day — e.g. after an upgrade or an import; days already
stored are computed again, then the monthly margins of each month in the range whose days
are all stored (once per month). The worker keeps them from then on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from casedesk.core import clock
from casedesk.reports.margins import margins_refresh
from casedesk.reports.rollups import rollup_day
from casedesk.reports.slrollups import sla_backfill


class Command(BaseCommand):
    help = "Store the report rollups of past UTC days (the worker keeps them nightly)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", type=dt.date.fromisoformat, required=True)
        parser.add_argument("--end", type=dt.date.fromisoformat, help="default: yesterday")
        parser.add_argument(
            "--only",
            choices=["counts", "sla"],
            help="only the event counts, or only the service-level cells (default: both)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        yesterday = now.astimezone(dt.UTC).date() - dt.timedelta(days=1)
        start, end = options["start"], options["end"] or yesterday
        if end > yesterday or start > end:
            raise CommandError(f"choose days from --start up to {yesterday} at the latest")
        day, rows, sla_rows, months = start, 0, 0, []
        while options["only"] != "sla" and day <= end:
            rows += rollup_day(day=day, now=now, margins=False)
            day += dt.timedelta(days=1)
        if options["only"] != "sla":  # each month's margins once, from its stored days
            months = margins_refresh(_firsts(start, end), now=now)
        if options["only"] != "counts":
            sla_rows = sla_backfill(start, end, now=now)
        if connection.vendor == "postgresql":  # the report's plans need fresh statistics
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE reports_dailycount, reports_monthlymargin, reports_slacell, "
                    "reports_sladay"
                )
        self.stdout.write(
            f"rolled up {(end - start).days + 1} day(s): {rows} count rows "
            f"({len(months)} complete month(s) summed), {sla_rows} service-level rows"
        )


def _firsts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of each month from ``start`` to ``end``."""
    out, month = [], start.replace(day=1)
    while month <= end:
        out.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out
