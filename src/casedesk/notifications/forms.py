from __future__ import annotations

from django import forms

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
