#!/usr/bin/env python3
"""Replay a day of phone calls against casedesk's telephony API (H1, C3) — what an IVR/CTI does.

Each call is queued, the caller keys in a PIN (or not), an engineer answers after the hold,
and the call ends; every event carries the time it happened, so a past day replays with its
real hold times. Standard library only.

    casedesk manage telephony_token create "PBX"          # prints cdt_…, shown once
    python examples/replay_calls.py --url http://127.0.0.1:8000 --token cdt_… \\
        --pins 123456,654321 --day 2026-12-04 [--file calls.csv] [--engineer eve@example.com]

``--file`` is a CSV with the columns call_id, queued_at (ISO 8601 with offset), hold_seconds,
talk_seconds, pin (may be empty) and emergency (0/1); without it a day is made up from the
PINs, seeded so every run sends the same calls.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CallSpec:
    call_id: str
    queued_at: dt.datetime
    hold_seconds: int
    talk_seconds: int
    pin: str
    emergency: bool


def synthetic_day(
    day: dt.date, pins: list[str], *, calls: int = 24, seed: int = 14
) -> list[CallSpec]:
    """A working day's calls, 08:00-18:00 UTC: mostly short holds, some long, a few emergencies,
    a few callers who never key in a PIN."""
    rng = random.Random(seed)  # noqa: S311 - a repeatable made-up day, not a secret
    start = dt.datetime.combine(day, dt.time(8, 0), tzinfo=dt.UTC)
    made = []
    for n in range(calls):
        queued = start + dt.timedelta(seconds=rng.randrange(10 * 3600))
        emergency = rng.random() < 0.15
        hold = rng.randrange(20, 240) if rng.random() < 0.8 else rng.randrange(300, 1200)
        pin = rng.choice(pins) if pins and rng.random() < 0.85 else ""
        made.append(
            CallSpec(
                f"replay-{day:%Y%m%d}-{n:03d}", queued, hold, rng.randrange(60, 900), pin, emergency
            )
        )
    return made


def read_csv(path: str) -> list[CallSpec]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [
            CallSpec(
                row["call_id"],
                dt.datetime.fromisoformat(row["queued_at"]),
                int(row["hold_seconds"]),
                int(row["talk_seconds"]),
                row.get("pin", "").strip(),
                row.get("emergency", "0").strip() in ("1", "true", "yes"),
            )
            for row in csv.DictReader(handle)
        ]


class Telephony:
    """The four calls an IVR makes, over HTTP with the telephony bearer token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1/telephony"
        self.token = token

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own server
            self.base + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())

    def queued(self, spec: CallSpec) -> Any:
        body = {
            "call_id": spec.call_id,
            "emergency": spec.emergency,
            "at": spec.queued_at.isoformat(),
        }
        return self._send("POST", "/calls", body)

    def pin(self, spec: CallSpec) -> Any:
        return self._send("POST", "/pin-checks", {"pin": spec.pin, "call_id": spec.call_id})

    def answered(self, spec: CallSpec, at: dt.datetime, engineer: str | None) -> Any:
        body: dict[str, Any] = {"at": at.isoformat()}
        if engineer:
            body["engineer_email"] = engineer
        return self._send("POST", f"/calls/{spec.call_id}/answered", body)

    def ended(self, spec: CallSpec, at: dt.datetime) -> Any:
        return self._send("POST", f"/calls/{spec.call_id}/ended", {"at": at.isoformat()})


def replay(
    api: Telephony, calls: Iterable[CallSpec], *, engineer: str | None = None
) -> dict[str, Any]:
    """Send every call's events in the order they happened; summarise the holds (C3)."""
    events: list[tuple[dt.datetime, int, CallSpec]] = []
    for spec in calls:
        answered = spec.queued_at + dt.timedelta(seconds=spec.hold_seconds)
        events.append((spec.queued_at, 0, spec))
        events.append((answered, 1, spec))
        events.append((answered + dt.timedelta(seconds=spec.talk_seconds), 2, spec))
    results: dict[str, Any] = {}
    identified = 0
    for at, step, spec in sorted(events, key=lambda e: (e[0], e[1], e[2].call_id)):
        if step == 0:
            api.queued(spec)
            if spec.pin and api.pin(spec)["identified"]:
                identified += 1
        elif step == 1:
            results[spec.call_id] = api.answered(spec, at, engineer)
        else:
            api.ended(spec, at)
    holds = {"emergency": [], "other": []}
    verdicts: dict[str, int] = {}
    for out in results.values():
        holds["emergency" if out["emergency"] else "other"].append(out["hold_seconds"])
        verdicts[out["hold_verdict"]] = verdicts.get(out["hold_verdict"], 0) + 1
    return {
        "calls": len(results),
        "identified": identified,
        "average_hold_seconds": {
            kind: round(sum(values) / len(values)) if values else None
            for kind, values in holds.items()
        },
        "verdicts": verdicts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True, help="a telephony token (cdt_…)")
    parser.add_argument("--file", help="CSV of calls (see the module docstring)")
    parser.add_argument("--pins", default="", help="comma-separated PINs for a made-up day")
    parser.add_argument("--day", help="the day to make up, YYYY-MM-DD (default: yesterday)")
    parser.add_argument("--engineer", help="the answering engineer's e-mail")
    args = parser.parse_args(argv)
    if args.file:
        calls = read_csv(args.file)
    else:
        day = (
            dt.date.fromisoformat(args.day)
            if args.day
            else dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
        )
        calls = synthetic_day(day, [p for p in args.pins.split(",") if p])
    try:
        summary = replay(Telephony(args.url, args.token), calls, engineer=args.engineer)
    except urllib.error.HTTPError as exc:
        print(f"{exc.code} {exc.reason}: {exc.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
