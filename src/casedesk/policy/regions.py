"""Support regions (A1, C2). Calendars for them live in ``policy.defaults``."""

from __future__ import annotations

from enum import StrEnum


class Region(StrEnum):
    EMEA = "emea"
    AMERICAS = "americas"
    LATAM = "latam"
    BRAZIL = "brazil"
    JAPAN = "japan"
    APAC = "apac"

    @property
    def label(self) -> str:
        return REGION_LABELS[self]


REGION_LABELS = {
    Region.EMEA: "Europe, Middle East & Africa",
    Region.AMERICAS: "North America",
    Region.LATAM: "Latin America",
    Region.BRAZIL: "Brazil",
    Region.JAPAN: "Japan",
    Region.APAC: "Asia-Pacific",
}

# Served in local business hours only, in the local language (C2).
LOCAL_HOURS_ONLY = frozenset({Region.LATAM, Region.BRAZIL, Region.JAPAN})

# The time zone of each region's centre (as in ``policy.defaults``): where a site has none
# of its own, its contracts' local date is read there (C9).
REGION_TIME_ZONES = {
    Region.EMEA: "Europe/London",
    Region.AMERICAS: "America/New_York",
    Region.LATAM: "America/Mexico_City",
    Region.BRAZIL: "America/Sao_Paulo",
    Region.JAPAN: "Asia/Tokyo",
    Region.APAC: "Australia/Sydney",
}
