"""Test data builders (convention 10). ``build_world`` gives every role an object to try.

World: organisation "Acme" with contacts alice (opener), bob (colleague with visibility),
carol (colleague without visibility); organisation "Globex" with contact gina; an engineer,
a care admin and a manager; a catalogue; one open case of alice's, one of carol's and one
of gina's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from casedesk.accounts.models import Contract, Organisation, Role, Site, User
from casedesk.cases.models import Case
from casedesk.cases.services import CaseDraft, case_open
from casedesk.catalog.models import MajorVersion, Patch, Product, ProductGroup
from casedesk.sla.alerts import unassigned_alert_cancel

PASSWORD = "correct-horse-battery-staple"


def make_user(
    email: str, *, role: str = Role.CONTACT, organisation: Organisation | None = None, **extra: Any
) -> User:
    return User.objects.create_user(
        email,
        PASSWORD,
        full_name=email.split("@")[0].title(),
        role=role,
        organisation=organisation,
        is_staff=role in (Role.CARE, Role.MANAGER),
        **extra,
    )


def make_catalogue() -> dict[str, Any]:
    group, _ = ProductGroup.objects.get_or_create(name="Contact Centre")
    product, _ = Product.objects.get_or_create(name="Dialer", group=group)
    version, _ = MajorVersion.objects.get_or_create(product=product, name="9")
    patch, _ = Patch.objects.get_or_create(major_version=version, name="9.2.1")
    other_group, _ = ProductGroup.objects.get_or_create(name="Unified Messaging")
    other, _ = Product.objects.get_or_create(name="Voicemail", group=other_group)
    other_version, _ = MajorVersion.objects.get_or_create(product=other, name="4")
    return {
        "group": group,
        "product": product,
        "version": version,
        "patch": patch,
        "other_group": other_group,
        "other_product": other,
        "other_version": other_version,
    }


def make_org(
    name: str,
    *,
    paid_through: dt.date,
    region: str = "emea",
    deployment: str = "premise",
    catalogue: dict[str, Any],
) -> tuple[Organisation, Contract]:
    org = Organisation.objects.create(name=name, country="GB")
    site = Site.objects.create(organisation=org, name=f"{name} HQ", country="GB")
    contract = Contract.objects.create(
        number=f"K-{name.upper()}",
        organisation=org,
        site=site,
        deployment=deployment,
        region=region,
        paid_through=paid_through,
    )
    contract.products.add(catalogue["product"], catalogue["other_product"])
    return org, contract


def draft(contract: Contract, catalogue: dict[str, Any], **overrides: Any) -> CaseDraft:
    fields: dict[str, Any] = {
        "contract_id": contract.pk,
        "subject": "Outbound campaign stops dialling",
        "description": "Since this morning the dialer stops after ten calls.",
        "product_id": catalogue["product"].pk,
        "major_version_id": catalogue["version"].pk,
        "patch_id": catalogue["patch"].pk,
        "priority": "medium",
        "business_impact": "40 agents idle",
    }
    fields.update(overrides)
    return CaseDraft(**fields)


@dataclass
class World:
    now: dt.datetime
    catalogue: dict[str, Any]
    acme: Organisation
    acme_contract: Contract
    globex: Organisation
    globex_contract: Contract
    alice: User
    bob: User
    carol: User
    gina: User
    engineer: User
    care: User
    manager: User
    alice_case: Case
    carol_case: Case
    gina_case: Case

    def open_case(self, contact: User, *, alert: bool = False, **overrides: Any) -> Case:
        """``alert=True`` keeps the queue-owner alert opening schedules (see ``quiet``)."""
        contract = (
            self.acme_contract if contact.organisation_id == self.acme.pk else self.globex_contract
        )
        case = case_open(
            contact=contact, draft=draft(contract, self.catalogue, **overrides), now=self.now
        )
        return case if alert else quiet(case)


def build_world(*, now: dt.datetime) -> World:
    catalogue = make_catalogue()
    paid = now.date() + dt.timedelta(days=180)
    acme, acme_contract = make_org("Acme", paid_through=paid, catalogue=catalogue)
    globex, globex_contract = make_org(
        "Globex", paid_through=paid, region="brazil", deployment="cloud", catalogue=catalogue
    )
    alice = make_user("alice@acme.example", organisation=acme)
    bob = make_user("bob@acme.example", organisation=acme, can_see_colleagues=True)
    carol = make_user("carol@acme.example", organisation=acme)
    gina = make_user("gina@globex.example", organisation=globex, can_see_colleagues=True)
    # No centre: eve is not mailed about every new case (B, C2); tests/sla/test_staff_alerts.py
    # builds centre engineers of its own.
    engineer = make_user("eve@support.example", role=Role.ENGINEER)
    care = make_user("cara@support.example", role=Role.CARE)
    manager = make_user("max@support.example", role=Role.MANAGER)
    world = World(
        now=now,
        catalogue=catalogue,
        acme=acme,
        acme_contract=acme_contract,
        globex=globex,
        globex_contract=globex_contract,
        alice=alice,
        bob=bob,
        carol=carol,
        gina=gina,
        engineer=engineer,
        care=care,
        manager=manager,
        alice_case=None,
        carol_case=None,
        gina_case=None,
    )  # type: ignore[arg-type]
    world.alice_case = world.open_case(alice)
    world.carol_case = world.open_case(carol, subject="Voicemail greeting garbled")
    world.gina_case = world.open_case(gina, subject="Globex IVR drops calls")
    return world


def quiet(case: Case) -> Case:
    """Background cases: cancel the queue-owner alert opening scheduled (B, C3), so timer
    tests count only their own deadlines. Alerts are tested in tests/sla/test_staff_alerts.py."""
    unassigned_alert_cancel(case=case, now=case.opened_at)
    return case
