"""The status table (B4-B7) is complete and closed under its own rules.

Which transitions are allowed is checked against the handbook in test_golden_transitions.py.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from casedesk.policy.transitions import (
    EDGES,
    STATUS_OF,
    SUB_STATUSES,
    Action,
    Actor,
    CloseReason,
    Status,
    SubStatus,
    available_actions,
    check_transition,
)

sub_statuses = st.sampled_from(list(SubStatus))
actors = st.sampled_from(list(Actor))


def test_every_sub_status_belongs_to_exactly_one_status():
    # R: B4
    listed = [sub for subs in SUB_STATUSES.values() for sub in subs]
    assert sorted(listed) == sorted(SubStatus)
    assert len(listed) == len(set(listed))


def test_every_edge_target_is_a_real_state():
    for edge in EDGES:
        for target in edge.targets:
            assert target in STATUS_OF


@given(sub_statuses)
def test_contacts_never_reach_support_only_states(current):
    # R: B4, security rule 4 — a contact cannot propose solutions or request info.
    offered = {e.action for e in available_actions(Actor.CONTACT, STATUS_OF[current], current)}
    assert Action.PROPOSE_SOLUTION not in offered
    assert Action.REQUEST_INFO not in offered
    assert Action.WORK not in offered
    assert Action.REOPEN not in offered


def test_customer_response_moves_waiting_cases_to_customer_responded():
    # R: B5
    for status in (Status.AWAITING_INFO, Status.SOLUTION_PROPOSED):
        for sub in SUB_STATUSES[status]:
            assert check_transition(
                action=Action.CUSTOMER_RESPONSE,
                actor=Actor.CONTACT,
                status=status,
                sub_status=sub,
                to_sub_status=SubStatus.CUSTOMER_RESPONDED,
            )
    assert not check_transition(
        action=Action.CUSTOMER_RESPONSE,
        actor=Actor.CONTACT,
        status=Status.OPEN,
        sub_status=SubStatus.NEW,
        to_sub_status=SubStatus.CUSTOMER_RESPONDED,
    )


def test_system_closes_only_waiting_cases_for_no_response():
    # R: B6, C5
    ok = check_transition(
        action=Action.CLOSE,
        actor=Actor.SYSTEM,
        status=Status.AWAITING_INFO,
        sub_status=SubStatus.INFO_REQUIRED,
        to_sub_status=SubStatus.RESOLVED,
        close_reason=CloseReason.NO_RESPONSE,
    )
    assert ok
    refused = check_transition(
        action=Action.CLOSE,
        actor=Actor.SYSTEM,
        status=Status.OPEN,
        sub_status=SubStatus.INVESTIGATION,
        to_sub_status=SubStatus.RESOLVED,
        close_reason=CloseReason.NO_RESPONSE,
    )
    assert not refused
    assert "Open / Investigation" in refused.reason


def test_contact_close_needs_reason_from_its_list():
    # R: B6 — sub-status and close reason are separate fields.
    base = {
        "action": Action.CLOSE,
        "actor": Actor.CONTACT,
        "status": Status.OPEN,
        "sub_status": SubStatus.INVESTIGATION,
    }
    assert not check_transition(**base, to_sub_status=SubStatus.RESOLVED)
    assert not check_transition(
        **base, to_sub_status=SubStatus.REDIRECTED, close_reason=CloseReason.SOLUTION_ACCEPTED
    )
    assert not check_transition(
        **base, to_sub_status=SubStatus.RESOLVED, close_reason=CloseReason.NO_RESPONSE
    )
    assert check_transition(
        **base, to_sub_status=SubStatus.CANCELLED, close_reason=CloseReason.CUSTOMER_REQUEST
    )


def test_reopen_request_only_from_a_final_closed_state():
    # R: B7
    assert check_transition(
        action=Action.REQUEST_REOPEN,
        actor=Actor.CONTACT,
        status=Status.CLOSED,
        sub_status=SubStatus.RESOLVED,
        to_sub_status=SubStatus.CUSTOMER_REQUESTED_REOPEN,
    )
    assert not check_transition(
        action=Action.REQUEST_REOPEN,
        actor=Actor.CONTACT,
        status=Status.CLOSED,
        sub_status=SubStatus.CUSTOMER_REQUESTED_REOPEN,
        to_sub_status=SubStatus.CUSTOMER_REQUESTED_REOPEN,
    )
