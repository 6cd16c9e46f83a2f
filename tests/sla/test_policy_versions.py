"""Policy is data: care saves a new version; cases keep the version they opened under (C1-C8)."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.cases import services
from casedesk.policy.defaults import DEFAULT_POLICY
from casedesk.scheduling.models import Deadline
from casedesk.sla.services import policy_version_save

pytestmark = pytest.mark.django_db


def test_new_version_applies_to_new_cases_only(world):
    # R: C5 (numbers editable), policy versioning
    data = DEFAULT_POLICY.to_dict()
    data["followup"]["business_days"] = [1, 3, 4]
    saved = policy_version_save(data=data, note="Shorter ladder", actor=world.care, now=world.now)
    assert saved.number == 1
    old_case = world.alice_case  # opened under the defaults (version 0)
    new_case = world.open_case(world.alice)
    assert (old_case.policy_version, new_case.policy_version) == (0, 1)
    at = dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC)
    for case in (old_case, new_case):
        services.case_transition(
            case=case,
            actor=world.engineer,
            action="request_info",
            to="info_required",
            reason="logs",
            now=at,
        )
    due = {d.case_id: d.due_at for d in Deadline.objects.filter(kind="followup")}
    assert due[old_case.pk] == dt.datetime(2026, 11, 26, 14, 0, tzinfo=dt.UTC)  # 2 days
    assert due[new_case.pk] == dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.UTC)  # 1 day


def test_invalid_policy_is_refused(world):
    data = DEFAULT_POLICY.to_dict()
    data["default_region"] = "atlantis"
    with pytest.raises(ValueError, match="atlantis"):
        policy_version_save(data=data, note="", actor=world.care, now=world.now)
