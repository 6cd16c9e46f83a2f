"""EXPLAIN (ANALYZE, BUFFERS) of the SQL the case selectors run, on the benchmark database.

Run after ``bench/load_cases.py``::

    CASEDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/casedesk_bench \\
        .venv/bin/python bench/explain_selectors.py [--full]

Each selector call (engineer queue, customer lists, case detail, timeline, dashboard
counts) runs for real inside ``CaptureQueriesContext``; every SELECT it issued is then
explained. The summary line per query gives the execution time, the indexes used and
whether any sequential scan or explicit sort happened; ``--full`` prints the SQL and
whole plans. Read-only: ANALYZE runs SELECTs only.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_cases import (  # the loader is a sibling script, not a package
    CONTACT_EMAIL,
    ENGINEER_EMAIL,
    OWN_CONTACT_EMAIL,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="print SQL and full plans")
    args = parser.parse_args()
    if not os.environ.get("CASEDESK_DATABASE_URL", "").startswith(("postgres", "postgresql")):
        raise SystemExit("Set CASEDESK_DATABASE_URL to the PostgreSQL benchmark database.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casedesk.accounts.models import User
    from casedesk.cases import selectors
    from casedesk.cases.selectors import CaseFilters

    engineer = User.objects.get(email=ENGINEER_EMAIL)
    contact = User.objects.get(email=CONTACT_EMAIL)
    own = User.objects.get(email=OWN_CONTACT_EMAIL)
    sample = selectors.list_cases(contact, CaseFilters(scope="all", state="closed")).items[0].number

    def timeline() -> object:
        case = selectors.access_case(contact, sample)
        return selectors.case_timeline(contact, case)

    calls: list[tuple[str, Callable[[], Any]]] = [
        (
            "engineer_queue: console default (waiting on support, oldest first)",
            lambda: selectors.engineer_queue(
                engineer, CaseFilters(scope="all", state="", sort="oldest")
            ),
        ),
        (
            "engineer_queue: product group 1 + region emea",
            lambda: selectors.engineer_queue(
                engineer,
                CaseFilters(scope="all", state="", product_group=1, region="emea", sort="oldest"),
            ),
        ),
        (
            "engineer_queue: unassigned, priority high",
            lambda: selectors.engineer_queue(
                engineer,
                CaseFilters(scope="all", state="", assignee="none", priority="high", sort="oldest"),
            ),
        ),
        (
            "engineer_queue: page 40",
            lambda: selectors.engineer_queue(
                engineer, CaseFilters(scope="all", state="", sort="oldest", page=40)
            ),
        ),
        (
            "list_cases: engineer's own open cases",
            lambda: selectors.list_cases(engineer, CaseFilters(scope="mine", state="open")),
        ),
        (
            "list_cases: contact, all open (portal default 'All open cases')",
            lambda: selectors.list_cases(contact, CaseFilters(scope="all", state="open")),
        ),
        (
            "engineer_queue: waiting on customer, oldest first",
            lambda: selectors.engineer_queue(
                engineer, CaseFilters(scope="all", state="waiting_on_customer", sort="oldest")
            ),
        ),
        (
            "list_cases: contact, all closed High (organisation scope)",
            lambda: selectors.list_cases(
                contact, CaseFilters(scope="all", state="closed", priority="high")
            ),
        ),
        (
            "list_cases: contact, all open, sorted by priority",
            lambda: selectors.list_cases(
                contact, CaseFilters(scope="all", state="open", sort="priority")
            ),
        ),
        (
            "list_cases: contact, all closed, page 40",
            lambda: selectors.list_cases(
                contact, CaseFilters(scope="all", state="closed", page=40)
            ),
        ),
        (
            "list_cases: contact, all closed, search 'dialer'",
            lambda: selectors.list_cases(
                contact, CaseFilters(scope="all", state="closed", q="dialer")
            ),
        ),
        (
            "list_cases: contact without visibility, my closed",
            lambda: selectors.list_cases(own, CaseFilters(scope="mine", state="closed")),
        ),
        ("access_case + case_timeline", timeline),
        ("dashboard_counts: contact", lambda: selectors.dashboard_counts(contact)),
    ]
    slow = []
    for title, call in calls:
        with CaptureQueriesContext(connection) as ctx:
            call()
        print(f"\n## {title}")
        for query in ctx.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = [row[0] for row in cur.fetchall()]
            text = "\n".join(plan)
            ms = float(re.search(r"Execution Time: ([\d.]+) ms", text).group(1))  # type: ignore[union-attr]
            used = sorted(
                set(re.findall(r"(?:Index|Index Only) Scan (?:Backward )?using (\w+)", text))
            )
            bitmap = sorted(set(re.findall(r"Bitmap Index Scan on (\w+)", text)))
            seq = sorted(set(re.findall(r"Seq Scan on (\w+)", text)))
            sort = "Sort" in text and "Sort Key" in text
            hits = re.search(r"Buffers: shared hit=(\d+)(?: read=(\d+))?", text)
            table = re.search(r'FROM "(\w+)"', sql)
            print(
                f"- {table.group(1) if table else '?'}: {ms:.2f} ms; indexes "
                f"{', '.join(used + bitmap) or 'none'}"
                + (f"; SEQ SCAN {', '.join(seq)}" if seq else "")
                + ("; explicit sort" if sort else "")
                + (f"; buffers hit={hits.group(1)} read={hits.group(2) or 0}" if hits else "")
            )
            if ms > 20 or seq:
                slow.append((title, ms, seq))
            if args.full:
                print("\n```sql\n" + sql + "\n```\n```\n" + text + "\n```")
    print("\nSlow (>20 ms) or sequential:", slow or "none")


if __name__ == "__main__":
    main()
