"""The demo desk's files, drop box, escalations, mail and survey answers (D1-D3, C6, E2, E3, F7).

Run after the case histories, through the same services a person would use, so the
console shows a care queue, a manager's escalation queue and survey results, and case
pages show attachments with their SHA-256 and a live SFTP drop box.
"""

from __future__ import annotations

import datetime as dt
import io
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.core.errors import DomainError
from casedesk.dropbox.services import dropbox_open
from casedesk.escalations.services import (
    EscalationRequest,
    escalation_check,
    escalation_request,
    escalation_resolve,
)
from casedesk.files.models import Source
from casedesk.files.services import attachment_store
from casedesk.mail.reference import reference_token
from casedesk.mail.services import mail_receive
from casedesk.notifications.services import survey_respond
from casedesk.notifications.survey import survey_invitation, survey_token

from .reference import Desk

LOG_LINES = (
    "2026-11-20T08:09:58Z gw-a kernel: watchdog: BUG: soft lockup - CPU#3 stuck for 23s\n"
    "2026-11-20T08:10:02Z gw-b heartbeatd: peer gw-a unreachable on vlan 412 (timeout)\n"
    "2026-11-20T08:10:02Z gw-b heartbeatd: standby stays passive: quorum not reached\n"
)


def seed_extras(desk: Desk, *, now: dt.datetime) -> None:
    active = list(
        Case.objects.filter(status__in=["open", "awaiting_info", "solution_proposed"])
        .select_related("contact", "assignee")
        .order_by("-opened_at")
    )
    _files(active[:4], now=now)
    if active:
        dropbox_open(case=active[0], actor=desk.people["claire"], now=now - dt.timedelta(hours=2))
    _escalations(desk, active, now=now)
    _mail(active, now=now)
    _surveys(now=now)


def _files(cases: list[Case], *, now: dt.datetime) -> None:
    for i, case in enumerate(cases):
        attachment_store(
            case=case,
            actor=case.contact,
            filename=f"gateway-{i + 1}.log",
            stream=io.BytesIO(LOG_LINES.encode() * (40 + 15 * i)),
            source=Source.BROWSER,
            now=now - dt.timedelta(hours=5 - i),
            content_type="text/plain",
        )
        if case.assignee is not None and i % 2 == 0:
            attachment_store(
                case=case,
                actor=case.assignee,
                filename="diagnostics-collector.conf",
                stream=io.BytesIO(b"[collect]\nlevel = debug\nhours = 24\ninclude = sip,media\n"),
                source=Source.ENGINEER,
                now=now - dt.timedelta(hours=3 - i / 2),
                content_type="text/plain",
            )


def _escalations(desk: Desk, cases: list[Case], *, now: dt.datetime) -> None:
    """Two eligible requests: one waiting for a manager, one worked to an outcome."""
    made = []
    for case in cases:
        if len(made) == 2:
            break
        if not escalation_check(case=case, kind="standard", now=now, significant_impact=True):
            continue
        try:
            made.append(
                escalation_request(
                    case=case,
                    actor=case.contact,
                    request=EscalationRequest(
                        kind="standard",
                        reason="Impact: the contact centre loses calls every day; urgency: "
                        "go-live of the second site is planned.",
                        summary=f"{case.subject}. No fix date yet after several updates.",
                        expectations="A named engineer and a plan with dates by Friday.",
                        critical_dates="Second-site go-live in two weeks",
                        significant_impact=True,
                    ),
                    now=now - dt.timedelta(hours=6),
                )
            )
        except DomainError:
            continue
    if len(made) == 2:
        escalation_resolve(
            escalation=made[1],
            actor=desk.people["martin"],
            state="resolved",
            outcome="Second-line engineer assigned; daily call at 09:00 until the fix ships.",
            now=now - dt.timedelta(hours=1),
        )


def _raw(sender: User | str, subject: str, body: str, *, now: dt.datetime, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender if isinstance(sender, str) else f"{sender.full_name} <{sender.email}>"
    msg["To"] = "support@casedesk.invalid"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain="mail.example")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def _mail(cases: list[Case], *, now: dt.datetime) -> None:
    """A threaded reply (appended), a mail without a reference (care queue), an auto-reply."""
    waiting = [c for c in cases if c.status in ("awaiting_info", "solution_proposed")]
    messages = []
    if waiting:
        case = waiting[0]
        token = reference_token(case.pk, case.organisation_id)
        messages.append(
            _raw(
                case.contact,
                f"Re: [{case.number}] {case.subject} [{token}]",
                "Hello,\n\nthe traces you asked for are attached to the case now; the problem "
                "happened again at 14:05.\n\nRegards\n\n> Please send the traces of one call.",
                now=now,
            )
        )
    if cases:
        case = cases[-1]
        messages.append(
            _raw(
                case.contact,
                f"Still broken — {case.number}",
                "I replied from my phone, sorry, the case number is in the subject.",
                now=now,
            )
        )
    messages.append(
        _raw(
            "Ravi Kumar <ravi.kumar@unknown-partner.example>",
            "Need help with our voicemail",
            "We are not registered yet; our voicemail system stopped answering.",
            now=now,
        )
    )
    messages.append(
        _raw(
            "Out of Office <tom.becker@northwind-partners.example>",
            "Automatic reply: case update",
            "I am out of the office until Monday.",
            now=now,
            Auto_Submitted="auto-replied",
        )
    )
    for i, raw in enumerate(messages):
        mail_receive(
            raw=raw,
            source="smtp",
            envelope_from="sender@mail.example",
            envelope_to="support@casedesk.invalid",
            now=now - dt.timedelta(minutes=40 - 10 * i),
        )


SURVEY_ANSWERS = (
    (5, True, "Quick and clear, thank you."),
    (4, True, ""),
    (5, True, "Engineer called back as promised."),
    (3, True, "Took a few days to get going."),
    (4, True, ""),
    (2, False, "Still waiting for the fix release."),
    (5, True, ""),
    (4, True, "Good follow-up."),
)


def _surveys(*, now: dt.datetime) -> None:
    closed = Case.objects.filter(status="closed", closed_at__isnull=False).order_by("-closed_at")
    answers = zip(closed[: len(SURVEY_ANSWERS)], SURVEY_ANSWERS, strict=False)
    for case, (score, solved, comment) in answers:
        invitation = survey_invitation(survey_token(case, now=now), now=now)
        survey_respond(invitation=invitation, score=score, solved=solved, comment=comment, now=now)
