"""Profile, support PIN and catalogue (A2, A5, B2)."""

from __future__ import annotations

from casedesk.accounts.models import AuditEvent, User


def test_contact_profile_shows_the_support_pin(world, as_user):  # R: A2
    body = as_user(world.alice).get("/me").json()
    assert body["email"] == "alice@acme.example"
    assert body["role"] == "contact"
    assert body["organisation"]["name"] == "Acme"
    assert body["support_pin"] == world.alice.support_pin
    assert body["may_open_cases"]["allowed"] is True
    assert body["can_see_colleagues"] is False


def test_support_profile_has_no_pin(world, as_user):  # R: A2, A4
    body = as_user(world.engineer).get("/me").json()
    assert body["role"] == "engineer"
    assert body["support_pin"] is None
    assert body["organisation"] is None


def test_contact_regenerates_pin(world, as_user):  # R: A2
    old = world.alice.support_pin
    response = as_user(world.alice).post("/me/pin")
    assert response.status_code == 200
    new = response.json()["support_pin"]
    assert len(new) == 6 and new.isdigit()
    assert User.objects.get(pk=world.alice.pk).support_pin == new
    assert AuditEvent.objects.filter(action="pin.regenerated").exists()
    # Six random digits can repeat; what matters is that the stored PIN is the new one.
    assert new == old or User.objects.get(pk=world.alice.pk).support_pin != old


def test_support_staff_have_no_pin_to_regenerate(world, as_user):  # R: A2
    before = User.objects.get(pk=world.engineer.pk).support_pin
    refused = as_user(world.engineer).post("/me/pin")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Support PINs identify customer contacts on the phone."
    assert User.objects.get(pk=world.engineer.pk).support_pin == before
    assert not AuditEvent.objects.filter(action="pin.regenerated").exists()


def test_catalogue_for_a_contact(world, as_user):  # R: B2, A5
    body = as_user(world.alice).get("/catalogue").json()
    groups = {g["name"]: g for g in body["product_groups"]}
    assert set(groups) == {"Contact Centre", "Unified Messaging"}
    dialer = groups["Contact Centre"]["products"][0]
    assert dialer["name"] == "Dialer"
    assert dialer["versions"][0]["name"] == "9"
    assert dialer["versions"][0]["patches"][0]["name"] == "9.2.1"
    assert [c["number"] for c in body["contracts"]] == ["K-ACME"]  # never Globex's (A4)
    contract = body["contracts"][0]
    assert contract["maintenance"]["allowed"] is True
    assert set(contract["product_ids"]) == {
        world.catalogue["product"].pk,
        world.catalogue["other_product"].pk,
    }


def test_catalogue_for_support_has_no_contracts(world, as_user):  # R: B2
    body = as_user(world.engineer).get("/catalogue").json()
    assert body["contracts"] == []
    assert len(body["product_groups"]) == 2
