"""Site records pages (G2, G3): VoIP readiness typed or uploaded, change records, the VoIP
flag and hold on the console's case page, recent changes on every case of the site, and
the site records on the case timeline with their visibility (issue 14 items 2, 3, 7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.obligations.changes import change_record
from casedesk.obligations.models import ChangeRecord, VoipAssessment
from casedesk.obligations.voip import voip_assessment_record
from tests.obligations.helpers import CSV_BAD, CSV_GOOD, GOOD, SLOW, change_draft, voip_case

from .helpers import url

pytestmark = pytest.mark.django_db

LOCAL = "%Y-%m-%dT%H:%M"


def _typed(world, **rows):  # type: ignore[no-untyped-def]
    data = {"form": "typed", "measured_at": (world.now - dt.timedelta(hours=2)).strftime(LOCAL)}
    data.update(rows)
    return data


def test_a_contact_types_an_assessment_and_sees_each_lines_verdict(as_user, world):
    # R: G2 — typed lines, pass/fail per line and overall.
    site = world.acme_contract.site
    client = as_user(world.alice)
    page = client.get(url("portal-site-voip", site.pk))
    assert page.status_code == 200 and b"visibility" not in page.content  # contacts: public
    line = {"stream": "Trunk 1", "codec": "PCMU", "latency_ms": "42", "jitter_ms": "4",
            "loss_pct": "0.5", "rtp_dscp": "EF", "sip_dscp": "CS3",
            "bandwidth_kbps": "96"}  # fmt: skip
    rows = {f"l1_{k}": v for k, v in line.items()}
    rows |= {f"l2_{k}": v for k, v in (line | {"stream": "Trunk 2", "jitter_ms": "35"}).items()}
    response = client.post(url("portal-site-voip", site.pk), _typed(world, **rows))
    assert response.status_code == 302
    assessment = VoipAssessment.objects.get()
    assert not assessment.passed and assessment.filed_by == world.alice
    body = client.get(url("portal-site", site.pk)).content.decode()
    assert "Not ready" in body and "Jitter 35 ms is not under 30 ms." in body
    assert body.count('pill--ok">Pass') == 1


def test_bad_typed_values_are_named_per_row_and_nothing_is_stored(as_user, world):
    site = world.acme_contract.site
    client = as_user(world.alice)
    rows = {"l3_stream": "Trunk 3", "l3_latency_ms": "slow", "l3_codec": "G.711"}
    response = client.post(url("portal-site-voip", site.pk), _typed(world, **rows))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Latency (ms) “slow” is not a number." in body and "Jitter (ms) is missing." in body
    empty = client.post(url("portal-site-voip", site.pk), _typed(world))
    assert empty.status_code == 400 and "at least one measured line" in empty.content.decode()
    assert VoipAssessment.objects.count() == 0


def test_a_bad_file_lists_every_bad_row_and_a_good_one_is_recorded(as_user, world):
    # R: G2 — "clear per-row errors for bad files, nothing stored on error".
    site = world.acme_contract.site
    client = as_user(world.engineer)
    bad = SimpleUploadedFile("probe.csv", CSV_BAD, content_type="text/csv")
    response = client.post(
        url("console-site-voip", site.pk), {"form": "upload", "file": bad, "visibility": "public"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert (
        "Row 3, latency_ms" in body and "Row 4, sip_dscp" in body and "nothing was stored" in body
    )
    assert VoipAssessment.objects.count() == 0
    good = SimpleUploadedFile("probe.csv", CSV_GOOD, content_type="text/csv")
    response = client.post(
        url("console-site-voip", site.pk),
        {"form": "upload", "file": good, "visibility": "internal"},
    )
    assert response.status_code == 302
    assessment = VoipAssessment.objects.get()
    assert assessment.passed and not assessment.public and assessment.filename == "probe.csv"


def test_a_change_is_recorded_from_the_form_with_its_plan(as_user, world):
    # R: G3
    site = world.acme_contract.site
    client = as_user(world.bob)
    form = {
        "performed_at": (world.now - dt.timedelta(days=1)).strftime(LOCAL),
        "engineer": "Sam Patel",
        "short_description": "SBC firmware 7.20A.260",
        "summary": "Upgraded the SBC.",
        "outcome": "reverted",
        "implementation_plan": "Upgrade standby first.",
        "test_plan": "Calls through both SBCs.",
        "backout_plan": "Roll back to 7.20A.258.",
        "backup_taken": "on",
    }
    missing = client.post(url("portal-site-change", site.pk), form | {"backout_plan": ""})
    assert missing.status_code == 400 and ChangeRecord.objects.count() == 0
    assert client.post(url("portal-site-change", site.pk), form).status_code == 302
    change = ChangeRecord.objects.get()
    assert change.outcome == "reverted" and change.backup_taken and change.filed_by == world.bob
    body = client.get(url("portal-site", site.pk)).content.decode()
    assert "SBC firmware 7.20A.260" in body and "Roll back to 7.20A.258." in body


def test_a_voip_case_on_a_site_that_is_not_ready_is_flagged_and_can_be_held(as_user, world):
    # R: G2 — flagged on the case page; support holds it; a passing assessment releases it.
    case = voip_case(world)
    client = as_user(world.engineer)
    body = client.get(url("console-case-detail", case.number)).content.decode()
    assert "VoIP case on a site without a passing readiness assessment" in body
    assert "has never been assessed" in body
    response = client.post(
        url("console-case-voip-hold", case.number), {"version": case.version, "reason": ""}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.sub_status == "voip_readiness_pending"
    body = client.get(url("console-case-detail", case.number)).content.decode()
    assert "Held: VoIP readiness pending" in body
    portal = as_user(world.alice).get(url("portal-case-detail", case.number)).content.decode()
    assert "VoIP Readiness Pending" in portal and "Record an assessment" in portal
    # Not a VoIP case: no flag, and the hold is refused with the reason.
    client = as_user(world.engineer)
    plain = client.get(url("console-case-detail", world.alice_case.number)).content.decode()
    assert "voip-flag" not in plain
    refused = client.post(
        url("console-case-voip-hold", world.alice_case.number),
        {"version": world.alice_case.version},
    )
    assert refused.status_code == 409 and "Only VoIP cases" in refused.content.decode()


def test_recent_changes_and_site_records_on_the_case_pages(as_user, world):
    # R: G3 (every case of the site), issue 14 item 7 (timeline, with visibility).
    site = world.acme_contract.site
    change_record(actor=world.alice, site=site, draft=change_draft(world.now), now=world.now)
    secret = change_draft(world.now, short_description="Core switch firmware")
    change_record(actor=world.engineer, site=site, draft=secret, public=False, now=world.now)
    voip_assessment_record(
        actor=world.engineer, site=site, lines=[GOOD, SLOW],
        measured_at=world.now - dt.timedelta(days=1), now=world.now,
    )  # fmt: skip
    staff = as_user(world.engineer).get(url("console-case-detail", world.carol_case.number))
    body = staff.content.decode()
    assert 'id="site-changes"' in body and "Core switch firmware" in body
    assert "Change at Acme HQ: Successful" in body and "VoIP readiness at Acme HQ: failed" in body
    customer = as_user(world.alice).get(url("portal-case-detail", world.alice_case.number))
    body = customer.content.decode()
    assert "Change at Acme HQ: Successful" in body and "VoIP readiness at Acme HQ" in body
    assert "Core switch firmware" not in body
    other = as_user(world.gina).get(url("portal-case-detail", world.gina_case.number))
    assert "Acme HQ" not in other.content.decode()


def test_site_lists_show_readiness_and_only_what_the_viewer_may_see(as_user, world):
    voip_assessment_record(
        actor=world.engineer, site=world.globex_contract.site, lines=[GOOD],
        measured_at=world.now, now=world.now,
    )  # fmt: skip
    staff = as_user(world.engineer).get(url("console-sites")).content.decode()
    assert "Acme HQ" in staff and "Globex HQ" in staff and "Not assessed" in staff
    assert "Ready" in staff
    found = as_user(world.engineer).get(url("console-sites"), {"q": "glob"}).content.decode()
    assert "Globex HQ" in found and "Acme HQ" not in found
    mine = as_user(world.alice).get(url("portal-sites")).content.decode()
    assert "Acme HQ" in mine and "Globex HQ" not in mine
    client = as_user(world.alice)
    assert client.get(url("portal-site", world.globex_contract.site.pk)).status_code == 404
    assert client.get(url("portal-site", 999999)).status_code == 404


def test_site_pages_read_in_a_fixed_number_of_queries(
    as_user, world, django_assert_max_num_queries
):
    # Lists and the site page do not grow a query per site, assessment or line.
    from casedesk.accounts.models import Site

    site = world.acme_contract.site
    client = as_user(world.engineer)

    def fill(n: int) -> None:
        for k in range(n):
            Site.objects.create(organisation=world.acme, name=f"Branch {n}-{k}", country="GB")
            voip_assessment_record(
                actor=world.engineer, site=site, lines=[GOOD, SLOW, GOOD],
                measured_at=world.now - dt.timedelta(hours=k + n), now=world.now,
            )  # fmt: skip
            change_record(
                actor=world.engineer, site=site, draft=change_draft(world.now), now=world.now
            )

    fill(1)
    with django_assert_max_num_queries(14) as few:
        client.get(url("console-sites"))
        client.get(url("console-site", site.pk))
    fill(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("console-sites"))
        client.get(url("console-site", site.pk))
