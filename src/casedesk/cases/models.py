"""Cases and their append-only timeline (B1-B11).

Only ``cases.services`` writes these rows; ``status``/``sub_status`` change only
through ``case_transition`` (architecture convention 3).
"""

from __future__ import annotations

from django.db import models

from casedesk.accounts.models import REGION_CHOICES, Deployment
from casedesk.policy.priority import EmergencyCriterion, Priority
from casedesk.policy.transitions import CloseReason, Status, SubStatus

CASE_NUMBER_PREFIX = "CS-"

# Active cases are a few percent of all cases: partial indexes on them stay small and
# serve the queues and "open" lists (measured in docs/benchmarks.md).
ACTIVE_STATUSES = ["awaiting_info", "open", "solution_proposed"]  # a list, as migrations hold it
ACTIVE_Q = models.Q(status__in=ACTIVE_STATUSES)


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(m.value, m.label) for m in enum]  # type: ignore[attr-defined]


class Kind(models.TextChoices):
    SUPPORT = "support", "Support case"
    SERVICE_REQUEST = "service_request", "Service request (MAC)"
    ADMIN = "admin", "Admin case"


class SubType(models.TextChoices):
    PROBLEM = "problem", "Problem"
    INQUIRY = "inquiry", "Inquiry"


class AdminCategory(models.TextChoices):
    CONTRACT_ACCESS = "contract_access", "Access to a contract or sold-to/end-user pair"
    CONTACT_CHANGE = "contact_change", "Add/remove a contact or change an e-mail"
    ACCESS_LEVEL = "access_level", "Access level change"
    COMPANY_ACCOUNT = "company_account", "Company account change"
    LICENCE = "licence", "Licence problem"
    PORTAL = "portal", "Portal problem"
    PRODUCT_MISSING = "product_missing", "Product missing from the list"
    FILE_TRANSFER = "file_transfer", "File transfer problem"
    LOG_RETRIEVAL = "log_retrieval", "Log file retrieval service"


class Environment(models.TextChoices):
    PRODUCTION = "prod", "Production"
    DEVELOPMENT = "dev", "Development / test"


class Channel(models.TextChoices):
    WEB = "web", "Web"
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    API = "api", "API"


class Frequency(models.TextChoices):
    ALWAYS = "always", "Always"
    SOMETIMES = "sometimes", "Sometimes"
    NEVER = "never", "Never (it used to, or is expected to)"


class Outcome(models.TextChoices):
    EDUCATION = "education", "Education"
    CONFIGURATION = "configuration", "Configuration change"
    ENHANCEMENT = "enhancement", "Enhancement request"
    DEFECT = "defect", "Defect (change request)"
    FIX = "fix", "Fix"
    WORKAROUND = "workaround", "Workaround"


class ChangeRequestStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    SCHEDULED = "scheduled", "Scheduled for a service update"
    FIXED = "fixed", "Fixed"
    REJECTED = "rejected", "Rejected"


class Case(models.Model):
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SUPPORT)
    sub_type = models.CharField(max_length=10, choices=SubType.choices, blank=True)
    admin_category = models.CharField(max_length=20, choices=AdminCategory.choices, blank=True)

    # Indexed by case_org_idx / case_contact_idx / case_assignee_idx (which lead with these
    # columns); a second single-column index each would only cost every insert.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="opened_cases", db_index=False
    )
    assignee = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        db_index=False,
    )

    product_group = models.ForeignKey(
        "catalog.ProductGroup", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    major_version = models.ForeignKey(
        "catalog.MajorVersion", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    patch = models.ForeignKey(
        "catalog.Patch", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    environment = models.CharField(
        max_length=4, choices=Environment.choices, default=Environment.PRODUCTION
    )
    deployment = models.CharField(max_length=10, choices=Deployment.choices)
    region = models.CharField(max_length=10, choices=REGION_CHOICES)
    language = models.CharField(max_length=10, default="en")
    channel = models.CharField(max_length=6, choices=Channel.choices, default=Channel.WEB)

    priority = models.CharField(max_length=10, choices=_choices(Priority), default=Priority.LOW)
    production_down = models.BooleanField(default=False)
    emergency_criterion = models.CharField(
        max_length=30, choices=_choices(EmergencyCriterion), blank=True
    )

    subject = models.CharField(max_length=200)
    description = models.TextField()
    business_impact = models.TextField(blank=True)
    # The preparatory questions of B2, kept as answered.
    expected_behaviour = models.TextField(blank=True)
    circumstances = models.TextField(blank=True)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, blank=True)
    scope = models.TextField(blank=True, help_text="Everyone, or only some users/gateways/servers")
    recent_changes = models.TextField(blank=True)
    load_at_time = models.TextField(blank=True)

    status = models.CharField(max_length=20, choices=_choices(Status), default=Status.OPEN)
    sub_status = models.CharField(max_length=30, choices=_choices(SubStatus), default=SubStatus.NEW)
    close_reason = models.CharField(max_length=30, choices=_choices(CloseReason), blank=True)
    closed_by_followup = models.BooleanField(default=False)

    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    change_request_id = models.CharField(max_length=40, blank=True)
    change_request_status = models.CharField(
        max_length=20, choices=ChangeRequestStatus.choices, blank=True
    )
    hot_fix = models.BooleanField(default=False, help_text="Engineering special pushed (B9)")

    linked_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_on_cases"
    )

    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    all_info_at = models.DateTimeField(
        null=True, blank=True, help_text="When the engineer marked all information provided (C4)"
    )
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text="Start of the current follow-up timer (C5)"
    )
    service_restored_at = models.DateTimeField(
        null=True, blank=True, help_text="Production Down: when service was restored (C3)"
    )
    # Kept by the services for the queue's indexed sorts (B10, C3): 0 Production Down,
    # 1 Critical … 4 Low; and the earliest target of a running milestone.
    urgency = models.PositiveSmallIntegerField(default=4)
    next_due_at = models.DateTimeField(null=True, blank=True)
    policy_version = models.PositiveIntegerField(
        default=0, help_text="The support policy version the case runs under (0: defaults)"
    )
    # Optimistic concurrency: a write names the version it read (stale → 409).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            # Engineer queues (waiting on support / on customer), oldest or newest first.
            models.Index(
                fields=["opened_at", "id"], condition=ACTIVE_Q, name="case_active_opened_idx"
            ),
            models.Index(
                fields=["product_group", "region", "opened_at", "id"],
                condition=ACTIVE_Q,
                name="case_active_queue_idx",
            ),
            models.Index(
                fields=["updated_at", "id"], condition=ACTIVE_Q, name="case_active_updated_idx"
            ),
            # The queue's most-urgent-first order and next-milestone-due order (B10, C3);
            # ascending puts cases without a running milestone last on PostgreSQL.
            models.Index(
                fields=["urgency", "next_due_at", "opened_at", "id"],
                condition=ACTIVE_Q,
                name="case_active_urgency_idx",
            ),
            models.Index(
                fields=["next_due_at", "id"], condition=ACTIVE_Q, name="case_active_due_idx"
            ),
            # The console's "urgent cases unassigned" counter: a handful of rows.
            models.Index(
                fields=["opened_at"],
                condition=ACTIVE_Q & models.Q(priority="critical", assignee__isnull=True),
                name="case_urgent_unassigned_idx",
            ),
            # Queues over closed cases or any state (rare, but bounded by an index).
            models.Index(fields=["status", "opened_at", "id"], name="case_status_opened_idx"),
            # Customer lists: own cases and organisation-wide views, newest first.
            models.Index(fields=["contact", "status", "updated_at"], name="case_contact_idx"),
            models.Index(fields=["organisation", "status", "updated_at"], name="case_org_idx"),
            models.Index(
                fields=["organisation", "updated_at", "id"],
                condition=ACTIVE_Q,
                name="case_org_active_idx",
            ),
            models.Index(
                fields=["assignee", "updated_at", "id"],
                condition=ACTIVE_Q,
                name="case_assignee_active_idx",
            ),
            models.Index(fields=["assignee", "status", "updated_at"], name="case_assignee_idx"),
        ]

    # Not stored: set by ``case_open`` when the version is past end of support (T48), so
    # the page or API that opened the case can say so; the opened event keeps it.
    lifecycle_warning = ""

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        """Readable, unique, and derived from the key so opening needs no counter lock (B11)."""
        return format_case_number(self.pk)

    @property
    def status_enum(self) -> Status:
        return Status(self.status)

    @property
    def sub_status_enum(self) -> SubStatus:
        return SubStatus(self.sub_status)

    @property
    def priority_enum(self) -> Priority:
        return Priority(self.priority)

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED


def format_case_number(pk: int) -> str:
    return f"{CASE_NUMBER_PREFIX}{pk:06d}"


def parse_case_number(number: str) -> int | None:
    """The key behind a case number, or None for anything that is not one."""
    text = number.strip().upper()
    if text.startswith(CASE_NUMBER_PREFIX):
        text = text[len(CASE_NUMBER_PREFIX) :]
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        return None
    return int(text)


class EventKind(models.TextChoices):
    OPENED = "opened", "Case opened"
    REPLY = "reply", "Reply"
    NOTE = "note", "Internal note"
    CUSTOMER_UPDATE = "customer_update", "Customer update"
    TRANSITION = "transition", "Status change"
    PRIORITY = "priority", "Priority change"
    ASSIGNMENT = "assignment", "Assignment"
    OUTCOME = "outcome", "Outcome"
    ALL_INFO = "all_info", "All necessary information provided"
    LINKED = "linked", "Linked case"
    FOLLOW_UP = "followup", "Automated follow-up"
    MILESTONE = "milestone", "SLA milestone"
    ROOT_CAUSE = "root_cause", "Root cause identified"
    FIX_DELIVERED = "fix_delivered", "Fix or workaround delivered"
    SERVICE_RESTORED = "restored", "Service restored"
    UNASSIGNED = "unassigned", "Unassigned: queue owner alerted"
    ESCALATION = "escalation", "Escalation"
    ATTACHMENT = "attachment", "File attached"
    FILES_PURGED = "files_purged", "Files purged"
    DROPBOX = "dropbox", "SFTP drop box"


class CaseEvent(models.Model):
    """One line of a case's audit trail and timeline: who, when, what, why."""

    # event_case_at_idx leads with case_id, so no separate index.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", db_index=False)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    public = models.BooleanField(default=True, help_text="Visible to the customer")
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="event_case_at_idx")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def summary(self) -> str:
        return describe_event(self.kind, self.data)


def describe_event(kind: str, data: dict[str, object]) -> str:
    """A one-line human description of an event, from its recorded data."""
    if kind == EventKind.TRANSITION:
        return f"{data.get('from_label', '?')} → {data.get('to_label', '?')}"
    if kind == EventKind.PRIORITY:
        return f"Priority {data.get('from', '?')} → {data.get('to', '?')}".replace("_", " ")
    if kind == EventKind.ASSIGNMENT:
        return f"Assigned to {data.get('to_name') or 'nobody'}"
    if kind == EventKind.ATTACHMENT:
        return f"File attached: {data.get('filename', '')}"
    if kind == EventKind.OUTCOME:
        return f"Outcome: {data.get('outcome_label', '')}"
    if kind == EventKind.ESCALATION:
        what = "Root-cause request" if data.get("kind") == "root_cause" else "Escalation"
        if data.get("refused"):
            return f"{what} to management refused: not eligible"
        state = str(data.get("state", "open")).replace("_", " ")
        return f"{what} to management: {'requested' if state == 'open' else state}"
    if kind == EventKind.NOTE and data.get("about") in EventKind.values:
        return f"Internal note on the {EventKind(str(data['about'])).label.lower()}"
    if kind == EventKind.DROPBOX:
        return f"SFTP drop box {data.get('username', '')} {data.get('action', '')}"
    if kind in (EventKind.REPLY, EventKind.NOTE) and data.get("call"):
        # H1: a call logged by phone.services.call_log.
        return "Phone call" + (" (internal note)" if kind == EventKind.NOTE else "")
    return str(EventKind(kind).label) if kind in EventKind.values else kind
