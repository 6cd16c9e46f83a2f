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

import functools
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import Context, engines
from django.template.base import Template

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


def as_of_event(case: Case, facts: dict[str, Any]) -> CaseView:
    """``case`` showing its own fields as recorded at the event (nothing is copied)."""
    return CaseView(case, {name: facts[name] for name in CASE_FACTS if name in facts})


_BLOCK = re.compile(r"{% block (\w+) %}(.*?){% endblock(?: \w+)? %}", re.S)
_EXTENDS = re.compile(r'^{% extends "([^"]+)" %}')


def _flatten(source: str, load: Any) -> str | None:
    """A child template's source with its blocks written into its parent's, or None when
    the template is not that simple shape (one level of ``extends``, flat blocks)."""
    match = _EXTENDS.match(source)
    if match is None or "block.super" in source or "{% load" in source:
        return None
    blocks = {name: body for name, body in _BLOCK.findall(source)}
    if "{% block" in "".join(blocks.values()):
        return None  # nested blocks
    parent = load(match[1]).source
    if _EXTENDS.match(parent) or "{% load" in parent:
        return None
    return _BLOCK.sub(lambda b: blocks.get(b[1], b[2]), parent)


@functools.cache
def compiled(name: str) -> Template:
    """The template ``name``, compiled once per process; a child of ``_base`` is compiled
    with its blocks written into the parent (Django's ``extends`` walks both templates'
    nodes on every render, a quarter of a mail's rendering time)."""
    engine = engines["django"].engine  # type: ignore[attr-defined]

    def load(template_name: str) -> Any:
        return engine.get_template(template_name)

    original = load(name)
    flat = _flatten(original.source, load)
    return original if flat is None else engine.from_string(flat)


@functools.cache
def _choices(field: str) -> dict[Any, str]:
    return {value: str(label) for value, label in Case._meta.get_field(field).flatchoices}


DISPLAYED = ("status", "sub_status", "priority", "region")


class CaseView(dict):  # type: ignore[type-arg]
    """The case as the mail templates see it, optionally with its own fields as recorded
    at the event (``facts``).

    A dict, because the template engine tries ``case[name]`` before ``getattr`` and a
    failed subscript costs an exception per variable; display labels are looked up in a
    dict made once (``get_FOO_display`` rebuilds a hashable copy of the choices on every
    call); everything else comes straight from the case (``__missing__``). Attribute
    access works too, so Python code treats it like the case.
    """

    def __init__(self, case: Case, facts: dict[str, Any] | None = None) -> None:
        super().__init__(facts or {})
        self.case = case
        for field in DISPLAYED:
            value = self[field]
            self[f"get_{field}_display"] = _choices(field).get(value, value)

    def __missing__(self, key: str) -> Any:
        return getattr(self.case, key)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self[name]


def render_mail(
    kind: str, *, case: Case | CaseView, staff: bool, extra: dict[str, Any]
) -> Rendered:
    """Subject, text and HTML of one notification."""
    if not isinstance(case, CaseView):
        case = CaseView(case)
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
        text=compiled(f"notifications/{kind}.txt").render(Context(context)),
        html=compiled(f"notifications/{kind}.html").render(Context(context)),
    )
