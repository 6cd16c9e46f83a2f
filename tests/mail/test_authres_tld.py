"""Relaxed DMARC alignment never stops at a bare top-level domain (E2, security rule 1)."""


def test_a_bare_top_level_domain_never_aligns():
    # R: E2, rule 1 — d=example must not vouch for alice@acme.example (relaxed alignment
    # stops at a registrable parent; a TLD is none).
    from casedesk.mail.authres import _aligned

    assert not _aligned("example", "acme.example")
    assert not _aligned("com", "victim.com")
    assert _aligned("acme.example", "mail.acme.example")
    assert _aligned("acme.example", "acme.example")
    assert not _aligned("evilacme.example", "acme.example")
