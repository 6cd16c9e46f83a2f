"""Every write to a call (H1): queued, identified, answered, ended, logged on a case.

Telephony events arrive out of order and twice (a CTI retries); each step is idempotent
where repeating it is harmless and refuses, with a reason, where it would rewrite history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction

from casedesk.accounts.models import Role, User
from casedesk.cases.models import Case, CaseEvent, Channel
from casedesk.cases.services import CaseDraft, case_add_update, case_open
from casedesk.core.errors import PolicyViolation

from .models import Call, TelephonyToken


def _region_of(caller: User | None) -> str:
    if caller is None:
        return ""
    contract = caller.organisation.contracts.order_by("pk").first() if caller.organisation else None
    return contract.region if contract else caller.region


def _require_contact(caller: User | None) -> None:
    if caller is not None and (caller.role != Role.CONTACT or not caller.is_active):
        raise PolicyViolation("Only an active contact can be identified as the caller.")


@transaction.atomic
def call_queued(
    *,
    now: dt.datetime,
    caller: User | None = None,
    emergency: bool = False,
    external_id: str = "",
) -> Call:
    """A call entered the queue. The same ``external_id`` again returns the same call."""
    _require_contact(caller)
    if external_id:
        existing = Call.objects.select_for_update().filter(external_id=external_id).first()
        if existing is not None:
            return existing
    return Call.objects.create(
        queued_at=now,
        caller=caller,
        emergency=emergency,
        region=_region_of(caller),
        external_id=external_id,
    )


@transaction.atomic
def call_identify(*, call: Call, caller: User) -> Call:
    """The IVR or the engineer identified the caller by PIN."""
    _require_contact(caller)
    locked = Call.objects.select_for_update().get(pk=call.pk)
    if locked.caller_id not in (None, caller.pk):
        raise PolicyViolation("This call was already identified as another caller.")
    locked.caller = caller
    locked.region = _region_of(caller)
    locked.save(update_fields=["caller", "region"])
    return locked


@transaction.atomic
def call_answered(*, call: Call, engineer: User | None, now: dt.datetime) -> Call:
    """The hold ends (C3). Answering twice keeps the first answer: the hold was measured."""
    locked = Call.objects.select_for_update().get(pk=call.pk)
    if locked.answered_at is not None:
        return locked
    if locked.ended_at is not None:
        raise PolicyViolation("This call already ended unanswered.")
    locked.answered_at = max(now, locked.queued_at)
    locked.engineer = engineer
    locked.save(update_fields=["answered_at", "engineer"])
    return locked


@transaction.atomic
def call_ended(*, call: Call, now: dt.datetime) -> Call:
    """The call ended (answered, or abandoned while on hold). Ending twice changes nothing."""
    locked = Call.objects.select_for_update().get(pk=call.pk)
    if locked.ended_at is None:
        locked.ended_at = max(now, locked.answered_at or locked.queued_at)
        locked.save(update_fields=["ended_at"])
    return locked


def call_taken(*, engineer: User, caller: User, now: dt.datetime, emergency: bool) -> Call:
    """A call the engineer took directly (no CTI): queued and answered now, hold zero."""
    call = call_queued(now=now, caller=caller, emergency=emergency)
    return call_answered(call=call, engineer=engineer, now=now)


@transaction.atomic
def call_attach_case(*, call: Call, case: Case) -> None:
    """The case found or opened on this call; it must be the caller's organisation's."""
    if call.caller_id is None or case.organisation_id != call.caller.organisation_id:
        raise PolicyViolation("That case is not the caller's organisation's.", field="case")
    call.cases.add(case)


@transaction.atomic
def call_log(
    *, call: Call, case: Case, engineer: User, body: str, public: bool, now: dt.datetime
) -> CaseEvent:
    """The call's log on a case's timeline: a public reply the customer sees, or an internal
    note (B5). The event carries the call, so the timeline shows it as a phone call."""
    call_attach_case(call=call, case=case)
    data = {"channel": "phone", "call": call.pk, "hold_seconds": call.hold_seconds}
    return case_add_update(
        case=case, actor=engineer, body=body, now=now, internal=not public, data=data
    )


def _this_call(
    *, call: Call | None, engineer: User, caller: User, now: dt.datetime, emergency: bool
) -> Call:
    """The live call being handled, identified and answered; or a call taken directly."""
    if call is None:
        return call_taken(engineer=engineer, caller=caller, now=now, emergency=emergency)
    if call.ended_at is not None:
        raise PolicyViolation("That call has ended; log it without choosing the call.")
    call = call_identify(call=call, caller=caller)
    if emergency and not call.emergency:
        call.emergency = True
        call.save(update_fields=["emergency"])
    return call_answered(call=call, engineer=engineer, now=now)


@transaction.atomic
def phone_log_call(
    *,
    engineer: User,
    caller: User,
    case: Case,
    body: str,
    public: bool,
    now: dt.datetime,
    call: Call | None = None,
    emergency: bool = False,
) -> tuple[Call, CaseEvent]:
    """H1 in one step: the call (live or taken now) logged on one of the caller's cases."""
    this = _this_call(call=call, engineer=engineer, caller=caller, now=now, emergency=emergency)
    event = call_log(call=this, case=case, engineer=engineer, body=body, public=public, now=now)
    return this, event


@transaction.atomic
def phone_open_case(
    *,
    engineer: User,
    caller: User,
    draft: CaseDraft,
    now: dt.datetime,
    call: Call | None = None,
) -> tuple[Call, Case]:
    """H1 in one step: a case opened on the phone (channel phone) and tied to the call."""
    case = case_open(
        contact=caller, draft=draft, now=now, opened_by=engineer, channel=Channel.PHONE
    )
    this = _this_call(
        call=call, engineer=engineer, caller=caller, now=now, emergency=draft.production_down
    )
    call_attach_case(call=this, case=case)
    return this, case


def telephony_token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def telephony_token_create(*, name: str, now: dt.datetime) -> str:
    """A token for an IVR/CTI: returned once in clear, stored only as its digest (rule 12)."""
    raw = "cdt_" + secrets.token_urlsafe(32)
    TelephonyToken.objects.create(
        name=name.strip()[:80] or "Telephony",
        digest=telephony_token_digest(raw),
        prefix=raw[:10],
        created_at=now,
    )
    return raw


def telephony_token_revoke(*, token_id: int, now: dt.datetime) -> bool:
    return bool(
        TelephonyToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=now)
    )
