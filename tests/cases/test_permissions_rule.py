"""The case visibility rule as a golden matrix (A3, A4, security rule 3; issue 16).

Rows are who asks, columns the world's three cases, written out by hand from A3 ("a
contact sees the cases they opened"; "see colleagues' cases" adds their organisation's)
and A4 (support roles see every case; nobody sees another organisation's). The page,
API, list and download paths all ask this one rule, so each answer is checked through
every public entry point: ``can_view_case``, ``is_participant`` and ``scope_cases``.
"""

from __future__ import annotations

import pytest

from casedesk.cases.models import Case
from casedesk.cases.permissions import (
    actor_for,
    can_see_internal,
    can_view_case,
    is_participant,
    scope_cases,
    visibility_filter,
)
from casedesk.policy.transitions import Actor

#            alice_case  carol_case  gina_case   (alice and carol: Acme; gina: Globex)
VISIBLE = {
    "alice": (True, False, False),  # her own only
    "carol": (False, True, False),  # her own only
    "bob": (True, True, False),  # Acme colleague with "see colleagues' cases"
    "gina": (False, False, True),  # Globex, with the flag: still never Acme's
    "engineer": (True, True, True),
    "care": (True, True, True),
    "manager": (True, True, True),
}
CASES = ("alice_case", "carol_case", "gina_case")


@pytest.mark.parametrize(("who", "expected"), VISIBLE.items())
def test_visibility_matrix(world, who, expected):
    user = getattr(world, who)
    cases = [getattr(world, name) for name in CASES]
    assert tuple(can_view_case(user, c) for c in cases) == expected
    assert tuple(is_participant(user, c) for c in cases) == expected
    scoped = set(scope_cases(user, Case.objects.all()).values_list("pk", flat=True))
    assert scoped == {c.pk for c, seen in zip(cases, expected, strict=True) if seen}


@pytest.mark.parametrize("who", list(VISIBLE))
def test_an_inactive_user_sees_nothing(world, who):
    user = getattr(world, who)
    user.is_active = False
    user.save()
    assert not any(can_view_case(user, getattr(world, name)) for name in CASES)
    assert not scope_cases(user, Case.objects.all()).exists()
    assert not can_see_internal(user)


def test_the_colleague_flag_is_what_widens_the_view(world):
    # A3: the same contact, with and without the flag granted by care.
    world.alice.can_see_colleagues = True
    assert can_view_case(world.alice, world.carol_case)
    assert set(scope_cases(world.alice, Case.objects.all())) == {
        world.alice_case,
        world.carol_case,
    }
    world.bob.can_see_colleagues = False
    assert not can_view_case(world.bob, world.alice_case)
    assert not scope_cases(world.bob, Case.objects.all()).exists()


def test_support_sees_everything_without_a_filter(world):
    # A4: no filter at all (None), not a filter that happens to match every row today.
    for who in ("engineer", "care", "manager"):
        assert visibility_filter(getattr(world, who)) is None


@pytest.mark.parametrize(
    ("who", "internal", "actor"),
    [
        ("alice", False, Actor.CONTACT),
        ("bob", False, Actor.CONTACT),
        ("engineer", True, Actor.SUPPORT),
        ("care", True, Actor.SUPPORT),
        ("manager", True, Actor.SUPPORT),
    ],
)
def test_internal_notes_and_actor(world, who, internal, actor):
    # B5: internal notes are for support staff only.
    user = getattr(world, who)
    assert can_see_internal(user) is internal
    assert actor_for(user) is actor


def test_no_user_is_the_system():
    assert actor_for(None) is Actor.SYSTEM
