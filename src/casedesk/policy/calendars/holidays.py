"""Public holidays of a country (and subdivision) for any year, from the ``holidays``
package, computed on demand and cached."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import holidays as holidays_lib


@dataclass(frozen=True)
class HolidaySource:
    """Public holidays from the ``holidays`` package, computed per year on demand.

    ``include_names`` picks extra days from the non-default ``categories`` by
    (English) name, e.g. Brazil's Carnival, which the package files as optional.
    """

    country: str
    subdivision: str | None = None
    categories: tuple[str, ...] = ("public",)
    include_names: tuple[str, ...] = ()
    include_categories: tuple[str, ...] = ("optional",)

    def dates_for_year(self, year: int) -> Mapping[date, str]:
        return _holiday_dates(self, year)


@functools.lru_cache(maxsize=4096)
def _holiday_dates(source: HolidaySource, year: int) -> Mapping[date, str]:
    def fetch(categories: tuple[str, ...]) -> dict[date, str]:
        # English names, so ``include_names`` does not depend on the country's language.
        probe = holidays_lib.country_holidays(source.country)
        language = "en_US" if "en_US" in getattr(probe, "supported_languages", ()) else None
        found = holidays_lib.country_holidays(
            source.country,
            subdiv=source.subdivision,
            years=year,
            categories=categories,
            language=language,
        )
        return {d: str(name) for d, name in found.items() if d.year == year}

    result = fetch(source.categories)
    if source.include_names:
        for day, name in fetch(source.include_categories).items():
            if any(wanted.lower() in name.lower() for wanted in source.include_names):
                result.setdefault(day, name)
    return result
