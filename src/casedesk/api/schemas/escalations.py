"""Escalation request and response shapes (C6)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema

from .common import RequiredText, Text, VersionedInput


class EligibilityOut(Schema):
    kind: Literal["standard", "root_cause"]
    label: str
    eligible: bool
    reason: str
    eligible_from: dt.datetime | None
    needs_significant_impact: bool
    active_escalation_id: int | None


class EscalationOut(Schema):
    id: int
    kind: Literal["standard", "root_cause"]
    state: Literal["open", "in_progress", "resolved", "declined"]
    subject: str
    case_number: str
    product: str
    version: str
    requested_at: dt.datetime
    requested_by: str
    eligibility: str
    reason: str
    summary: str
    critical_dates: str
    expectations: str
    outcome: str
    closed_at: dt.datetime | None


class EscalationStatusOut(Schema):
    case_number: str
    options: list[EligibilityOut]
    escalations: list[EscalationOut]


class EscalationIn(VersionedInput):
    """The management escalation template; subject, product and version come from the case."""

    kind: Literal["standard", "root_cause"]
    reason: RequiredText
    summary: RequiredText
    expectations: RequiredText
    critical_dates: Text = ""
    significant_impact: bool = False
