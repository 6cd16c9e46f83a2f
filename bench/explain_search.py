"""``EXPLAIN (ANALYZE, BUFFERS)`` of every statement the one search runs (issue 12 item 11).

Runs ``search()`` and ``suggest()`` for the bench engineer and the largest organisation's
contact, records each statement the PostgreSQL backend executed, runs it once more under
EXPLAIN and writes the plans to the file named on the command line (one summary line per
statement on stdout). ``docs/plans/search-1m-*.txt`` were made with it.

    export CASEDESK_DATABASE_URL=postgres://…/casedesk_bench
    python bench/explain_search.py /tmp/plans.txt
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_cases import CONTACT_EMAIL, ENGINEER_EMAIL  # sibling script, not a package

QUERIES = ("dialer", "quorum", "heartbeat quorum", "logs maintenance")
SUBJECTS = ("dia", "gateway tim", "certificate renewal fails")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    import django

    django.setup()
    from django.db import connection

    import casedesk.search.postgres as pg
    from casedesk.accounts.models import User
    from casedesk.search import backends, selectors

    captured: list[tuple[str, list[object]]] = []
    real = backends.fetch

    def spy(sql: str, params: list[object]) -> list[tuple]:  # type: ignore[type-arg]
        captured.append((sql, list(params)))
        return real(sql, params)

    pg.fetch = spy  # type: ignore[assignment]
    who = {
        "engineer": User.objects.get(email=ENGINEER_EMAIL),
        "contact": User.objects.get(email=CONTACT_EMAIL),
    }
    calls = [
        (f"{label} {q!r}", lambda u=user, q=q: selectors.search(u, q))
        for label, user in who.items()
        for q in QUERIES
    ] + [(f"suggest {s!r}", lambda s=s: selectors.suggest(who["contact"], s)) for s in SUBJECTS]
    with Path(sys.argv[1]).open("w") as out:
        for title, call in calls:
            captured.clear()
            t0 = time.perf_counter()
            call()
            wall = (time.perf_counter() - t0) * 1000
            print(f"== {title}: {wall:.0f} ms for {len(captured)} statements", flush=True)
            out.write(f"\n######## {title}: {wall:.0f} ms, {len(captured)} statements\n")
            for sql, params in list(captured):
                with connection.cursor() as c:
                    c.cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params, prepare=False)
                    plan = "\n".join(r[0] for r in c.cursor.fetchall())
                took = [line for line in plan.splitlines() if "Execution Time" in line]
                print("   ", sql[:90].replace("\n", " "), "→", took, flush=True)
                out.write(f"\n-- SQL: {sql}\n-- params: {params!r}\n{plan}\n")


if __name__ == "__main__":
    main()
