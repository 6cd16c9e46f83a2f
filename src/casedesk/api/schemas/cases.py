"""Case request and response shapes (B2-B11).

Choices are ``Literal`` types built from the domain enums, so the OpenAPI document lists
the allowed values and anything else is a field-level 422 before a service runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StringConstraints, field_validator

from casedesk.cases.models import (
    AdminCategory,
    ChangeRequestStatus,
    Environment,
    Frequency,
    Kind,
    Outcome,
    SubType,
)
from casedesk.cases.selectors import MAX_PAGE, QUEUE_SORTS, SORTS
from casedesk.policy.priority import EmergencyCriterion, Priority
from casedesk.policy.regions import Region
from casedesk.policy.transitions import Action, CloseReason, SubStatus

from .common import (
    NOT_BLANK,
    Email,
    Id,
    InputSchema,
    OutputSchema,
    PersonOut,
    RequiredSubject,
    RequiredText,
    Text,
    VersionedInput,
    clean_text,
)


def _literal(*values: str) -> Any:
    return Literal[values]  # type: ignore[valid-type]


KindLit = _literal(*Kind.values)
SubTypeLit = _literal(*SubType.values)
AdminCategoryLit = _literal("", *AdminCategory.values)
EnvironmentLit = _literal(*Environment.values)
PriorityLit = _literal(*(p.value for p in Priority))
CriterionLit = _literal(*(c.value for c in EmergencyCriterion))
FrequencyLit = _literal("", *Frequency.values)
ActionLit = _literal(*(a.value for a in Action))
SubStatusLit = _literal(*(s.value for s in SubStatus))
CloseReasonLit = _literal(*(r.value for r in CloseReason))
OutcomeLit = _literal(*Outcome.values)
ChangeRequestStatusLit = _literal("", *ChangeRequestStatus.values)
RegionLit = _literal(*(r.value for r in Region))
SortLit = _literal(*dict.fromkeys([*SORTS, *QUEUE_SORTS]))
StateLit = Literal[
    "open", "closed", "waiting_on_support", "waiting_on_customer", "reopen_requested", "any"
]


# --- list ----------------------------------------------------------------------------


class CaseListQuery(Schema):
    """B10 views: mine / all (A3) for contacts; mine / all / queue for support."""

    scope: Literal["mine", "all", "queue"] = "mine"
    state: StateLit | None = Field(None, description="Default: open (queue: waiting_on_support)")
    priority: PriorityLit | None = None
    product_group: Id | None = None
    region: RegionLit | None = None
    sub_status: SubStatusLit | None = None
    assignee: Literal["me", "none"] | None = Field(None, description="Support only")
    q: Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)] = ""
    sort: SortLit | None = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1

    @field_validator("q")
    @classmethod
    def _searchable(cls, value: str) -> str:
        value = clean_text(value)
        # parse_case_number() treats any Unicode digit as a case number; keep it to 0-9.
        bare = value.upper().removeprefix("CS-")
        if bare.isdigit() and not bare.isascii():
            raise ValueError("Case numbers are written with the digits 0-9.")
        return value


# --- opening -------------------------------------------------------------------------


class _CaseFields(InputSchema):
    """The B2 opening fields, all optional here; subclasses decide what is required."""

    kind: KindLit | None = None
    sub_type: SubTypeLit | None = None
    admin_category: AdminCategoryLit | None = None
    product_id: Id | None = None
    major_version_id: Id | None = None
    patch_id: Id | None = None
    environment: EnvironmentLit | None = None
    priority: PriorityLit | None = Field(None, description="Defaults to low (B2)")
    production_down: bool | None = None
    emergency_criterion: CriterionLit | None = None
    reason_public: bool | None = Field(
        None,
        description="Whether the customer sees the reason; default: internal when support "
        "changes the priority, public (and only public) for the case's contact",
    )
    business_impact: Text | None = None
    expected_behaviour: Text | None = None
    circumstances: Text | None = None
    frequency: FrequencyLit | None = None
    scope: Text | None = None
    recent_changes: Text | None = None
    load_at_time: Text | None = None
    contact_email: Email | None = Field(
        None,
        description=(
            "The contact the case is opened for (H1): required from support staff, refused "
            "from contacts, who open cases for themselves"
        ),
    )
    channel: Literal["phone", "email", "web"] | None = Field(
        None, description="Support staff only: how the contact reached us"
    )


def _catalogue_rules(schema: dict[str, Any]) -> None:
    """B2 in the schema as the service applies it: a support case (the default kind) names
    its product and major version, a service request its product, an admin case neither."""
    integer = {"type": "integer"}
    schema["allOf"] = [
        {
            "if": {"properties": {"kind": {"const": Kind.ADMIN.value}}, "required": ["kind"]},
            "else": {"required": ["product_id"], "properties": {"product_id": integer}},
        },
        {
            "if": {
                "properties": {"kind": {"enum": [Kind.ADMIN.value, Kind.SERVICE_REQUEST.value]}},
                "required": ["kind"],
            },
            "else": {
                "required": ["major_version_id"],
                "properties": {"major_version_id": integer},
            },
        },
    ]


class CaseOpenIn(_CaseFields):
    """B2. ``product_id`` is required unless ``kind`` is ``admin``; ``major_version_id``
    too for support cases (the default kind)."""

    model_config = ConfigDict(json_schema_extra=_catalogue_rules)

    contract_id: Id
    subject: RequiredSubject
    description: RequiredText


class FollowOnIn(_CaseFields, VersionedInput):
    """B7: a new case linked to a closed one; omitted fields are taken from that case.
    ``version`` is the earlier case's."""

    description: RequiredText
    subject: RequiredSubject | None = None
    contract_id: Id | None = None


# --- actions -------------------------------------------------------------------------


class UpdateIn(VersionedInput):
    body: RequiredText
    internal: bool = Field(False, description="Internal note (support staff only)")


class TransitionIn(VersionedInput):
    action: ActionLit
    to: SubStatusLit
    reason: Text = ""
    close_reason: CloseReasonLit | None = None
    reason_public: bool = Field(
        True,
        description="Whether the customer sees the reason (support may keep it internal; "
        "not for request_info or propose_solution, whose reason is the message)",
    )


class CloseIn(VersionedInput):
    sub_status: Literal["resolved", "cancelled"]
    close_reason: CloseReasonLit | None = Field(
        None, description="Default: solution_accepted (resolved) / customer_request (cancelled)"
    )
    comment: RequiredText
    comment_public: bool = Field(
        True, description="Whether the customer sees the comment (support may keep it internal)"
    )


class ReopenIn(VersionedInput):
    information: RequiredText = Field(description="New supporting information (B7)")


class PriorityIn(VersionedInput):
    priority: PriorityLit
    reason: Text
    production_down: bool | None = None
    emergency_criterion: CriterionLit | None = None
    reason_public: bool | None = Field(
        None,
        description="Whether the customer sees the reason; default: internal when support "
        "changes the priority, public (and only public) for the case's contact",
    )


def _defect_rule(schema: dict[str, Any]) -> None:
    """B9: a defect is tracked as a change request, so it names one."""
    schema["if"] = {"properties": {"outcome": {"const": Outcome.DEFECT.value}}}
    schema["then"] = {
        "required": ["change_request_id"],
        "properties": {"change_request_id": {"pattern": NOT_BLANK}},
    }


class OutcomeIn(VersionedInput):
    model_config = ConfigDict(json_schema_extra=_defect_rule)

    outcome: OutcomeLit
    change_request_id: Annotated[str, StringConstraints(max_length=40)] = Field(
        "", description="Required when the outcome is a defect"
    )
    change_request_status: ChangeRequestStatusLit = ""
    hot_fix: bool = False
    note: Text = ""
    note_public: bool = Field(False, description="Whether the customer sees the note")


class RootCauseIn(VersionedInput):
    summary: RequiredText = Field(description="The root cause; the customer sees it (C3)")


class FixDeliveredIn(VersionedInput):
    note: RequiredText = Field(description="What was delivered; the customer sees it (C3)")


class ServiceRestoredIn(VersionedInput):
    note: Text = Field("", description="Optional; the customer sees it")


class AssignIn(VersionedInput):
    assignee_email: Email | None = Field(..., description="null puts the case back in the queue")
    reason: Text = ""


class AllInfoIn(VersionedInput):
    """C4: the body is optional; send it to have a stale read refused."""


# --- responses -----------------------------------------------------------------------


class NamedRef(OutputSchema):
    id: int
    name: str


class CaseSummaryOut(OutputSchema):
    number: str
    subject: str
    kind: str
    status: str
    status_label: str
    sub_status: str
    sub_status_label: str
    priority: str
    production_down: bool
    organisation: str
    contact: PersonOut
    assignee: PersonOut | None
    product_group: NamedRef | None
    product: NamedRef | None
    region: str
    opened_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    version: int


class CaseListOut(OutputSchema):
    items: list[CaseSummaryOut]
    page: int
    has_next: bool


class TargetOut(OutputSchema):
    value: str
    label: str


class AvailableActionOut(OutputSchema):
    action: str
    label: str
    targets: list[TargetOut]
    close_reasons: list[TargetOut]
    endpoint: str = Field(description="Where to send it, relative to the case")


class MilestoneOut(OutputSchema):
    kind: Literal["root_cause", "fix"]
    started_at: dt.datetime
    target_at: dt.datetime
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    settled_at: dt.datetime | None = Field(description="When closing the case settled it (C9)")
    settlement: Literal["", "met", "missed", "not_applicable"]


class CertificationRef(OutputSchema):
    product: str
    version: str
    function: str
    valid_until: dt.date


class CaseDetailOut(CaseSummaryOut):
    sub_type: str
    admin_category: str
    description: str
    business_impact: str
    expected_behaviour: str
    circumstances: str
    frequency: str
    scope: str
    recent_changes: str
    load_at_time: str
    contract: str
    site: str
    major_version: NamedRef | None
    patch: NamedRef | None
    environment: str
    deployment: str
    language: str
    channel: str
    emergency_criterion: str
    close_reason: str
    closed_by_followup: bool
    outcome: str
    change_request_id: str
    change_request_status: str
    hot_fix: bool
    linked_from: str | None
    all_info_at: dt.datetime | None
    service_restored_at: dt.datetime | None = Field(
        None, description="Production Down: when service was restored (C3)"
    )
    milestones: list[MilestoneOut] = Field(
        default_factory=list, description="SLA milestones: target, met, breached, settled (C3, C9)"
    )
    available_actions: list[AvailableActionOut]
    contact_certifications: list[CertificationRef] | None = Field(
        None, description="Support staff only (A7)"
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="Said once, when the case is opened: e.g. the version is past end of "
        "support (T48); the opened event keeps it",
    )


class ActorOut(OutputSchema):
    full_name: str
    role: str


class EventOut(OutputSchema):
    id: int
    at: dt.datetime
    kind: str
    kind_label: str
    summary: str
    public: bool
    body: str
    actor: ActorOut | None
    data: dict[str, Any] | None = Field(None, description="Structured details; support only")
