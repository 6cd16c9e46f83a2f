"""Every write to the knowledge base, one transaction each (F3, F4, T12).

Writers take ``now`` (one clock). An article's text is rendered and sanitised here, once,
and a revision row is kept for every save; its state moves only by ``article_act`` along
``policy.articles``. The search index follows the rows by itself (database triggers or
generated columns, ``search`` migrations), so no writer can forget it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F

from casedesk.accounts.models import User
from casedesk.core.errors import NotPermitted, PolicyViolation, StaleObject
from casedesk.policy.articles import (
    EDITABLE,
    ArticleAction,
    ArticleState,
    Visibility,
    check_article_action,
)

from .markdown import render_html, render_text
from .models import (
    Article,
    ArticleComment,
    ArticleEvent,
    ArticleFile,
    ArticleKind,
    ArticleRevision,
    ArticleVote,
    Component,
    Section,
    SolvedCase,
    Suggestion,
    Tag,
)

if TYPE_CHECKING:
    from casedesk.cases.models import Case

TITLE_MAX = 200
BODY_MAX = 100_000
COMMENT_MAX = 4_000
TAGS_MAX = 12
FILE_MAX_BYTES = 20 * 1024 * 1024
# Shown inline in article bodies; anything else (SVG included: it can carry script) is an
# attachment, always served as a download.
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


@dataclass
class ArticleDraft:
    """What a writer sets on an article; checked by ``_check`` before anything is stored."""

    title: str
    body: str
    kind: str = ArticleKind.BREAK_FIX
    visibility: str = Visibility.CUSTOMERS
    language: str = "en"
    product_id: int | None = None
    version_ids: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    component_id: int | None = None
    section: str = ""
    position: int = 0


def _require_staff(actor: User) -> None:
    if not (actor.is_active and actor.is_support):
        raise NotPermitted("Only support staff write articles.")


def _check(draft: ArticleDraft) -> list[str]:
    title = draft.title.strip()
    if not title:
        raise PolicyViolation("An article needs a title.", field="title")
    if len(title) > TITLE_MAX or len(draft.body) > BODY_MAX:
        raise PolicyViolation("The title or body is too long.", field="body")
    if draft.kind not in ArticleKind.values:
        raise PolicyViolation("Unknown article kind.", field="kind")
    if draft.visibility not in Visibility.__members__.values():
        raise PolicyViolation("Unknown visibility.", field="visibility")
    if draft.kind == ArticleKind.SELF_HELP:
        if draft.component_id is None or draft.section not in Section.values:
            raise PolicyViolation(
                "A self-help page belongs to a component and a section.", field="component"
            )
        component = Component.objects.filter(pk=draft.component_id).first()
        if component is None or component.product_id != draft.product_id:
            raise PolicyViolation(
                "The component must belong to the article's product.", field="component"
            )
    tags = sorted({t.strip().lower()[:40] for t in draft.tags if t.strip()})
    if len(tags) > TAGS_MAX:
        raise PolicyViolation(f"At most {TAGS_MAX} tags.", field="tags")
    return tags


def _apply(article: Article, draft: ArticleDraft, tags: list[str]) -> None:
    article.title = draft.title.strip()
    article.body = draft.body
    article.body_html = render_html(draft.body)
    article.body_text = render_text(draft.body)
    article.kind = draft.kind
    article.visibility = draft.visibility
    article.language = draft.language
    article.product_id = draft.product_id
    article.component_id = draft.component_id if draft.kind == ArticleKind.SELF_HELP else None
    article.section = draft.section if draft.kind == ArticleKind.SELF_HELP else ""
    article.position = draft.position
    article.tags_text = " ".join(tags)


def _set_relations(article: Article, draft: ArticleDraft, tags: list[str]) -> None:
    article.versions.set(draft.version_ids)
    article.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])


def _revision(article: Article, actor: User, now: dt.datetime, note: str) -> None:
    ArticleRevision.objects.create(
        article=article,
        number=article.revision,
        title=article.title,
        body=article.body,
        edited_by=actor,
        edited_at=now,
        note=note[:200],
    )


@transaction.atomic
def article_create(
    *, actor: User, draft: ArticleDraft, now: dt.datetime, note: str = "Created"
) -> Article:
    _require_staff(actor)
    tags = _check(draft)
    article = Article(author=actor, created_at=now, updated_at=now, state=ArticleState.DRAFT)
    _apply(article, draft, tags)
    article.save()
    _set_relations(article, draft, tags)
    _revision(article, actor, now, note)
    return article


@transaction.atomic
def article_update(
    *,
    actor: User,
    article: Article,
    draft: ArticleDraft,
    version: int,
    now: dt.datetime,
    note: str = "",
) -> Article:
    """A new revision of a draft or an article in review (published text is frozen)."""
    _require_staff(actor)
    tags = _check(draft)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.version != version:
        raise StaleObject("Someone else changed this article; reload it and edit again.")
    if locked.state_enum not in EDITABLE:
        raise PolicyViolation(
            "A published article is withdrawn for revision before its text changes."
        )
    _apply(locked, draft, tags)
    locked.revision += 1
    locked.version += 1
    locked.updated_at = now
    locked.save()
    _set_relations(locked, draft, tags)
    _revision(locked, actor, now, note)
    return locked


@transaction.atomic
def article_act(
    *,
    actor: User,
    article: Article,
    action: ArticleAction,
    version: int,
    now: dt.datetime,
    note: str = "",
) -> Article:
    """Move an article along the review workflow; the only writer of ``state``."""
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.version != version:
        raise StaleObject("Someone else changed this article; reload it and try again.")
    verdict = check_article_action(
        state=locked.state_enum,
        action=action,
        actor_is_author=locked.author_id == actor.pk,
        actor_is_staff=actor.is_active and actor.is_support,
    )
    if not verdict or verdict.target is None:
        raise PolicyViolation(verdict.decision.reason)
    ArticleEvent.objects.create(
        article=locked,
        at=now,
        actor=actor,
        action=action.value,
        from_state=locked.state,
        to_state=verdict.target.value,
        note=note[:2000],
    )
    locked.state = verdict.target.value
    if action is ArticleAction.PUBLISH:
        locked.reviewer = actor
        locked.published_at = now
        locked.last_reviewed_on = now.date()
    locked.version += 1
    locked.updated_at = now
    locked.save()
    return locked


@transaction.atomic
def article_vote(*, reader: User, article: Article, helpful: bool, now: dt.datetime) -> None:
    """One vote per reader: a second vote replaces the first; counters follow exactly."""
    previous = ArticleVote.objects.select_for_update().filter(article=article, voter=reader)
    old = previous.first()
    if old is not None and old.helpful == helpful:
        return
    if old is not None:
        old.helpful, old.at = helpful, now
        old.save(update_fields=["helpful", "at"])
        delta = (
            {"helpful_yes": 1, "helpful_no": -1}
            if helpful
            else {"helpful_yes": -1, "helpful_no": 1}
        )
    else:
        try:
            with transaction.atomic():
                ArticleVote.objects.create(article=article, voter=reader, helpful=helpful, at=now)
        except IntegrityError:  # a double click raced us; the first vote stands
            return
        delta = {"helpful_yes": 1} if helpful else {"helpful_no": 1}
    Article.objects.filter(pk=article.pk).update(**{k: F(k) + v for k, v in delta.items()})


@transaction.atomic
def article_comment(
    *, author: User, article: Article, body: str, now: dt.datetime
) -> ArticleComment:
    text = body.strip()
    if not text:
        raise PolicyViolation("Write a comment first.", field="body")
    if len(text) > COMMENT_MAX:
        raise PolicyViolation(f"Comments are at most {COMMENT_MAX} characters.", field="body")
    return ArticleComment.objects.create(article=article, author=author, body=text, at=now)


def _resolution(case: Case) -> str:
    """The text that proposed the solution if there is one, else the last public reply."""
    from casedesk.cases.models import EventKind

    events = list(
        case.events.filter(public=True, kind__in=[EventKind.REPLY, EventKind.TRANSITION])
        .exclude(body="")
        .order_by("at", "id")
    )
    proposed = [e for e in events if e.data.get("action") == "propose_solution"]
    replies = [e for e in events if e.kind == EventKind.REPLY]
    chosen = (proposed or replies or [None])[-1]
    return chosen.body.strip() if chosen else ""


def _case_body(case: Case, resolution: str) -> str:
    parts = [
        "## Symptom\n",
        case.description.strip(),
        "\n\n## Environment\n",
        f"- Product: {case.product.name if case.product else 'any'}",
        f"- Version: {case.major_version.name if case.major_version else 'any'}",
        "\n\n## Resolution\n",
    ]
    parts.append(resolution or "_Describe the fix or workaround._")
    return "\n".join(parts)


@transaction.atomic
def article_from_case(*, actor: User, case: Case, now: dt.datetime) -> Article:
    """One step from a solved case to a draft (F4): text prefilled, the case linked."""
    _require_staff(actor)
    draft = ArticleDraft(
        title=case.subject,
        body=_case_body(case, _resolution(case)),
        kind=ArticleKind.BREAK_FIX,
        visibility=Visibility.INTERNAL,  # the writer widens it after removing customer details
        language=case.language if case.language in {"en", "es", "pt", "ja"} else "en",
        product_id=case.product_id,
        version_ids=[case.major_version_id] if case.major_version_id else [],
    )
    article = article_create(actor=actor, draft=draft, now=now, note=f"From case {case.number}")
    solved_case_link(actor=actor, article=article, case=case, now=now)
    return article


@transaction.atomic
def solved_case_link(*, actor: User, article: Article, case: Case, now: dt.datetime) -> None:
    _require_staff(actor)
    SolvedCase.objects.get_or_create(
        article=article, case=case, defaults={"linked_by": actor, "linked_at": now}
    )


@transaction.atomic
def component_create(
    *, actor: User, product_id: int, name: str, summary: str = "", position: int = 0
) -> Component:
    _require_staff(actor)
    component, _ = Component.objects.get_or_create(
        product_id=product_id,
        name=name.strip()[:120],
        defaults={"summary": summary, "position": position},
    )
    return component


# --- deflection (T12) -----------------------------------------------------------------


def suggestions_record(
    *, contact: User, token: str, article_ids: Iterable[int], now: dt.datetime
) -> None:
    """Remember which articles this visit to the open-case form was shown (idempotent)."""
    if not token:
        return
    rows = [
        Suggestion(token=token, contact=contact, article_id=pk, shown_at=now)
        for pk in dict.fromkeys(article_ids)
    ]
    Suggestion.objects.bulk_create(rows, ignore_conflicts=True)


def suggestion_clicked(*, contact: User, token: str, article: Article, now: dt.datetime) -> None:
    Suggestion.objects.filter(
        token=token, contact=contact, article=article, clicked_at__isnull=True
    ).update(clicked_at=now)


def suggestions_case_opened(*, contact: User, token: str, case: Case) -> int:
    """The visit ended in a case anyway: its suggestions did not deflect it."""
    if not token:
        return 0
    return Suggestion.objects.filter(token=token, contact=contact, case__isnull=True).update(
        case=case
    )


def article_file_add(
    *, actor: User, article: Article, filename: str, chunks: Iterable[bytes], now: dt.datetime
) -> ArticleFile:
    """An image or attachment for ``article`` (F4), stored like a case file: bytes in the
    attachment storage under a fresh key, size and SHA-256 computed while writing. The body
    refers to it by ``ArticleFile.markdown``; readers get it only if they may read the
    article."""
    import hashlib
    import uuid
    from pathlib import PurePosixPath

    from casedesk.files.storage import get_storage

    _require_staff(actor)
    name = PurePosixPath(filename.replace("\\", "/")).name.strip()[:200]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>') or "file"
    key = f"knowledge/{uuid.uuid4().hex}"
    digest, size = hashlib.sha256(), 0
    storage = get_storage()
    with storage.open_append(key) as out:
        for chunk in chunks:
            size += len(chunk)
            if size > FILE_MAX_BYTES:
                break
            out.write(chunk)
            digest.update(chunk)
    if size > FILE_MAX_BYTES:
        storage.delete(key)
        raise PolicyViolation(
            f"Files in articles are at most {FILE_MAX_BYTES // 2**20} MB.", field="file"
        )
    if size == 0:
        storage.delete(key)
        raise PolicyViolation("The file is empty.", field="file")
    content_type = IMAGE_TYPES.get(PurePosixPath(name.lower()).suffix, "application/octet-stream")
    with transaction.atomic():  # the bytes are written; a failed row leaves an orphan key
        row = ArticleFile.objects.create(
            article=article,
            filename=name,
            storage_key=key,
            size=size,
            sha256=digest.hexdigest(),
            content_type=content_type,
            uploaded_by=actor,
            uploaded_at=now,
        )
    return row
