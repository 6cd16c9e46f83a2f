"""Forms of the console's case page and of opening a case for a caller (B4-B10, H1)."""

from __future__ import annotations

from typing import Any

from django import forms

from casedesk.cases.models import ChangeRequestStatus, Outcome
from casedesk.policy.priority import DEFINITIONS, EmergencyCriterion, Priority
from casedesk.policy.transitions import Action, Actor, CloseReason, Edge, available_actions
from casedesk.web.forms import TEXT_MAX, IdPrefixMixin

# Re-opening has its own form, which checks the window (B7).
# Re-opening checks its window; the VoIP hold its site's readiness (G2): own forms each.
_NOT_VIA_TRANSITION = {Action.REOPEN, Action.REQUEST_REOPEN, Action.HOLD_VOIP}


def _area(rows: int, required: bool = True, label: str = "") -> Any:
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ReplyForm(IdPrefixMixin, forms.Form):
    """B5: a public reply the customer sees, or an internal note they never see."""

    id_prefix = "reply"

    body = _area(5, label="Message")
    visibility = forms.ChoiceField(
        label="Visibility",
        choices=[("public", "Public reply (the customer sees it)"), ("internal", "Internal note")],
        initial="public",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].error_messages["required"] = "Write something first."


def _visibility(initial: str, public_label: str) -> Any:
    """Who reads an action's free text (issue 11 item 3): said on the form, with a default."""
    return forms.ChoiceField(
        label="Who sees this text",
        choices=[("public", public_label), ("internal", "Internal (support only)")],
        initial=initial,
        required=False,  # a form posted without it (an old tab) gets the field's default
        widget=forms.RadioSelect,
    )


class VisibilityMixin:
    """``text_public``: True when the action's text is shown to the customer."""

    cleaned_data: dict[str, Any]
    fields: dict[str, Any]

    @property
    def text_public(self) -> bool:
        chosen = self.cleaned_data.get("visibility") or self.fields["visibility"].initial
        return bool(chosen == "public")


def transition_choices(case: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (action, target) pairs support may take from here, and the close reasons (B4, B6)."""
    edges: list[Edge] = [
        e
        for e in available_actions(Actor.SUPPORT, case.status_enum, case.sub_status_enum)
        if e.action not in _NOT_VIA_TRANSITION
    ]
    moves = [
        (f"{e.action.value}:{t.value}", f"{e.action.label} → {t.label}")
        for e in edges
        for t in e.targets
        if t.value != case.sub_status
    ]
    reasons: dict[str, str] = {}
    for e in edges:
        for r in e.close_reasons:
            reasons[r.value] = r.label
    return moves, list(reasons.items())


class TransitionForm(VisibilityMixin, IdPrefixMixin, forms.Form):
    """Offers only the edges of ``policy.transitions`` open to support from here (B4).

    The why is visible to the customer by default: asking for information, proposing a
    solution and closing are told to the customer in these words (the mail quotes them);
    a purely internal move can be marked internal.
    """

    id_prefix = "move"

    move = forms.ChoiceField(label="Action")
    close_reason = forms.ChoiceField(
        label="Close reason", required=False, help_text="Only when closing."
    )
    reason = _area(3, label="Why (recorded on the timeline)")
    visibility = _visibility("public", "Visible to the customer (quoted in the mail)")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        moves, reasons = transition_choices(case)
        self.fields["move"].choices = [("", "— choose —"), *moves]
        self.fields["close_reason"].choices = [("", "— not closing —"), *reasons]
        self.fields["reason"].error_messages["required"] = "Say why; it is recorded (B4)."

    @property
    def available(self) -> bool:
        return len(self.fields["move"].choices) > 1

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        move = data.get("move") or ""
        action, _, target = move.partition(":")
        data["action"], data["to"] = action, target
        if action == Action.CLOSE and not data.get("close_reason"):
            self.add_error("close_reason", "Choose the close reason.")
        if action and action != Action.CLOSE and data.get("close_reason"):
            self.add_error("close_reason", "A close reason only goes with closing.")
        return data


class SupportPriorityForm(VisibilityMixin, IdPrefixMixin, forms.Form):
    """B3, B8: support sets any priority (after a phone call), with its reason.

    The reason is internal by default: it is triage talk ("40 agents affected; raising");
    the customer always sees the priority change itself.
    """

    id_prefix = "prio"

    priority = forms.ChoiceField(
        label="Priority",
        choices=[(p.value, DEFINITIONS[p]) for p in Priority],
        widget=forms.RadioSelect,
    )
    production_down = forms.BooleanField(label="Production Down", required=False)
    emergency_criterion = forms.ChoiceField(
        label="Emergency criterion",
        choices=[("", "— none —"), *[(c.value, c.label) for c in EmergencyCriterion]],
        required=False,
        help_text="Required with Production Down (Critical only).",
    )
    reason = _area(2, label="Reason for the change")
    visibility = _visibility("internal", "Visible to the customer")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = "A priority change needs a reason."

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("production_down") and not data.get("emergency_criterion"):
            self.add_error(
                "emergency_criterion", "Production Down requires choosing the emergency criterion."
            )
        if not data.get("production_down"):
            data["emergency_criterion"] = ""
        return data


class OutcomeForm(VisibilityMixin, IdPrefixMixin, forms.Form):
    """B9: outcome, change request for a defect, engineering special.

    The note is internal by default (engineering detail); the outcome itself is public.
    """

    id_prefix = "outcome"

    outcome = forms.ChoiceField(label="Outcome", choices=[("", "— choose —"), *Outcome.choices])
    change_request_id = forms.CharField(
        label="Change request id", max_length=40, required=False, help_text="Required for a defect."
    )
    change_request_status = forms.ChoiceField(
        label="Change request status",
        choices=[("", "—"), *ChangeRequestStatus.choices],
        required=False,
    )
    hot_fix = forms.BooleanField(label="Engineering special (hot fix) pushed", required=False)
    note = _area(2, required=False, label="Note")
    visibility = _visibility("internal", "Visible to the customer")


class AssignForm(IdPrefixMixin, forms.Form):
    id_prefix = "assign"
    assignee = forms.TypedChoiceField(
        label="Assign to", coerce=int, required=False, empty_value=None
    )
    reason = forms.CharField(label="Note", max_length=500, required=False)

    def __init__(self, *args: Any, engineers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            ("", "— back to the queue —"),
            *[(u.pk, f"{u.full_name} ({u.get_role_display()})") for u in engineers],
        ]


class RootCauseForm(IdPrefixMixin, forms.Form):
    """C3: the root cause is found; meets the root-cause target."""

    id_prefix = "rootcause"

    summary = _area(2, label="Root cause (the customer sees it)")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["summary"].error_messages["required"] = "Summarise the root cause."


class FixDeliveredForm(IdPrefixMixin, forms.Form):
    """C3: the fix or workaround reached the customer (Production Down's dated target)."""

    id_prefix = "fix"

    note = _area(2, label="What was delivered (the customer sees it)")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].error_messages["required"] = "Say what was delivered."


class ServiceRestoredForm(IdPrefixMixin, forms.Form):
    """C3: a Production Down outage ends now."""

    id_prefix = "restored"

    note = _area(2, required=False, label="Note (optional, the customer sees it)")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SupportReopenForm(IdPrefixMixin, forms.Form):
    """B7: support re-opens by phone within 30 days, with the new information."""

    id_prefix = "reopen"

    information = _area(3, label="New supporting information")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["information"].error_messages["required"] = (
            "Re-opening needs new supporting information."
        )


class ContactLookupForm(IdPrefixMixin, forms.Form):
    """H1: identify the caller by e-mail or support PIN."""

    id_prefix = "lookup"

    who = forms.CharField(
        label="Contact's e-mail or support PIN",
        max_length=254,
        help_text="Ask the caller for the 6-digit PIN shown on their profile.",
    )


CLOSE_REASONS = [(r.value, r.label) for r in CloseReason]


class VoipHoldForm(IdPrefixMixin, forms.Form):
    """G2: hold a VoIP case until its site passes a readiness assessment; the why is told
    to the customer (they are the ones who can end the wait)."""

    id_prefix = "voiphold"

    reason = _area(2, required=False, label="Message to the customer (optional)")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
