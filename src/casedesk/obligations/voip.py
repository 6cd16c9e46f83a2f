"""Recording VoIP readiness (G2) and holding VoIP cases until it passes.

``voip_assessment_record`` is the one writer of assessments (typed or from a file): checks
every line against the current policy's thresholds, stores the lines with their verdicts,
and, when the assessment passes, releases the site's cases held as "VoIP readiness
pending" in the same transaction. ``voip_hold`` checks the hold rule
(``policy.voip.hold_decision``) on the locked case before ``cases.services.case_hold``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from casedesk.accounts.models import Site, User
from casedesk.cases.models import Case
from casedesk.cases.services import case_hold, case_release_hold
from casedesk.core.errors import NotFound, NotPermitted, PolicyViolation, TransitionNotAllowed
from casedesk.policy.text import has_c0_control
from casedesk.policy.transitions import SubStatus
from casedesk.policy.voip import LineMeasurement, check_assessment
from casedesk.sla.selectors import current_policy_number, policy

from . import sites
from .measurements import MAX_LINES, MeasurementErrors, parse_file
from .models import MeasurementSource, VoipAssessment, VoipLine

HELD = SubStatus.VOIP_READINESS_PENDING
_CLOCK_SKEW = dt.timedelta(minutes=5)


def require_site_access(actor: User, site: Site) -> None:
    """A contact files for the sites they may see only; any other looks missing (rule 3)."""
    if not sites.visible_sites(actor).filter(pk=site.pk).exists():
        raise NotFound("No such site.")


def check_public(actor: User, public: bool) -> bool:
    if not public and actor.is_contact:
        raise NotPermitted("Contacts cannot keep records internal.")
    return public


@transaction.atomic
def voip_assessment_record(
    *,
    actor: User,
    site: Site,
    lines: list[LineMeasurement],
    measured_at: dt.datetime,
    now: dt.datetime,
    source: str = MeasurementSource.FORM,
    filename: str = "",
    notes: str = "",
    public: bool = True,
) -> VoipAssessment:
    require_site_access(actor, site)
    check_public(actor, public)
    if not lines:
        raise PolicyViolation("Measure at least one RTP stream.", field="lines")
    if len(lines) > MAX_LINES:
        raise PolicyViolation(f"At most {MAX_LINES} lines per assessment.", field="lines")
    if measured_at > now + _CLOCK_SKEW:
        raise PolicyViolation("The measurement cannot be in the future.", field="measured_at")
    if has_c0_control(notes) or len(notes) > 2000:
        raise PolicyViolation("Notes: plain text, at most 2000 characters.", field="notes")
    number = current_policy_number()
    verdict = check_assessment(lines, policy(number).voip)
    assessment = VoipAssessment.objects.create(
        organisation_id=site.organisation_id,
        site=site,
        measured_at=measured_at,
        filed_by=actor,
        filed_at=now,
        source=source,
        filename=filename[:200],
        notes=notes.strip(),
        passed=verdict.passed,
        reason=verdict.reason,
        policy_version=number,
        public=public,
    )
    VoipLine.objects.bulk_create(
        VoipLine(
            assessment=assessment,
            position=n,
            passed=line_verdict.passed,
            failures=list(line_verdict.failures),
            **line.__dict__,
        )
        for n, (line, line_verdict) in enumerate(zip(lines, verdict.lines, strict=True), 1)
    )
    if verdict.passed:
        _release_held_cases(site, assessment, now)
    return assessment


def _release_held_cases(site: Site, assessment: VoipAssessment, now: dt.datetime) -> None:
    """G2 "hold until it passes": it passed, so the held cases go back to support."""
    why = (
        f"VoIP readiness assessment of {assessment.measured_at:%d %b %Y} for {site.name} "
        "passes; the case is back with support."
    )
    for case in sites.voip_cases_held_at(site.pk):
        case_release_hold(case=case, hold=HELD, reason=why, now=now)


def voip_assessment_upload(
    *,
    actor: User,
    site: Site,
    filename: str,
    data: bytes,
    now: dt.datetime,
    measured_at: dt.datetime | None = None,
    public: bool = True,
) -> VoipAssessment:
    """A CSV or JSON measurement file: refused whole with per-row errors, or recorded."""
    require_site_access(actor, site)
    parsed = parse_file(filename, data)
    when = measured_at or parsed.measured_at or now
    source = MeasurementSource.CSV if parsed.kind == "csv" else MeasurementSource.JSON
    return voip_assessment_record(
        actor=actor,
        site=site,
        lines=parsed.lines,
        measured_at=when,
        now=now,
        source=source,
        filename=filename.rsplit("/", 1)[-1],
        notes=parsed.notes,
        public=public,
    )


@transaction.atomic
def voip_hold(
    *,
    actor: User,
    case: Case,
    reason: str,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Case:
    """Hold a VoIP case as "VoIP readiness pending" when the policy allows (G2)."""
    if actor.is_contact:
        raise NotPermitted("Only support staff may hold a case.")
    locked = (
        Case.objects.select_for_update(of=("self",)).select_related("product_group").get(pk=case.pk)
    )
    flag = sites.case_voip_flag(locked)
    if not flag.hold:
        raise TransitionNotAllowed(flag.hold.reason)
    text = reason.strip() or (
        "Held until the site's network passes a VoIP readiness assessment (G2): latency, "
        "jitter, packet loss, DSCP marking and bandwidth per RTP stream."
    )
    return case_hold(
        case=locked, actor=actor, hold=HELD, reason=text, now=now, expected_version=expected_version
    )


__all__ = [
    "MeasurementErrors",
    "require_site_access",
    "voip_assessment_record",
    "voip_assessment_upload",
    "voip_hold",
]
