"""Waiting for something to happen in another thread or process, without timing luck.

Tests wait for a positive condition (a row exists, a file appeared, a counter moved) and
only then assert; the deadline is generous because it is a hang detector, never the thing
tested. A "nothing happened" assertion is made after such a signal, never after a sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEADLINE = 120.0  # seconds: far beyond any run on a loaded 2-core machine


def wait_for(
    condition: Callable[[], T], what: str, *, timeout: float = DEADLINE, every: float = 0.02
) -> T:
    """Poll ``condition`` until it returns something truthy, and return that."""
    give_up = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > give_up:
            raise AssertionError(f"still waiting after {timeout:.0f} s for {what}")
        time.sleep(every)
