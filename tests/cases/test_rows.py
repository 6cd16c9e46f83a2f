"""core.rows: hand-written INSERTs store exactly what the ORM would (B2, B4 audit trail)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms.models import model_to_dict

from casedesk.cases.models import Case, CaseEvent
from casedesk.core.rows import Inserter

pytestmark = pytest.mark.django_db


def _row(model, pk):
    return {k: v for k, v in model.objects.filter(pk=pk).values().get().items() if k != "id"}


def test_an_event_row_is_the_same_as_the_orms(world):
    # R: B4 (every change appends an audit event)
    fields = {
        "case": world.alice_case,
        "at": world.now + dt.timedelta(minutes=5),
        "actor": world.engineer,
        "kind": "note",
        "public": False,
        "body": "Looks like bug 42 — ünïcode too",
        "data": {"nested": {"list": [1, 2.5, None, True]}, "text": "x"},
    }
    fast = Inserter(CaseEvent).insert(CaseEvent(**fields))
    slow = CaseEvent.objects.create(**fields)
    assert fast.pk is not None and fast.pk != slow.pk
    assert not fast._state.adding
    assert _row(CaseEvent, fast.pk) == _row(CaseEvent, slow.pk)
    fast.refresh_from_db()
    assert fast.data == fields["data"] and fast.at == fields["at"]


def test_a_case_row_is_the_same_as_the_orms(world):
    # R: B2, B11 (the opened case, written by case_open through an Inserter)
    opened = world.alice_case
    fields = {
        f.name: getattr(opened, f.name) for f in Case._meta.concrete_fields if not f.primary_key
    }
    copy = Case.objects.create(**fields)
    assert _row(Case, opened.pk) == _row(Case, copy.pk)
    assert model_to_dict(Case.objects.get(pk=opened.pk)) | {"id": None} == model_to_dict(copy) | {
        "id": None
    }
    assert opened.number != copy.number
