"""Inbound e-mail (E2, E3; security rules 1, 2, 5, 6).

Every message that reaches a receiver becomes one ``InboundMessage`` row whose raw
bytes are stored (files storage, key ``mail/raw/…``) and committed *before* anything
parses them, so a crash or a parser bug never loses mail. Processing then moves the
row out of ``received`` exactly once:

    received ──► appended        (valid reference ID, participant, authenticated sender)
             ──► ignored         (auto-reply, bulk, bounce, our own mail looping back)
             ──► needs_care      (no/bad reference ID, not a participant, failed sender
             │                    authentication, closed case: the care queue, E3)
             └─► quarantined     (over a limit, unparseable, unknown charset, a bug)

A care admin resolves a ``needs_care``/``quarantined`` message: ``linked`` to a case,
``case_opened`` from it, or ``dismissed`` with a reason. Only ``mail.services`` writes.
"""

from __future__ import annotations

from django.db import models


class State(models.TextChoices):
    RECEIVED = "received", "Received, not yet processed"
    APPENDED = "appended", "Appended to its case"
    IGNORED = "ignored", "Ignored (automatic mail)"
    NEEDS_CARE = "needs_care", "Needs care"
    QUARANTINED = "quarantined", "Quarantined"
    LINKED = "linked", "Linked to a case by care"
    CASE_OPENED = "case_opened", "Case opened from it by care"
    DISMISSED = "dismissed", "Dismissed by care"


CARE_STATES = (State.NEEDS_CARE, State.QUARANTINED)


class InboundMessage(models.Model):
    source = models.CharField(max_length=10)  # smtp, lmtp, imap, test
    envelope_from = models.CharField(max_length=320, null=True, blank=True)  # None: unknown
    envelope_to = models.TextField(blank=True)
    received_at = models.DateTimeField()
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    raw_key = models.CharField(max_length=300, unique=True)
    # IMAP: "<host>/<user>/<folder>/<uidvalidity>/<uid>" so a message is imported once.
    dedupe_key = models.CharField(max_length=400, null=True, blank=True, unique=True)
    # One row per message and mailbox, whoever delivers it how often (an MTA retrying after
    # a lost 250, the same mail in two IMAP UIDs): sha256 of the mailbox and the normalised
    # Message-ID, or of the raw bytes when there is none (``storing.message_key``).
    message_key = models.CharField(max_length=64, null=True, blank=True)

    state = models.CharField(max_length=12, choices=State.choices, default=State.RECEIVED)
    reason_code = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    # What processing learnt (blank while received or when the message could not be parsed).
    message_id = models.CharField(max_length=998, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    from_address = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    headers = models.JSONField(default=list, blank=True)  # [[name, value], …] after stripping
    stripped_headers = models.JSONField(default=list, blank=True)  # X-Casedesk-* names removed
    text = models.TextField(blank=True)
    quoted_text = models.TextField(blank=True)
    html = models.TextField(blank=True)  # sanitised (nh3), never the sender's markup
    quoted_html = models.TextField(blank=True)
    parts = models.JSONField(default=list, blank=True)  # [{filename, content_type, size}, …]
    defects = models.JSONField(default=list, blank=True)  # what the MIME parser complained of

    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sender = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message_key"], name="inbound_message_key_unique"),
        ]
        indexes = [
            models.Index(fields=["state", "received_at"], name="inbound_state_idx"),
            # The flood limits count recent mail per sender and per case.
            models.Index(fields=["from_address", "received_at"], name="inbound_sender_recent_idx"),
            models.Index(fields=["case", "received_at"], name="inbound_case_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.state} {self.from_address} {self.subject[:60]}"

    @property
    def needs_care(self) -> bool:
        return self.state in CARE_STATES
