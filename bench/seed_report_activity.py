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
* one closure in seven: a survey answer a day after it (score 1–5 from the case id);
* the SLA milestones the service-level report reads (``load_cases.py`` writes none): a
  root cause for every support case (target 10/13/17/21 days by priority; met for 8 in
  10 closed cases and half the open ones, else settled missed or not applicable at the
  close, or still running), a fix for each Production Down root cause met (7 days), and
  a restoration time for Production Down cases.

Run once on your copy (never on the template), then backfill the rollups — the event
counts and the service-level cells: ``casedesk manage reports_rollup --start 2021-12-01``
(``--only sla`` when the counts are stored already).
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
    (
        "SLA root-cause milestones",
        """
        INSERT INTO sla_milestone
            (case_id, kind, started_at, target_at, reason, met_at, settled_at, settlement)
        SELECT m.id, 'root_cause', m.started, m.target, 'bench data',
               CASE WHEN m.met THEN m.met_at END,
               CASE WHEN NOT m.met AND m.closed_at IS NOT NULL THEN m.closed_at END,
               CASE WHEN m.met OR m.closed_at IS NULL THEN ''
                    WHEN m.closed_at > m.target THEN 'missed' ELSE 'not_applicable' END
        FROM (
            SELECT c.id, c.closed_at, c.opened_at + interval '2 hours' AS started,
                   c.opened_at + interval '2 hours' + t.days * interval '1 day' AS target,
                   c.opened_at + interval '2 hours' + (1 + h.v % (t.days + 5)) * interval '1 day'
                       AS met_at,
                   h.v % 10 < CASE WHEN c.closed_at IS NULL THEN 5 ELSE 8 END
                   AND c.opened_at + interval '2 hours' + (1 + h.v % (t.days + 5))
                       * interval '1 day' <= COALESCE(c.closed_at, now()) AS met
            FROM cases_case c
            CROSS JOIN LATERAL (SELECT abs(hashtext(c.id::text || 'rc')) AS v) h
            JOIN (VALUES ('critical', 10), ('high', 13), ('medium', 17), ('low', 21))
                AS t(priority, days) ON t.priority = c.priority
            WHERE c.kind = 'support'
        ) m
        """,
    ),
    (
        "SLA fix milestones (Production Down, from the root cause)",
        """
        INSERT INTO sla_milestone
            (case_id, kind, started_at, target_at, reason, met_at, settled_at, settlement)
        SELECT r.case_id, 'fix', r.met_at, r.met_at + interval '7 days', 'bench data',
               CASE WHEN h.v % 10 < 8 THEN r.met_at + (1 + h.v % 240) * interval '1 hour' END,
               CASE WHEN h.v % 10 >= 8 AND c.closed_at IS NOT NULL THEN c.closed_at END,
               CASE WHEN h.v % 10 < 8 OR c.closed_at IS NULL THEN ''
                    WHEN c.closed_at > r.met_at + interval '7 days' THEN 'missed'
                    ELSE 'not_applicable' END
        FROM sla_milestone r
        JOIN cases_case c ON c.id = r.case_id
        CROSS JOIN LATERAL (SELECT abs(hashtext(c.id::text || 'fix')) AS v) h
        WHERE r.kind = 'root_cause' AND r.met_at IS NOT NULL AND c.production_down
        """,
    ),
    (
        "Production Down restorations",
        """
        UPDATE cases_case
        SET service_restored_at = opened_at + (1 + abs(hashtext(id::text || 'up')) % 720)
            * interval '1 minute'
        WHERE production_down AND service_restored_at IS NULL
          AND (closed_at IS NOT NULL OR id % 2 = 0)
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
        conn.execute("ANALYZE sla_milestone")


if __name__ == "__main__":
    main()
