"""Decisions over a parsed message: automatic mail, and which case a reply may join.

Pure functions over ``ParsedMail`` plus read-only lookups; ``mail.services`` acts on
the outcome. A reference ID routes a reply; it never proves who sent it (rule 1): the
sender must be a participant of that case and pass the sender-authentication policy.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from django.conf import settings

from casedesk.accounts.models import User
from casedesk.cases.models import CASE_NUMBER_PREFIX, Case
from casedesk.cases.permissions import is_participant
from casedesk.mail.domain import mail_domain
from casedesk.notifications.models import OutboundMessage
from casedesk.notifications.rendering import thread_root

from .authres import AuthVerdict, check_sender_authentication
from .parsing import ParsedMail
from .quoting import SPLIT_MAX
from .reference import ReferenceToken, find_reference_tokens, reference_valid
from .sanitise import html_to_text

BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon"}
CASE_NUMBER_RE = re.compile(rf"\b{re.escape(CASE_NUMBER_PREFIX)}\d{{3,12}}\b", re.IGNORECASE)
THREAD_ROOT_RE = re.compile(r"case-(\d{1,12})\.[a-z2-7]{10}@.+")


def sender_verdict(auth_results: list[str], from_address: str) -> AuthVerdict:
    """The site's sender-authentication policy applied to a message (rule 1, item 2)."""
    return check_sender_authentication(
        auth_results,
        from_address=from_address,
        trusted_authserv_id=getattr(settings, "MAIL_TRUSTED_AUTHSERV_ID", "") or "",
        trust_unauthenticated=bool(getattr(settings, "MAIL_TRUST_UNAUTHENTICATED", False)),
    )


def threaded_case_ids(parsed: ParsedMail) -> set[int]:
    """Cases whose notifications this mail answers: ``In-Reply-To``/``References`` naming
    one of our outbox Message-IDs, or a case's signed thread root (issue 15, item 6: Outlook
    strips the subject token). Only ids on our own mail domain are looked up."""
    domain = mail_domain()
    ours = [i for i in parsed.references if i.lower().endswith("@" + domain)][:50]
    if not ours:
        return set()
    found = set(
        OutboundMessage.objects.filter(
            message_id__in=[f"<{i}>" for i in ours], case__isnull=False
        ).values_list("case_id", flat=True)
    )
    roots = {int(m[1]): i for i in ours if (m := THREAD_ROOT_RE.fullmatch(i.lower()))}
    for case in Case.objects.filter(pk__in=list(roots)):
        if hmac.compare_digest(f"<{roots[case.pk].lower()}>", thread_root(case).lower()):
            found.add(case.pk)
    return found


@dataclass(frozen=True)
class Outcome:
    """``code``/``reason`` for care or the log; ``case`` and ``sender`` when it may append."""

    code: str
    reason: str
    case: Case | None = None
    sender: User | None = None

    @property
    def appends(self) -> bool:
        return self.case is not None and self.sender is not None


def automatic_mail(parsed: ParsedMail, envelope_from: str | None) -> Outcome | None:
    """Auto-replies, bulk mail, bounces and our own mail coming back: never a case update."""
    auto = parsed.auto_submitted.split(";")[0].strip()
    if auto and auto != "no":
        return Outcome("auto_submitted", f"Automatic message (Auto-Submitted: {auto}).")
    if parsed.autoreply_header:
        return Outcome("auto_submitted", "Automatic reply (X-Autoreply/X-Autorespond).")
    if parsed.precedence in {"bulk", "junk", "list"}:
        return Outcome("bulk", f"Bulk or list mail (Precedence: {parsed.precedence}).")
    if envelope_from == "" or parsed.return_path == "":
        return Outcome("null_sender", "Empty envelope sender (<>): a bounce or automatic notice.")
    if parsed.content_type == "multipart/report":
        return Outcome("bounce", "A delivery or read report (multipart/report).")
    local = parsed.from_addresses[0][1].partition("@")[0] if parsed.from_addresses else ""
    if local in BOUNCE_SENDERS:
        return Outcome("bounce", f"A message from {local}: a bounce.")
    domain = mail_domain()
    if domain and parsed.message_id.lower().endswith("@" + domain):
        return Outcome("own_message", "Our own outbound message came back (mail loop).")
    return None


def _care(code: str, reason: str, case: Case | None = None) -> Outcome:
    return Outcome(code, reason, case=case)


@dataclass(frozen=True)
class Known:
    """Rows a batch of mail read in one query each (issue 17, item 2), so routing does not
    ask per message: the cases its reference IDs name (all of them, locked in id order),
    and the active users by lower-cased address (None: no such user)."""

    cases: dict[int, Case]
    users: dict[str, User | None]


def reply_address(parsed: ParsedMail) -> str:
    """The one clean From address, or "" (then the mail waits for care)."""
    if len(parsed.from_addresses) != 1:
        return ""
    return parsed.from_addresses[0][1] or ""


def reply_tokens(parsed: ParsedMail, text: str) -> list[ReferenceToken]:
    """The reference IDs in the subject and the new text (the HTML's when there is none)."""
    searchable = "\n".join(
        (parsed.subject, text, html_to_text(parsed.html[:SPLIT_MAX]) if not text else "")
    )
    return find_reference_tokens(searchable)


def route_reply(
    parsed: ParsedMail,
    text: str,
    *,
    tokens: list[ReferenceToken] | None = None,
    known: Known | None = None,
) -> Outcome:
    """The case a reply joins and who wrote it, or why it waits for care (E2, E3, rule 1).
    ``tokens`` (``reply_tokens``) and ``known`` when a batch has read them already."""
    if not reply_address(parsed):
        shown = next((v for n, v in parsed.headers if n.lower() == "from"), "")[:300]
        return _care(
            "sender_unclear",
            "The From header does not name exactly one clean sender address (malformed, "
            f"or forged to look like another address): “{shown}”. Treated as unauthenticated.",
        )
    address = parsed.from_addresses[0][1]
    if tokens is None:
        tokens = reply_tokens(parsed, text)
    if not tokens:
        threaded = threaded_case_ids(parsed)
        if len(threaded) > 1:
            return _care("several_references", "A reply to mail of several cases; which one?")
        if threaded:
            case = Case.objects.get(pk=threaded.pop())
            return _sender_checks(parsed, address, case, " (threaded by In-Reply-To)", known)
        number = CASE_NUMBER_RE.search(parsed.subject) or CASE_NUMBER_RE.search(text)
        if number:
            return _care(
                "no_reference",
                f"Names case {number[0].upper()} but carries no reference ID; a case number "
                "alone never links mail (E3).",
            )
        return _care("no_reference", "No reference ID: a new e-mail (E3).")
    if known is not None:  # read for every token of the batch
        cases = {t.case_id: known.cases[t.case_id] for t in tokens if t.case_id in known.cases}
    else:
        cases = {c.pk: c for c in Case.objects.filter(pk__in=[t.case_id for t in tokens])}
    valid = {
        t.case_id: cases[t.case_id]
        for t in tokens
        if t.case_id in cases and reference_valid(t, cases[t.case_id].organisation_id)
    }
    if not valid:
        return _care("bad_reference", "The reference ID is not valid (edited or forged).")
    if len(valid) > 1:
        return _care("several_references", "Reference IDs of several cases; which one is meant?")
    return _sender_checks(parsed, address, next(iter(valid.values())), "", known)


def _sender_checks(
    parsed: ParsedMail, address: str, case: Case, via: str = "", known: Known | None = None
) -> Outcome:
    """The sender must be an active participant of ``case`` who passes authentication."""
    if known is not None and address.lower() in known.users:
        sender = known.users[address.lower()]
    else:
        sender = User.objects.filter(email__iexact=address, is_active=True).first()
    if sender is None:
        return _care("unknown_sender", f"{address} is not a registered, active user.", case)
    if not is_participant(sender, case):
        return _care("not_participant", f"{address} is not a participant of {case.number}.", case)
    verdict = sender_verdict(parsed.auth_results, address)
    if not verdict.passed and not verdict.configured:
        return _care("not_authenticated", verdict.reason, case)
    if not verdict.passed:
        return _care("auth_failed", f"Sender authentication failed: {verdict.reason}", case)
    if case.is_closed:
        return _care(
            "case_closed", f"{case.number} is closed; a reply does not re-open it (B7).", case
        )
    return Outcome("appended", f"Appended to {case.number}{via}.", case=case, sender=sender)
