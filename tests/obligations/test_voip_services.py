"""VoIP readiness (G2) and change control (G3) through the services: per-line verdicts,
measurement files refused whole with per-row errors, the hold and its release, and who
may record what."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from casedesk.accounts.models import ContractAccess, Site
from casedesk.cases.models import CaseEvent
from casedesk.cases.services import case_change_priority, case_transition
from casedesk.core.errors import NotFound, NotPermitted, PolicyViolation, TransitionNotAllowed
from casedesk.obligations import sites
from casedesk.obligations.changes import change_record
from casedesk.obligations.measurements import MeasurementErrors
from casedesk.obligations.models import ChangeRecord, VoipAssessment, VoipLine
from casedesk.obligations.voip import voip_assessment_record, voip_assessment_upload, voip_hold
from tests.obligations.helpers import CSV_BAD, CSV_GOOD, GOOD, SLOW, change_draft, voip_case

pytestmark = pytest.mark.django_db


def _record(world, lines, *, actor=None, site=None, public=True, when=None):
    return voip_assessment_record(
        actor=actor or world.alice,
        site=site or world.acme_contract.site,
        lines=lines,
        measured_at=when or world.now - dt.timedelta(hours=1),
        public=public,
        now=world.now,
    )


def test_each_line_gets_its_verdict_and_the_assessment_passes_only_if_all_do(world):
    # R: G2 — pass/fail per line and overall.
    failed = _record(world, [GOOD, SLOW])
    assert not failed.passed and failed.reason == "1 of 2 lines fail the G2 thresholds."
    good, slow = failed.lines.order_by("position")
    assert good.passed and good.failures == []
    assert not slow.passed and slow.failures == ["Latency 180 ms is not under 150 ms."]
    passed = _record(world, [GOOD], when=world.now)
    assert passed.passed
    assert sites.latest_assessment(world.acme_contract.site.pk) == passed


def test_a_bad_csv_is_refused_whole_with_one_error_per_row_and_field(world):
    # R: G2 — "clear per-row errors, nothing stored on error".
    site = world.acme_contract.site
    with pytest.raises(MeasurementErrors) as caught:
        voip_assessment_upload(
            actor=world.alice, site=site, filename="day1.csv", data=CSV_BAD, now=world.now
        )
    where = [w for w, _ in caught.value.errors]
    assert where == ["Row 3, latency_ms", "Row 4, loss_pct", "Row 4, sip_dscp"]
    assert "“fast” is not a number" in caught.value.errors[0][1]
    assert VoipAssessment.objects.count() == 0 and VoipLine.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("m.csv", b"stream,codec\nA,PCMU\n", "Header row"),
        ("m.csv", b"\xff\xfe\x00", "File"),
        ("m.json", b"{not json", "File"),
        ("m.json", b'{"lines": []}', "File"),
        ("m.json", b'[{"stream": "A"}]', "Row 1, codec"),
        ("m.json", b'{"lines": [1]}', "Row 1"),
        ("m.xlsx", b"PK", "File"),
        ("m.json", b'{"measured_at": "yesterday", "lines": []}', "measured_at"),
    ],
)
def test_unreadable_files_say_why_and_store_nothing(world, name, data, expected):
    with pytest.raises(MeasurementErrors) as caught:
        voip_assessment_upload(
            actor=world.alice,
            site=world.acme_contract.site,
            filename=name,
            data=data,
            now=world.now,
        )
    assert caught.value.errors[0][0] == expected
    assert VoipAssessment.objects.count() == 0


def test_a_good_csv_and_a_json_file_are_recorded_with_their_source(world):
    site = world.acme_contract.site
    from_csv = voip_assessment_upload(
        actor=world.alice, site=site, filename="day1.csv", data=CSV_GOOD, now=world.now
    )
    assert from_csv.passed and from_csv.source == "csv" and from_csv.lines.count() == 2
    doc = {
        "measured_at": "2026-11-20T10:00:00+01:00",
        "notes": "From the probe",
        "lines": [{"stream": "A", "codec": "g711", "latency_ms": 200, "jitter_ms": 1,
                   "loss_pct": 0, "rtp_dscp": 46, "sip_dscp": 24, "bandwidth_kbps": 90}],
    }  # fmt: skip
    from_json = voip_assessment_upload(
        actor=world.engineer,
        site=site,
        filename="probe.json",
        data=json.dumps(doc).encode(),
        now=world.now,
    )
    assert not from_json.passed and from_json.source == "json"
    assert from_json.measured_at == dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    assert from_json.notes == "From the probe"


def test_contacts_record_only_for_their_own_sites(world):
    # R: G2, A4 — another organisation's site looks missing; internal is support's.
    with pytest.raises(NotFound):
        _record(world, [GOOD], actor=world.gina)
    with pytest.raises(NotFound):
        change_record(
            actor=world.gina, site=world.acme_contract.site, draft=change_draft(world.now),
            now=world.now,
        )  # fmt: skip
    with pytest.raises(NotPermitted):
        _record(world, [GOOD], public=False)
    assert VoipAssessment.objects.count() == 0 and ChangeRecord.objects.count() == 0
    assert _record(world, [GOOD], actor=world.engineer, public=False).public is False


def test_a_contract_limited_contact_sees_only_their_contracts_sites(world):
    # R: A3 — care limited carol to one contract: the other site does not exist for her.
    other = Site.objects.create(organisation=world.acme, name="Acme Depot", country="GB")
    ContractAccess.objects.create(contact=world.carol, contract=world.acme_contract)
    assert list(sites.visible_sites(world.carol)) == [world.acme_contract.site]
    with pytest.raises(NotFound):
        _record(world, [GOOD], actor=world.carol, site=other)
    assert other in sites.visible_sites(world.alice)


def test_support_holds_a_voip_case_until_the_site_passes(world):
    # R: G2 "Support may hold VoIP cases until it passes".
    case = voip_case(world)
    assert sites.case_voip_flag(case).flagged
    _record(world, [SLOW])  # a failing assessment does not make the site ready
    held = voip_hold(actor=world.engineer, case=case, reason="", now=world.now)
    assert (held.status, held.sub_status) == ("awaiting_info", "voip_readiness_pending")
    assert held.waiting_since is None  # no follow-up ladder for a hold
    _record(world, [SLOW], when=world.now)
    case.refresh_from_db()
    assert case.sub_status == "voip_readiness_pending"
    _record(world, [GOOD], when=world.now)
    case.refresh_from_db()
    assert (case.status, case.sub_status) == ("open", "customer_responded")
    last = CaseEvent.objects.filter(case=case).order_by("-id").first()
    assert last.actor is None and "passes" in last.body


def test_the_hold_is_refused_where_the_policy_says_so(world):
    # R: G2 — only a VoIP case, on a site not ready, not Production Down, by support.
    with pytest.raises(TransitionNotAllowed, match="Only VoIP cases"):
        voip_hold(actor=world.engineer, case=world.alice_case, reason="", now=world.now)
    case = voip_case(world)
    with pytest.raises(NotPermitted):
        voip_hold(actor=world.alice, case=case, reason="", now=world.now)
    with pytest.raises(PolicyViolation, match="VoIP readiness hold"):
        case_transition(
            case=case, actor=world.engineer, action="hold_voip", to="voip_readiness_pending",
            reason="x", now=world.now,
        )  # fmt: skip
    case_change_priority(
        case=case, actor=world.engineer, priority="critical", production_down=True,
        emergency_criterion="server_down", reason="Site down", now=world.now,
    )  # fmt: skip
    with pytest.raises(TransitionNotAllowed, match="Production Down"):
        voip_hold(actor=world.engineer, case=case, reason="", now=world.now)
    ready = voip_case(world, subject="Echo on calls")
    _record(world, [GOOD])
    with pytest.raises(TransitionNotAllowed, match="passes"):
        voip_hold(actor=world.engineer, case=ready, reason="", now=world.now)
    ready.refresh_from_db()
    assert ready.sub_status == "new"


def test_change_records_keep_the_plan_and_refuse_bad_input(world):
    # R: G3 — date/time, engineer, descriptions, outcome and the plan steps.
    site = world.acme_contract.site
    change = change_record(
        actor=world.alice, site=site, draft=change_draft(world.now), now=world.now
    )
    assert change.outcome == "successful" and change.backup_taken and change.public
    for bad, field in (
        ({"outcome": "partial"}, "outcome"),
        ({"performed_at": world.now + dt.timedelta(days=1)}, "performed_at"),
        ({"backout_plan": "  "}, "backout_plan"),
        ({"engineer": "Sam\nPatel"}, "engineer"),
        ({"summary": "bad\x00"}, "summary"),
    ):
        with pytest.raises(PolicyViolation) as caught:
            change_record(
                actor=world.alice, site=site, draft=change_draft(world.now, **bad), now=world.now
            )
        assert caught.value.field == field
    assert ChangeRecord.objects.count() == 1


def test_recent_changes_and_the_timeline_show_what_bears_on_the_case(world):
    # R: G3 "engineers see a site's recent changes on every case"; issue 14 item 7.
    site = world.acme_contract.site
    old = change_draft(world.now, performed_at=world.now - dt.timedelta(days=45))
    change_record(actor=world.alice, site=site, draft=old, now=world.now)
    change_record(actor=world.alice, site=site, draft=change_draft(world.now), now=world.now)
    hidden = change_draft(world.now, short_description="Core switch firmware")
    change_record(actor=world.engineer, site=site, draft=hidden, public=False, now=world.now)
    _record(world, [SLOW])
    case = world.alice_case
    recent = sites.recent_changes_for_case(case, now=world.now)
    # The 45-day-old change is not recent for a case opened now; internal ones are for staff.
    assert {c.short_description for c in recent} == {
        "Firewall rules for RTP ports",
        "Core switch firmware",
    }
    staff = [e.summary for e in sites.case_site_entries(world.engineer, case)]
    customer = [e.summary for e in sites.case_site_entries(world.alice, case)]
    assert len(staff) == 3 and len(customer) == 2
    assert all("Core switch" not in e.body for e in sites.case_site_entries(world.alice, case))
    assert sites.case_site_entries(world.gina, world.gina_case) == []
