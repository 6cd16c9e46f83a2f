"""Deadline kinds and their handlers.

A handler gets the locked deadline and ``now``, does its writes in the caller's
transaction and returns a one-line outcome for the record. It must be idempotent:
a deadline may run again after a worker died before committing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Deadline

Handler = Callable[["Deadline", dt.datetime], str]
HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        return func

    return register
