"""DKIM/SPF alignment stops at a label boundary (security rule 1; issue 16).

Issue 16 planted "alignment without the label boundary": ``evilacme.example`` then
aligns with ``acme.example`` and anyone who registers such a domain passes as acme.
"""

from __future__ import annotations

import pytest

from casedesk.mail.authres import check_sender_authentication

TRUSTED = "mx.casedesk.test"
DKIM = "DKIM pass for the From domain."
SPF = "SPF pass for the From domain."
DMARC = "DMARC pass for the From domain."
NEITHER = "Neither DMARC, aligned DKIM nor aligned SPF passed."


def verdict(results: str, sender: str = "alice@acme.example", trusted: str = TRUSTED):
    return check_sender_authentication(
        [f"{TRUSTED}; {results}"], from_address=sender, trusted_authserv_id=trusted
    )


@pytest.mark.parametrize(
    "results",
    [
        "dkim=pass header.d=evilacme.example",
        "spf=pass smtp.mailfrom=bounce@evilacme.example",
        "dkim=pass header.d=cme.example",
        "spf=pass smtp.mailfrom=evil.example",
        "dkim=pass header.d=mail.acme.example",  # a child does not vouch for its parent
        "dkim=pass",
        "spf=pass",
        "dkim=pass header.d=.",
    ],
)
def test_unaligned_passes_do_not_authenticate(results):
    result = verdict(results)
    assert result.passed is False
    assert result.reason == "Neither DMARC, aligned DKIM nor aligned SPF passed."


@pytest.mark.parametrize(
    ("results", "sender", "reason"),
    [
        ("dkim=pass header.d=acme.example", "alice@acme.example", DKIM),
        ("dkim=pass header.d=ACME.Example.", "alice@Mail.Acme.Example", DKIM),
        ("dkim=pass header.d=acme.example", "alice@acme.example.", DKIM),
        ("spf=pass smtp.mailfrom=bounce@acme.example", "alice@eu.acme.example", SPF),
        ("SPF=PASS smtp.mailfrom=acme.example", "alice@acme.example", SPF),
        ("dmarc=pass header.from=Acme.Example", "alice@acme.example.", DMARC),
        ("dmarc=pass header.from=acme.example.", "alice@acme.example", DMARC),
        # A comment is white space (RFC 5322 CFWS), even without blanks around it.
        ("dkim=pass(good signature)header.d=acme.example", "alice@acme.example", DKIM),
    ],
)
def test_aligned_passes_authenticate(results, sender, reason):
    result = verdict(results, sender)
    assert (result.passed, result.reason) == (True, reason)


@pytest.mark.parametrize(
    "results", ["dkim=pass header.d=acme.example", "spf=pass smtp.mailfrom=bounce@acme.example"]
)
def test_a_lookalike_from_domain_does_not_align_with_the_real_one(results):
    # Issue 16's planted bug, as stated: From ``evilacme.example`` "aligned" with a pass
    # for ``acme.example`` because the suffix matched without the dot.
    assert not verdict(results, sender="mallory@evilacme.example").passed
    assert verdict(results, sender="alice@acme.example").passed


@pytest.mark.parametrize(
    "results",
    [
        "dmarc=pass header.from=evil.example",
        "dmarc=pass",
        "dkim=pass header.d=Xacme.example",  # only quotes are stripped from a value
        "dkim=pass header.d=evil.example",
        # Comment text is never a property, however the comment is nested or spaced.
        "dkim=pass header.d=evil.example (x header.d=acme.example )",
        "dkim=pass header.d=evil.example (outer (inner) header.d=acme.example )",
    ],
)
def test_passes_for_other_domains_do_not_authenticate(results):
    result = verdict(results)
    assert (result.passed, result.reason) == (False, NEITHER)


def test_the_domain_is_after_the_last_at_sign():
    # A quoted local part may hold "@": the From domain is what follows the last one.
    assert verdict("dkim=pass header.d=acme.example", '"x@evil.example"@acme.example').passed
    assert not verdict("dkim=pass header.d=acme.example", '"x@acme.example"@evil.example').passed


@pytest.mark.parametrize(
    ("results", "reason"),
    [
        ("dmarc=pass header.from=evil.example; dkim=pass header.d=acme.example", DKIM),
        ("dmarc=pass; spf=pass smtp.mailfrom=a@acme.example", SPF),
        ("arc; dkim=pass header.d=acme.example", DKIM),  # a result without "=" is skipped
        ("none; dmarc=pass header.from=acme.example", DMARC),
    ],
)
def test_later_results_count_after_one_that_does_not(results, reason):
    assert (verdict(results).passed, verdict(results).reason) == (True, reason)


def test_only_a_pass_counts():
    for result in ("fail", "softfail", "neutral", "none", "temperror"):
        assert not verdict(f"dkim={result} header.d=acme.example").passed
        assert not verdict(f"spf={result} smtp.mailfrom=a@acme.example").passed
        assert not verdict(f"dmarc={result} header.from=acme.example").passed


def test_a_later_pass_after_failures_counts():
    result = verdict(
        "dmarc=fail header.from=acme.example; dkim=pass header.d=evil.example; "
        "spf=pass smtp.mailfrom=a@acme.example"
    )
    assert (result.passed, result.reason) == (True, "SPF pass for the From domain.")


def test_properties_in_comments_and_quotes():
    # RFC 8601: comments are not properties; quoted values are values.
    assert not verdict("dkim=pass (header.d=acme.example) header.d=evil.example").passed
    assert verdict('dkim=pass header.d="acme.example"').passed
    assert verdict("dkim = pass (good sig) header.d = acme.example").passed


def test_only_the_topmost_header_from_our_server_counts():
    own = f"{TRUSTED}; dkim=pass header.d=acme.example"
    forged = "mx.evil.example; dkim=pass header.d=acme.example"
    result = check_sender_authentication(
        [forged, own], from_address="alice@acme.example", trusted_authserv_id=TRUSTED
    )
    assert result.passed is False
    assert result.reason == (
        "The topmost Authentication-Results is not from our mail server (mx.evil.example)."
    )
    ok = check_sender_authentication(
        ["MX.Casedesk.Test (our MTA) ; dkim=pass header.d=acme.example", forged],
        from_address="alice@acme.example",
        trusted_authserv_id="mx.casedesk.TEST",
    )
    assert ok.passed


def test_no_header_or_empty_authserv_id():
    missing = check_sender_authentication(
        [], from_address="alice@acme.example", trusted_authserv_id=TRUSTED
    )
    assert (missing.passed, missing.reason) == (
        False,
        "No Authentication-Results header from our mail server.",
    )
    empty = check_sender_authentication(
        [" ; dkim=pass header.d=acme.example"],
        from_address="alice@acme.example",
        trusted_authserv_id=TRUSTED,
    )
    assert empty.reason == "The topmost Authentication-Results is not from our mail server ()."


ANY_HEADERS = [
    [],
    [f"{TRUSTED}; dmarc=pass header.from=acme.example"],
    ["mx.elsewhere.example; dkim=pass header.d=acme.example"],
    [f"{TRUSTED}; dkim=fail header.d=acme.example"],
]


@pytest.mark.parametrize("headers", ANY_HEADERS)
def test_without_a_trusted_authserv_id_nothing_passes(headers):
    # Issue 15 item 2: sender authentication is mandatory by default.
    result = check_sender_authentication(
        headers, from_address="alice@acme.example", trusted_authserv_id=""
    )
    assert (result.passed, result.reason, result.configured) == (
        False,
        "Sender not authenticated: no trusted authserv-id is configured "
        "(CASEDESK_MAIL_TRUSTED_AUTHSERV_ID), so no reply can prove its From address.",
        False,
    )


@pytest.mark.parametrize("headers", ANY_HEADERS)
def test_the_explicit_opt_out_lets_everything_pass(headers):
    result = check_sender_authentication(
        headers,
        from_address="alice@acme.example",
        trusted_authserv_id="",
        trust_unauthenticated=True,
    )
    assert (result.passed, result.reason, result.configured) == (
        True,
        "Sender authentication is off (CASEDESK_MAIL_TRUST_UNAUTHENTICATED).",
        False,
    )
