"""The service-level page, its CSV and who may see it (I1; issue 13 items 1, 5, 6, 8)."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from .conftest import REPORT_NOW

pytestmark = pytest.mark.django_db
URL = reverse("console-report-sla")
RANGE = {"start": "2026-10-01", "end": "2026-12-31", "period": "month"}


@pytest.fixture(autouse=True)
def _at_report_time():  # type: ignore[no-untyped-def]
    with time_machine.travel(REPORT_NOW, tick=False):
        yield


def test_manager_sees_figures_misses_linked_and_charts(client, report_world):
    rw = report_world
    client.force_login(rw.world.manager)
    page = client.get(URL, RANGE).content.decode()
    assert "Production Down" in page
    assert "no calls recorded" in page
    link = reverse("console-case-detail", args=[rw.c.number])
    assert f'href="{link}"' in page
    assert reverse("console-case-detail", args=[rw.b.number]) not in page  # B met both
    assert page.count("<svg") == 2 and page.count("<title id=") == 2
    assert "<desc id=" in page
    assert client.get(URL).status_code == 200  # defaults: the last 90 days by week


def test_csv_has_bom_header_and_rows(client, report_world):
    client.force_login(report_world.world.manager)
    response = client.get(URL, {**RANGE, "format": "csv"})
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0][:2] == ["group", "cases"]
    pd = next(r for r in rows if r[0] == "priority: Production Down")
    assert pd[1:4] == ["2", "7.5", "8"]
    assert b"\r\n" in body


def test_bad_range_is_a_form_error_not_a_500(client, report_world):
    client.force_login(report_world.world.manager)
    response = client.get(URL, {"start": "2026-12-31", "end": "2026-10-01", "period": "month"})
    assert response.status_code == 400
    assert "The end comes before the start." in response.content.decode()
    assert client.get(URL, {"start": "yesterday", "period": "fortnight"}).status_code == 400
    assert client.get(URL, {"start": "9999-12-30", "end": "9999-12-31"}).status_code == 400


def test_engineer_sees_region_and_own_only(client, report_world):
    rw = report_world
    client.force_login(rw.rio)
    page = client.get(URL, RANGE).content.decode()
    # C (Acme, EMEA, not his) is missed but must not be listed to him.
    assert reverse("console-case-detail", args=[rw.c.number]) not in page
    rows = list(csv.reader(io.StringIO(
        b"".join(client.get(URL, {**RANGE, "format": "csv"}).streaming_content).decode("utf-8-sig")
    )))  # fmt: skip
    assert next(r for r in rows if r[0] == "priority: Production Down")[1] == "1"


def test_contacts_get_no_console_report(client, report_world):
    client.force_login(report_world.world.alice)
    assert client.get(URL, RANGE).status_code == 404
