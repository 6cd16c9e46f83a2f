"""The one visibility rule, checked exhaustively (issue 16 item 5c; rule 3, A3, A4).

``visibility_filter`` (lists, counts, downloads) and ``can_view_case`` (one case in hand:
files, escalations, drop boxes) read the same statement of the rule. A small world holds
every role × colleague flag × active flag, plus a contact whom care moved to another
organisation; for every user and every case both answers must equal what A3/A4 say,
written out here from the handbook, not from the code.
"""

from __future__ import annotations

import itertools

import pytest

from casedesk.accounts.models import Contract, ContractAccess, Role, Site, User
from casedesk.cases.models import Case
from casedesk.cases.permissions import can_view_case, scope_cases
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def handbook_says(user: User, case: Case) -> bool:
    """A3: a contact sees the cases they opened, with the permission every case of their
    organisation; A4: support sees every case, nobody another organisation's. A3's
    "access to a contract": a contact care limited to some contracts sees only cases on
    those."""
    if not user.is_active:
        return False
    if user.role != Role.CONTACT:
        return True
    if case.organisation_id != user.organisation_id:
        return False
    limited = set(ContractAccess.objects.filter(contact=user).values_list("contract", flat=True))
    if limited and case.contract_id not in limited:
        return False
    return case.contact_id == user.pk or user.can_see_colleagues


@pytest.fixture
def small_world(world):
    users = [world.alice, world.bob, world.carol, world.gina]
    for role, colleagues, active in itertools.product(Role, (False, True), (False, True)):
        organisation = world.acme if role == Role.CONTACT else None
        users.append(
            make_user(
                f"{role}-{int(colleagues)}-{int(active)}@example.test",
                role=role,
                organisation=organisation,
                can_see_colleagues=colleagues,
                is_active=active,
            )
        )
    for user in users:
        if user.role == Role.CONTACT and user.is_active:
            world.open_case(user, subject=f"{user.email}'s case")
    # A second Acme contract; contacts limited to one contract or the other (A3).
    plant = Contract.objects.create(
        number="K-ACME-PLANT",
        organisation=world.acme,
        site=Site.objects.create(organisation=world.acme, name="Plant", country="DE"),
        deployment="cloud",
        region="emea",
        paid_through=world.acme_contract.paid_through,
    )
    from casedesk.cases.services import case_open
    from tests.factories import draft

    case_open(contact=world.bob, draft=draft(plant, world.catalogue), now=world.now)
    for colleagues, contract in itertools.product((False, True), (world.acme_contract, plant)):
        limited = make_user(
            f"limited-{int(colleagues)}-{contract.pk}@acme.example",
            organisation=world.acme,
            can_see_colleagues=colleagues,
        )
        case_open(contact=limited, draft=draft(plant, world.catalogue), now=world.now)
        ContractAccess.objects.create(contact=limited, contract=contract)
        users.append(limited)
    # Care moves a contact with colleague visibility, and one without, to Globex; their
    # Acme cases stay Acme's.
    for colleagues in (False, True):
        mover = make_user(
            f"mover-{int(colleagues)}@acme.example",
            organisation=world.acme,
            can_see_colleagues=colleagues,
        )
        world.open_case(mover, subject="opened at Acme")
        User.objects.filter(pk=mover.pk).update(organisation=world.globex)
        users.append(User.objects.get(pk=mover.pk))
    return users, list(Case.objects.all())


def test_the_filter_and_the_predicate_agree_with_the_handbook_for_every_user_and_case(
    small_world,
):
    users, cases = small_world
    assert len(users) == 4 + len(Role) * 4 + 4 + 2 and len(cases) >= 15
    checked = 0
    for user in users:
        listed = set(scope_cases(user, Case.objects.all()).values_list("pk", flat=True))
        for case in cases:
            expected = handbook_says(user, case)
            assert can_view_case(user, case) is expected, (user.email, case.subject)
            assert (case.pk in listed) is expected, (user.email, case.subject)
            checked += 1
    assert checked == len(users) * len(cases)


def test_a_moved_contact_no_longer_sees_the_case_they_opened_elsewhere(small_world, world):
    # R: A4 — "nobody sees another organisation's cases, by any route".
    users, _ = small_world
    for mover in [u for u in users if u.email.startswith("mover-")]:
        old = Case.objects.get(contact=mover)
        assert old.organisation_id == world.acme.pk
        assert not can_view_case(mover, old)
        assert not scope_cases(mover, Case.objects.filter(pk=old.pk)).exists()
        assert scope_cases(mover, Case.objects.all()).exists() is mover.can_see_colleagues
