"""``BusinessCalendar``: working time of a support region (R: C1), and the arithmetic on it.

Per calendar and per local year, the sorted UTC working intervals with cumulative
working time (``_Block``) are built lazily; adding or measuring business time is then a
binary search, with no per-minute or per-day loops.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ._common import _DAY_US, _EPOCH_ORDINAL, _MIDNIGHT, _US, _from_us, _to_us, _tod_us
from .holidays import HolidaySource
from .hours import ALWAYS, WEEKDAY_NAMES, WeekHours, _format_hhmm, _parse_hhmm, _week, weekly_hours

_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - local wall-clock arithmetic, offset applied later
_MAX_EMPTY_YEARS = 50


def _guess_year(us: int) -> int:
    return 1970 + us // 31_556_952_000_000  # mean Gregorian year; callers correct by one


@dataclass(slots=True)
class _Block:
    """One local calendar year of working intervals, in UTC microseconds."""

    year: int
    lo: int
    hi: int
    starts: list[int]
    ends: list[int]
    cum: list[int]  # working time from ``lo`` through ``ends[i]``
    lstarts: list[int]  # local wall-clock microseconds of ``starts``
    lends: list[int]
    day_of: list[int]  # local date ordinal each interval belongs to
    days: list[int]  # ordinals of business days, ascending
    day_spans: dict[int, tuple[int, int]]
    steady_days: set[int]  # business days whose intervals contain no UTC-offset change

    @property
    def total(self) -> int:
        return self.cum[-1] if self.cum else 0

    def cum_at(self, us: int) -> int:
        i = bisect_right(self.starts, us) - 1
        if i < 0:
            return 0
        if us >= self.ends[i]:
            return self.cum[i]
        return self.cum[i] - (self.ends[i] - us)


@dataclass(frozen=True)
class BusinessCalendar:
    """A support region's time zone, weekly working hours and holidays (R: C1).

    Working time is the union of half-open intervals ``[open, close)`` in local
    wall-clock time on every non-holiday day. Hours must lie within a day; an
    overnight shift is two intervals. A calendar open 00:00-24:00 every day with no
    holidays (``always_open``) makes every function equal to plain elapsed time.
    """

    name: str
    tz: str
    hours: WeekHours
    holiday_source: HolidaySource | None = None
    extra_holidays: frozenset[date] = frozenset()
    removed_holidays: frozenset[date] = frozenset()
    place: str = ""
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _blocks: dict[int, _Block] = field(init=False, repr=False, compare=False)
    _recent: list[_Block] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise ValueError("hours needs seven weekdays, Monday first")
        for spans in self.hours:
            previous_end = 0
            for opens, closes in spans:
                start, end = _tod_us(opens), _tod_us(closes) or _DAY_US
                if not previous_end <= start < end:
                    raise ValueError(f"working intervals must be sorted and non-empty: {spans}")
                previous_end = end
        if not any(self.hours):
            raise ValueError("a business calendar needs some working hours")
        object.__setattr__(self, "_zone", ZoneInfo(self.tz))
        object.__setattr__(self, "_blocks", {})
        object.__setattr__(self, "_recent", [])
        if not self.place:
            object.__setattr__(self, "place", self.tz.rsplit("/", 1)[-1].replace("_", " "))

    # -- constructors -------------------------------------------------------------

    @classmethod
    def for_region(
        cls,
        name: str,
        *,
        tz: str,
        country: str,
        subdivision: str | None = None,
        hours: WeekHours | None = None,
        categories: tuple[str, ...] = ("public",),
        include_names: tuple[str, ...] = (),
        place: str = "",
    ) -> BusinessCalendar:
        """Calendar with the country's holidays (any year, computed lazily); Mon-Fri 08-18."""
        source = HolidaySource(country, subdivision, categories, include_names)
        return cls(name, tz, hours or weekly_hours(), source, place=place)

    @classmethod
    def always_open(cls, name: str = "24x7", tz: str = "UTC") -> BusinessCalendar:
        """24/7 calendar: business time is elapsed time (R: C2 Production Down)."""
        return cls(name, tz, (ALWAYS,) * 7)

    # -- holidays -----------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def holidays_in(self, year: int) -> dict[date, str]:
        """Holidays of a year with their names; operator overrides applied."""
        found = dict(self.holiday_source.dates_for_year(year)) if self.holiday_source else {}
        for day in self.extra_holidays:
            if day.year == year:
                found.setdefault(day, "Company holiday")
        for day in self.removed_holidays:
            found.pop(day, None)
        return found

    def holiday_name(self, day: date) -> str | None:
        return self.holidays_in(day.year).get(day)

    def is_business_day(self, day: date) -> bool:
        return day.toordinal() in self._block(day.year).day_spans

    def working_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The UTC working intervals of one local date (empty on weekends and holidays)."""
        block = self._block(day.year)
        lo, hi = block.day_spans.get(day.toordinal(), (0, 0))
        return [(_from_us(block.starts[i]), _from_us(block.ends[i])) for i in range(lo, hi)]

    # -- arithmetic ---------------------------------------------------------------

    def is_working_time(self, dt: datetime) -> bool:
        """Inside an interval ``[open, close)``: a closing instant is not working time."""
        us = _to_us(dt)
        block = self._block_at(us)
        i = bisect_right(block.starts, us) - 1
        return i >= 0 and us < block.ends[i]

    def next_opening(self, dt: datetime) -> datetime:
        """The earliest working instant at or after ``dt`` (``dt`` itself when working)."""
        return _from_us(self._next_opening_us(_to_us(dt)))

    def add_business_hours(self, start: datetime, hours: float | timedelta) -> datetime:
        """Earliest instant by which ``hours`` of working time have elapsed since ``start``.

        A result that falls exactly on a closing time is returned as that closing
        time (due "by 18:00"), not as the next opening. Zero returns ``start``.
        """
        amount = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if amount < timedelta(0):
            raise ValueError("business hours to add must not be negative")
        us = _to_us(start)
        if not amount:
            return _from_us(us)
        add = (amount.days * 86_400 + amount.seconds) * _US + amount.microseconds
        block = self._block_at(us)
        target = block.cum_at(us) + add
        empty = 0
        while target > block.total:
            target -= block.total
            empty = empty + 1 if not block.total else 0
            if empty > _MAX_EMPTY_YEARS:
                raise ValueError(f"calendar {self.name!r} has no working time ahead")
            block = self._block(block.year + 1)
        i = bisect_left(block.cum, target)
        return _from_us(block.ends[i] - (block.cum[i] - target))

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """``days`` business days later at the same local wall-clock time.

        Exact rule: the anchor is ``next_opening(start)`` (``start`` itself inside
        working time, else the next opening). The result is the anchor's local
        wall-clock time on the business day that comes ``days`` business days after
        the anchor's business day. If that time is not working time on that day
        (shorter hours), it moves to the next opening that day, or to that day's
        last closing time if it is past closing. ``days=0`` returns the anchor.
        """
        if days < 0:
            raise ValueError("business days to add must not be negative")
        us, block, i = self._next_opening(_to_us(start))
        anchor_block = block
        ordinal = block.day_of[i]
        index = bisect_left(block.days, ordinal) + days
        while index >= len(block.days):
            index -= len(block.days)
            block = self._block(block.year + 1)
        target_day = block.days[index]
        lo, hi = block.day_spans[target_day]
        if ordinal in anchor_block.steady_days and target_day in block.steady_days:
            # No offset change on either day: work in local microseconds, no zoneinfo calls.
            local = anchor_block.lstarts[i] + us - anchor_block.starts[i]
            wall_us = local - (ordinal - _EPOCH_ORDINAL) * _DAY_US
            t = (target_day - _EPOCH_ORDINAL) * _DAY_US + wall_us
            for j in range(lo, hi):
                if t < block.lstarts[j]:
                    return _from_us(block.starts[j])
                if t < block.lends[j]:
                    return _from_us(block.starts[j] + t - block.lstarts[j])
            return _from_us(block.ends[hi - 1])
        wall = _from_us(us).astimezone(self._zone).time()  # keeps ``fold``
        t = self._local_us(date.fromordinal(target_day), wall)
        for i in range(lo, hi):
            if t < block.starts[i]:
                return _from_us(block.starts[i])
            if t < block.ends[i]:
                return _from_us(t)
        return _from_us(block.ends[hi - 1])

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in ``[a, b)``; negative when ``b`` is before ``a``."""
        ua, ub = _to_us(a), _to_us(b)
        if ub < ua:
            return -self.business_time_between(b, a)
        ba, bb = self._block_at(ua), self._block_at(ub)
        if ba.year == bb.year:
            return timedelta(0, 0, bb.cum_at(ub) - ba.cum_at(ua))
        total = ba.total - ba.cum_at(ua) + bb.cum_at(ub)
        for year in range(ba.year + 1, bb.year):
            total += self._block(year).total
        return timedelta(0, 0, total)

    def business_days_between(self, a: datetime, b: datetime) -> int:
        """Number of business days whose local date is after ``a``'s and up to ``b``'s."""
        da = _to_local_ordinal(a, self._zone)
        db = _to_local_ordinal(b, self._zone)
        if db <= da:
            return 0
        ya, yb = date.fromordinal(da).year, date.fromordinal(db).year
        count = 0
        for year in range(ya, yb + 1):
            days = self._block(year).days
            count += bisect_right(days, db) - bisect_right(days, da)
        return count

    # -- serialisation ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``from_dict(to_dict())`` gives an equal calendar."""
        src = self.holiday_source
        return {
            "name": self.name,
            "tz": self.tz,
            "place": self.place,
            "hours": {
                WEEKDAY_NAMES[d].lower(): [
                    [_format_hhmm(o, end=False), _format_hhmm(c, end=True)] for o, c in spans
                ]
                for d, spans in enumerate(self.hours)
            },
            "holiday_source": None
            if src is None
            else {
                "country": src.country,
                "subdivision": src.subdivision,
                "categories": list(src.categories),
                "include_names": list(src.include_names),
                "include_categories": list(src.include_categories),
            },
            "extra_holidays": sorted(d.isoformat() for d in self.extra_holidays),
            "removed_holidays": sorted(d.isoformat() for d in self.removed_holidays),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        hours = tuple(
            tuple((_parse_hhmm(o), _parse_hhmm(c)) for o, c in data["hours"].get(day.lower(), []))
            for day in WEEKDAY_NAMES
        )
        src = data.get("holiday_source")
        source = None
        if src is not None:
            source = HolidaySource(
                country=src["country"],
                subdivision=src.get("subdivision"),
                categories=tuple(src.get("categories", ("public",))),
                include_names=tuple(src.get("include_names", ())),
                include_categories=tuple(src.get("include_categories", ("optional",))),
            )
        return cls(
            name=data["name"],
            tz=data["tz"],
            hours=_week(list(hours)),
            holiday_source=source,
            extra_holidays=frozenset(date.fromisoformat(d) for d in data.get("extra_holidays", [])),
            removed_holidays=frozenset(
                date.fromisoformat(d) for d in data.get("removed_holidays", [])
            ),
            place=data.get("place", ""),
        )

    # -- internals ----------------------------------------------------------------

    def _next_opening_us(self, us: int) -> int:
        return self._next_opening(us)[0]

    def _next_opening(self, us: int) -> tuple[int, _Block, int]:
        """The next working instant with its block and interval index."""
        block = self._block_at(us)
        i = bisect_right(block.starts, us) - 1
        if i >= 0 and us < block.ends[i]:
            return us, block, i
        i += 1
        empty = 0
        while i >= len(block.starts):
            empty += 1
            if empty > _MAX_EMPTY_YEARS:
                raise ValueError(f"calendar {self.name!r} has no working time ahead")
            block, i = self._block(block.year + 1), 0
        return block.starts[i], block, i

    def _local_us(self, day: date, wall: time) -> int:
        """UTC microseconds of a local wall time; a time in a DST gap maps with the old offset."""
        naive = datetime.combine(day, wall)
        offset = naive.replace(tzinfo=self._zone).utcoffset()
        assert offset is not None  # noqa: S101 - ZoneInfo always answers
        d = naive - _NAIVE_EPOCH - offset
        return (d.days * 86_400 + d.seconds) * _US + d.microseconds

    def _block_at(self, us: int) -> _Block:
        recent = self._recent
        if recent and recent[0].lo <= us < recent[0].hi:
            return recent[0]
        block = self._block(_guess_year(us))
        while us < block.lo:
            block = self._block(block.year - 1)
        while us >= block.hi:
            block = self._block(block.year + 1)
        recent[:] = [block]
        return block

    def _block(self, year: int) -> _Block:
        block = self._blocks.get(year)
        if block is None:
            block = self._build_block(year)
            self._blocks[year] = block
        return block

    def _build_block(self, year: int) -> _Block:
        off = {d.toordinal() for d in self.holidays_in(year)}
        first, last = date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()
        starts: list[int] = []
        ends: list[int] = []
        cum: list[int] = []
        lstarts: list[int] = []
        lends: list[int] = []
        day_of: list[int] = []
        days: list[int] = []
        spans: dict[int, tuple[int, int]] = {}
        steady: set[int] = set()
        running = 0
        for ordinal in range(first, last):
            day = date.fromordinal(ordinal)
            if ordinal in off or not self.hours[day.weekday()]:
                continue
            begin = len(starts)
            midnight = (ordinal - _EPOCH_ORDINAL) * _DAY_US
            is_steady = True
            for opens, closes in self.hours[day.weekday()]:
                s = self._local_us(day, opens)
                e = (
                    self._local_us(date.fromordinal(ordinal + 1), _MIDNIGHT)
                    if closes == _MIDNIGHT
                    else self._local_us(day, closes)
                )
                ls = midnight + _tod_us(opens)
                le = midnight + (_DAY_US if closes == _MIDNIGHT else _tod_us(closes))
                if e > s:
                    running += e - s
                    starts.append(s)
                    ends.append(e)
                    cum.append(running)
                    lstarts.append(ls)
                    lends.append(le)
                    day_of.append(ordinal)
                    is_steady = is_steady and (e - s == le - ls)
            if len(starts) > begin:
                days.append(ordinal)
                spans[ordinal] = (begin, len(starts))
                if is_steady:
                    steady.add(ordinal)
        lo = self._local_us(date(year, 1, 1), _MIDNIGHT)
        hi = self._local_us(date(year + 1, 1, 1), _MIDNIGHT)
        return _Block(year, lo, hi, starts, ends, cum, lstarts, lends, day_of, days, spans, steady)


def _to_local_ordinal(dt: datetime, zone: ZoneInfo) -> int:
    _to_us(dt)  # validates awareness
    return dt.astimezone(zone).date().toordinal()
