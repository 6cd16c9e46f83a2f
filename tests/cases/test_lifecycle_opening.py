"""T48 in the case-opening service: every channel that opens a case obeys the version
lifecycle — past end of life refused with a field error, past end of support opened with a
warning that the opened event keeps (F1, T48)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from casedesk.cases.models import Case, CaseEvent, Channel, EventKind
from casedesk.cases.services import CaseDraft, case_open
from casedesk.core.errors import PolicyViolation
from casedesk.resources.models import VersionLifecycle
from tests.pages.helpers import open_form_data


def _draft(world, **extra):
    return CaseDraft(
        contract_id=world.acme_contract.pk,
        subject="Pacing stops",
        description="The dialer stops pacing at noon.",
        product_id=world.catalogue["product"].pk,
        major_version_id=world.catalogue["version"].pk,
        **extra,
    )


@pytest.fixture
def lifecycle(world):
    today = world.now.date()
    return VersionLifecycle.objects.create(
        major_version=world.catalogue["version"],
        end_of_support=today - dt.timedelta(days=1),
        end_of_life=today + dt.timedelta(days=30),
    )


def test_past_end_of_support_opens_with_a_warning_kept_on_the_opened_event(world, lifecycle):
    case = case_open(contact=world.alice, draft=_draft(world), now=world.now)
    assert "passed end of support" in case.lifecycle_warning
    opened = CaseEvent.objects.get(case=case, kind=EventKind.OPENED)
    assert opened.data["lifecycle"] == case.lifecycle_warning


def test_the_last_day_of_support_is_still_supported(world, lifecycle):
    lifecycle.end_of_support = world.now.date()
    lifecycle.save()
    case = case_open(contact=world.alice, draft=_draft(world), now=world.now)
    assert case.lifecycle_warning == ""
    assert "lifecycle" not in CaseEvent.objects.get(case=case, kind=EventKind.OPENED).data


def test_past_end_of_life_is_refused_on_the_version_and_nothing_is_written(world, lifecycle):
    lifecycle.end_of_life = world.now.date() - dt.timedelta(days=1)
    lifecycle.save()
    before = Case.objects.count()
    # Every channel goes through the service: the contact on the web, support by phone.
    for opener, channel in ((world.alice, Channel.WEB), (world.engineer, Channel.PHONE)):
        with pytest.raises(PolicyViolation) as refused:
            case_open(
                contact=world.alice,
                draft=_draft(world),
                now=world.now,
                opened_by=opener,
                channel=channel,
            )
        assert refused.value.field == "major_version"
        assert "reached end of life" in str(refused.value)
    assert Case.objects.count() == before
    # Admin cases (licences, access) are not about the product's behaviour.
    admin = CaseDraft(
        contract_id=world.acme_contract.pk,
        subject="Licence count",
        description="Please raise it.",
        kind="admin",
        admin_category="licence",
        product_id=world.catalogue["product"].pk,
        major_version_id=world.catalogue["version"].pk,
    )
    assert case_open(contact=world.alice, draft=admin, now=world.now).pk


def test_console_phone_opening_shows_the_refusal_on_the_version_field(world, lifecycle):
    lifecycle.end_of_life = world.now.date() - dt.timedelta(days=1)
    lifecycle.save()
    client = Client()
    client.force_login(world.engineer)
    data = open_form_data(world, contact_id=str(world.alice.pk))
    before = Case.objects.count()
    with time_machine.travel(world.now, tick=False):
        response = client.post("/console/cases/new/", data)
    assert response.status_code == 422  # the service's refusal, shown on the form
    assert b"reached end of life" in response.content
    assert Case.objects.count() == before
