"""Site-work tests run at the world's fixed instant (lead times, visit dates)."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def _frozen(time_machine, now):  # type: ignore[no-untyped-def]
    time_machine.move_to(now, tick=False)


@pytest.fixture
def as_user(client: Client):  # type: ignore[no-untyped-def]
    def login(user):  # type: ignore[no-untyped-def]
        client.force_login(user)
        return client

    return login
