"""Cutover notices, the rest of G1: engineers file for a customer's organisation, the network
topology diagram is stored like a case file and served only to who may see the notice, the
calendar flags cover, and the notice shows on the timeline of a case opened in its window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.accounts.models import Site
from casedesk.cases.services import case_open
from casedesk.files.storage import get_storage
from casedesk.obligations.models import CutoverNotice
from casedesk.sitework.models import CutoverDiagram
from casedesk.sitework.services import diagrams as diagram_services
from tests import factories
from tests.pages.helpers import url

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"topology" * 100


def _form(site: Site, start: dt.datetime, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "site": site.pk,
        "kind": "server_upgrade",
        "technician": "Tom Tech",
        "product_line": "Contact Centre",
        "installation_date": start.date().isoformat(),
        "cutover_start": start.strftime("%Y-%m-%dT%H:%M"),
        "cutover_end": (start + dt.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
        "site_contact": "Sam Site",
        "checklist": ["wiring", "network_rights"],
    }
    data.update(extra)
    return data


def _start(world) -> dt.datetime:  # type: ignore[no-untyped-def]
    return world.now + dt.timedelta(days=21)


def test_an_engineer_files_for_a_customers_organisation_with_a_diagram(as_user, world):
    # R: G1 — filed by the engineer for the contact's organisation, diagram stored.
    client = as_user(world.engineer)
    chooser = client.get(url("console-cutover-new"))
    assert chooser.status_code == 200 and "Acme" in chooser.content.decode()
    page = client.get(url("console-cutover-new"), {"organisation": world.acme.pk})
    body = page.content.decode()
    assert "Acme HQ" in body and "Globex HQ" not in body  # only that organisation's sites
    diagram = SimpleUploadedFile("topology.png", PNG, content_type="image/png")
    response = client.post(
        url("console-cutover-new") + f"?organisation={world.acme.pk}",
        _form(world.acme_contract.site, _start(world), diagram=diagram),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    notice = CutoverNotice.objects.get()
    assert notice.filed_by == world.engineer and notice.organisation == world.acme
    stored = CutoverDiagram.objects.get(notice=notice)
    assert stored.size == len(PNG) and stored.filename == "topology.png"
    with get_storage().open_read(stored.storage_key) as fh:
        assert fh.read() == PNG
    # Another organisation's site, posted against Acme's form, is not a choice.
    wrong = client.post(
        url("console-cutover-new") + f"?organisation={world.acme.pk}",
        _form(world.globex_contract.site, _start(world)),
    )
    assert wrong.status_code == 400 and CutoverNotice.objects.count() == 1


def test_the_diagram_downloads_only_for_its_organisation_and_support(as_user, world):
    # R: G1, A4, security rule 5 — a download, never rendered; others get 404.
    client = as_user(world.alice)
    diagram = SimpleUploadedFile("net.svg", b"<svg onload=alert(1)></svg>", "image/svg+xml")
    response = client.post(
        url("portal-cutovers"), _form(world.acme_contract.site, _start(world), diagram=diagram)
    )
    assert response.status_code == 302
    notice = CutoverNotice.objects.get()
    listing = client.get(url("portal-cutovers")).content.decode()
    assert "Topology diagram: net.svg" in listing
    own = client.get(url("portal-cutover-diagram", notice.pk))
    assert own.status_code == 200 and own["Content-Disposition"].startswith("attachment")
    assert own["Content-Type"] == "application/octet-stream"
    assert own["X-Content-Type-Options"] == "nosniff"
    assert b"".join(own.streaming_content).startswith(b"<svg")
    assert as_user(world.carol).get(url("portal-cutover-diagram", notice.pk)).status_code == 200
    assert as_user(world.gina).get(url("portal-cutover-diagram", notice.pk)).status_code == 404
    missing = as_user(world.gina).get(url("portal-cutover-diagram", notice.pk + 999))
    assert missing.status_code == 404
    assert as_user(world.engineer).get(url("console-cutover-diagram", notice.pk)).status_code == 200
    assert as_user(world.alice).get(url("console-cutover-diagram", notice.pk)).status_code == 404


def test_a_refused_diagram_files_nothing_and_leaves_no_bytes(as_user, world, monkeypatch):
    # R: G1 — one transaction: a diagram over the limit refuses the whole notice.
    monkeypatch.setattr(diagram_services, "MAX_DIAGRAM_BYTES", 100)
    client = as_user(world.alice)
    big = SimpleUploadedFile("big.pdf", b"x" * 500, "application/pdf")
    response = client.post(
        url("portal-cutovers"), _form(world.acme_contract.site, _start(world), diagram=big)
    )
    assert response.status_code == 422 and b"at most" in response.content
    assert not CutoverNotice.objects.exists() and not CutoverDiagram.objects.exists()
    root = get_storage().root / "cutovers"
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_the_calendar_groups_by_day_and_filters_to_windows_needing_cover(as_user, world):
    # R: G1 — upcoming cutovers by region and date, after-hours and weekend flagged.
    from casedesk.obligations.services import CutoverDraft, cutover_file

    start = _start(world)
    weekday = start
    while weekday.weekday() != 1:
        weekday += dt.timedelta(days=1)
    weekday = weekday.replace(hour=10, minute=0)
    saturday = weekday + dt.timedelta(days=4)
    for when, tech in ((weekday, "Day Tech"), (saturday, "Weekend Tech")):
        cutover_file(
            actor=world.alice,
            site=world.acme_contract.site,
            draft=CutoverDraft(
                kind="added_lines",
                technician=tech,
                product_line="CC",
                installation_date=when.date(),
                cutover_start=when,
                cutover_end=when + dt.timedelta(hours=2),
                site_contact="Sam",
            ),
            now=world.now,
        )
    client = as_user(world.engineer)
    body = client.get(url("console-cutovers"), {"days": "60"}).content.decode()
    assert body.count('class="card cutover-day"') == 2
    assert "Business hours" in body and ">Weekend</span>" in body
    cover = client.get(url("console-cutovers"), {"days": "60", "cover": "1"}).content.decode()
    assert "Weekend Tech" in cover and "Day Tech" not in cover


def test_the_notice_is_on_the_timeline_of_a_case_opened_in_its_window(as_user, world):
    # R: G1, item 7 — the customer sees their own; the console and the API show it too.
    from casedesk.obligations.services import CutoverDraft, cutover_file

    start = _start(world)
    cutover_file(
        actor=world.alice,
        site=world.acme_contract.site,
        draft=CutoverDraft(
            kind="new_install",
            technician="Tom Tech",
            product_line="CC",
            installation_date=start.date(),
            cutover_start=start,
            cutover_end=start + dt.timedelta(hours=6),
            site_contact="Sam",
        ),
        now=world.now,
    )
    case = case_open(
        contact=world.alice,
        draft=factories.draft(world.acme_contract, world.catalogue, subject="Dead after cutover"),
        now=start + dt.timedelta(hours=1),
    )
    portal = as_user(world.alice).get(url("portal-case-detail", case.number)).content.decode()
    assert "event--cutover" in portal and "Opened during a cutover at Acme HQ" in portal
    console = as_user(world.engineer).get(url("console-case-detail", case.number))
    assert "event--cutover" in console.content.decode()
    api = as_user(world.alice).get(f"/api/v1/cases/{case.number}/timeline").json()
    kinds = [item["kind"] for item in api]
    assert kinds[0] == "opened" and "cutover" in kinds
    before = as_user(world.alice).get(f"/api/v1/cases/{world.alice_case.number}/timeline").json()
    assert "cutover" not in [item["kind"] for item in before]
