"""The demo's site records (issue 14, G2, G3): a site whose VoIP readiness fails (Northwind's
Harbour site: one trunk with high jitter and unmarked RTP) with one of its SIP Gateway cases
held until it passes, a site that passes (Prairie Voice's Midwest site), and change records
at both, one reverted and one kept internal."""

from __future__ import annotations

import contextlib
import datetime as dt

from casedesk.cases.models import Case
from casedesk.core.errors import DomainError
from casedesk.obligations.changes import ChangeDraft, change_record
from casedesk.obligations.voip import voip_assessment_record, voip_hold
from casedesk.policy.voip import LineMeasurement

from .reference import Desk


def _lines(*bad: LineMeasurement) -> list[LineMeasurement]:
    good = [
        LineMeasurement(f"Trunk {n} ↔ media server", codec, lat, jit, loss, 46, 24, bw)
        for n, (codec, lat, jit, loss, bw) in enumerate(
            [("G.711", 38, 4.1, 0.0, 96), ("G.711", 41, 5.3, 0.1, 92), ("G.729", 44, 6.0, 0.2, 40)],
            1,
        )
    ]
    return good + list(bad)


def seed_sites(desk: Desk, *, now: dt.datetime) -> None:
    harbour = desk.contracts["nw_harbour"].site
    midwest = desk.contracts["pv_midwest"].site
    engineer = desk.people["elena"]
    voip_assessment_record(
        actor=desk.people["tom"],
        site=harbour,
        lines=_lines(
            LineMeasurement("Trunk 4 ↔ branch Leeds", "G.711", 162, 41.5, 2.4, 0, 24, 70),
        ),
        measured_at=now - dt.timedelta(days=3, hours=2),
        notes="Measured with the carrier's probe during business hours.",
        now=now - dt.timedelta(days=3),
    )
    voip_assessment_record(
        actor=desk.people["marcus"],
        site=midwest,
        lines=_lines(),
        measured_at=now - dt.timedelta(days=9),
        now=now - dt.timedelta(days=9),
    )
    _changes(desk, harbour, midwest, now=now)
    held = (
        Case.objects.filter(site=harbour, product__name="SIP Gateway", status="open")
        .order_by("pk")
        .first()
    )
    if held is not None and not held.production_down:
        # If the story moved it on, the flag still shows on the case page.
        with contextlib.suppress(DomainError):
            voip_hold(actor=engineer, case=held, reason="", now=now - dt.timedelta(days=2))


def _changes(desk: Desk, harbour: object, midwest: object, *, now: dt.datetime) -> None:
    plan = {
        "implementation_plan": "Maintenance window 22:00-23:00; apply the change on the "
        "standby unit, fail over, then the primary.",
        "test_plan": "Ten test calls each way per trunk; check MOS in the probe.",
        "backout_plan": "Fail back and restore the saved configuration.",
        "test_environment": "Lab pair in the Leeds office",
    }
    for actor, site, days, who, short, summary, outcome, public in (
        (desk.people["tom"], harbour, 6, "Tom Becker", "QoS policy on the WAN edge routers",
         "Marked RTP EF and SIP CS3 on the WAN edge; the Leeds branch router was missed.",
         "successful", True),
        (desk.people["tom"], harbour, 2, "Northwind field services",
         "SIP Gateway 10.1.2 upgrade",
         "Upgraded both gateways; one-way audio on trunk 4 afterwards, so rolled back.",
         "reverted", True),
        (desk.people["elena"], harbour, 1, "Elena Fischer",
         "Trace level raised on gateway 2",
         "Full SIP tracing for the one-way audio case; to be lowered after capture.",
         "successful", False),
        (desk.people["marcus"], midwest, 12, "Marcus Hill", "New SIP trunk from the carrier",
         "Added a second SIP trunk (30 channels) for failover.", "successful", True),
    ):  # fmt: skip
        change_record(
            actor=actor,
            site=site,  # type: ignore[arg-type]
            draft=ChangeDraft(
                performed_at=now - dt.timedelta(days=days),
                engineer=who,
                short_description=short,
                summary=summary,
                outcome=outcome,
                backup_taken=outcome == "successful" or days == 2,
                backup_details="Configuration exported before the change." if days != 1 else "",
                **plan,
            ),
            public=public,
            now=now - dt.timedelta(days=days) + dt.timedelta(hours=1),
        )
