"""Shared fixtures: a small world with two organisations, their contacts and support staff."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(db, now):  # type: ignore[no-untyped-def]
    return factories.build_world(now=now)
