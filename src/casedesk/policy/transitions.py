"""The case state machine (B4-B7) as a table: statuses, sub-statuses, groups, edges.

``case_transition()`` is the only writer of a case's status and asks this table
before every change; templates and the API list the actions it offers, so the
pages never offer an edge the server would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .decision import Decision, allow, deny


class Status(StrEnum):
    OPEN = "open"
    AWAITING_INFO = "awaiting_info"
    SOLUTION_PROPOSED = "solution_proposed"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


class SubStatus(StrEnum):
    NEW = "new"
    INVESTIGATION = "investigation"
    CUSTOMER_RESPONDED = "customer_responded"
    ENGINEERING_REQUEST = "engineering_request"
    THIRD_PARTY_PENDING = "third_party_pending"
    INFO_REQUIRED = "info_required"
    FIXED_SOFTWARE_PROVIDED = "fixed_software_provided"
    REPLIED = "replied"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    LOGGED_FOR_FUTURE_FIX = "logged_for_future_fix"
    REDIRECTED = "redirected"
    CUSTOMER_REQUESTED_REOPEN = "customer_requested_reopen"
    VOIP_READINESS_PENDING = "voip_readiness_pending"

    @property
    def label(self) -> str:
        return SUB_STATUS_LABELS[self]


class Actor(StrEnum):
    """Who acts: a customer contact, support staff, or the system's own clock."""

    CONTACT = "contact"
    SUPPORT = "support"
    SYSTEM = "system"


class Action(StrEnum):
    WORK = "work"
    REQUEST_INFO = "request_info"
    PROPOSE_SOLUTION = "propose_solution"
    CUSTOMER_RESPONSE = "customer_response"
    CLOSE = "close"
    REQUEST_REOPEN = "request_reopen"
    REOPEN = "reopen"
    HOLD_VOIP = "hold_voip"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


class CloseReason(StrEnum):
    """Why a case closed; separate from the closed sub-status (B6)."""

    SOLUTION_ACCEPTED = "solution_accepted"
    CUSTOMER_REQUEST = "customer_request"
    NO_RESPONSE = "no_response_after_followups"
    REDIRECTED = "redirected"
    FUTURE_FIX = "logged_for_future_fix"
    DUPLICATE = "duplicate"

    @property
    def label(self) -> str:
        return CLOSE_REASON_LABELS[self]


STATUS_LABELS = {
    Status.OPEN: "Open",
    Status.AWAITING_INFO: "Awaiting Info",
    Status.SOLUTION_PROPOSED: "Solution Proposed",
    Status.CLOSED: "Closed",
}
SUB_STATUS_LABELS = {
    SubStatus.NEW: "New",
    SubStatus.INVESTIGATION: "Investigation",
    SubStatus.CUSTOMER_RESPONDED: "Customer Responded",
    SubStatus.ENGINEERING_REQUEST: "Engineering Request",
    SubStatus.THIRD_PARTY_PENDING: "3rd Party Pending",
    SubStatus.INFO_REQUIRED: "Info Required",
    SubStatus.FIXED_SOFTWARE_PROVIDED: "Fixed – Software Provided",
    SubStatus.REPLIED: "Replied",
    SubStatus.RESOLVED: "Resolved",
    SubStatus.CANCELLED: "Cancelled",
    SubStatus.LOGGED_FOR_FUTURE_FIX: "Logged for Future Fix",
    SubStatus.REDIRECTED: "Redirected",
    SubStatus.CUSTOMER_REQUESTED_REOPEN: "Customer Requested Re-open",
    SubStatus.VOIP_READINESS_PENDING: "VoIP Readiness Pending",
}
ACTION_LABELS = {
    Action.WORK: "Set working status",
    Action.REQUEST_INFO: "Request information",
    Action.PROPOSE_SOLUTION: "Propose solution",
    Action.CUSTOMER_RESPONSE: "Customer responded",
    Action.CLOSE: "Close case",
    Action.REQUEST_REOPEN: "Request to re-open",
    Action.REOPEN: "Re-open case",
    Action.HOLD_VOIP: "Hold until VoIP readiness passes",
}
CLOSE_REASON_LABELS = {
    CloseReason.SOLUTION_ACCEPTED: "Solution accepted",
    CloseReason.CUSTOMER_REQUEST: "Customer request",
    CloseReason.NO_RESPONSE: "No response after follow-ups",
    CloseReason.REDIRECTED: "Redirected",
    CloseReason.FUTURE_FIX: "Logged for future fix",
    CloseReason.DUPLICATE: "Duplicate",
}

SUB_STATUSES: dict[Status, tuple[SubStatus, ...]] = {
    Status.OPEN: (
        SubStatus.NEW,
        SubStatus.INVESTIGATION,
        SubStatus.CUSTOMER_RESPONDED,
        SubStatus.ENGINEERING_REQUEST,
        SubStatus.THIRD_PARTY_PENDING,
    ),
    # G2: held until the site's network passes a VoIP readiness assessment; the customer
    # owes it, so the case waits on them (no follow-up timer: nothing was asked of them in
    # words that a reminder could repeat; a passing assessment releases it).
    Status.AWAITING_INFO: (SubStatus.INFO_REQUIRED, SubStatus.VOIP_READINESS_PENDING),
    Status.SOLUTION_PROPOSED: (SubStatus.FIXED_SOFTWARE_PROVIDED, SubStatus.REPLIED),
    Status.CLOSED: (
        SubStatus.RESOLVED,
        SubStatus.CANCELLED,
        SubStatus.LOGGED_FOR_FUTURE_FIX,
        SubStatus.REDIRECTED,
        SubStatus.CUSTOMER_REQUESTED_REOPEN,
    ),
}
STATUS_OF: dict[SubStatus, Status] = {
    sub: status for status, subs in SUB_STATUSES.items() for sub in subs
}

# Named groups (B4): who the case is waiting on.
WAITING_ON_SUPPORT = frozenset({Status.OPEN})
WAITING_ON_CUSTOMER = frozenset({Status.AWAITING_INFO, Status.SOLUTION_PROPOSED})
TERMINAL = frozenset({Status.CLOSED})
ACTIVE = WAITING_ON_SUPPORT | WAITING_ON_CUSTOMER

_CLOSED_FINAL = frozenset(SUB_STATUSES[Status.CLOSED]) - {SubStatus.CUSTOMER_REQUESTED_REOPEN}


@dataclass(frozen=True, slots=True)
class Edge:
    action: Action
    actors: frozenset[Actor]
    sources: frozenset[Status]
    targets: tuple[SubStatus, ...]
    close_reasons: tuple[CloseReason, ...] = ()
    source_subs: frozenset[SubStatus] | None = None

    def accepts_source(self, status: Status, sub_status: SubStatus) -> bool:
        if status not in self.sources:
            return False
        return self.source_subs is None or sub_status in self.source_subs


_C, _S, _Y = Actor.CONTACT, Actor.SUPPORT, Actor.SYSTEM

EDGES: tuple[Edge, ...] = (
    Edge(
        Action.WORK,
        frozenset({_S}),
        frozenset({Status.OPEN}),
        (SubStatus.INVESTIGATION, SubStatus.ENGINEERING_REQUEST, SubStatus.THIRD_PARTY_PENDING),
    ),
    Edge(
        Action.REQUEST_INFO,
        frozenset({_S}),
        frozenset({Status.OPEN, Status.SOLUTION_PROPOSED}),
        (SubStatus.INFO_REQUIRED,),
    ),
    Edge(
        Action.PROPOSE_SOLUTION,
        frozenset({_S}),
        frozenset({Status.OPEN, Status.AWAITING_INFO}),
        (SubStatus.FIXED_SOFTWARE_PROVIDED, SubStatus.REPLIED),
    ),
    Edge(
        Action.CUSTOMER_RESPONSE,
        frozenset({_C, _S, _Y}),
        WAITING_ON_CUSTOMER,
        (SubStatus.CUSTOMER_RESPONDED,),
    ),
    # The contact closes with Resolved or Cancelled and a closure comment (B6).
    Edge(
        Action.CLOSE,
        frozenset({_C}),
        ACTIVE,
        (SubStatus.RESOLVED, SubStatus.CANCELLED),
        (CloseReason.SOLUTION_ACCEPTED, CloseReason.CUSTOMER_REQUEST),
    ),
    Edge(
        Action.CLOSE,
        frozenset({_S}),
        ACTIVE,
        (
            SubStatus.RESOLVED,
            SubStatus.CANCELLED,
            SubStatus.LOGGED_FOR_FUTURE_FIX,
            SubStatus.REDIRECTED,
        ),
        (
            CloseReason.SOLUTION_ACCEPTED,
            CloseReason.CUSTOMER_REQUEST,
            CloseReason.REDIRECTED,
            CloseReason.FUTURE_FIX,
            CloseReason.DUPLICATE,
        ),
    ),
    # The third automated follow-up closes a case that waits on the customer (C5).
    Edge(
        Action.CLOSE,
        frozenset({_Y}),
        WAITING_ON_CUSTOMER,
        (SubStatus.RESOLVED,),
        (CloseReason.NO_RESPONSE,),
    ),
    # A portal request to re-open parks the case for support to accept (B7).
    Edge(
        Action.REQUEST_REOPEN,
        frozenset({_C}),
        TERMINAL,
        (SubStatus.CUSTOMER_REQUESTED_REOPEN,),
        source_subs=_CLOSED_FINAL,
    ),
    Edge(
        Action.REOPEN,
        frozenset({_S}),
        TERMINAL,
        (SubStatus.INVESTIGATION,),
    ),
    # G2: support holds a VoIP case whose site has no passing readiness assessment; the
    # guard (``policy.voip.hold_decision``) is checked by ``obligations.services.voip_hold``.
    # A passing assessment, or the customer's own update, releases it (CUSTOMER_RESPONSE).
    Edge(
        Action.HOLD_VOIP,
        frozenset({_S}),
        frozenset({Status.OPEN}),
        (SubStatus.VOIP_READINESS_PENDING,),
    ),
)


def edges_for(action: Action, actor: Actor) -> list[Edge]:
    return [e for e in EDGES if e.action is action and actor in e.actors]


def find_edge(action: Action, actor: Actor, status: Status, sub_status: SubStatus) -> Edge | None:
    for edge in edges_for(action, actor):
        if edge.accepts_source(status, sub_status):
            return edge
    return None


def check_transition(
    *,
    action: Action,
    actor: Actor,
    status: Status,
    sub_status: SubStatus,
    to_sub_status: SubStatus,
    close_reason: CloseReason | None = None,
) -> Decision:
    """May ``actor`` take ``action`` from here to ``to_sub_status``? Says why not."""
    edge = find_edge(action, actor, status, sub_status)
    if edge is None:
        return deny(
            f"“{action.label}” is not possible while the case is "
            f"{status.label} / {sub_status.label}."
        )
    if to_sub_status not in edge.targets:
        options = ", ".join(s.label for s in edge.targets)
        return deny(f"“{action.label}” leads to one of: {options}; not {to_sub_status.label}.")
    if edge.close_reasons:
        if close_reason is None:
            return deny("A close reason is required.")
        if close_reason not in edge.close_reasons:
            return deny(f"Close reason “{close_reason.label}” is not available here.")
    elif close_reason is not None:
        return deny("A close reason only goes with closing.")
    return allow(
        f"{status.label} / {sub_status.label} → {STATUS_OF[to_sub_status].label} / "
        f"{to_sub_status.label}."
    )


def available_actions(actor: Actor, status: Status, sub_status: SubStatus) -> list[Edge]:
    """The edges this actor may take from here, in table order (drives every UI)."""
    return [e for e in EDGES if actor in e.actors and e.accepts_source(status, sub_status)]
