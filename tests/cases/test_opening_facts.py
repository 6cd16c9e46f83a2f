"""The one-statement read behind opening a case, checked against the ORM (B2, A4-A6, G5).

``opening_facts`` replaces five ORM queries on the busiest write path with hand-written
SQL; these tests hold it to the same answers the ORM gives, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from casedesk.accounts.models import Contract, Refusal
from casedesk.accounts.selectors import user_for_token
from casedesk.accounts.services import api_token_create, contact_lift_refusal, contact_refuse
from casedesk.cases.selectors import opening_facts
from casedesk.catalog.models import MajorVersion, Patch, Product
from casedesk.sla.models import PolicyVersion

pytestmark = pytest.mark.django_db

MISSING = 987_654_321


def _facts(world, contact, **ids):
    base = {
        "contract_id": world.acme_contract.pk,
        "product_id": world.catalogue["product"].pk,
        "major_version_id": world.catalogue["version"].pk,
        "patch_id": world.catalogue["patch"].pk,
    }
    base.update(ids)
    return opening_facts(contact=contact, **base)


def test_the_usual_draft_reads_every_row_with_its_relations(world, django_assert_num_queries):
    # R: B2
    with django_assert_num_queries(1):
        facts = _facts(world, world.alice)
        # Related rows come hydrated: reading them costs no further query.
        assert facts.contract.site.name == "Acme HQ"
        assert facts.product.group == world.catalogue["group"]
        assert facts.patch.major_version == world.catalogue["version"]
    assert facts.contract == world.acme_contract
    assert isinstance(facts.contract.paid_through, dt.date)  # converted on SQLite too
    assert facts.contract.paid_through == world.acme_contract.paid_through
    assert (facts.product, facts.major_version, facts.patch) == (
        world.catalogue["product"],
        world.catalogue["version"],
        world.catalogue["patch"],
    )
    assert facts.contract_lists_products and facts.contract_covers_product
    assert not facts.refused
    assert facts.policy_number == 0


def _expected(contact, contract_id, product_id, version_id, patch_id):
    """The same facts the slow way, one ORM query each."""
    contract = Contract.objects.filter(
        pk=contract_id, organisation_id=contact.organisation_id
    ).first()
    product = Product.objects.filter(pk=product_id).first()
    version = (
        MajorVersion.objects.filter(pk=version_id, product=product).first() if product else None
    )
    patch = Patch.objects.filter(pk=patch_id, major_version=version).first() if version else None
    listed = set(contract.products.values_list("pk", flat=True)) if contract else set()
    return (
        contract,
        product,
        version,
        patch,
        bool(listed),
        product is not None and product.pk in listed,
    )


def test_every_combination_of_ids_matches_the_orm(world):
    # R: A4, B2, G5. Own and foreign contracts; products, versions and patches that do and
    # do not belong together; missing and out-of-range ids.
    loose = Product.objects.create(name="Recorder", group=world.catalogue["group"])
    loose_version = MajorVersion.objects.create(product=loose, name="2")
    loose_patch = Patch.objects.create(major_version=loose_version, name="2.0.1")
    other_patch = Patch.objects.create(major_version=world.catalogue["other_version"], name="4.1")
    contracts = [world.acme_contract.pk, world.globex_contract.pk, MISSING]
    products = [world.catalogue["product"].pk, world.catalogue["other_product"].pk, loose.pk]
    versions = [world.catalogue["version"].pk, world.catalogue["other_version"].pk]
    versions += [loose_version.pk]
    patches = [world.catalogue["patch"].pk, other_patch.pk, loose_patch.pk]
    odd = [None, MISSING, 0, -1, 2**70]
    checked = 0
    for contract_id, product_id, version_id, patch_id in itertools.product(
        contracts, products + odd[:2], versions + odd, patches + odd
    ):
        facts = _facts(
            world,
            world.alice,
            contract_id=contract_id,
            product_id=product_id,
            major_version_id=version_id,
            patch_id=patch_id,
        )
        expected = _expected(world.alice, contract_id, product_id, version_id, patch_id)
        got = (
            facts.contract,
            facts.product,
            facts.major_version,
            facts.patch,
            facts.contract_lists_products,
            facts.contract_covers_product,
        )
        assert got == expected, (contract_id, product_id, version_id, patch_id)
        checked += 1
    assert checked == 3 * 5 * 8 * 8


def test_a_contract_without_a_product_list_covers_nothing_and_lists_nothing(world):
    # R: G5 (a contract that lists no products does not restrict them)
    world.acme_contract.products.clear()
    facts = _facts(world, world.alice)
    assert not facts.contract_lists_products and not facts.contract_covers_product


def test_refusal_and_policy_version_are_read_with_the_rest(world):
    # R: A6
    contact_refuse(
        actor=world.care, contact=world.alice, category="abusive", reason="x", now=world.now
    )
    assert _facts(world, world.alice).refused
    assert not _facts(world, world.bob).refused  # a colleague is not refused
    contact_lift_refusal(actor=world.care, contact=world.alice, reason="ok", now=world.now)
    assert Refusal.objects.filter(contact=world.alice).exists()
    assert not _facts(world, world.alice).refused
    for number in (1, 3, 2):
        PolicyVersion.objects.create(number=number, data={}, created_at=world.now)
    assert _facts(world, world.alice).policy_number == 3


def test_cases_record_the_newest_policy_version(world):
    # R: C1 (each case keeps the policy version it was opened under)
    from casedesk.policy.defaults import DEFAULT_POLICY
    from casedesk.sla.selectors import _parsed

    _parsed.cache_clear()
    PolicyVersion.objects.create(number=4, data=DEFAULT_POLICY.to_dict(), created_at=world.now)
    assert world.open_case(world.alice).policy_version == 4
    _parsed.cache_clear()


def test_token_lookup_is_one_statement_with_the_organisation(world, django_assert_num_queries):
    # R: A2 (security rule 12)
    raw = api_token_create(user=world.alice, name="ci", now=world.now)
    with django_assert_num_queries(1):
        user = user_for_token(raw)
        assert user.organisation.name == "Acme"
    assert user == world.alice
    assert isinstance(user.date_joined, dt.datetime)
    staff = user_for_token(api_token_create(user=world.engineer, name="ci", now=world.now))
    assert staff == world.engineer and staff.organisation is None


def test_token_lookup_refuses_revoked_inactive_and_unknown(world):
    # R: A2, A6 (security rule 12)
    raw = api_token_create(user=world.carol, name="ci", now=world.now)
    assert user_for_token(raw) == world.carol
    assert user_for_token(raw + "x") is None
    assert user_for_token("") is None and user_for_token("x" * 201) is None
    world.carol.is_active = False
    world.carol.save()
    assert user_for_token(raw) is None
    world.carol.is_active = True
    world.carol.save()
    world.carol.api_tokens.update(revoked_at=world.now)
    assert user_for_token(raw) is None
