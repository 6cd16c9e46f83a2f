"""The policy editor's pure half (C1-C9; issue 11 item 6): the text forms care admins type
(weekly hours, holiday dates, the follow-up ladder) to and from the stored policy data, and
the preview of what a version means for a case opened now.

No Django here: the console's form (``console/manage/policy``) parses with these functions,
puts their ``EditError`` on the field it concerns, and saves through
``sla.services.policy_version_save``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .calendars import format_local
from .defaults import SupportPolicy
from .followup import followup_ladder
from .reopen import reopen_deadline
from .sla import Priority, fix_due, root_cause_due

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):[0-5]\d|24:00)$")
_CLOSED = frozenset({"", "closed", "-"})


class EditError(ValueError):
    """What a care admin typed cannot be read; the message says how to write it."""


def _day_range(text: str) -> list[str]:
    first, _, last = text.partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise EditError(f"“{text}” is not a weekday such as mon, or a range such as mon-fri.")
    if not last:
        return [first]
    start, end = DAYS.index(first), DAYS.index(last)
    if end < start:
        raise EditError(f"“{text}”: a range runs forward in the week, such as mon-fri.")
    return list(DAYS[start : end + 1])


def parse_hours(text: str) -> dict[str, list[list[str]]]:
    """``mon-fri 08:00-18:00`` lines (spans comma-separated, ``closed`` for none; days
    not mentioned are closed) → the calendar's ``hours`` mapping."""
    hours: dict[str, list[list[str]]] = {day: [] for day in DAYS}
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip().lower()
        if not line:
            continue
        days_text, _, spans_text = line.partition(" ")
        days = _day_range(days_text)
        if seen & set(days):
            raise EditError(f"Line {number}: {', '.join(sorted(seen & set(days)))} twice.")
        seen.update(days)
        spans: list[list[str]] = []
        for span in (s.strip() for s in spans_text.split(",")):
            if span in _CLOSED:
                continue
            match = _SPAN.match(span.replace(" ", ""))
            if not match:
                raise EditError(
                    f"Line {number}: “{span}” is not a span such as 08:00-18:00 (24:00 ends "
                    "at midnight)."
                )
            opens, closes = span.replace(" ", "").split("-")
            if closes != "24:00" and closes <= opens:
                raise EditError(f"Line {number}: {span} closes before it opens.")
            if spans and opens < spans[-1][1]:
                raise EditError(f"Line {number}: spans must be in order and not overlap.")
            spans.append([opens, closes])
        for day in days:
            hours[day] = [list(s) for s in spans]
    return hours


def format_hours(hours: dict[str, list[list[str]]]) -> str:
    """The inverse of ``parse_hours``: equal days folded into ranges (mon-fri 08:00-18:00)."""
    lines = []
    start = 0
    while start < len(DAYS):
        spans = hours.get(DAYS[start], [])
        end = start
        while end + 1 < len(DAYS) and hours.get(DAYS[end + 1], []) == spans:
            end += 1
        days = DAYS[start] if start == end else f"{DAYS[start]}-{DAYS[end]}"
        text = ", ".join(f"{o}-{c}" for o, c in spans) or "closed"
        lines.append(f"{days} {text}")
        start = end + 1
    return "\n".join(lines)


def parse_dates(text: str) -> list[str]:
    """One ISO date per line, optionally followed by a name (kept only as a comment)."""
    found: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        word = line.strip().split(" ", 1)[0]
        if not word:
            continue
        try:
            found.add(dt.date.fromisoformat(word).isoformat())
        except ValueError:
            raise EditError(f"Line {number}: “{word}” is not a date such as 2026-12-24.") from None
    return sorted(found)


def format_dates(dates: list[str]) -> str:
    return "\n".join(sorted(dates))


def parse_ladder(text: str) -> list[int]:
    """``2, 5, 10``: business days after the request for each follow-up; the last closes."""
    try:
        days = [int(part) for part in re.split(r"[,\s]+", text.strip()) if part]
    except ValueError:
        raise EditError("Write whole numbers of business days, such as 2, 5, 10.") from None
    if not days:
        raise EditError("Give at least one step; the last one closes the case.")
    if any(d <= 0 for d in days) or days != sorted(set(days)):
        raise EditError("The steps must be positive and increasing, such as 2, 5, 10.")
    return days


# --- the preview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewLine:
    what: str
    when: str


def policy_preview(
    policy: SupportPolicy, *, region: str, priority: str, production_down: bool, now: dt.datetime
) -> list[PreviewLine]:
    """What this version means for a case of ``priority`` in ``region`` opened at ``now``:
    when it is followed up if support asks the customer something now, when its root cause
    (and, for Production Down, the fix) is due if all information is in now, when it may be
    escalated, and until when it can be re-opened and keeps its files if closed now."""
    calendar = policy.calendar(region)
    lines: list[PreviewLine] = []
    ladder = followup_ladder(now, calendar, policy, priority, production_down)
    if not ladder:
        lines.append(PreviewLine("Follow-up", "never (Production Down cases are not followed up)"))
    for step in ladder:
        what = (
            "Closed with the final notice" if step.action == "close" else (f"Reminder #{step.step}")
        )
        lines.append(
            PreviewLine(f"{what} (if we ask the customer now)", format_local(step.due_at, calendar))
        )
    root = root_cause_due(priority, production_down, now, calendar, policy)
    lines.append(
        PreviewLine(
            f"Root-cause target ({root.targets.root_cause_business_days} business days "
            "after all information, given now)",
            format_local(root.due_at, calendar),
        )
    )
    fix = fix_due(priority, production_down, root.due_at, calendar, policy)
    if fix.due_at is not None:
        lines.append(
            PreviewLine(
                "Fix or workaround (after a root cause on its target)",
                format_local(fix.due_at, calendar),
            )
        )
    rule = policy.escalation.rule_for(Priority(priority), production_down)
    if not rule.allowed:
        escalation = rule.refusal or "never"
    elif rule.quiet_business_days is not None:
        escalation = f"when not updated for {rule.quiet_business_days} business days"
    else:
        escalation = f"when not updated for {rule.quiet_hours} hours"
    if rule.allowed and rule.requires_significant_impact:
        escalation += ", with significant business impact"
    lines.append(PreviewLine("Escalation", escalation))
    reopen = reopen_deadline(now, policy.reopen_window_days)
    purge = reopen_deadline(now, policy.attachment_retention_days)
    lines.append(PreviewLine("If closed now: re-open until", format_local(reopen, calendar)))
    lines.append(PreviewLine("If closed now: files purged", format_local(purge, calendar)))
    return lines
