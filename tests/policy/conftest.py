"""Every policy test starts with cold business calendars.

A ``BusinessCalendar`` builds its per-year index (``_Block``) the first time a year is
asked for and keeps it; holidays are cached per country and year too. Most tests here use
module-level calendars (``DEFAULT_POLICY``'s regions, ``SPLIT``, ``LONDON_24X7``), so
without this fixture only the first test to touch a year ever ran the block builder and
every later test read the cache. That hid wrong blocks from the tests, and from mutmut
(issue 16): mutmut imports the tests and runs them once before it switches any mutant on,
so a mutant in ``_build_block``, ``_next_opening`` or the holiday lookup was judged against
blocks built by the original code, and survived.

The fixture finds the calendars the loaded test and policy modules hold (as module
attributes, in module-level lists, tuples and dicts, and in a ``SupportPolicy``'s regions)
and empties their caches before each test. Scanning module globals keeps it cheap (no
``gc`` walk); a calendar built inside a test is cold anyway.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from casedesk.policy.calendars import BusinessCalendar
from casedesk.policy.calendars.holidays import _holiday_dates
from casedesk.policy.defaults import SupportPolicy, SupportRegion

_HOLDERS = (BusinessCalendar, SupportPolicy, SupportRegion)


def _calendars_in(value: object) -> Iterator[BusinessCalendar]:
    if isinstance(value, BusinessCalendar):
        yield value
    elif isinstance(value, SupportRegion):
        yield value.calendar
    elif isinstance(value, SupportPolicy):
        for region in value.regions:
            yield region.calendar
    elif isinstance(value, list | tuple | frozenset | set | dict):
        for item in value.values() if isinstance(value, dict) else value:
            if isinstance(item, _HOLDERS):
                yield from _calendars_in(item)


def _module_calendars() -> dict[int, BusinessCalendar]:
    seen: dict[int, BusinessCalendar] = {}
    for name, module in list(sys.modules.items()):
        if not (name.startswith(("tests.", "casedesk.policy")) and module is not None):
            continue
        for value in list(vars(module).values()):
            for calendar in _calendars_in(value):
                seen[id(calendar)] = calendar
    return seen


@pytest.fixture(autouse=True)
def _cold_calendars() -> None:
    for calendar in _module_calendars().values():
        calendar._blocks.clear()
        calendar._recent.clear()
    _holiday_dates.cache_clear()
