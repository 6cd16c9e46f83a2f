"""core.rows: hand-written INSERTs store exactly what the ORM would (B2, B4 audit trail)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from casedesk.cases.models import Case, CaseEvent
from casedesk.core import rows as rows_module
from casedesk.core.rows import Inserter

pytestmark = pytest.mark.django_db


def _row(model, pk):
    """The row as the database stores it (no converters), without its key."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
        names = [c[0] for c in cursor.description]
        values = cursor.fetchone()
    return {k: v for k, v in zip(names, values, strict=True) if k != "id"}


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


def _outbox_row(world, key):
    from casedesk.notifications.models import OutboundMessage

    return OutboundMessage(
        case=world.alice_case,
        event=world.alice_case.events.first(),
        kind="case_update",
        to=[f"{key}@acme.example"],
        message_id=f"<{key}@casedesk.test>",
        idempotency_key=f"test:{key}",
        next_attempt_at=world.now,
        created_at=world.now,
        context={"case": {"subject": "ünïcode"}, "n": [1, 2]},
    )


def test_many_rows_in_batches_skipping_duplicates(world, monkeypatch):
    # R: E1 (one outbox row per recipient; a retried event adds none twice — security rule 7)
    from django.db import connection

    from casedesk.notifications.models import OutboundMessage

    before = OutboundMessage.objects.count()
    inserter = Inserter(OutboundMessage)
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    inserter.insert_many([_outbox_row(world, f"k{i}") for i in range(5)], ignore_conflicts=True)
    assert OutboundMessage.objects.count() == before + 5
    again = [_outbox_row(world, "k1"), _outbox_row(world, "k9")]
    inserter.insert_many(again, ignore_conflicts=True)
    assert OutboundMessage.objects.count() == before + 6
    stored = OutboundMessage.objects.get(idempotency_key="test:k9")
    slow = OutboundMessage.objects.bulk_create([_outbox_row(world, "k10")])[0]
    varying = dict.fromkeys(["to", "message_id", "idempotency_key"])
    assert _row(OutboundMessage, stored.pk) | varying == _row(OutboundMessage, slow.pk) | varying
    assert stored.context == {"case": {"subject": "ünïcode"}, "n": [1, 2]}


def test_values_of_other_types_are_prepared_as_the_orm_does(world):
    # R: B4. 1 for a boolean, a lazy string for text, a str for a key: prepared, not sent raw.
    from django.utils.translation import gettext_lazy

    fields = {
        "case_id": str(world.alice_case.pk),
        "at": world.now,
        "actor": None,
        "kind": gettext_lazy("note"),
        "public": 1,
        "body": gettext_lazy("Closed"),
        "data": {},
    }
    fast = Inserter(CaseEvent).insert(CaseEvent(**fields))
    slow = CaseEvent.objects.create(**fields)
    assert _row(CaseEvent, fast.pk) == _row(CaseEvent, slow.pk)
    assert CaseEvent.objects.get(pk=fast.pk).public is True


def test_rows_it_cannot_write_faithfully_are_refused(world):
    # R: B4. An existing key, or a related row not saved yet, is an error, not a bad row.
    with pytest.raises(ValueError, match="key already"):
        Inserter(CaseEvent).insert(world.alice_case.events.first())
    unsaved = Case(subject="not saved")
    with pytest.raises(ValueError, match="unsaved related object"):
        Inserter(CaseEvent).insert(CaseEvent(case=unsaved, at=world.now, kind="note"))


def test_no_single_column_index_duplicates_a_composite_one():
    # R: B2 (cases 0004). Each of these columns leads a composite index; a second index of
    # its own would only cost every insert. Checked against the migrated schema.
    with connection.cursor() as cursor:
        names = {
            index
            for table in ("cases_case", "cases_caseevent")
            for index in connection.introspection.get_constraints(cursor, table)
        }
    assert {"case_org_idx", "case_contact_idx", "case_assignee_idx", "event_case_at_idx"} <= names
    dropped = {
        "cases_case_assignee_id_28343c2e",
        "cases_case_contact_id_c383cc8a",
        "cases_case_organisation_id_dac38ff3",
        "cases_caseevent_case_id_6c6031ac",
    }
    assert not names & dropped


def test_many_rows_refuse_an_existing_key(world):
    # R: E1. insert_many writes new rows only, like insert.
    from casedesk.notifications.models import OutboundMessage

    stored = OutboundMessage.objects.bulk_create([_outbox_row(world, "kept")])[0]
    before = OutboundMessage.objects.count()
    with pytest.raises(ValueError, match="key already"):
        Inserter(OutboundMessage).insert_many([_outbox_row(world, "new"), stored])
    assert OutboundMessage.objects.count() == before


# Both ways PostgreSQL is written to: arrays through unnest, and VALUES for a few rows.
BOTH_PATHS = pytest.mark.parametrize("small_batch", [0, 100], ids=["unnest", "values"])


@BOTH_PATHS
def test_many_rows_at_once_are_the_same_as_the_orms_and_come_back_with_their_keys(
    world, monkeypatch, small_batch
):
    # R: B4; issue 17: a worker batch's events in one statement (one unnest on PostgreSQL)
    monkeypatch.setattr(rows_module, "SMALL_BATCH", small_batch)

    def fields(n):
        return {
            "case": world.alice_case,
            "at": world.now + dt.timedelta(minutes=n),
            "kind": "note",
            "body": f'note {n} "quoted", back\\slash, {{braces}}, ünïcode' if n else "",
            "data": {"n": n, "list": [None, True, 2.5]} if n % 2 else {},
        }

    fast = [CaseEvent(**fields(n)) for n in range(5)]
    Inserter(CaseEvent).insert_many(fast, keys=True)
    slow = [CaseEvent.objects.create(**fields(n)) for n in range(5)]
    assert all(f.pk is not None and not f._state.adding for f in fast)
    assert len({f.pk for f in fast}) == 5
    for f, s in zip(fast, slow, strict=True):
        assert _row(CaseEvent, f.pk) == _row(CaseEvent, s.pk)


@BOTH_PATHS
def test_skipped_rows_get_no_key_and_computed_columns_take_their_expression(
    world, monkeypatch, small_batch
):
    # issue 17: outbox rows handed over already claimed, the lease on the database's clock
    monkeypatch.setattr(rows_module, "SMALL_BATCH", small_batch)
    from django.db.models.functions import Now

    from casedesk.notifications.models import OutboundMessage

    def row(name):
        return OutboundMessage(
            kind="test",
            to=["a@example.test"],
            message_id=f"<{name}@x>",
            idempotency_key=name,
            next_attempt_at=world.now,
            created_at=world.now,
        )

    Inserter(OutboundMessage).insert_many([row("taken")])
    rows = [row("new-1"), row("taken"), row("new-2")]
    Inserter(OutboundMessage).insert_many(
        rows,
        ignore_conflicts=True,
        keys=True,
        match="idempotency_key",
        computed={"claimed_until": ("%s", [dt.datetime(2030, 1, 1, tzinfo=dt.UTC)])},
    )
    assert rows[1].pk is None and rows[1]._state.adding
    stored = OutboundMessage.objects.in_bulk([rows[0].pk, rows[2].pk])
    assert [stored[r.pk].idempotency_key for r in (rows[0], rows[2])] == ["new-1", "new-2"]
    assert {m.claimed_until.year for m in stored.values()} == {2030}
    taken = OutboundMessage.objects.get(idempotency_key="taken")
    assert taken.claimed_until is None
    assert OutboundMessage.objects.filter(claimed_until__gt=Now()).count() == 2
