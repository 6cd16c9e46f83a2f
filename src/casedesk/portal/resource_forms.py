"""The portal's feedback form (F7); the service decides the rest."""

from __future__ import annotations

from django import forms

from casedesk.resources.models import FeedbackTopic
from casedesk.resources.services import FEEDBACK_MAX


class FeedbackForm(forms.Form):
    topic = forms.ChoiceField(label="About", choices=FeedbackTopic.choices)
    body = forms.CharField(
        label="Your feedback",
        max_length=FEEDBACK_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Write your feedback first."},
        help_text="Plain text. Customer Care reads every message; for a problem, open a case.",
    )
