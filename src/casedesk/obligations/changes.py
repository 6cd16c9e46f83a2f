"""Recording change-control records (G3): what was changed at a site, by whom, how it was
planned (test environment, implementation, test and backout plans, backup) and whether it
stuck (Successful) or was rolled back (Reverted)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from casedesk.accounts.models import Site, User
from casedesk.core.errors import PolicyViolation
from casedesk.policy.text import has_c0_control

from .models import ChangeOutcome, ChangeRecord
from .voip import check_public, require_site_access

_FUTURE_SKEW = dt.timedelta(minutes=5)
_LONG = 20_000


@dataclass(frozen=True)
class ChangeDraft:
    performed_at: dt.datetime
    engineer: str
    short_description: str
    summary: str
    outcome: str
    implementation_plan: str
    test_plan: str
    backout_plan: str
    backup_taken: bool
    test_environment: str = ""
    backup_details: str = ""


_REQUIRED = ("engineer", "short_description", "summary")
_PLAN = ("implementation_plan", "test_plan", "backout_plan")
_LINE_TEXT = {"engineer": 200, "short_description": 200}


def _check(draft: ChangeDraft, now: dt.datetime) -> None:
    if draft.outcome not in ChangeOutcome.values:
        raise PolicyViolation("The outcome is Successful or Reverted.", field="outcome")
    if draft.performed_at > now + _FUTURE_SKEW:
        raise PolicyViolation(
            "A change is recorded once it was made; this date is in the future.",
            field="performed_at",
        )
    for name in (*_REQUIRED, *_PLAN):
        if not getattr(draft, name).strip():
            raise PolicyViolation("Required.", field=name)
    for name in (*_REQUIRED, *_PLAN, "test_environment", "backup_details"):
        text = getattr(draft, name)
        limit = _LINE_TEXT.get(name, _LONG)
        if len(text) > limit:
            raise PolicyViolation(f"At most {limit} characters.", field=name)
        if has_c0_control(text.replace("\n", "").replace("\r", "").replace("\t", "")):
            raise PolicyViolation("Remove the control characters from this text.", field=name)
        if name in _LINE_TEXT and ("\n" in text or "\r" in text):
            raise PolicyViolation("One line only.", field=name)


@transaction.atomic
def change_record(
    *, actor: User, site: Site, draft: ChangeDraft, now: dt.datetime, public: bool = True
) -> ChangeRecord:
    """Contacts record changes for the sites they may see; support for any, and may keep
    a record internal."""
    require_site_access(actor, site)
    check_public(actor, public)
    _check(draft, now)
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in draft.__dict__.items()}
    return ChangeRecord.objects.create(
        organisation_id=site.organisation_id,
        site=site,
        filed_by=actor,
        filed_at=now,
        public=public,
        **values,
    )
