"""The outbox (E1, E4; convention 6, rule 7) and survey answers (F7, B6).

An ``OutboundMessage`` is written in the same transaction as the change it reports,
so a rolled-back change mails nobody and an SMTP outage loses nothing. It records who
and what (event, kind, recipient, Message-ID, the case facts of the event's moment in
``context``); the send pump renders subject and bodies just before sending (ADR 0004). Its
``idempotency_key`` (``event:<id>:<kind>:<recipient>``) is unique: one event never
yields two mails to one recipient, however often the event's code path runs.

Recipients: ``to`` are named in the ``To`` header; ``bcc`` receive the same message
through the SMTP envelope only, never in a header (issue 17: a new case's notice to the
centre on shift is one message, one rendering and one SMTP transaction for all its
engineers, who do not see each other's addresses). A message with only ``bcc`` says
``To: undisclosed-recipients:;``.
"""

from __future__ import annotations

from django.db import models


class MessageState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundMessage(models.Model):
    # Indexed by outbox_case_kind_idx (case first); no separate FK index to maintain.
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    event = models.ForeignKey(
        "cases.CaseEvent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    to = models.JSONField(help_text="Recipient addresses, named in the To header")
    bcc = models.JSONField(
        default=list,
        blank=True,
        help_text="Recipients in the SMTP envelope only, never in a header",
    )
    # Empty until the send pump renders the row (ADR 0004); then what was sent.
    subject = models.CharField(max_length=400, blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    message_id = models.CharField(max_length=250)
    in_reply_to = models.CharField(max_length=250, blank=True)
    references = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=300)
    context = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the send pump renders from: audience, event-time case facts, extras",
    )
    state = models.CharField(
        max_length=10, choices=MessageState.choices, default=MessageState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Unique constraints rather than unique=True: on PostgreSQL the latter adds a
        # second (LIKE) index per column that nothing uses but every INSERT maintains.
        constraints = [
            models.UniqueConstraint(fields=["message_id"], name="outbox_message_id_unique"),
            models.UniqueConstraint(fields=["idempotency_key"], name="outbox_idempotency_unique"),
        ]
        indexes = [
            # What the pump reads each tick: due pending rows, and lapsed "sending" leases.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="outbox_pending_due_idx",
            ),
            models.Index(
                fields=["claimed_until"],
                condition=models.Q(state="sending"),
                name="outbox_sending_lease_idx",
            ),
            models.Index(fields=["case", "kind"], name="outbox_case_kind_idx"),
        ]

    def __str__(self) -> str:
        hidden = f" + {len(self.bcc)} undisclosed" if self.bcc else ""
        return f"{self.kind} to {', '.join(self.to) or '—'}{hidden} ({self.state})"

    @property
    def recipients(self) -> list[str]:
        """Everyone the message goes to: the envelope's RCPT TO addresses."""
        return [*self.to, *self.bcc]


class SurveyResponse(models.Model):
    """One answer per case closure (F7); ``closure`` is the ``closed_at`` the link was for."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    closure = models.DateTimeField()
    priority = models.CharField(max_length=10, help_text="The case's priority when it closed")
    score = models.PositiveSmallIntegerField()
    solved = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "closure"], name="one_survey_per_closure"),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="survey_score_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"survey {self.case_id} score {self.score}"
