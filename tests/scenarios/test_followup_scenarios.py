"""Automated follow-up (C5) across regions, holidays and DST, on the real worker (C1, B6, B7).

Each docstring works the dates out by hand: a rung is due the same local time N business
days after the request (2: reminder #1, 5: reminder #2, 10: close with the final notice).
"""

from __future__ import annotations

import pytest

from casedesk.cases import services
from casedesk.core.errors import PolicyViolation

from .desk import at, desk_at, followups

pytestmark = pytest.mark.django_db


def walk_ladder(desk, case, rungs):
    for when in rungs:
        desk.fires_at(when)
    case.refresh_from_db()
    return case


def test_sao_paulo_medium_waits_over_carnival():
    """Brazil (São Paulo, UTC-3, no DST). Support asks for information Thu 4 Feb 2027 10:00
    local (13:00 UTC). Carnival is Mon 8 and Tue 9 Feb 2027 (Easter 28 Mar - 48/47 days);
    Ash Wednesday is a working day.
    +2: Fri 5 (1), Wed 10 (2) → Wed 10 Feb 13:00 UTC.
    +5: Thu 11 (3), Fri 12 (4), Mon 15 (5) → Mon 15 Feb 13:00 UTC.
    +10: Tue 16 … Mon 22 (10) → Mon 22 Feb 13:00 UTC: closed, final notice."""
    # R: C1, C5, B6
    desk = desk_at(at(2027, 2, 1, 12, 0))
    case = desk.open(desk.contact("brazil"), at(2027, 2, 1, 13, 0))
    desk.ask_info(case, at(2027, 2, 4, 13, 0))
    rungs = [at(2027, 2, 10, 13, 0), at(2027, 2, 15, 13, 0), at(2027, 2, 22, 13, 0)]
    case = walk_ladder(desk, case, rungs)
    assert followups(case) == [(rungs[0], 1), (rungs[1], 2), (rungs[2], 3)]
    assert case.is_closed and case.closed_by_followup and case.closed_at == rungs[2]


def test_japan_case_waits_over_golden_week():
    """Japan (Tokyo, UTC+9). Request Wed 28 Apr 2027 10:00 JST (01:00 UTC). Golden Week
    2027: Showa Day Thu 29 Apr, Constitution Mon 3, Greenery Tue 4, Children's Wed 5 May.
    +2: Fri 30 Apr (1), Thu 6 May (2) → Thu 6 May 01:00 UTC.
    +5: Fri 7 (3), Mon 10 (4), Tue 11 (5) → Tue 11 May 01:00 UTC.
    +10: Wed 12 … Tue 18 (10) → Tue 18 May 01:00 UTC."""
    # R: C1, C5
    desk = desk_at(at(2027, 4, 20, 1, 0))
    case = desk.open(desk.contact("japan"), at(2027, 4, 26, 1, 0), priority="high")
    desk.ask_info(case, at(2027, 4, 28, 1, 0))
    rungs = [at(2027, 5, 6, 1, 0), at(2027, 5, 11, 1, 0), at(2027, 5, 18, 1, 0)]
    case = walk_ladder(desk, case, rungs)
    assert case.is_closed and case.closed_at == rungs[2]


def test_us_case_over_the_november_dst_change_and_veterans_day():
    """North America (New York). Request Thu 29 Oct 2026 10:00 EDT (14:00 UTC). DST ends
    Sun 1 Nov, so 10:00 local is 15:00 UTC afterwards. Veterans Day Wed 11 Nov is federal.
    +2: Fri 30 Oct (1), Mon 2 Nov (2) → Mon 2 Nov 15:00 UTC (not 14:00).
    +5: Tue 3, Wed 4, Thu 5 Nov → Thu 5 Nov 15:00 UTC.
    +10: Fri 6, Mon 9, Tue 10, (Wed 11 off), Thu 12, Fri 13 → Fri 13 Nov 15:00 UTC."""
    # R: C1, C5
    desk = desk_at(at(2026, 10, 26, 14, 0))
    case = desk.open(desk.contact("americas"), at(2026, 10, 26, 14, 0))
    desk.ask_info(case, at(2026, 10, 29, 14, 0))
    rungs = [at(2026, 11, 2, 15, 0), at(2026, 11, 5, 15, 0), at(2026, 11, 13, 15, 0)]
    assert desk.tick(at(2026, 11, 2, 14, 0)) == 0  # the pre-DST wall-clock hour
    case = walk_ladder(desk, case, rungs)
    assert case.is_closed and case.closed_at == rungs[2]


def test_london_case_over_christmas_and_new_year():
    """EMEA (London, GMT). Request Wed 23 Dec 2026 10:00. Christmas Fri 25 Dec; Boxing Day
    falls on Sat 26 so Mon 28 Dec is the substitute; New Year's Day Fri 1 Jan 2027.
    +2: Thu 24 (1), Tue 29 (2) → Tue 29 Dec 10:00 UTC.
    +5: Wed 30 (3), Thu 31 (4), Mon 4 Jan (5) → Mon 4 Jan 10:00 UTC.
    +10: Tue 5 … Mon 11 Jan (10) → Mon 11 Jan 10:00 UTC."""
    # R: C1, C5
    desk = desk_at(at(2026, 12, 21, 10, 0))
    case = desk.open(desk.world.alice, at(2026, 12, 21, 10, 0))
    desk.ask_info(case, at(2026, 12, 23, 10, 0))
    rungs = [at(2026, 12, 29, 10, 0), at(2027, 1, 4, 10, 0), at(2027, 1, 11, 10, 0)]
    case = walk_ladder(desk, case, rungs)
    assert case.is_closed and case.closed_at == rungs[2]


def test_london_case_over_easter_and_the_spring_dst_change():
    """EMEA (London). Request Thu 25 Mar 2027 15:00 GMT (15:00 UTC). Good Friday 26 Mar and
    Easter Monday 29 Mar are bank holidays; BST starts Sun 28 Mar, so 15:00 local is
    14:00 UTC afterwards.
    +2: Tue 30 (1), Wed 31 (2) → Wed 31 Mar 14:00 UTC.
    +5: Thu 1, Fri 2, Mon 5 Apr → Mon 5 Apr 14:00 UTC.
    +10: Tue 6 … Mon 12 Apr → Mon 12 Apr 14:00 UTC."""
    # R: C1, C5
    desk = desk_at(at(2027, 3, 22, 10, 0))
    case = desk.open(desk.world.alice, at(2027, 3, 22, 10, 0))
    desk.ask_info(case, at(2027, 3, 25, 15, 0))
    rungs = [at(2027, 3, 31, 14, 0), at(2027, 4, 5, 14, 0), at(2027, 4, 12, 14, 0)]
    case = walk_ladder(desk, case, rungs)
    assert case.is_closed and case.closed_at == rungs[2]


def test_sydney_case_over_labour_day_and_dst_start():
    """Asia-Pacific (Sydney). Request Thu 1 Oct 2026 10:00 AEST (00:00 UTC). AEDT starts
    Sun 4 Oct (UTC+11 after); NSW Labour Day is Mon 5 Oct.
    +2: Fri 2 (1), Tue 6 (2) → Tue 6 Oct 10:00 AEDT = Mon 5 Oct 23:00 UTC.
    +5: Wed 7, Thu 8, Fri 9 → Fri 9 Oct 10:00 AEDT = Thu 8 Oct 23:00 UTC.
    +10: Mon 12 … Fri 16 → Fri 16 Oct 10:00 AEDT = Thu 15 Oct 23:00 UTC."""
    # R: C1, C5
    desk = desk_at(at(2026, 9, 28, 0, 0))
    case = desk.open(desk.contact("apac"), at(2026, 9, 28, 0, 0))
    desk.ask_info(case, at(2026, 10, 1, 0, 0))
    rungs = [at(2026, 10, 5, 23, 0), at(2026, 10, 8, 23, 0), at(2026, 10, 15, 23, 0)]
    case = walk_ladder(desk, case, rungs)
    assert case.is_closed and case.closed_at == rungs[2]


def test_mexico_case_over_revolution_day():
    """Latin America (Mexico City, UTC-6, no DST since 2022). Request Thu 12 Nov 2026 10:00
    local (16:00 UTC). Revolution Day is observed Mon 16 Nov 2026 (third Monday).
    +2: Fri 13 (1), Tue 17 (2) → Tue 17 Nov 16:00 UTC.
    +5: Wed 18, Thu 19, Fri 20 → Fri 20 Nov 16:00 UTC.
    +10: Mon 23 … Fri 27 → Fri 27 Nov 16:00 UTC (US Thanksgiving is not a Mexican holiday)."""
    # R: C1, C5
    desk = desk_at(at(2026, 11, 9, 16, 0))
    case = desk.open(desk.contact("latam"), at(2026, 11, 9, 16, 0))
    desk.ask_info(case, at(2026, 11, 12, 16, 0))
    rungs = [at(2026, 11, 17, 16, 0), at(2026, 11, 20, 16, 0), at(2026, 11, 27, 16, 0)]
    case = walk_ladder(desk, case, rungs)
    assert case.is_closed and case.closed_at == rungs[2]


def test_auto_close_then_reopen_by_phone_only():
    """EMEA. Request Tue 24 Nov 2026 14:00 → reminders Thu 26 Nov and Tue 1 Dec 14:00, closed
    Tue 8 Dec 14:00 (see the London arithmetic above). Wed 9 Dec 09:00: the contact's
    portal request is refused (closed by follow-up: phone only, B7); support re-opens by
    phone. A new request Wed 9 Dec 10:00 starts a new ladder: Thu 10 (1), Fri 11 (2) →
    reminder #1 Fri 11 Dec 10:00."""
    # R: B7, C5, B6
    desk = desk_at(at(2026, 11, 24, 14, 0))
    case = desk.world.alice_case
    desk.ask_info(case, at(2026, 11, 24, 14, 0))
    walk_ladder(desk, case, [at(2026, 11, 26, 14, 0), at(2026, 12, 1, 14, 0)])
    desk.fires_at(at(2026, 12, 8, 14, 0))
    case.refresh_from_db()
    with pytest.raises(PolicyViolation, match="call support"):
        services.case_reopen(
            case=case, actor=desk.world.alice, information="Still broken", now=at(2026, 12, 9, 9)
        )
    case = services.case_reopen(
        case=case, actor=desk.engineer, information="Customer phoned", now=at(2026, 12, 9, 9)
    )
    assert not case.is_closed and not case.closed_by_followup
    desk.ask_info(case, at(2026, 12, 9, 10, 0))
    desk.fires_at(at(2026, 12, 11, 10, 0))
    assert followups(case)[-1] == (at(2026, 12, 11, 10, 0), 1)


def test_customer_response_stops_the_timer_and_the_next_request_restarts_it():
    """EMEA. Request Tue 24 Nov 2026 14:00 (reminder #1 would be Thu 26 Nov 14:00). The
    contact answers Wed 25 Nov 09:00 → Open / Customer Responded, timer stopped. Support asks
    again Thu 26 Nov 11:00: Fri 27 (1), Mon 30 (2) → reminder #1 Mon 30 Nov 11:00."""
    # R: C5, B5
    desk = desk_at(at(2026, 11, 24, 14, 0))
    case = desk.world.alice_case
    desk.ask_info(case, at(2026, 11, 24, 14, 0))
    services.case_add_update(
        case=case, actor=desk.world.alice, body="Logs attached", now=at(2026, 11, 25, 9, 0)
    )
    case.refresh_from_db()
    assert case.sub_status == "customer_responded" and case.waiting_since is None
    case = desk.ask_info(case, at(2026, 11, 26, 11, 0))
    assert desk.tick(at(2026, 11, 26, 14, 0)) == 0  # the first request's reminder is gone
    desk.fires_at(at(2026, 11, 30, 11, 0))
    assert followups(case) == [(at(2026, 11, 30, 11, 0), 1)]
