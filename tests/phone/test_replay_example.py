"""examples/replay_calls.py against the live server (H1, C3): a day of calls goes through the
telephony API and lands as call records with their hold times."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

from casedesk.core import clock
from casedesk.phone.models import Call
from casedesk.phone.services import telephony_token_create

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "replay_calls.py"


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("replay_calls", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["replay_calls"] = module  # dataclasses look their module up while loading
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=True)
def test_the_example_replays_a_day_of_calls(live_server, world):
    # R: H1, C3
    replay = _script()
    token = telephony_token_create(name="replay", now=world.now)
    day = clock.now().date() - dt.timedelta(days=1)
    pins = [world.alice.support_pin, world.gina.support_pin]
    calls = replay.synthetic_day(day, pins, calls=12)
    summary = replay.replay(
        replay.Telephony(live_server.url, token), calls, engineer=world.engineer.email
    )
    assert summary["calls"] == 12 == Call.objects.count()
    assert summary["identified"] == sum(1 for c in calls if c.pin)
    for spec in calls:
        call = Call.objects.get(external_id=spec.call_id)
        assert call.hold_seconds == spec.hold_seconds and call.ended_at is not None
        assert call.emergency == spec.emergency and call.engineer == world.engineer
        assert (call.caller is not None) == bool(spec.pin)
    # Running it again changes nothing: every event is idempotent.
    again = replay.replay(replay.Telephony(live_server.url, token), calls)
    assert again["calls"] == 12 == Call.objects.count()
    assert again["verdicts"] == summary["verdicts"]
