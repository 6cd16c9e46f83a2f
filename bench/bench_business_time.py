"""Business-time throughput on one core (R: C1): ops/s for add/measure on default calendars.

Run: ``.venv/bin/python bench/bench_business_time.py [--cases N] [--repeat R]``. Starts are spread
over 2024-2027 and all default regions; spans are typical case timers (up to ~3
weeks). Year blocks are warmed first, so this measures the steady state.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from casedesk.policy.defaults import DEFAULT_POLICY

TARGET = 100_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000, help="operations per round")
    parser.add_argument("--repeat", type=int, default=7, help="rounds; the best one counts")
    args = parser.parse_args()
    rng = random.Random(42)
    calendars = [r.calendar for r in DEFAULT_POLICY.regions]
    base = datetime(2024, 1, 1, tzinfo=UTC)
    cases = [
        (
            rng.choice(calendars),
            base + timedelta(seconds=rng.randrange(3 * 365 * 86_400)),
            timedelta(minutes=rng.randrange(1, 150 * 60)),
            rng.randrange(0, 16),
        )
        for _ in range(args.cases)
    ]
    for cal, start, span, days in cases:  # warm the per-year caches
        cal.add_business_days(cal.add_business_hours(start, span), days)

    def add_hours() -> None:
        for cal, start, span, _ in cases:
            cal.add_business_hours(start, span)

    def add_days() -> None:
        for cal, start, _, days in cases:
            cal.add_business_days(start, days)

    def between() -> None:
        for cal, start, span, _ in cases:
            cal.business_time_between(start, start + span * 3)

    ops: dict[str, Callable[[], None]] = {
        "add_business_hours": add_hours,
        "add_business_days": add_days,
        "business_time_between": between,
    }
    for name, run in ops.items():
        # Best of several rounds, as timeit does: other processes only ever slow a round down.
        best = float("inf")
        for _ in range(args.repeat):
            began = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - began)
        rate = len(cases) / best
        verdict = "ok" if rate >= TARGET else f"below {TARGET:,}"
        print(f"{name:24s} {rate:12,.0f} ops/s  ({verdict})")


if __name__ == "__main__":
    main()
