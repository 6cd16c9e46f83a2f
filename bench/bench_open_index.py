"""What keeping the search index costs each case opening (issue 12 item 11: ≤ 10%).

Calls the opening service itself (``case_open``, the path every channel takes) ``--opens``
times per round in this process, and reads the CPU time spent by this process and by its
PostgreSQL backend (``/proc/<pid>/stat``) before and after each round — CPU, not wall
time, because the two cores are shared with other work. With ``--toggle`` the rounds
alternate between the search triggers on and off (``ALTER TABLE … DISABLE TRIGGER``:
no document, no GIN entries), so "with" and "without" run in the same minutes on the same
data; without it every round runs as the database is. The cases opened are deleted at
the end (they carry ``[http-bench]`` in the subject, like ``http_bench.py``'s).

    export CASEDESK_DATABASE_URL=postgres://…/casedesk_bench
    python bench/bench_open_index.py --opens 1000 --rounds 6 --toggle
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import delete_opened, fixture  # sibling scripts, not a package
from load_cases import CONTACT_EMAIL

TRIGGERS = (("cases_case", "search_case_insert"), ("cases_caseevent", "search_event_insert"))


def _backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _set_triggers(conn, on: bool) -> None:  # type: ignore[no-untyped-def]
    for table, name in TRIGGERS:
        exists = conn.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s", [name]).fetchone()
        if exists:
            verb = "ENABLE" if on else "DISABLE"
            conn.execute(f"ALTER TABLE {table} {verb} TRIGGER {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opens", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--toggle", action="store_true")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    dsn = os.environ.get("CASEDESK_DATABASE_URL", "")
    if not dsn.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set CASEDESK_DATABASE_URL to the loaded PostgreSQL benchmark database.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    import django
    import psycopg

    django.setup()
    from django.db import connection

    from casedesk.accounts.models import User
    from casedesk.cases.services import CaseDraft, case_open
    from casedesk.core import clock

    body = fixture(dsn, 1).open_body
    draft = CaseDraft(**body)  # type: ignore[arg-type]
    contact = User.objects.select_related("organisation").get(email=CONTACT_EMAIL)
    case_open(contact=contact, draft=draft, now=clock.now())  # warm: plans, caches
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    results: dict[str, list[tuple[float, float]]] = {}
    with psycopg.connect(dsn, autocommit=True) as admin:
        try:
            for i in range(args.rounds):
                mode = ("with index" if i % 2 == 0 else "without") if args.toggle else "as is"
                if args.toggle:
                    _set_triggers(admin, mode == "with index")
                py0, pg0, t0 = time.process_time(), _backend_cpu(backend), time.monotonic()
                for _ in range(args.opens):
                    case_open(contact=contact, draft=draft, now=clock.now())
                py = (time.process_time() - py0) * 1000 / args.opens
                pg = (_backend_cpu(backend) - pg0) * 1000 / args.opens
                wall = time.monotonic() - t0
                results.setdefault(mode, []).append((py, pg))
                print(
                    f"round {i + 1} ({mode}): {args.opens / wall:.0f} opens/s; CPU ms per open: "
                    f"Python {py:.2f}, PostgreSQL {pg:.2f}, total {py + pg:.2f}",
                    flush=True,
                )
        finally:
            if args.toggle:
                _set_triggers(admin, True)
    for mode, rows in results.items():
        totals = [a + b for a, b in rows]
        print(
            f"{args.label} {mode}: median CPU ms per open {statistics.median(totals):.2f} "
            f"(Python {statistics.median(a for a, _ in rows):.2f}, PostgreSQL "
            f"{statistics.median(b for _, b in rows):.2f}) over {len(rows)} rounds; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
    connection.close()
    print(f"deleted {delete_opened(dsn):,} opened cases")


if __name__ == "__main__":
    main()
