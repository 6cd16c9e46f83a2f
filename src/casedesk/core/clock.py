"""The one place the current time is read (architecture convention 5).

Services take ``now`` as an argument; interfaces call :func:`now` once per request
so that tests can travel with ``time_machine`` and every write in one request
shares the same instant.
"""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """Current time, timezone-aware UTC."""
    return dt.datetime.now(tz=dt.UTC)


def today() -> dt.date:
    """Today's date in UTC; contract dates (paid-through) are calendar dates."""
    return now().date()
