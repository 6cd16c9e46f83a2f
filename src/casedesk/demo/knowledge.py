"""The demo knowledge base (F3, F4, T12): articles per product, a self-help tree per product,
a few written from solved cases, and suggestions shown while opening cases.

Built through ``knowledge.services`` (written by an engineer, published by another person),
so every article has a revision, a reviewer and a last-reviewed date, and the search index
fills itself. Some articles are internal; some are in Spanish and Portuguese.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.catalog.models import MajorVersion, Product
from casedesk.knowledge.models import Article, ArticleKind, Section
from casedesk.knowledge.services import (
    ArticleDraft,
    article_act,
    article_create,
    article_from_case,
    article_vote,
    component_create,
    suggestions_case_opened,
    suggestions_record,
)
from casedesk.policy.articles import ArticleAction

from .reference import Desk

# (title, symptom, cause, fix, tags) — "{p}" is the product's name, "{v}" its newest version.
BREAK_FIX = [
    (
        "{p} {v}: service stops after a certificate renewal",
        "After the yearly certificate renewal the {p} service starts and stops again within a "
        "minute; the log shows `PKIX path building failed`.",
        "The new certificate chain misses the intermediate certificate.",
        "Import the full chain (server, intermediate, root) into the keystore and restart.",
        ["certificates", "tls", "startup"],
    ),
    (
        "{p}: high CPU after upgrading to {v}",
        "CPU on the {p} host stays above 90 % after the upgrade to {v}, with no more traffic "
        "than before.",
        "Debug logging stays enabled by the upgrade script.",
        "Set the log level back to `INFO` in the admin console and restart the service.",
        ["performance", "upgrade", "logging"],
    ),
    (
        "{p}: database connection pool exhausted under load",
        "At peak hours {p} answers slowly and logs `Timeout waiting for idle object`.",
        "The default pool of 20 connections is too small above 400 concurrent sessions.",
        "Raise `db.pool.max` to 60 and check the database allows that many connections.",
        ["database", "performance"],
    ),
    (
        "{p}: clock drift breaks call detail records",
        "Call detail records from {p} have times a few minutes off and reports do not match.",
        "NTP is not configured on the host; the virtual machine clock drifts.",
        "Configure two NTP servers and enable the hypervisor's time sync only once.",
        ["ntp", "reports", "cdr"],
    ),
]
HOW_TO = [
    (
        "How to collect a full diagnostic bundle from {p}",
        "Run `diag-collect --all --since 24h` on each {p} node and attach the `.tar.gz` to the "
        "case. The bundle holds logs, configuration (passwords removed) and thread dumps.",
        ["diagnostics", "logs"],
    ),
    (
        "How to upgrade {p} to {v} without downtime",
        "Upgrade the standby node first, fail over, then upgrade the former active node. Check "
        "the compatibility matrix in the resource centre before you start.",
        ["upgrade", "high availability"],
    ),
]
INFO = (
    "{p} {v}: supported configurations",
    "| Component | Supported |\n|---|---|\n| Operating system | RHEL 8, RHEL 9 |\n"
    "| Database | PostgreSQL 14-16, Oracle 19c |\n| Virtualisation | VMware 7/8, KVM |\n",
    ["compatibility"],
)
SPANISH = (
    "{p}: el servicio no arranca después de renovar el certificado",
    "Importe la cadena completa de certificados (servidor, intermedio y raíz) en el "
    "almacén de claves y reinicie el servicio de {p}.",
    ["certificados"],
)
PORTUGUESE = (
    "{p}: alto uso de CPU após a atualização para {v}",
    "Volte o nível de log para `INFO` no console de administração e reinicie o serviço do {p}.",
    ["desempenho"],
)

COMPONENTS = {
    "Server and services": "The processes on the {p} host, how they start and talk to each other.",
    "Integrations": "Links from {p} to the database, directory (LDAP) and the other products.",
}
SELF_HELP = {
    Section.OVERVIEW: (
        "How the {c} fit together",
        "A short map of the {c} of {p}: which "
        "process owns what, which ports they use, and where they log.",
    ),
    Section.PROBLEM: (
        "{c}: the five most common problems",
        "1. Service does not start — "
        "check the certificate chain.\n2. Slow answers — check the pool size.\n"
        "3. Wrong times — check NTP.\n4. Login fails — check LDAP bind user.\n"
        "5. Disk full — check log rotation.",
    ),
    Section.COLLECT: (
        "{c}: what to collect before you open a case",
        "- The exact version "
        "and patch\n- The time of the problem (with time zone)\n- A diagnostic "
        "bundle (`diag-collect --all`)\n- What changed recently",
    ),
    Section.TROUBLESHOOT: (
        "{c}: troubleshooting step by step",
        "Check the service state, "
        "then the last 200 log lines, then the connections to the "
        "database and directory. Each step says what a good answer is.",
    ),
}


@dataclass
class _Writer:
    """Writes one product's articles: an engineer drafts and submits, the manager publishes."""

    desk: Desk
    now: dt.datetime
    product: Product
    newest: MajorVersion | None
    counter: int = 0

    def add(self, title: str, body: str, tags: list[str], **fields: object) -> Article:
        authors = [self.desk.people[k] for k in ("elena", "jake", "sofia", "lucas", "haruto")]
        self.counter += 1
        n = self.counter + self.product.pk * 17
        author, reviewer = authors[n % len(authors)], self.desk.people["martin"]
        when = self.now - dt.timedelta(days=(n * 7) % 300 + 2, hours=n % 9)
        fmt = {"p": self.product.name, "v": self.newest.name if self.newest else ""}
        fmt["c"] = str(fields.pop("component_name", ""))
        draft = ArticleDraft(
            title=title.format(**fmt),
            body=body.format(**fmt),
            product_id=self.product.pk,
            version_ids=[self.newest.pk] if self.newest else [],
            tags=tags,
            **fields,  # type: ignore[arg-type]
        )
        article = article_create(actor=author, draft=draft, now=when)
        article = _step(author, article, ArticleAction.SUBMIT, when)
        return _step(reviewer, article, ArticleAction.PUBLISH, when + dt.timedelta(hours=3))


def _step(actor: User, article: Article, action: ArticleAction, when: dt.datetime) -> Article:
    return article_act(actor=actor, article=article, action=action, version=article.version,
                       now=when)  # fmt: skip


def seed_knowledge(desk: Desk, *, now: dt.datetime) -> None:
    for key, product in desk.products.items():
        versions = [v for (k, _), v in desk.versions.items() if k == key]
        writer = _Writer(desk, now, product, versions[-1] if versions else None)
        for i, (title, symptom, cause, fix, tags) in enumerate(BREAK_FIX):
            body = f"## Symptom\n\n{symptom}\n\n## Cause\n\n{cause}\n\n"
            body += f"## Resolution\n\n{fix}\n"
            internal = i == 3 and len(key) % 2 == 1
            visibility = "internal" if internal else "public" if i == 0 else "customers"
            writer.add(title, body, tags, kind=ArticleKind.BREAK_FIX, visibility=visibility)
        for title, body, tags in HOW_TO:
            writer.add(title, body, tags, kind=ArticleKind.HOW_TO, visibility="customers")
        writer.add(*INFO, kind=ArticleKind.PRODUCT_INFO, visibility="public")
        if key in ("dialer", "ivr", "acd", "voicemail"):
            writer.add(*SPANISH, kind=ArticleKind.HOW_TO, language="es", visibility="public")
            writer.add(*PORTUGUESE, kind=ArticleKind.BREAK_FIX, language="pt", visibility="public")
        for position, (name, summary) in enumerate(COMPONENTS.items()):
            component = component_create(
                actor=desk.people["martin"], product_id=product.pk, name=name,
                summary=summary.format(p=product.name), position=position,
            )  # fmt: skip
            for order, (section, (title, body)) in enumerate(SELF_HELP.items()):
                writer.add(
                    title, body, ["self help"], kind=ArticleKind.SELF_HELP, visibility="public",
                    component_id=component.pk, section=section, position=order,
                    component_name=name,
                )  # fmt: skip
    _from_cases(desk, now=now)
    _votes_and_suggestions(now=now)


def _from_cases(desk: Desk, *, now: dt.datetime) -> None:
    """Three closed cases written up as articles; the first published, the others drafts."""
    closed = list(Case.objects.filter(status="closed").exclude(outcome="").order_by("id")[:3])
    for i, case in enumerate(closed):
        article = article_from_case(actor=desk.people["elena"], case=case, now=now)
        if i == 0:
            article = _step(desk.people["elena"], article, ArticleAction.SUBMIT, now)
            _step(desk.people["martin"], article, ArticleAction.PUBLISH, now)


def _votes_and_suggestions(*, now: dt.datetime) -> None:
    contacts = list(User.objects.filter(role="contact", is_active=True).order_by("id")[:8])
    articles = list(
        Article.objects.filter(state="published", visibility="public", kind="break_fix").order_by(
            "id"
        )[:6]
    )
    for i, contact in enumerate(contacts):
        for j, article in enumerate(articles):
            if (i + j) % 3 == 0:
                article_vote(reader=contact, article=article, helpful=(i + j) % 4 != 0, now=now)
            token = f"demo{i:02d}{j:02d}"
            suggestions_record(contact=contact, token=token, article_ids=[article.pk],
                               now=now - dt.timedelta(days=i + j))  # fmt: skip
            case = Case.objects.filter(contact=contact).order_by("id").first()
            if case is not None and (i * j) % 4 == 1:
                suggestions_case_opened(contact=contact, token=token, case=case)
