"""Every read of a site's VoIP readiness and change records (G2, G3), scoped.

A contact sees the sites of their own organisation — only those of the contracts care
limited them to, if any (A3) — and of those only the records support did not keep
internal; a site they may not see answers exactly like one that does not exist (rule 3).
Support staff see every site and every record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from casedesk.accounts.models import Contract, Site, User
from casedesk.accounts.selectors import allowed_contract_ids
from casedesk.cases.models import Case
from casedesk.cases.selectors import case_timeline
from casedesk.core import clock
from casedesk.core.errors import NotFound
from casedesk.policy.decision import Decision
from casedesk.policy.transitions import Status
from casedesk.policy.voip import hold_decision, is_voip_case
from casedesk.sla.selectors import policy

from .models import ChangeRecord, VoipAssessment, VoipLine

# Changes this long before a case opened count as "recent" for it (B2 asks the customer
# about recent changes; the panel and the timeline show the records behind the answer).
RECENT_DAYS = 30
PANEL_CHANGES = 10


def visible_sites(user: User) -> QuerySet[Site]:
    qs = Site.objects.select_related("organisation")
    if not user.is_active:
        return qs.none()
    if not user.is_contact:
        return qs
    qs = qs.filter(organisation_id=user.organisation_id)
    allowed = allowed_contract_ids(user)
    if allowed is not None:
        qs = qs.filter(
            pk__in=Contract.objects.filter(pk__in=allowed).values("site_id"),
        )
    return qs


def access_site(user: User, site_id: int | str) -> Site:
    """The site if ``user`` may see it; missing and hidden are the same NotFound."""
    try:
        number = int(site_id)
    except (TypeError, ValueError):
        raise NotFound("No such site.") from None
    site = visible_sites(user).filter(pk=number).first()
    if site is None:
        raise NotFound("No such site.")
    return site


def _visible(user: User, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs.filter(public=True) if user.is_contact else qs


def sites_with_readiness(user: User, *, query: str = "", limit: int = 200) -> list[Site]:
    """Sites with ``latest_passed`` (True, False, or None: never assessed) and
    ``latest_at``; one statement however many sites."""
    latest = VoipAssessment.objects.filter(site_id=OuterRef("pk")).order_by("-measured_at", "-id")
    qs = visible_sites(user).annotate(
        latest_passed=Subquery(latest.values("passed")[:1]),
        latest_at=Subquery(latest.values("measured_at")[:1]),
    )
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(organisation__name__icontains=query))
    return list(qs.order_by("organisation__name", "name")[:limit])


def assessments_for(user: User, site: Site, *, limit: int = 20) -> list[VoipAssessment]:
    qs = _visible(user, VoipAssessment.objects.filter(site=site)).select_related("filed_by")
    return list(qs.prefetch_related(Prefetch("lines", VoipLine.objects.all()))[:limit])


def access_assessment(user: User, assessment_id: int) -> VoipAssessment:
    sites = visible_sites(user).values("pk")
    qs = _visible(user, VoipAssessment.objects.filter(site_id__in=sites))
    found = qs.select_related("site", "filed_by").prefetch_related("lines")
    assessment = found.filter(pk=assessment_id).first()
    if assessment is None:
        raise NotFound("No such assessment.")
    return assessment


def changes_for(user: User, site: Site, *, limit: int = 50) -> list[ChangeRecord]:
    qs = _visible(user, ChangeRecord.objects.filter(site=site)).select_related("filed_by")
    return list(qs[:limit])


def latest_assessment(site_id: int) -> VoipAssessment | None:
    """Readiness counts every assessment, internal ones too: the network is what it is."""
    return VoipAssessment.objects.filter(site_id=site_id).order_by("-measured_at", "-id").first()


@dataclass(frozen=True)
class VoipFlag:
    """What the case page says about a VoIP case's site (G2)."""

    voip_case: bool
    latest: VoipAssessment | None
    hold: Decision
    held: bool

    @property
    def ready(self) -> bool:
        return self.latest is not None and self.latest.passed

    @property
    def flagged(self) -> bool:
        return self.voip_case and not self.ready


def case_voip_flag(case: Case) -> VoipFlag:
    """By the case's own policy version, like its re-open window (versions never change)."""
    rules = policy(case.policy_version).voip
    group = case.product_group.name if case.product_group_id else None
    voip = is_voip_case(group, rules)
    latest = latest_assessment(case.site_id) if voip else None
    ready = latest is not None and latest.passed
    decision = hold_decision(
        voip_case=voip, site_ready=ready, production_down=case.production_down, policy=rules
    )
    if case.status != Status.OPEN:
        decision = Decision(False, "Only an open case waiting on support can be held.")
    return VoipFlag(voip, latest, decision, case.sub_status == "voip_readiness_pending")


def recent_changes_for_case(case: Case, *, now: dt.datetime) -> list[ChangeRecord]:
    """The site's changes from ``RECENT_DAYS`` before the case opened until now, newest
    first: what engineers look at first on every case of the site (G3)."""
    since = case.opened_at - dt.timedelta(days=RECENT_DAYS)
    qs = ChangeRecord.objects.filter(site_id=case.site_id, performed_at__gte=since)
    return list(qs.filter(performed_at__lte=now).select_related("filed_by")[:PANEL_CHANGES])


def voip_cases_held_at(site_id: int) -> list[Case]:
    return list(
        Case.objects.filter(site_id=site_id, sub_status="voip_readiness_pending").order_by("pk")
    )


def site_has_held_cases(site_id: int) -> bool:
    return Case.objects.filter(site_id=site_id, sub_status="voip_readiness_pending").exists()


# --- the case timeline (issue 14 item 7) ---------------------------------------------


@dataclass(frozen=True)
class SiteEntry:
    """A site record shown among a case's events; it reads like a ``CaseEvent`` to the
    timeline template (kind, at, public, summary, body, actor, data)."""

    kind: str
    at: dt.datetime
    public: bool
    summary: str
    body: str
    actor: User | None
    data: dict[str, Any] = field(default_factory=dict)


def _assessment_entry(a: VoipAssessment) -> SiteEntry:
    failing = [line for line in a.lines.all() if not line.passed]
    body = a.reason + "".join(f"\n{line.stream}: {' '.join(line.failures)}" for line in failing[:5])
    verdict = "passed" if a.passed else "failed"
    return SiteEntry(
        "voip_assessment",
        a.measured_at,
        a.public,
        f"VoIP readiness at {a.site.name}: {verdict}",
        body,
        a.filed_by,
    )


def _change_entry(c: ChangeRecord) -> SiteEntry:
    backup = "taken" if c.backup_taken else "not taken"
    body = f"{c.short_description} — by {c.engineer}. Backup {backup}."
    return SiteEntry(
        "site_change",
        c.performed_at,
        c.public,
        f"Change at {c.site.name}: {c.get_outcome_display()}",
        body,
        c.filed_by,
    )


@dataclass(frozen=True)
class SiteRecords:
    """What a case page shows of its site's records, read in two queries (three when
    there are assessments: their lines)."""

    entries: list[SiteEntry]  # for the timeline, as the viewer may see them
    recent_changes: list[ChangeRecord]  # the panel: newest first, at most PANEL_CHANGES


def case_site_records(user: User, case: Case, *, now: dt.datetime) -> SiteRecords:
    """Assessments and changes of the case's site from ``RECENT_DAYS`` before it opened:
    on the timeline until the case closed, with their visibility (a contact sees the public
    ones only); in the recent-changes panel until ``now`` (issue 14 item 7, G3)."""
    since = case.opened_at - dt.timedelta(days=RECENT_DAYS)
    until = case.closed_at
    assessments = _visible(
        user, VoipAssessment.objects.filter(site_id=case.site_id, measured_at__gte=since)
    )
    if until is not None:
        assessments = assessments.filter(measured_at__lte=until)
    changes = list(
        _visible(user, ChangeRecord.objects.filter(site_id=case.site_id, performed_at__gte=since))
        .filter(performed_at__lte=max(now, until or now))
        .select_related("site", "filed_by")[:100]
    )
    entries = [
        _assessment_entry(a)
        for a in assessments.select_related("site", "filed_by").prefetch_related("lines")[:50]
    ]
    entries += [_change_entry(c) for c in changes if until is None or c.performed_at <= until]
    recent = [c for c in changes if c.performed_at <= now][:PANEL_CHANGES]
    return SiteRecords(entries, recent)


def case_site_entries(user: User, case: Case) -> list[SiteEntry]:
    return case_site_records(user, case, now=clock.now()).entries


def with_site_entries(events: list[Any], entries: list[SiteEntry]) -> list[Any]:
    """The case's events and the site entries in one time order (stable: events first)."""
    return sorted([*events, *entries], key=lambda e: e.at)


def case_timeline_with_site_records(
    user: User, case: Case, records: SiteRecords | None = None
) -> list[Any]:
    """The case's timeline (``cases.selectors.case_timeline``) with the site's assessments
    and changes that bear on it, each as its visibility allows (issue 14 item 7)."""
    entries = records.entries if records is not None else case_site_entries(user, case)
    return with_site_entries(case_timeline(user, case), entries)
