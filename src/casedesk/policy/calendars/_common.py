"""Instants as exact integer microseconds since the epoch: what a calendar's per-year
index is built from. Converting refuses a naive datetime."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = 1_000_000
_MIDNIGHT = time(0)
_DAY_US = 86_400 * _US
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _to_us(dt: datetime) -> int:
    """Exact integer microseconds since the epoch; rejects naive datetimes."""
    try:
        d = dt - _EPOCH  # raises TypeError for naive datetimes
    except TypeError:
        raise ValueError(f"naive datetime {dt!r}: business time needs an aware datetime") from None
    return (d.days * 86_400 + d.seconds) * _US + d.microseconds


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(0, 0, us)  # positional: twice as fast as microseconds=


def _tod_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US + t.microsecond
