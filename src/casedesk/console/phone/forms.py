"""The phone screen's forms (H1): the caller's PIN, and the call's log on one of their cases."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator

from casedesk.cases.models import Case
from casedesk.web.forms import TEXT_MAX, IdPrefixMixin, clean_text


class PinForm(IdPrefixMixin, forms.Form):
    id_prefix = "pin"

    pin = forms.CharField(
        label="Caller's support PIN",
        max_length=6,
        validators=[RegexValidator(r"^\d{6}$", "A support PIN is 6 digits.")],
        help_text="The 6-digit PIN on the caller's profile.",
    )


class CallLogForm(IdPrefixMixin, forms.Form):
    """The call written on a case: a public reply the customer sees, or an internal note."""

    id_prefix = "log"

    case = forms.ChoiceField(label="Case")
    body = forms.CharField(
        label="What was said", max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    visibility = forms.ChoiceField(
        label="Visibility",
        choices=[("public", "Public (the customer sees it)"), ("internal", "Internal note")],
        initial="internal",
        widget=forms.RadioSelect,
    )
    emergency = forms.BooleanField(label="Emergency (Production Down) call", required=False)

    def __init__(self, *args: Any, cases: list[Case], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cases = {case.number: case for case in cases}
        self.fields["case"].choices = [(n, f"{n} — {c.subject}") for n, c in self.cases.items()]
        self.fields["body"].error_messages["required"] = "Write what was said first."

    def clean_body(self) -> str:
        return clean_text(self.cleaned_data["body"])

    def chosen_case(self) -> Case:
        return self.cases[self.cleaned_data["case"]]
