"""Filing a cutover notice (G1): only for a site of the filer's own organisation (contacts),
checked against the lead time in the site's region calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from casedesk.accounts.models import Contract, Site, User
from casedesk.core.errors import NotFound, PolicyViolation
from casedesk.policy.cutover import LeadMode, cutover_lead_time
from casedesk.sla.selectors import calendar_for, current_policy_number

from .models import CHECKLIST, CutoverNotice


@dataclass(frozen=True)
class CutoverDraft:
    kind: str
    technician: str
    product_line: str
    installation_date: dt.date
    cutover_start: dt.datetime
    cutover_end: dt.datetime
    site_contact: str
    vendor_contact: str = ""
    checklist: list[str] = field(default_factory=list)
    line_configuration: str = ""
    current_products: str = ""
    planned_products: str = ""
    um_platform: str = ""


def lead_mode() -> LeadMode:
    """The policy's answer to a late notice: refuse (default) or accept with a warning."""
    return LeadMode(getattr(settings, "CASEDESK_CUTOVER_LEAD_MODE", LeadMode.REFUSE))


def site_region(site: Site) -> str:
    contract = Contract.objects.filter(site=site).order_by("pk").first()
    return contract.region if contract else ""


@transaction.atomic
def cutover_file(
    *, actor: User, site: Site, draft: CutoverDraft, now: dt.datetime
) -> CutoverNotice:
    """A contact files for their own organisation's sites only (another's looks missing, rule
    3); support files for anyone. Refused, or accepted with a warning, when late (G1)."""
    if actor.is_contact and site.organisation_id != actor.organisation_id:
        raise NotFound("No such site.")
    if draft.cutover_end <= draft.cutover_start:
        raise PolicyViolation("The cutover must end after it starts.", field="cutover_end")
    unknown = set(draft.checklist) - {key for key, _ in CHECKLIST}
    if unknown:
        raise PolicyViolation("Unknown confirmation.", field="checklist")
    region = site_region(site)
    calendar = calendar_for(current_policy_number(), region)
    verdict = cutover_lead_time(
        filed_at=now,
        cutover_on=draft.cutover_start.astimezone(calendar.zone).date(),
        calendar=calendar,
        mode=lead_mode(),
    )
    if not verdict.accepted:
        raise PolicyViolation(verdict.reason, field="cutover_start")
    return CutoverNotice.objects.create(
        organisation_id=site.organisation_id,
        site=site,
        region=region or calendar.name,
        filed_by=actor,
        filed_at=now,
        earliest_allowed=verdict.earliest,
        late_warning=verdict.reason if verdict.late else "",
        **draft.__dict__,
    )
