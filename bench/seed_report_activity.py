"""Add the activity the report benchmark needs to a loaded 1M-case database (ADR 0008).

``load_cases.py`` writes opened/assignment/reply/close events only. The follow-up,
escalation and satisfaction reports read the follow-up ladder, customer responses,
escalation requests and survey answers, so this script adds them in proportions a desk
would see, with plain SQL (INSERT … SELECT, seconds), deterministic (no randomness beyond
``hashtext`` of the case id):

* every case closed by the follow-up ladder (~94k): the request, reminders #1 and #2 and
  the final notice, 10, 8, 5 and 0 days before its close;
* one solution-accepted closure in five: the request 5 days before, reminder #1 3 days
  before and the customer's response 2 days before the close;
* one case in fifty: a refused escalation request (reason "too_soon"), one day after opening;
* one closure in seven: a survey answer a day after it (score 1–5 from the case id).

Run once on your copy (never on the template), then backfill the rollups:
``casedesk manage reports_rollup --start 2021-12-01``.
"""

from __future__ import annotations

import argparse
import os
import time

import psycopg

STEPS = [
    (
        "ladder on cases closed by follow-up",
        """
        INSERT INTO cases_caseevent (at, kind, public, body, data, actor_id, case_id)
        SELECT c.closed_at - s.back, s.kind, true, '', s.data::jsonb, NULL, c.id
        FROM cases_case c
        CROSS JOIN (VALUES
            (interval '10 days', 'transition', '{"action": "request_info"}'),
            (interval '8 days', 'followup', '{"step": 1}'),
            (interval '5 days', 'followup', '{"step": 2}'),
            (interval '0 days', 'followup', '{"step": 3, "final": true}')
        ) AS s(back, kind, data)
        WHERE c.closed_by_followup
        """,
    ),
    (
        "responses after reminder 1",
        """
        INSERT INTO cases_caseevent (at, kind, public, body, data, actor_id, case_id)
        SELECT c.closed_at - s.back, s.kind, true, '', s.data::jsonb, NULL, c.id
        FROM cases_case c
        CROSS JOIN (VALUES
            (interval '5 days', 'transition', '{"action": "request_info"}'),
            (interval '3 days', 'followup', '{"step": 1}'),
            (interval '2 days', 'transition', '{"action": "customer_response"}')
        ) AS s(back, kind, data)
        WHERE c.close_reason = 'solution_accepted' AND c.id % 5 = 0
        """,
    ),
    (
        "refused escalation requests",
        """
        INSERT INTO cases_caseevent (at, kind, public, body, data, actor_id, case_id)
        SELECT c.opened_at + interval '1 day', 'escalation', false, 'not yet',
               '{"refused": true, "kind": "standard", "code": "too_soon"}'::jsonb, NULL, c.id
        FROM cases_case c WHERE c.id % 50 = 7
        """,
    ),
    (
        "survey answers",
        """
        INSERT INTO notifications_surveyresponse
            (case_id, closure, priority, score, solved, comment, created_at)
        SELECT c.id, c.closed_at, c.priority, 1 + abs(hashtext(c.id::text)) % 5,
               abs(hashtext(c.id::text)) % 3 > 0,
               CASE WHEN c.id % 70 = 0 THEN 'Thanks for the quick help' ELSE '' END,
               c.closed_at + interval '1 day'
        FROM cases_case c WHERE c.closed_at IS NOT NULL AND c.id % 7 = 0
        """,
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("CASEDESK_DATABASE_URL", ""))
    args = parser.parse_args()
    if not args.url or "casedesk_bench_base" in args.url:
        raise SystemExit("set CASEDESK_DATABASE_URL to your copy (never the template)")
    with psycopg.connect(args.url.replace("postgres://", "postgresql://")) as conn:
        for label, sql in STEPS:
            started = time.perf_counter()
            rows = conn.execute(sql).rowcount
            print(f"{label}: {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
        conn.commit()
        conn.execute("ANALYZE cases_caseevent")
        conn.execute("ANALYZE notifications_surveyresponse")


if __name__ == "__main__":
    main()
