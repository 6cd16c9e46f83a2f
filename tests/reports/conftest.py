"""A small hand-checked world for the reports (I1): a DST change, a holiday, a re-opened
case and a priority change, all driven through the case services."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from casedesk.accounts.models import Role
from casedesk.cases import services
from casedesk.cases.services import case_open
from tests.factories import draft, make_user, quiet

UTC = dt.UTC


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


REPORT_NOW = at(2027, 1, 4, 12)


@pytest.fixture
def report_world(world):  # type: ignore[no-untyped-def]
    return build_report_world(world)


def build_report_world(world):  # type: ignore[no-untyped-def]
    """Cases B–G below; world's three cases (Nov 24, Medium, no milestones) stay in."""
    eng = world.engineer
    rio = make_user("rui@support.example", role=Role.ENGINEER, region="brazil")

    def opened(contract, when, **fields):  # type: ignore[no-untyped-def]
        contact = world.gina if contract == world.globex_contract else world.alice
        return quiet(
            case_open(contact=contact, draft=draft(contract, world.catalogue, **fields), now=when)
        )

    def info(case, when):  # type: ignore[no-untyped-def]
        return services.case_mark_all_info_provided(case=case, actor=eng, now=when)

    def root(case, when):  # type: ignore[no-untyped-def]
        return services.case_mark_root_cause(case=case, actor=eng, summary="Found", now=when)

    def fix(case, when):  # type: ignore[no-untyped-def]
        return services.case_mark_fix_delivered(case=case, actor=eng, note="Patch", now=when)

    def restored(case, when):  # type: ignore[no-untyped-def]
        return services.case_mark_service_restored(case=case, actor=eng, note="Up", now=when)

    pd = {"priority": "critical", "production_down": True, "emergency_criterion": "server_down"}
    acme, globex = world.acme_contract, world.globex_contract

    # B: Production Down across the end of British summer time (25 Oct). Opened Fri 23 Oct
    # 10:00 UTC = 11:00 BST; 7 business days on → Tue 3 Nov 11:00 GMT = 11:00 UTC. Root
    # cause 10:30 UTC: met (7 business days). Fix 2 days later: met. Outage 4 h.
    b = opened(acme, at(2026, 10, 23, 10), **pd)
    b = services.case_assign(case=b, actor=world.manager, assignee=rio, now=at(2026, 10, 23, 10))
    b = info(b, at(2026, 10, 23, 10))
    b = restored(b, at(2026, 10, 23, 14))
    b = root(b, at(2026, 11, 3, 10, 30))
    b = fix(b, at(2026, 11, 5, 10, 30))
    # C: Production Down, all late. Root cause due Wed 11 Nov 09:00, met Thu 12 (8 business
    # days, missed); fix due 19 Nov 09:00, delivered 20 Nov (8 days, missed). Outage 6 h.
    c = opened(acme, at(2026, 11, 2, 9), **pd)
    c = info(c, at(2026, 11, 2, 9))
    c = restored(c, at(2026, 11, 2, 15))
    c = root(c, at(2026, 11, 12, 9))
    c = fix(c, at(2026, 11, 20, 9))
    # D: opened Low (15 days → Mon 30 Nov), raised to High next day (9 days from the same
    # start → Fri 20 Nov 09:00); root cause Mon 23 Nov: 10 business days, missed.
    d = opened(acme, at(2026, 11, 9, 9), priority="low")
    d = info(d, at(2026, 11, 9, 9))
    d = services.case_change_priority(
        case=d, actor=eng, priority="high", reason="More agents down", now=at(2026, 11, 10, 9)
    )
    d = root(d, at(2026, 11, 23, 9))
    # E: Medium, closed the day after (not applicable), re-opened, root cause Fri 20 Nov:
    # 4 business days, met.
    e = opened(acme, at(2026, 11, 16, 9))
    e = info(e, at(2026, 11, 16, 9))
    e = services.case_transition(
        case=e,
        actor=eng,
        action="close",
        to="resolved",
        reason="Customer says solved",
        close_reason="solution_accepted",
        now=at(2026, 11, 17, 10),
    )
    e = services.case_reopen(case=e, actor=eng, information="It came back", now=at(2026, 11, 18, 9))
    e = root(e, at(2026, 11, 20, 9))
    # F: Medium over Christmas: Mon 21 Dec → Tue 29 Dec is 22, 23, 24, 29 = 4 business
    # days (25, 26 and the observed Boxing Day 28 are holidays in London), met.
    f = opened(acme, at(2026, 12, 21, 9))
    f = info(f, at(2026, 12, 21, 9))
    f = root(f, at(2026, 12, 29, 9))
    # G: Low in Brazil, still running on 4 Jan 2027.
    g = opened(globex, at(2026, 12, 30, 12), priority="low")
    g = info(g, at(2026, 12, 30, 12))
    return SimpleNamespace(world=world, rio=rio, b=b, c=c, d=d, e=e, f=f, g=g)
