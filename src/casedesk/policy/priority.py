"""Priorities (B3) and who may change them (B8)."""

from __future__ import annotations

from enum import StrEnum

from .decision import Decision, allow, deny
from .transitions import Actor


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def label(self) -> str:
        return self.value.title()

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}

DEFINITIONS = {
    Priority.CRITICAL: "Critical: severe impact; may carry the Production Down flag.",
    Priority.HIGH: "High: the system runs but usability is severely impacted.",
    Priority.MEDIUM: "Medium: non-essential functions are impeded.",
    Priority.LOW: "Low: limited impact, cosmetic, or documentation.",
}


class EmergencyCriterion(StrEnum):
    """The Production Down criteria (B3); one must be chosen with the flag."""

    SERVER_DOWN = "server_down"
    NO_BACKUP = "switchover_without_backup"
    CORE_MISSION = "core_mission"

    @property
    def label(self) -> str:
        return EMERGENCY_LABELS[self]


EMERGENCY_LABELS = {
    EmergencyCriterion.SERVER_DOWN: "Primary server down or no dial tone",
    EmergencyCriterion.NO_BACKUP: (
        "Switchover pair running without its backup outside scheduled maintenance"
    ),
    EmergencyCriterion.CORE_MISSION: (
        "Site cannot perform its core mission (e.g. outbound call centre cannot dial out)"
    ),
}

PHONE_FOR_HIGHER = (
    "High and Critical priority are set by support after a phone call; please call your "
    "regional support centre."
)


def production_down_decision(
    *, priority: Priority, production_down: bool, criterion: EmergencyCriterion | None
) -> Decision:
    """Production Down only on Critical cases, and only with an emergency criterion (B3)."""
    if not production_down:
        if criterion is not None:
            return deny("An emergency criterion only goes with the Production Down flag.")
        return allow("Not Production Down.")
    if priority is not Priority.CRITICAL:
        return deny("Production Down applies to Critical cases only.")
    if criterion is None:
        return deny("Production Down requires choosing the emergency criterion.")
    return allow(f"Production Down: {criterion.label}.")


def priority_change_decision(
    *, actor: Actor, current: Priority, requested: Priority, reason: str
) -> Decision:
    """A contact may ask Low → Medium with a note; anything else is support's call (B8)."""
    if requested is current:
        return deny(f"The case is already {current.label}.")
    if not reason.strip():
        return deny("A priority change needs a reason.")
    if actor is Actor.SUPPORT:
        return allow(f"Support changed priority {current.label} → {requested.label}.")
    if actor is Actor.CONTACT:
        if current is Priority.LOW and requested is Priority.MEDIUM:
            return allow("Contact raised priority Low → Medium with a work note.")
        if requested in (Priority.HIGH, Priority.CRITICAL):
            return deny(PHONE_FOR_HIGHER)
        return deny("Contacts may only raise a Low case to Medium.")
    return deny("The system does not change priorities.")
