"""Knowledge articles (F3, F4): the review workflow table and who may read what.

Pure: states, actions and readers in, a verdict with a reason out. ``knowledge.services``
is the only writer of an article's state and asks ``check_article_action`` first; pages and
the API read the actions a person may take from ``available_article_actions``.

    draft ──submit──▶ review ──publish──▶ published ──retire──▶ retired
      ▲                 │                    │                    │
      └────reject───────┘◀──────revise───────┘◀─────restore───────┘ (to draft)

A reviewer is never the article's author (four eyes on what customers read).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .decision import Decision, allow, deny


class ArticleState(StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"
    RETIRED = "retired"


class ArticleAction(StrEnum):
    SUBMIT = "submit"
    REJECT = "reject"
    PUBLISH = "publish"
    REVISE = "revise"
    RETIRE = "retire"
    RESTORE = "restore"


class Visibility(StrEnum):
    PUBLIC = "public"
    CUSTOMERS = "customers"
    INTERNAL = "internal"


class Reader(StrEnum):
    ANONYMOUS = "anonymous"
    CONTACT = "contact"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class ArticleEdge:
    action: ArticleAction
    source: ArticleState
    target: ArticleState
    needs_reviewer: bool  # the actor must not be the author
    label: str


EDGES: tuple[ArticleEdge, ...] = (
    ArticleEdge(ArticleAction.SUBMIT, ArticleState.DRAFT, ArticleState.REVIEW, False, "Submit"),
    ArticleEdge(ArticleAction.REJECT, ArticleState.REVIEW, ArticleState.DRAFT, True, "Reject"),
    ArticleEdge(
        ArticleAction.PUBLISH, ArticleState.REVIEW, ArticleState.PUBLISHED, True, "Publish"
    ),
    ArticleEdge(
        ArticleAction.REVISE, ArticleState.PUBLISHED, ArticleState.DRAFT, False, "Withdraw"
    ),
    ArticleEdge(
        ArticleAction.RETIRE, ArticleState.PUBLISHED, ArticleState.RETIRED, False, "Retire"
    ),
    ArticleEdge(ArticleAction.RESTORE, ArticleState.RETIRED, ArticleState.DRAFT, False, "Restore"),
)

# Text may change only while nobody outside support relies on it being reviewed.
EDITABLE = frozenset({ArticleState.DRAFT, ArticleState.REVIEW})


@dataclass(frozen=True, slots=True)
class ArticleVerdict:
    decision: Decision
    target: ArticleState | None

    def __bool__(self) -> bool:
        return self.decision.allowed


def check_article_action(
    *, state: ArticleState, action: ArticleAction, actor_is_author: bool, actor_is_staff: bool
) -> ArticleVerdict:
    """May a person with these traits take ``action`` on an article in ``state``?"""
    if not actor_is_staff:
        return ArticleVerdict(deny("Only support staff write and review articles."), None)
    edge = next((e for e in EDGES if e.action is action and e.source is state), None)
    if edge is None:
        return ArticleVerdict(deny(f"A {state.value} article cannot be {_past(action)}."), None)
    if edge.needs_reviewer and actor_is_author:
        return ArticleVerdict(
            deny("The author cannot review their own article; another engineer must."), None
        )
    return ArticleVerdict(allow(f"{edge.label}: {state.value} → {edge.target.value}."), edge.target)


def available_article_actions(
    *, state: ArticleState, actor_is_author: bool, actor_is_staff: bool
) -> list[ArticleEdge]:
    return [
        e
        for e in EDGES
        if check_article_action(
            state=state,
            action=e.action,
            actor_is_author=actor_is_author,
            actor_is_staff=actor_is_staff,
        )
    ]


def readable_visibilities(reader: Reader) -> frozenset[Visibility]:
    """Which visibilities a reader sees among published articles."""
    if reader is Reader.STAFF:
        return frozenset(Visibility)
    if reader is Reader.CONTACT:
        return frozenset({Visibility.PUBLIC, Visibility.CUSTOMERS})
    return frozenset({Visibility.PUBLIC})


def may_read(*, reader: Reader, visibility: Visibility, state: ArticleState) -> bool:
    """Unpublished work and internal articles are for support staff only."""
    if reader is Reader.STAFF:
        return True
    return state is ArticleState.PUBLISHED and visibility in readable_visibilities(reader)


def _past(action: ArticleAction) -> str:
    return {
        ArticleAction.SUBMIT: "submitted for review",
        ArticleAction.REJECT: "sent back",
        ArticleAction.PUBLISH: "published",
        ArticleAction.REVISE: "withdrawn for revision",
        ArticleAction.RETIRE: "retired",
        ArticleAction.RESTORE: "restored",
    }[action]
