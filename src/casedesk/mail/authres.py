"""Sender authentication from ``Authentication-Results`` (RFC 8601; security rule 1).

Only the TOPMOST header counts, and only when it carries our own MTA's authserv-id
(``CASEDESK_MAIL_TRUSTED_AUTHSERV_ID``): every header below it was written by someone
else, possibly the attacker. A sender passes with ``dmarc=pass`` whose ``header.from``
is the From domain casedesk parsed, or ``dkim=pass`` whose
``header.d`` is the From domain (or a parent of it), or ``spf=pass`` whose
``smtp.mailfrom`` domain is aligned the same way — an SPF pass for the attacker's own
envelope domain proves nothing about the From address. With no authserv-id configured
no sender is authenticated (issue 15, item 2: replies wait for care), unless the site
explicitly opted out (``CASEDESK_MAIL_TRUST_UNAUTHENTICATED``: unsafe, every From believed).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_METHOD = re.compile(r"^\s*([a-z0-9_-]+)\s*=\s*([a-z0-9_-]+)(.*)$", re.IGNORECASE | re.DOTALL)
_PROP = re.compile(
    r"([a-z0-9_-]{1,64}\.[a-z0-9_.-]{1,64})\s*=\s*(\"[^\"]*\"|[^\s;]+)", re.IGNORECASE
)
HEADER_MAX = 64 * 1024  # far above any real Authentication-Results


def _strip_comments(text: str) -> str:
    """RFC 5322 comments, nested ones too, in one pass (a loop of regex passes was n²)."""
    out: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if not depth:
                out.append(" ")
        elif not depth:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class AuthVerdict:
    passed: bool
    reason: str
    configured: bool = True  # False: no authserv-id, so nothing could be checked


NOT_CONFIGURED = (
    "Sender not authenticated: no trusted authserv-id is configured "
    "(CASEDESK_MAIL_TRUSTED_AUTHSERV_ID), so no reply can prove its From address."
)


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment: the same domain, or a parent of it — but never a public suffix
    (``d=co.uk`` or ``d=example`` would otherwise vouch for every sender beneath it). The
    suffixes come from the Public Suffix List bundled with ``publicsuffixlist``, whose
    default rule also makes every unknown top-level domain a suffix."""
    domain, from_domain = domain.lower().strip("."), from_domain.lower().strip(".")
    if not domain:
        return False
    if from_domain == domain:
        return True
    return from_domain.endswith("." + domain) and not _public_suffixes().is_public(domain)


@functools.cache
def _public_suffixes():
    """Loaded on first use: web workers never check mail and need not hold the list."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def _results(value: str) -> tuple[str, list[tuple[str, str, dict[str, str]]]]:
    text = _strip_comments(value[:HEADER_MAX])
    authserv, _, rest = text.partition(";")
    authserv_id = authserv.strip().split()[0].lower() if authserv.strip() else ""
    results = []
    for chunk in rest.split(";"):
        match = _METHOD.match(chunk)
        if not match:
            continue
        props = {k.lower(): v.strip('"') for k, v in _PROP.findall(match[3])}
        results.append((match[1].lower(), match[2].lower(), props))
    return authserv_id, results


def check_sender_authentication(
    auth_results: list[str],
    *,
    from_address: str,
    trusted_authserv_id: str,
    trust_unauthenticated: bool = False,
) -> AuthVerdict:
    """Pass or fail, with the reason care sees on a held message."""
    if not trusted_authserv_id:
        if trust_unauthenticated:
            return AuthVerdict(
                True, "Sender authentication is off (CASEDESK_MAIL_TRUST_UNAUTHENTICATED).", False
            )
        return AuthVerdict(False, NOT_CONFIGURED, False)
    if not auth_results:
        return AuthVerdict(False, "No Authentication-Results header from our mail server.")
    authserv_id, results = _results(auth_results[0])
    if authserv_id != trusted_authserv_id.lower():
        return AuthVerdict(
            False,
            f"The topmost Authentication-Results is not from our mail server ({authserv_id}).",
        )
    from_domain = from_address.rpartition("@")[2]
    for method, result, props in results:
        if result != "pass":
            continue
        if method == "dmarc":
            # Security fix "dmarc pass for another domain": the pass must be for OUR From.
            header_from = props.get("header.from", "").lower().strip(".")
            if header_from and header_from == from_domain.lower().strip("."):
                return AuthVerdict(True, "DMARC pass for the From domain.")
            continue
        if method == "dkim" and _aligned(props.get("header.d", ""), from_domain):
            return AuthVerdict(True, "DKIM pass for the From domain.")
        if method == "spf":
            mailfrom = props.get("smtp.mailfrom", "")
            if _aligned(mailfrom.rpartition("@")[2], from_domain):
                return AuthVerdict(True, "SPF pass for the From domain.")
    return AuthVerdict(False, "Neither DMARC, aligned DKIM nor aligned SPF passed.")
