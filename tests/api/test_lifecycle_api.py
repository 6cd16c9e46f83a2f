"""T48 through the API: the service's lifecycle rule answers with a field error or a
warning (F1, T48)."""

from __future__ import annotations

import datetime as dt

import time_machine

from casedesk.cases.models import Case
from casedesk.resources.models import VersionLifecycle

from .conftest import field_errors
from .test_cases_write import open_body


def test_api_refuses_a_version_past_end_of_life_and_warns_past_end_of_support(world, as_user):
    today = world.now.date()
    lifecycle = VersionLifecycle.objects.create(
        major_version=world.catalogue["version"],
        end_of_support=today - dt.timedelta(days=10),
        end_of_life=today + dt.timedelta(days=10),
    )
    client = as_user(world.alice)
    with time_machine.travel(world.now, tick=False):
        opened = client.post("/cases", open_body(world))
    assert opened.status_code == 201, opened.content
    [warning] = opened.json()["warnings"]
    assert "passed end of support" in warning
    # Read back later, the case says nothing more: the warning was for the opener.
    assert client.get(f"/cases/{opened.json()['number']}").json()["warnings"] == []

    lifecycle.end_of_life = today - dt.timedelta(days=1)
    lifecycle.save()
    before = Case.objects.count()
    with time_machine.travel(world.now, tick=False):
        refused = client.post("/cases", open_body(world))
    assert refused.status_code == 422
    assert "reached end of life" in field_errors(refused)["body.major_version_id"]
    assert Case.objects.count() == before


def test_api_opening_without_lifecycle_dates_has_no_warning(world, as_user):
    with time_machine.travel(world.now, tick=False):
        opened = as_user(world.alice).post("/cases", open_body(world))
    assert opened.status_code == 201
    assert opened.json()["warnings"] == []
