"""The article workflow table (F4) and the version lifecycle rule (F1, T48), exhaustively."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from casedesk.policy.articles import (
    EDGES,
    ArticleAction,
    ArticleState,
    Reader,
    Visibility,
    available_article_actions,
    check_article_action,
    may_read,
)
from casedesk.policy.lifecycle import Support, expires_soon, version_support

states = st.sampled_from(list(ArticleState))
actions = st.sampled_from(list(ArticleAction))


@given(states, actions, st.booleans(), st.booleans())
def test_an_action_is_allowed_exactly_when_an_edge_allows_it(state, action, is_author, staff):
    verdict = check_article_action(
        state=state, action=action, actor_is_author=is_author, actor_is_staff=staff
    )
    edges = [e for e in EDGES if e.action is action and e.source is state]
    expected = staff and bool(edges) and not (edges[0].needs_reviewer and is_author)
    assert bool(verdict) == expected
    assert verdict.target == (edges[0].target if expected else None)
    assert verdict.decision.reason  # every answer says why


@given(states, st.booleans())
def test_offered_actions_are_the_allowed_ones(state, is_author):
    offered = {
        e.action
        for e in available_article_actions(
            state=state, actor_is_author=is_author, actor_is_staff=True
        )
    }
    allowed = {
        a
        for a in ArticleAction
        if check_article_action(
            state=state, action=a, actor_is_author=is_author, actor_is_staff=True
        )
    }
    assert offered == allowed


def test_nobody_publishes_their_own_article_and_every_state_is_reachable():
    assert not check_article_action(
        state=ArticleState.REVIEW,
        action=ArticleAction.PUBLISH,
        actor_is_author=True,
        actor_is_staff=True,
    )
    reached, frontier = {ArticleState.DRAFT}, [ArticleState.DRAFT]
    while frontier:
        state = frontier.pop()
        for edge in EDGES:
            if edge.source is state and edge.target not in reached:
                reached.add(edge.target)
                frontier.append(edge.target)
    assert reached == set(ArticleState)


@given(st.sampled_from(list(Reader)), st.sampled_from(list(Visibility)), states)
def test_who_reads_what(reader, visibility, state):
    readable = may_read(reader=reader, visibility=visibility, state=state)
    if reader is Reader.STAFF:
        assert readable
    elif visibility is Visibility.INTERNAL or state is not ArticleState.PUBLISHED:
        assert not readable
    else:
        assert readable == (visibility is Visibility.PUBLIC or reader is Reader.CONTACT)


dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 1, 1))


@given(dates, st.one_of(st.none(), dates), st.one_of(st.none(), dates), st.booleans())
def test_version_support_boundaries(today, eos, eol, admin):
    verdict = version_support(
        version="9", end_of_support=eos, end_of_life=eol, today=today, admin_case=admin
    )
    if eol is not None and today > eol:
        assert verdict.support is Support.ENDED and verdict.allowed == admin
    elif eos is not None and today > eos:
        assert verdict.support is Support.BEST_EFFORT and verdict.allowed and verdict.warn
    else:
        assert verdict.support is Support.SUPPORTED and verdict.allowed and not verdict.warn


def test_end_dates_are_inclusive_and_licence_notice_ahead():
    day = dt.date(2026, 6, 30)
    assert version_support(version="8", end_of_support=day, end_of_life=None, today=day).allowed
    assert not version_support(
        version="8", end_of_support=None, end_of_life=day, today=day + dt.timedelta(days=1)
    ).allowed
    assert expires_soon(day, day - dt.timedelta(days=60))
    assert not expires_soon(day, day - dt.timedelta(days=61))
    assert not expires_soon(day, day + dt.timedelta(days=1))
    assert not expires_soon(None, day)
