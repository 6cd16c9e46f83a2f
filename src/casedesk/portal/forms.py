"""Forms of the customer portal's case page, case list, password reset (B5-B7, B10, A2).

Forms validate shape (choices, lengths, required fields); the services decide policy and
their refusals are attached back by ``web.errors.add_domain_error``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm

from casedesk.accounts import services as account_services
from casedesk.accounts.models import User
from casedesk.catalog.models import ProductGroup
from casedesk.core import clock
from casedesk.escalations.models import EscalationKind
from casedesk.escalations.services import EscalationRequest
from casedesk.policy.priority import Priority
from casedesk.policy.transitions import SubStatus
from casedesk.web.forms import TEXT_MAX, IdPrefixMixin, clean_text
from casedesk.web.widgets import FilterSelect


class UpdateForm(IdPrefixMixin, forms.Form):
    """A plain-text customer update (B5)."""

    id_prefix = "update"

    body = forms.CharField(
        label="Your update",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write something first."},
        help_text="Plain text. Answering a question from support moves the case back to them.",
    )


class CloseForm(IdPrefixMixin, forms.Form):
    """The contact closes with Resolved or Cancelled plus a closure comment (B6)."""

    id_prefix = "close"

    sub_status = forms.ChoiceField(
        label="Close as",
        choices=[
            (SubStatus.RESOLVED.value, "Resolved — the problem is solved"),
            (SubStatus.CANCELLED.value, "Cancelled — no longer needed"),
        ],
        initial=SubStatus.RESOLVED.value,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Closure comment",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "A closure comment is required."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReopenRequestForm(IdPrefixMixin, forms.Form):
    """B7: a request to re-open, within the case policy's window, with new information."""

    id_prefix = "reopen"

    information = forms.CharField(
        label="New supporting information",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Re-opening needs new supporting information."},
    )


class PriorityRequestForm(IdPrefixMixin, forms.Form):
    """B8: a contact may ask Low → Medium with a work note."""

    id_prefix = "prio"

    note = forms.CharField(
        label="Work note: why Medium?",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "A priority change needs a reason."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


STATE_CHOICES = [("open", "Open"), ("closed", "Closed")]
SORT_CHOICES = [
    ("updated", "Recently updated"),
    ("-updated", "Least recently updated"),
    ("opened", "Newest first"),
    ("-opened", "Oldest first"),
    ("priority", "Priority"),
]


class CaseListFilterForm(IdPrefixMixin, forms.Form):
    """Filters of the portal lists (B10); bad values fall back to the defaults."""

    id_prefix = "f"

    state = forms.ChoiceField(
        widget=FilterSelect, label="State", choices=STATE_CHOICES, required=False
    )
    priority = forms.ChoiceField(
        widget=FilterSelect,
        label="Priority",
        choices=[("", "Any"), *[(p.value, p.label) for p in Priority]],
        required=False,
    )
    product_group = forms.TypedChoiceField(
        widget=FilterSelect, label="Product group", coerce=int, required=False, empty_value=None
    )
    q = forms.CharField(label="Search", max_length=100, required=False)
    sort = forms.ChoiceField(
        widget=FilterSelect, label="Sort", choices=SORT_CHOICES, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_group"].choices = [
            ("", "Any"),
            *[(g.pk, g.name) for g in ProductGroup.objects.all()],
        ]
        self.fields["q"].widget.attrs["placeholder"] = "Case number or subject"


# --- escalation request (C6) ----------------------------------------------------------


def _esc_area(label: str, help_text: str = "", *, required: bool = True, rows: int = 3) -> Any:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class EscalationRequestForm(IdPrefixMixin, forms.Form):
    """The management escalation template (C6); product, version and case come from the case."""

    id_prefix = "esc"
    kind = forms.ChoiceField(
        label="What do you ask for?", choices=EscalationKind.choices, widget=forms.RadioSelect
    )
    significant_impact = forms.BooleanField(
        label="The problem is actively causing significant business impact right now",
        required=False,
    )
    reason = _esc_area("Reason: impact and urgency", "Who and what is affected, and how urgently.")
    summary = _esc_area("Summary", "The problem and what has been done so far.", rows=4)
    critical_dates = _esc_area(
        "Critical dates", "Go-lives, meetings, deadlines.", required=False, rows=2
    )
    expectations = _esc_area("Expectations", "What you expect management to do.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("reason", "summary", "critical_dates", "expectations"):
            if name in data:
                data[name] = clean_text(data[name])
        return data

    def to_request(self) -> EscalationRequest:
        d = self.cleaned_data
        return EscalationRequest(
            kind=d["kind"],
            reason=d["reason"],
            summary=d["summary"],
            expectations=d["expectations"],
            critical_dates=d.get("critical_dates") or "",
            significant_impact=bool(d.get("significant_impact")),
        )


# --- satisfaction survey (F7) ---------------------------------------------------------

SCORES = [
    (str(n), label)
    for n, label in (
        (5, "5 — very satisfied"),
        (4, "4"),
        (3, "3"),
        (2, "2"),
        (1, "1 — very dissatisfied"),
    )
]


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label="How satisfied are you with the support you received?",
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    solved = forms.TypedChoiceField(
        label="Was your problem solved?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything you would like to tell us?",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


# --- password reset (A2) --------------------------------------------------------------


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset request, with the link queued in our outbox instead of sent inline.

    Anyone active with that address gets the link, also a person invited by care who never
    chose a password (Django leaves out accounts without a usable password). Nothing about
    the address reaches the page: known, unknown or inactive, the answer is the same.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Your e-mail address"
        self.fields["email"].help_text = "The address you log in with."
        self.fields["email"].error_messages["required"] = "Enter your e-mail address."

    def get_users(self, email: str) -> Iterator[Any]:
        return iter(User.objects.filter(email__iexact=email.strip(), is_active=True))

    def save(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        now = clock.now()
        for user in self.get_users(self.cleaned_data["email"]):
            account_services.password_reset_mail(user=user, now=now)


def _password_help() -> str:
    """The password rules in one plain sentence each (Django's help is an HTML list)."""
    return " ".join(password_validation.password_validators_help_texts())


class NewPasswordForm(SetPasswordForm):
    """Choosing a password from a reset or invitation link."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = _password_help()
        self.fields["new_password2"].help_text = ""
        self.fields["new_password2"].label = "The new password again"


class ChangePasswordForm(PasswordChangeForm):
    """Changing the password while logged in: the current one first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Your current password"
        self.fields["new_password1"].help_text = _password_help()
        self.fields["new_password2"].help_text = ""
        self.fields["new_password2"].label = "The new password again"
