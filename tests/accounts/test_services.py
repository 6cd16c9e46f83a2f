"""Account services: PIN, API tokens, refusals, colleague visibility (A2, A3, A6, rule 12)."""

from __future__ import annotations

import pytest

from casedesk.accounts import selectors, services
from casedesk.accounts.models import ApiToken, AuditEvent
from casedesk.core.errors import NotPermitted, PolicyViolation

pytestmark = pytest.mark.django_db


def test_regenerated_pin_differs_and_is_audited(world):
    # R: A2
    old = world.alice.support_pin
    pins = {services.contact_regenerate_pin(contact=world.alice, now=world.now) for _ in range(5)}
    world.alice.refresh_from_db()
    assert world.alice.support_pin in pins and len(world.alice.support_pin) == 6
    assert pins != {old}
    assert (
        AuditEvent.objects.filter(action="pin.regenerated", subject=world.alice.email).count() == 5
    )


def test_api_token_is_stored_hashed_and_revocable(world):
    # R: security rule 12 — at least 128 random bits, stored hashed.
    raw = services.api_token_create(user=world.alice, name="laptop", now=world.now)
    assert len(raw) >= 40
    token = ApiToken.objects.get(user=world.alice)
    assert raw not in (token.digest, token.prefix) and token.digest == selectors.token_digest(raw)
    assert selectors.user_for_token(raw) == world.alice
    assert selectors.user_for_token(raw + "x") is None
    services.api_token_revoke(user=world.bob, token_id=token.pk, now=world.now)  # not bob's
    assert selectors.user_for_token(raw) == world.alice
    services.api_token_revoke(user=world.alice, token_id=token.pk, now=world.now)
    assert selectors.user_for_token(raw) is None


def test_token_of_deactivated_user_stops_working(world):
    raw = services.api_token_create(user=world.alice, name="ci", now=world.now)
    world.alice.is_active = False
    world.alice.save()
    assert selectors.user_for_token(raw) is None


def test_refusal_is_reversible_and_kept_on_record(world):
    # R: A6
    services.contact_refuse(
        actor=world.care,
        contact=world.alice,
        category="hang_ups",
        reason="Hung up on three engineers",
        now=world.now,
    )
    assert not selectors.contact_may_open_cases(world.alice)
    with pytest.raises(PolicyViolation, match="already refused"):
        services.contact_refuse(
            actor=world.care, contact=world.alice, category="abusive", reason="again", now=world.now
        )
    services.contact_lift_refusal(
        actor=world.care, contact=world.alice, reason="Apologised", now=world.now
    )
    assert selectors.contact_may_open_cases(world.alice)
    assert world.alice.refusals.get().lift_reason == "Apologised"
    actions = list(
        AuditEvent.objects.filter(subject=world.alice.email).values_list("action", flat=True)
    )
    assert {"contact.refused", "contact.refusal_lifted"} <= set(actions)


def test_refusal_needs_reason_and_category(world):
    with pytest.raises(PolicyViolation, match="Describe why support is refused"):
        services.contact_refuse(
            actor=world.care, contact=world.alice, category="abusive", reason=" ", now=world.now
        )
    with pytest.raises(PolicyViolation, match="Choose a refusal reason"):
        services.contact_refuse(
            actor=world.care, contact=world.alice, category="rude", reason="x", now=world.now
        )


def test_only_care_grants_colleague_visibility(world):
    # R: A3
    with pytest.raises(NotPermitted, match="Only Customer Care may do this"):
        services.contact_set_colleague_visibility(
            actor=world.bob, contact=world.alice, allowed=True, reason="", now=world.now
        )
    services.contact_set_colleague_visibility(
        actor=world.care, contact=world.alice, allowed=True, reason="Admin case CS-1", now=world.now
    )
    world.alice.refresh_from_db()
    assert world.alice.can_see_colleagues
