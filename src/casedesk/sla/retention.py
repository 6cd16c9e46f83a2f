"""Retention (C7, D4, B7): a closed case's attachments are purged 30 days after closure.

Closing schedules one ``files.purge`` deadline at ``closed_at + attachment_retention_days``
(from the case's policy version); re-opening cancels it. The handler re-checks that the
case is still closed by the same closure before removing bytes, so a re-open that raced
the worker never loses files. A case re-opened after its files were purged says so on
its timeline and asks the customer to upload them again. While the contact's request to
re-open is pending, the purge waits and looks again a day later (C9).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.policy.transitions import Action, SubStatus
from casedesk.scheduling.registry import handles
from casedesk.scheduling.services import deadline_schedule, deadlines_cancel

from .selectors import policy

if TYPE_CHECKING:
    from casedesk.scheduling.models import Deadline

PURGE = "files.purge"
# How long a purge waits before looking again at a case whose re-open request is pending.
PENDING_RECHECK = dt.timedelta(days=1)
REUPLOAD_NOTICE = (
    "The files attached to this case were removed on {when} UTC, {days} days after it "
    "closed (retention policy). If they are still relevant, please upload them again."
)


def retention_days(case: Case) -> int:
    return policy(case.policy_version).attachment_retention_days


def retention_on_transition(*, case: Case, action: Action, now: dt.datetime) -> None:
    """Called by ``cases.services`` in the transaction that closes or re-opens ``case``."""
    if action is Action.CLOSE and case.closed_at is not None:
        deadline_schedule(
            kind=PURGE,
            key=f"{PURGE}:{case.pk}:{case.closed_at.isoformat()}",
            due_at=case.closed_at + dt.timedelta(days=retention_days(case)),
            now=now,
            case_id=case.pk,
            payload={"closed_at": case.closed_at.isoformat()},
        )
    elif action is Action.REOPEN:
        deadlines_cancel(case_id=case.pk, kinds=[PURGE], now=now, why="case re-opened")
        purged = (
            case.attachments.filter(purged_at__isnull=False)
            .order_by("-purged_at")
            .values_list("purged_at", flat=True)
            .first()
        )
        if purged is not None:
            CaseEvent.objects.create(
                case=case,
                at=now,
                actor=None,
                kind=EventKind.FILES_PURGED,
                public=True,
                body=REUPLOAD_NOTICE.format(
                    when=f"{purged:%a %d %b %Y %H:%M}", days=retention_days(case)
                ),
                data={"reupload": True, "purged_at": purged.isoformat()},
            )


@handles(PURGE)
def run_purge(deadline: Deadline, now: dt.datetime) -> str:
    """C7/D4: remove the bytes, keep the rows marked purged, say so on the timeline."""
    from casedesk.files.services import attachments_purge

    case = getattr(deadline, "locked_case", None) or (
        Case.objects.select_for_update().get(pk=deadline.case_id)
    )
    if not case.is_closed or case.closed_at is None:
        return "skipped: the case is open again"
    if case.closed_at.isoformat() != deadline.payload.get("closed_at"):
        return "skipped: the case was closed again since"
    if case.sub_status == SubStatus.CUSTOMER_REQUESTED_REOPEN:
        later = now + PENDING_RECHECK
        deadline_schedule(
            kind=PURGE,
            key=f"{PURGE}:{case.pk}:{case.closed_at.isoformat()}:pending:{later.isoformat()}",
            due_at=later,
            now=now,
            case_id=case.pk,
            payload={"closed_at": case.closed_at.isoformat()},
        )
        return "waiting: a request to re-open is pending (C9)"
    from casedesk.mail.retention import mail_purge_attachments

    days = retention_days(case)
    count = attachments_purge(
        case=case,
        now=now,
        reason=f"Attachments removed {days} days after the case closed (retention policy).",
    )
    # C9: what e-mail brought goes too: the stored raw messages keep only their text.
    mails = mail_purge_attachments(case_id=case.pk, now=now)
    return f"purged {count} attachment(s); reduced {mails} stored e-mail(s) to their text"


def retention_schedule_missing(*, now: dt.datetime) -> int:
    """Schedule the purge of every closed case that still has files and no purge deadline."""
    from django.db import transaction

    from casedesk.files.models import Attachment
    from casedesk.scheduling.models import Deadline

    with_files = Attachment.objects.filter(purged_at__isnull=True).values("case_id")
    scheduled = Deadline.objects.filter(kind=PURGE).values("case_id")
    cases = Case.objects.filter(pk__in=with_files, closed_at__isnull=False).exclude(
        pk__in=scheduled
    )
    count = 0
    for case in cases.only("pk", "closed_at", "policy_version", "status").iterator():
        if not case.is_closed:
            continue
        with transaction.atomic():
            retention_on_transition(case=case, action=Action.CLOSE, now=now)
        count += 1
    return count
