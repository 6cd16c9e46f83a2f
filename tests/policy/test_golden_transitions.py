"""The status table and its transitions, written out from the handbook (B4-B7, C5, E2).

Every expectation here is literal data copied from /work/shared/spec/requirements.md,
never read back from ``EDGES``: a test that builds its answer from the table it checks
passes whatever the table says (issue 16 planted "Solution Proposed can no longer go
back to Request Info" and such a test stayed green). The names are the handbook's
labels, so the table reads like the requirement it transcribes.
"""

from __future__ import annotations

import itertools

import pytest

from casedesk.policy.transitions import (
    STATUS_OF,
    SUB_STATUS_LABELS,
    WAITING_ON_CUSTOMER,
    WAITING_ON_SUPPORT,
    Action,
    Actor,
    CloseReason,
    Status,
    SubStatus,
    available_actions,
    check_transition,
)

# B4 (requirements.md lines 65-70): "Open (waiting on support): New, Investigation,
# Customer Responded, Engineering Request, 3rd Party Pending. Awaiting Info (waiting on
# customer): Info Required. Solution Proposed (waiting on customer): Fixed – Software
# Provided, Replied. Closed: Resolved, Cancelled, Logged for Future Fix, Redirected,
# Customer Requested Re-open."
STATUS_TABLE = {
    "Open": ("New", "Investigation", "Customer Responded", "Engineering Request",
             "3rd Party Pending"),
    # G2 (requirements.md line 204): "Support may hold VoIP cases until it passes" — the
    # hold waits on the customer's network, so it sits beside Info Required.
    "Awaiting Info": ("Info Required", "VoIP Readiness Pending"),
    "Solution Proposed": ("Fixed – Software Provided", "Replied"),
    "Closed": ("Resolved", "Cancelled", "Logged for Future Fix", "Redirected",
               "Customer Requested Re-open"),
}  # fmt: skip
WAITING_ON = {"Open": "support", "Awaiting Info": "customer", "Solution Proposed": "customer"}

OPEN = STATUS_TABLE["Open"]
AWAITING = STATUS_TABLE["Awaiting Info"]
PROPOSED = STATUS_TABLE["Solution Proposed"]
CLOSED = STATUS_TABLE["Closed"]
ACTIVE = OPEN + AWAITING + PROPOSED
WAITING = AWAITING + PROPOSED

# (actor, action, from sub-statuses, to sub-statuses, close reasons); a close reason is
# required exactly where the list is not empty. Everything not listed is refused.
GOLDEN_EDGES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    # B4 "Open (waiting on support)": the engineer sets the working sub-status.
    ("support", "work", OPEN,
     ("Investigation", "Engineering Request", "3rd Party Pending"), ()),
    # C5 "when support ... asks for information, a timer starts ... the next request
    # starts it again": from Open, and from Solution Proposed when the proposal needs
    # more from the customer.
    ("support", "request_info", OPEN + PROPOSED, ("Info Required",), ()),
    # B4 "Open → Solution Proposed"; C5 "when support proposes a solution".
    ("support", "propose_solution", OPEN + AWAITING,
     ("Fixed – Software Provided", "Replied"), ()),
    # B5 / E2 "A customer update while Awaiting Info or Solution Proposed moves the case
    # to Open / Customer Responded" — whether typed in the portal, recorded by support
    # from a call, or appended by the mail pipeline (system).
    ("contact", "customer_response", WAITING, ("Customer Responded",), ()),
    ("support", "customer_response", WAITING, ("Customer Responded",), ()),
    ("system", "customer_response", WAITING, ("Customer Responded",), ()),
    # B6 "the contact closes with Resolved or Cancelled plus a closure comment".
    ("contact", "close", ACTIVE, ("Resolved", "Cancelled"),
     ("solution_accepted", "customer_request")),
    # B6 "support closes when a solution is accepted, when the customer asks ...
    # redirected ..."; B4 Closed sub-statuses other than the reopen request.
    ("support", "close", ACTIVE,
     ("Resolved", "Cancelled", "Logged for Future Fix", "Redirected"),
     ("solution_accepted", "customer_request", "redirected", "logged_for_future_fix",
      "duplicate")),
    # C5 "after 10: the case closes" — only a case waiting on the customer has a timer;
    # B6 "'Resolved for lack of contact' is a close reason, not a different status".
    ("system", "close", WAITING, ("Resolved",), ("no_response_after_followups",)),
    # B7 "from the portal ('request to re-open')" — once, from a final closed state.
    ("contact", "request_reopen",
     ("Resolved", "Cancelled", "Logged for Future Fix", "Redirected"),
     ("Customer Requested Re-open",), ()),
    # B7 "or by phone (engineer)": support re-opens any closed case.
    ("support", "reopen", CLOSED, ("Investigation",), ()),
    # G2 "Support may hold VoIP cases until it passes": from Open, by support only.
    ("support", "hold_voip", OPEN, ("VoIP Readiness Pending",), ()),
)  # fmt: skip

BY_LABEL = {label: sub for sub, label in SUB_STATUS_LABELS.items()}


def test_status_table_is_the_handbooks():
    # R: B4 — statuses, their sub-statuses and labels, in the handbook's order.
    actual = {
        status.label: tuple(SUB_STATUS_LABELS[s] for s in SubStatus if STATUS_OF[s] is status)
        for status in Status
    }
    assert actual == STATUS_TABLE


def test_waiting_groups_are_the_handbooks():
    # R: B4 — "waiting on support" / "waiting on customer"; Closed waits on nobody.
    assert {s.label for s in WAITING_ON_SUPPORT} == {
        k for k, v in WAITING_ON.items() if v == "support"
    }
    assert {s.label for s in WAITING_ON_CUSTOMER} == {
        k for k, v in WAITING_ON.items() if v == "customer"
    }


def _golden_verdict(actor, action, current, target, reason) -> bool:
    for g_actor, g_action, sources, targets, reasons in GOLDEN_EDGES:
        if (g_actor, g_action) != (actor, action) or current not in sources:
            continue
        if target not in targets:
            return False
        return reason in reasons if reasons else reason is None
    return False


CASES = list(
    itertools.product(
        [a.value for a in Actor],
        [a.value for a in Action],
        [label for subs in STATUS_TABLE.values() for label in subs],
    )
)


@pytest.mark.parametrize(("actor", "action", "current"), CASES)
def test_every_transition_matches_the_golden_table(actor, action, current):
    # R: B4 "Only allowed transitions happen" — every target and close reason, exhaustively.
    sub = BY_LABEL[current]
    for target_label, reason in itertools.product(
        [label for subs in STATUS_TABLE.values() for label in subs],
        [None, *CloseReason],
    ):
        verdict = check_transition(
            action=Action(action),
            actor=Actor(actor),
            status=STATUS_OF[sub],
            sub_status=sub,
            to_sub_status=BY_LABEL[target_label],
            close_reason=reason,
        )
        expected = _golden_verdict(
            actor, action, current, target_label, None if reason is None else reason.value
        )
        assert bool(verdict) is expected, (actor, action, current, target_label, reason)
        assert verdict.reason


@pytest.mark.parametrize(("actor", "current"), list(itertools.product(
    [a.value for a in Actor], [label for subs in STATUS_TABLE.values() for label in subs]
)))  # fmt: skip
def test_offered_actions_match_the_golden_table(actor, current):
    # R: B4 — the UI offers exactly the golden edges, so it never offers a refused one.
    sub = BY_LABEL[current]
    offered = {
        (e.action.value, tuple(SUB_STATUS_LABELS[t] for t in e.targets))
        for e in available_actions(Actor(actor), STATUS_OF[sub], sub)
    }
    golden = {
        (action, targets)
        for g_actor, action, sources, targets, _ in GOLDEN_EDGES
        if g_actor == actor and current in sources
    }
    assert offered == golden


def test_solution_proposed_can_go_back_to_request_info():
    # R: C5 — issue 16's planted bug, spelled out: a proposal the customer cannot act on
    # goes back to Awaiting Info / Info Required, and the reason names both ends.
    for sub in (SubStatus.FIXED_SOFTWARE_PROVIDED, SubStatus.REPLIED):
        verdict = check_transition(
            action=Action.REQUEST_INFO,
            actor=Actor.SUPPORT,
            status=Status.SOLUTION_PROPOSED,
            sub_status=sub,
            to_sub_status=SubStatus.INFO_REQUIRED,
        )
        assert verdict
        assert verdict.reason == (
            f"Solution Proposed / {sub.label} → Awaiting Info / Info Required."
        )


def test_refusals_say_which_rule():
    # R: B4 — each refusal names what was wrong, so the UI can show it.
    base = {"actor": Actor.SUPPORT, "status": Status.OPEN, "sub_status": SubStatus.NEW}
    wrong_state = check_transition(
        action=Action.REOPEN, to_sub_status=SubStatus.INVESTIGATION, **base
    )
    assert wrong_state.reason == "“Re-open case” is not possible while the case is Open / New."
    wrong_target = check_transition(action=Action.WORK, to_sub_status=SubStatus.NEW, **base)
    assert wrong_target.reason == (
        "“Set working status” leads to one of: Investigation, Engineering Request, "
        "3rd Party Pending; not New."
    )
    no_reason = check_transition(action=Action.CLOSE, to_sub_status=SubStatus.RESOLVED, **base)
    assert no_reason.reason == "A close reason is required."
    bad_reason = check_transition(
        action=Action.CLOSE,
        to_sub_status=SubStatus.RESOLVED,
        close_reason=CloseReason.NO_RESPONSE,
        **base,
    )
    assert bad_reason.reason == "Close reason “No response after follow-ups” is not available here."
    stray_reason = check_transition(
        action=Action.WORK,
        to_sub_status=SubStatus.INVESTIGATION,
        close_reason=CloseReason.DUPLICATE,
        **base,
    )
    assert stray_reason.reason == "A close reason only goes with closing."
