"""Mail text, headers and links for case notifications (E1; rule 5).

Subjects read ``[CS-000123] Solution proposed: Dialer stops [CDR123-1ABC…]``: the case
number for people, the reference ID for the inbound-mail path (E2). Every message of a
case points ``In-Reply-To``/``References`` at one thread root per case, so mail clients
group them. Bodies are Django templates: the HTML ones autoescape everything, the text
ones switch escaping off (plain text has nothing to escape).

Rendering happens in the send pump, just before a message goes out (ADR 0004), from the
immutable event, the case's own fields as they were at the event (``case_facts``, kept
on the outbox row) and the case's related names (contact, assignee, organisation) as
they are at send time.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from casedesk.cases.models import Case
from casedesk.mail.domain import mail_domain
from casedesk.mail.reference import reference_token
from casedesk.sla.selectors import policy

# The subject line of each kind, before the case subject.
SUBJECTS: dict[str, str] = {
    "opened": "Case opened",
    "reply": "New reply",
    "info_requested": "Information needed",
    "solution_proposed": "Solution proposed",
    "followup": "Reminder",
    "final_notice": "Case closed (no response)",
    "closed": "Case closed",
    "reopened": "Case re-opened",
    "customer_update": "Customer update",
    "escalation": "Escalation",
    "escalation_outcome": "Escalation outcome",
    "milestone_warning": "SLA target approaching",
    "milestone_breach": "SLA target breached",
    "new_case": "New case",
    "urgent_case": "URGENT new case",
    "unassigned": "Still unassigned",
}
KINDS = tuple(SUBJECTS)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def one_line(text: str) -> str:
    """Header-safe: no line breaks (header injection), runs of white space collapsed."""
    return " ".join(str(text).split())


def thread_root(case: Case) -> str:
    """The case's stable thread id; a slice of its reference signature keeps it unguessable."""
    token = reference_token(case.pk, case.organisation_id)
    return f"<case-{case.pk}.{token.signature[:10].lower()}@{mail_domain()}>"


def new_message_id(kind: str) -> str:
    return f"<{uuid.uuid4().hex}.{kind.replace('_', '-')}@{mail_domain()}>"


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def case_link(case: Case, *, staff: bool) -> str:
    return site_link(f"/console/cases/{case.number}/" if staff else f"/cases/{case.number}/")


# The case's own columns the mails show, recorded on the outbox row at event time so a
# later change (status, priority, subject) does not rewrite what the event reported.
CASE_FACTS = ("subject", "status", "sub_status", "priority", "production_down")


def case_facts(case: Case) -> dict[str, Any]:
    return {name: getattr(case, name) for name in CASE_FACTS}


def as_of_event(case: Case, facts: dict[str, Any]) -> Case:
    """An unsaved copy of ``case`` showing its own fields as recorded at the event."""
    snapshot = copy.copy(case)
    for name in CASE_FACTS:
        if name in facts:
            setattr(snapshot, name, facts[name])
    return snapshot


def render_mail(kind: str, *, case: Case, staff: bool, extra: dict[str, Any]) -> Rendered:
    """Subject, text and HTML of one notification."""
    token = str(reference_token(case.pk, case.organisation_id))
    context = {
        "case": case,
        "number": case.number,
        "case_subject": one_line(case.subject),
        "reference": token,
        "url": case_link(case, staff=staff),
        "staff": staff,
        # The case's own policy, never a constant (C1, issue 11 item 6).
        "reopen_days": policy(case.policy_version).reopen_window_days,
        **extra,
    }
    subject = f"[{case.number}] {SUBJECTS[kind]}: {one_line(case.subject)}"
    if len(subject) > 300:
        subject = subject[:299] + "…"
    return Rendered(
        subject=f"{subject} [{token}]",
        text=render_to_string(f"notifications/{kind}.txt", context),
        html=render_to_string(f"notifications/{kind}.html", context),
    )
