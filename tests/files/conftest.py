"""Fixtures for the files tests: a small real volume for the files root."""

from .volumes import small_volume  # noqa: F401 (a fixture, found here by pytest)
