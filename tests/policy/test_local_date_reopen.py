"""Pure rules of issue 11 item 4: the site's local date (C9) and late acceptance of a
re-open request made within the window (B7, C9)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given
from hypothesis import strategies as st

from casedesk.policy.maintenance import local_date, maintenance_decision, site_time_zone
from casedesk.policy.regions import REGION_TIME_ZONES, Region
from casedesk.policy.reopen import reopen_deadline, reopen_decision
from casedesk.policy.transitions import Actor

UTC = dt.UTC
instants = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by API
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
zones = st.sampled_from(["Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata", "UTC"])


@given(instants, zones)
def test_local_date_is_within_a_day_of_utc_and_matches_the_wall_clock(now, zone):
    # R: C9, A5
    local = local_date(now, zone)
    assert abs((local - now.date()).days) <= 1
    assert local == now.astimezone(zoneinfo.ZoneInfo(zone)).date()


@given(instants, zones, st.integers(-3, 3))
def test_maintenance_by_local_date_is_monotonic_in_paid_through(now, zone, offset):
    today = local_date(now, zone)
    paid = today + dt.timedelta(days=offset)
    assert bool(maintenance_decision(paid_through=paid, today=today)) is (offset >= 0)


def test_a_site_without_a_zone_takes_its_regions():
    assert site_time_zone("", "japan") == "Asia/Tokyo"
    assert site_time_zone("Europe/Berlin", "japan") == "Europe/Berlin"
    assert site_time_zone("", "nowhere") == "UTC"
    assert set(REGION_TIME_ZONES) == set(Region)


@given(
    instants,
    st.integers(1, 60),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=90)),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=90)),
)
def test_support_accepts_any_time_a_request_made_within_the_window(closed, days, ask, wait):
    # R: B7, C9 — "30 days" is 30 x 24 elapsed hours; the request's time decides.
    requested = closed + ask
    verdict = reopen_decision(
        actor=Actor.SUPPORT,
        closed_at=closed,
        now=requested + wait,
        closed_by_followup=False,
        new_information="again",
        window_days=days,
        requested_at=requested,
    )
    in_window = requested <= reopen_deadline(closed, days)
    assert bool(verdict) is (in_window or requested + wait <= reopen_deadline(closed, days))
    assert reopen_deadline(closed, days) - closed == dt.timedelta(hours=24 * days)


@given(
    instants,
    st.integers(1, 60),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3650)),
)
def test_a_contact_cannot_ask_after_the_window(closed, days, late):
    now = reopen_deadline(closed, days) + late + dt.timedelta(microseconds=1)
    verdict = reopen_decision(
        actor=Actor.CONTACT,
        closed_at=closed,
        now=now,
        closed_by_followup=False,
        new_information="again",
        window_days=days,
        requested_at=closed,  # a contact's own earlier request does not extend it
    )
    assert not verdict
