"""Builders for the site-records tests (G2, G3): a VoIP case, lines, files, changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from casedesk.catalog.models import MajorVersion, Product, ProductGroup
from casedesk.obligations.changes import ChangeDraft
from casedesk.policy.voip import LineMeasurement

GOOD = LineMeasurement("Trunk 1", "G.711", 40.0, 5.0, 0.2, 46, 24, 100.0)
SLOW = LineMeasurement("Trunk 2", "G.729", 180.0, 12.0, 0.0, 46, 24, 64.0)

CSV_GOOD = (
    b"stream,codec,latency_ms,jitter_ms,loss_pct,rtp_dscp,sip_dscp,bandwidth_kbps\n"
    b"Trunk 1,PCMU,42,4.5,0.1,EF,CS3,96\n"
    b"Trunk 2,G.729,60,8,0,46,24,40\n"
)
CSV_BAD = (
    b"stream,codec,latency_ms,jitter_ms,loss_pct,rtp_dscp,sip_dscp,bandwidth_kbps\n"
    b"Trunk 1,PCMU,42,4.5,0.1,EF,CS3,96\n"
    b"Trunk 2,G.729,fast,8,0,46,24,40\n"
    b"Trunk 3,G.729,60,8,250,46,XX,40\n"
)


def voip_case(world: Any, contact: Any = None, **overrides: Any) -> Any:
    """A case about a Voice Platform product (a VoIP case by the default policy)."""
    group, _ = ProductGroup.objects.get_or_create(name="Voice Platform")
    product, _ = Product.objects.get_or_create(name="SIP Gateway", group=group)
    version, _ = MajorVersion.objects.get_or_create(product=product, name="10")
    for contract in (world.acme_contract, world.globex_contract):
        contract.products.add(product)
    fields = {
        "product_id": product.pk,
        "major_version_id": version.pk,
        "patch_id": None,
        "subject": "One-way audio on SIP calls",
    }
    return world.open_case(contact or world.alice, **{**fields, **overrides})


def change_draft(now: dt.datetime, **overrides: Any) -> ChangeDraft:
    fields: dict[str, Any] = {
        "performed_at": now - dt.timedelta(days=2),
        "engineer": "Sam Patel",
        "short_description": "Firewall rules for RTP ports",
        "summary": "Opened UDP 10000-20000 to the media server.",
        "outcome": "successful",
        "implementation_plan": "Change window 22:00; apply rule set v12.",
        "test_plan": "Test calls both ways from three extensions.",
        "backout_plan": "Restore rule set v11.",
        "backup_taken": True,
        "test_environment": "Lab firewall",
        "backup_details": "Config export fw-2026-11-22.tgz",
    }
    fields.update(overrides)
    return ChangeDraft(**fields)
