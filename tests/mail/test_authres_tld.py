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


def test_a_public_suffix_below_the_top_level_never_aligns():
    # R: E2, rule 1 — d=co.uk is a public suffix: it must not vouch for bank.co.uk, nor
    # a shared-hosting suffix for its tenants; the registrable parent still aligns.
    from casedesk.mail.authres import _aligned

    assert not _aligned("co.uk", "bank.co.uk")
    assert not _aligned("com.br", "mail.empresa.com.br")
    assert not _aligned("github.io", "victim.github.io")
    assert _aligned("bank.co.uk", "mail.bank.co.uk")
    assert _aligned("empresa.com.br", "suporte.empresa.com.br")
    assert _aligned("BANK.CO.UK.", "bank.co.uk")
