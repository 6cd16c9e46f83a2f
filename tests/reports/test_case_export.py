"""The console case list as CSV (I1 item 7): the queue under its current filters, every
row (no page limit), streamed, UTF-8 with BOM, RFC 4180 quoting and CRLF."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from casedesk.web.exports import BATCH, csv_lines
from tests.factories import draft, quiet

pytestmark = pytest.mark.django_db
URL = reverse("console-queue")


def parse(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_queue_exports_every_filtered_row_quoted(client, world):
    # R: I1 (item 7), B10
    from casedesk.cases.services import case_open

    tricky = 'Crème brûlée, "quoted"\nand a second line'
    odd = quiet(
        case_open(
            contact=world.alice,
            draft=draft(world.acme_contract, world.catalogue, subject=tricky, priority="high"),
            now=world.now,
        )
    )
    client.force_login(world.engineer)
    response = client.get(URL, {"state": "open", "priority": "high", "format": "csv"})
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    body = b"".join(response.streaming_content)
    assert b"\r\n" in body
    rows = parse(body)
    assert rows[0][:3] == ["case", "subject", "organisation"]
    assert [r[0] for r in rows[1:]] == [odd.number]  # the Medium cases are filtered out
    assert rows[1][1] == tricky  # quoted, the newline kept inside the field
    assert rows[1][6:8] == ["high", "no"]
    everything = parse(
        b"".join(client.get(URL, {"state": "open", "format": "csv"}).streaming_content)
    )
    assert len(everything) - 1 == 4  # the world's three cases and this one
    page = client.get(URL, {"state": "open", "priority": "high", "page": "3"}).content.decode()
    assert "format=csv" in page and "page=3&amp;format" not in page


def test_contacts_cannot_export_from_the_console(client, world):
    # R: A3 — the console is for support; a contact gets no rows.
    client.force_login(world.alice)
    response = client.get(URL, {"format": "csv"})
    assert response.status_code in (302, 403, 404)


def test_batches_join_to_every_row():
    rows = [[i, f"é{i}"] for i in range(BATCH * 2 + 7)]
    chunks = list(csv_lines(["n", "text"], rows))
    assert len(chunks) == 4  # header, two full batches, the rest
    parsed = parse(b"".join(chunks))
    assert parsed[1:] == [[str(i), f"é{i}"] for i in range(BATCH * 2 + 7)]
