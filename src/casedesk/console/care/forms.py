"""Forms of the care queue (E3)."""

from __future__ import annotations

from django import forms


class LinkForm(forms.Form):
    case_number = forms.CharField(
        label="Case number",
        max_length=20,
        help_text="e.g. CS-000123. A participant's mail becomes their update; anyone "
        "else's becomes an internal note.",
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label="Why dismiss it?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the message is dismissed."},
    )
