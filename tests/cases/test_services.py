"""Case services: the lifecycle rules, each written through one service (B2-B9, A3-A8)."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.accounts.services import contact_refuse, grace_period_record
from casedesk.cases import selectors, services
from casedesk.cases.models import CaseEvent, EventKind, format_case_number, parse_case_number
from casedesk.catalog.models import Patch, Product
from casedesk.core.errors import (
    NotFound,
    NotPermitted,
    PolicyViolation,
    StaleObject,
    TransitionNotAllowed,
)
from tests.factories import draft

pytestmark = pytest.mark.django_db


def later(world, **delta):
    return world.now + dt.timedelta(**delta)


def test_open_records_event_deployment_and_region_from_contract(world):
    # R: B2, B11
    case = world.alice_case
    assert case.status == "open" and case.sub_status == "new"
    assert case.deployment == world.acme_contract.deployment
    assert case.region == world.acme_contract.region
    assert case.product_group == world.catalogue["group"]
    event = case.events.get()
    assert event.kind == EventKind.OPENED and event.actor == world.alice
    assert parse_case_number(case.number) == case.pk
    assert format_case_number(case.pk) == case.number


def test_priority_defaults_to_low(world):
    # R: B2
    d = draft(world.acme_contract, world.catalogue)
    fields = {k: v for k, v in d.__dict__.items() if k != "priority"}
    case = services.case_open(contact=world.alice, draft=type(d)(**fields), now=world.now)
    assert case.priority == "low"


def test_lapsed_maintenance_refuses_with_accounts_receivable(world):
    # R: A5
    world.acme_contract.paid_through = world.now.date() - dt.timedelta(days=1)
    world.acme_contract.save()
    with pytest.raises(PolicyViolation, match="Accounts Receivable"):
        world.open_case(world.alice)


def test_grace_period_lets_support_continue(world):
    # R: A5
    world.acme_contract.paid_through = world.now.date() - dt.timedelta(days=20)
    world.acme_contract.save()
    grace_period_record(
        actor=world.care,
        contract=world.acme_contract,
        invoice="INV-1",
        starts_on=world.now.date() - dt.timedelta(days=1),
        ends_on=world.now.date() + dt.timedelta(days=14),
        now=world.now,
    )
    case = world.open_case(world.alice)
    assert "grace period" in case.events.get().data["maintenance"]
    with pytest.raises(PolicyViolation, match="already had its grace period"):
        grace_period_record(
            actor=world.care,
            contract=world.acme_contract,
            invoice="INV-1",
            starts_on=world.now.date(),
            ends_on=world.now.date(),
            now=world.now,
        )


def test_refused_contact_cannot_open(world):
    # R: A6
    contact_refuse(
        actor=world.care,
        contact=world.alice,
        category="abusive",
        reason="Obscene language on the phone",
        now=world.now,
    )
    with pytest.raises(PolicyViolation, match="refused"):
        world.open_case(world.alice)
    with pytest.raises(NotPermitted, match="Only Customer Care may do this"):
        contact_refuse(
            actor=world.engineer, contact=world.bob, category="abusive", reason="x", now=world.now
        )


def test_only_registered_contacts_open_cases(world):
    # R: A8
    d = draft(world.acme_contract, world.catalogue)
    with pytest.raises(PolicyViolation, match="registered contacts"):
        services.case_open(contact=world.engineer, draft=d, now=world.now)


def test_contract_of_another_organisation_is_refused(world):
    # R: A4
    d = draft(world.globex_contract, world.catalogue)
    with pytest.raises(
        PolicyViolation, match="Choose one of the contracts you have access to"
    ) as err:
        services.case_open(contact=world.alice, draft=d, now=world.now)
    assert err.value.field == "contract"


def test_production_down_requires_critical_and_criterion(world):
    # R: B3
    with pytest.raises(PolicyViolation, match="emergency criterion"):
        world.open_case(world.alice, priority="critical", production_down=True)
    with pytest.raises(PolicyViolation, match="Critical cases only"):
        world.open_case(
            world.alice, priority="high", production_down=True, emergency_criterion="server_down"
        )
    case = world.open_case(
        world.alice, priority="critical", production_down=True, emergency_criterion="server_down"
    )
    assert case.production_down and case.emergency_criterion == "server_down"


def test_third_party_product_bought_elsewhere_is_refused(world):
    # R: G5 (catalogue check at opening)
    other = Product.objects.create(name="PBX X", group=world.catalogue["group"], third_party=True)
    with pytest.raises(PolicyViolation, match="not bought from us"):
        world.open_case(world.alice, product_id=other.pk, major_version_id=None, patch_id=None)


def test_version_must_belong_to_product(world):
    with pytest.raises(
        PolicyViolation, match="That version is not a version of this product"
    ) as err:
        world.open_case(
            world.alice, major_version_id=world.catalogue["other_version"].pk, patch_id=None
        )
    assert err.value.field == "major_version"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"product_id": None}, "product", "Choose the product."),
        ({"product_id": 987_654_321}, "product", "Unknown product."),
        ({"major_version_id": None, "patch_id": None}, "major_version", "Choose the major"),
        ({"patch_id": 987_654_321}, "patch", "does not belong to this version"),
        ({"sub_type": "", "kind": "admin", "admin_category": "licence"}, None, None),
    ],
)
def test_catalogue_refusals_name_the_field(world, overrides, field, message):
    # R: B2 (the guided form points at the field to fix)
    if field is None:
        assert world.open_case(world.alice, **overrides).product is None
        return
    with pytest.raises(PolicyViolation, match=message) as err:
        world.open_case(world.alice, **overrides)
    assert err.value.field == field


def test_patch_of_another_version_and_uncovered_product_are_refused(world):
    # R: B2, G5
    other_patch = Patch.objects.create(major_version=world.catalogue["other_version"], name="4.1")
    with pytest.raises(PolicyViolation, match="does not belong to this version") as err:
        world.open_case(world.alice, patch_id=other_patch.pk)
    assert err.value.field == "patch"
    world.acme_contract.products.remove(world.catalogue["other_product"])
    with pytest.raises(PolicyViolation, match="is not covered by contract K-ACME") as err:
        world.open_case(
            world.alice,
            product_id=world.catalogue["other_product"].pk,
            major_version_id=world.catalogue["other_version"].pk,
            patch_id=None,
        )
    assert err.value.field == "product"


def test_customer_update_moves_waiting_case_to_customer_responded(world):
    # R: B5
    case = services.case_transition(
        case=world.alice_case,
        actor=world.engineer,
        action="request_info",
        to="info_required",
        reason="Please send the dialer log",
        now=later(world, hours=1),
    )
    assert case.status == "awaiting_info"
    services.case_add_update(
        case=case, actor=world.alice, body="Log attached", now=later(world, hours=2)
    )
    case.refresh_from_db()
    assert (case.status, case.sub_status) == ("open", "customer_responded")
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == ["opened", "transition", "customer_update", "transition"]


def test_transition_table_refuses_and_says_why(world):
    # R: B4
    with pytest.raises(TransitionNotAllowed, match="not possible"):
        services.case_transition(
            case=world.alice_case,
            actor=world.alice,
            action="propose_solution",
            to="replied",
            reason="x",
            now=world.now,
        )
    assert world.alice_case.events.count() == 1


def test_contact_closes_with_comment_and_reason(world):
    # R: B6
    with pytest.raises(PolicyViolation, match="closure comment"):
        services.case_transition(
            case=world.alice_case,
            actor=world.alice,
            action="close",
            to="resolved",
            close_reason="solution_accepted",
            reason=" ",
            now=world.now,
        )
    case = services.case_transition(
        case=world.alice_case,
        actor=world.alice,
        action="close",
        to="resolved",
        close_reason="solution_accepted",
        reason="Works now, thanks",
        now=later(world, hours=3),
    )
    assert case.is_closed and case.close_reason == "solution_accepted"
    assert case.closed_at == later(world, hours=3)


def _closed(world, *, by_followup=False):
    case = services.case_transition(
        case=world.alice_case,
        actor=world.engineer,
        action="propose_solution",
        to="replied",
        reason="Set the pacing ratio to 1.2",
        now=later(world, hours=1),
    )
    if by_followup:
        return services.case_close_after_followups(
            case=case, now=later(world, days=14), notice="No response after three follow-ups"
        )
    return services.case_transition(
        case=case,
        actor=world.alice,
        action="close",
        to="resolved",
        close_reason="solution_accepted",
        reason="Thanks",
        now=later(world, hours=2),
    )


def test_reopen_request_then_support_reopens(world):
    # R: B7
    case = _closed(world)
    case = services.case_reopen(
        case=case, actor=world.alice, information="Stopped again at 9:00", now=later(world, days=5)
    )
    assert (case.status, case.sub_status) == ("closed", "customer_requested_reopen")
    page = selectors.engineer_queue(world.engineer, selectors.CaseFilters(state="reopen_requested"))
    assert [c.pk for c in page.items] == [case.pk]
    case = services.case_reopen(
        case=case,
        actor=world.engineer,
        information="Accepted on phone",
        now=later(world, days=5, hours=1),
    )
    assert (case.status, case.sub_status) == ("open", "investigation")
    assert case.closed_at is None


def test_reopen_after_30_days_points_to_a_linked_case(world):
    # R: B7
    case = _closed(world)
    with pytest.raises(PolicyViolation, match="linked"):
        services.case_reopen(
            case=case, actor=world.alice, information="Again", now=later(world, days=31)
        )
    new = services.case_open_follow_on(
        old_case=case,
        contact=world.alice,
        draft=draft(world.acme_contract, world.catalogue),
        now=later(world, days=31),
    )
    assert new.linked_from_id == case.pk
    assert case.events.filter(kind=EventKind.LINKED, data__case=new.number).exists()


def test_followup_close_reopens_by_phone_only(world):
    # R: B7, C5
    case = _closed(world, by_followup=True)
    assert case.closed_by_followup and case.close_reason == "no_response_after_followups"
    with pytest.raises(PolicyViolation, match="call support"):
        services.case_reopen(
            case=case, actor=world.alice, information="Back from leave", now=later(world, days=15)
        )
    case = services.case_reopen(
        case=case, actor=world.engineer, information="Phoned in", now=later(world, days=15)
    )
    assert case.status == "open" and not case.closed_by_followup


def test_priority_rules(world):
    # R: B8
    case = world.open_case(world.alice, priority="low")
    case = services.case_change_priority(
        case=case,
        actor=world.alice,
        priority="medium",
        reason="More agents affected now",
        now=world.now,
    )
    assert case.priority == "medium"
    with pytest.raises(PolicyViolation, match="phone call"):
        services.case_change_priority(
            case=case, actor=world.alice, priority="high", reason="urgent", now=world.now
        )
    case = services.case_change_priority(
        case=case,
        actor=world.engineer,
        priority="critical",
        production_down=True,
        emergency_criterion="core_mission",
        reason="Phone call: site cannot dial out",
        now=world.now,
    )
    assert case.production_down
    event = case.events.filter(kind=EventKind.PRIORITY).last()
    # Support's reason is internal by default (issue 11 item 3): the public event has no
    # text, the internal note right after it has it.
    assert event.data["to"] == "critical" and event.body == ""
    note = case.events.filter(kind=EventKind.NOTE).last()
    assert not note.public and note.body.startswith("Phone call")


def test_outcome_defect_needs_change_request(world):
    # R: B9
    with pytest.raises(PolicyViolation, match="change request"):
        services.case_set_outcome(
            case=world.alice_case, actor=world.engineer, outcome="defect", now=world.now
        )
    case = services.case_set_outcome(
        case=world.alice_case,
        actor=world.engineer,
        outcome="defect",
        change_request_id="CR-4411",
        now=world.now,
        hot_fix=True,
    )
    assert (case.change_request_id, case.change_request_status) == ("CR-4411", "submitted")
    with pytest.raises(NotPermitted, match="Only support staff may do this"):
        services.case_set_outcome(
            case=world.alice_case, actor=world.alice, outcome="fix", now=world.now
        )


def test_stale_version_is_refused_and_nothing_changes(world):
    # R: B4 (concurrency: no lost update)
    case = world.alice_case
    seen = case.version
    services.case_transition(
        case=case,
        actor=world.engineer,
        action="work",
        to="investigation",
        reason="Looking",
        now=world.now,
        expected_version=seen,
    )
    with pytest.raises(StaleObject, match="changed by someone else after you loaded it"):
        services.case_transition(
            case=case,
            actor=world.engineer,
            action="request_info",
            to="info_required",
            reason="logs?",
            now=world.now,
            expected_version=seen,
        )
    case.refresh_from_db()
    assert case.sub_status == "investigation" and case.version == seen + 1


def test_internal_notes_hidden_from_contacts(world):
    # R: B5, A4
    services.case_add_update(
        case=world.alice_case,
        actor=world.engineer,
        body="Customer is on an unsupported patch",
        internal=True,
        now=world.now,
    )
    services.case_add_update(
        case=world.alice_case, actor=world.engineer, body="Please upgrade", now=world.now
    )
    seen_by_alice = [e.body for e in selectors.case_timeline(world.alice, world.alice_case)]
    seen_by_eng = [e.body for e in selectors.case_timeline(world.engineer, world.alice_case)]
    assert "Please upgrade" in seen_by_alice
    assert not any("unsupported" in b for b in seen_by_alice)
    assert any("unsupported" in b for b in seen_by_eng)
    with pytest.raises(NotPermitted, match="Contacts cannot write internal notes"):
        services.case_add_update(
            case=world.alice_case, actor=world.alice, body="x", internal=True, now=world.now
        )


def test_closed_case_takes_no_updates(world):
    # R: B7
    case = _closed(world)
    with pytest.raises(PolicyViolation, match="re-open"):
        services.case_add_update(
            case=case, actor=world.alice, body="one more thing", now=later(world, days=1)
        )


@pytest.mark.parametrize(
    ("who", "case_attr", "visible"),
    [
        ("alice", "alice_case", True),
        ("alice", "carol_case", False),  # colleague without visibility
        ("bob", "carol_case", True),  # colleague with visibility (A3)
        ("bob", "gina_case", False),  # other organisation
        ("gina", "alice_case", False),
        ("engineer", "gina_case", True),
    ],
)
def test_visibility_rule_on_every_read_and_write(world, who, case_attr, visible):
    # R: A3, A4 — another organisation's case answers like a missing one.
    user, case = getattr(world, who), getattr(world, case_attr)
    if visible:
        assert selectors.access_case(user, case.number).pk == case.pk
        return
    with pytest.raises(NotFound, match=r"^No such case\.$"):
        selectors.access_case(user, case.number)
    with pytest.raises(NotFound, match=r"^No such case\.$"):
        services.case_add_update(case=case, actor=user, body="hi", now=world.now)
    with pytest.raises(NotFound, match=r"^No such case\.$"):
        services.case_transition(
            case=case,
            actor=user,
            action="close",
            to="cancelled",
            close_reason="customer_request",
            reason="x",
            now=world.now,
        )
    all_open = selectors.list_cases(user, selectors.CaseFilters(scope="all", state="open"))
    assert case.pk not in [c.pk for c in all_open.items]
    assert CaseEvent.objects.filter(case=case, actor=user).count() == 0


def test_unknown_case_numbers_are_not_found(world):
    for number in ["CS-999999", "nonsense", "CS-", "CS-1e5", "1" * 40]:
        with pytest.raises(NotFound, match=r"^No such case\.$"):
            selectors.access_case(world.engineer, number)


def test_control_characters_are_refused_before_the_database(world):
    # PostgreSQL refuses NUL; the service says so as a field error instead of a 500.
    with pytest.raises(PolicyViolation, match="Remove the control characters") as err:
        world.open_case(world.alice, subject="Dialer\x00stops")
    assert err.value.field == "subject"
    with pytest.raises(PolicyViolation, match="Remove the control characters"):
        services.case_add_update(
            case=world.alice_case, actor=world.alice, body="a\x00b", now=world.now
        )


def test_unicode_digits_are_not_case_numbers(world):
    for number in ["CS-²", "CS-١٢٣", "٣"]:
        with pytest.raises(NotFound, match=r"^No such case\.$"):
            selectors.access_case(world.engineer, number)
    page = selectors.list_cases(world.alice, selectors.CaseFilters(q="²"))
    assert page.items == []
