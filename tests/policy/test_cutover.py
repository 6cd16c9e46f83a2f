"""G1 lead time as a pure rule: 5 business days in the site's region calendar."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from casedesk.policy.calendars import BusinessCalendar
from casedesk.policy.cutover import LeadMode, cutover_lead_time, earliest_cutover_date

LONDON = BusinessCalendar.for_region("uk", tz="Europe/London", country="GB")
SAO_PAULO = BusinessCalendar.for_region("brazil", tz="America/Sao_Paulo", country="BR")

moments = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=dt.datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
calendars = st.sampled_from([LONDON, SAO_PAULO])


@given(filed=moments, calendar=calendars)
def test_the_earliest_date_is_the_fifth_business_day_after_filing(filed, calendar):
    earliest = earliest_cutover_date(filed, calendar)
    local = filed.astimezone(calendar.zone).date()
    between = [local + dt.timedelta(days=n) for n in range(1, (earliest - local).days + 1)]
    assert calendar.is_business_day(earliest)
    assert sum(calendar.is_business_day(d) for d in between) == 5


@given(filed=moments, calendar=calendars, offset=st.integers(-5, 30), warn=st.booleans())
def test_late_notices_are_refused_or_warned_as_the_policy_says(filed, calendar, offset, warn):
    earliest = earliest_cutover_date(filed, calendar)
    on = earliest + dt.timedelta(days=offset)
    mode = LeadMode.WARN if warn else LeadMode.REFUSE
    verdict = cutover_lead_time(filed_at=filed, cutover_on=on, calendar=calendar, mode=mode)
    assert verdict.earliest == earliest
    if offset >= 0:
        assert verdict.accepted and not verdict.late
    else:
        assert verdict.late and verdict.accepted is warn
        assert f"{earliest:%d %b %Y}" in verdict.reason


def test_holidays_push_the_earliest_date():
    # Filed Friday 18 Dec 2026 in London: Mon 21 to Thu 24 count 4; Christmas (Fri 25), the
    # weekend and Boxing Day observed (Mon 28) do not; the 5th is Tue 29 Dec, not Fri 25.
    filed = dt.datetime(2026, 12, 18, 9, 0, tzinfo=dt.UTC)
    assert earliest_cutover_date(filed, LONDON) == dt.date(2026, 12, 29)
    late = cutover_lead_time(filed_at=filed, cutover_on=dt.date(2026, 12, 28), calendar=LONDON)
    assert not late.accepted and "Tue 29 Dec 2026" in late.reason
