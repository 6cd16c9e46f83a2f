"""The customer's service-level dashboard: own organisation only (I1; issue 13 item 8)."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import reverse

from .conftest import REPORT_NOW

pytestmark = pytest.mark.django_db
URL = reverse("portal-service")


@pytest.fixture(autouse=True)
def _at_report_time():  # type: ignore[no-untyped-def]
    with time_machine.travel(REPORT_NOW, tick=False):
        yield


def cases_cells(page: str) -> dict[str, int]:
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', page)
    return {
        label: int(n) for label, n in rows if label in {"Production Down", "High", "Medium", "Low"}
    }


def test_contact_sees_her_organisation_only(client, report_world):
    rw = report_world
    client.force_login(rw.world.gina)
    page = client.get(URL).content.decode()
    assert cases_cells(page) == {"Medium": 1, "Low": 1}  # Globex's two cases
    assert "no calls recorded" in page
    assert "<svg" in page and "<desc id=" in page
    client.force_login(rw.world.carol)  # Acme, no colleague visibility: figures, no numbers
    page = client.get(URL).content.decode()
    assert cases_cells(page) == {"Production Down": 2, "High": 1, "Medium": 4}
    assert rw.c.number not in page and rw.d.number not in page


def test_support_staff_go_to_the_console(client, report_world):
    client.force_login(report_world.world.manager)
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("console-queue")
