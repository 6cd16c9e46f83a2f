"""Follow-the-sun routing (C2) at hand-picked instants."""

from __future__ import annotations

import datetime as dt

from casedesk.policy.defaults import DEFAULT_POLICY
from casedesk.policy.follow_the_sun import regions_served_by, route

UTC = dt.UTC


def test_brazil_waits_for_sao_paulo_hours():
    """Wed 25 Nov 2026 03:00 UTC is 00:00 in São Paulo: closed, opens 08:00 local."""
    # R: C2
    r = route("brazil", dt.datetime(2026, 11, 25, 3, 0, tzinfo=UTC), DEFAULT_POLICY)
    assert r.centre == "brazil" and not r.on_shift
    assert "08:00" in r.reason and "São Paulo" in r.reason
    assert route("brazil", dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC), DEFAULT_POLICY).on_shift


def test_emea_case_goes_to_centre_on_shift():
    """Wed 25 Nov 2026 22:00 UTC: London closed (22:00), New York open (17:00 EST)."""
    # R: C2
    r = route("emea", dt.datetime(2026, 11, 25, 22, 0, tzinfo=UTC), DEFAULT_POLICY)
    assert (r.centre, r.on_shift) == ("americas", True)
    # Thu 26 Nov 2026 is US Thanksgiving: at 15:00 UTC New York is closed, London open.
    r = route("americas", dt.datetime(2026, 11, 26, 15, 0, tzinfo=UTC), DEFAULT_POLICY)
    assert r.centre == "emea"


def test_japan_never_moves_to_another_centre():
    # R: C2 — local hours only, in the local language.
    for hour in range(24):
        r = route("japan", dt.datetime(2026, 11, 25, hour, tzinfo=UTC), DEFAULT_POLICY)
        assert r.centre == "japan"


def test_regions_served_by_partition_the_regions():
    at = dt.datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    served = {
        c: regions_served_by(c, at, DEFAULT_POLICY)
        for c in ("emea", "americas", "apac", "latam", "brazil", "japan")
    }
    flat = sorted(r for regions in served.values() for r in regions)
    assert flat == sorted(r.key for r in DEFAULT_POLICY.regions)
    assert "emea" in served["americas"]
