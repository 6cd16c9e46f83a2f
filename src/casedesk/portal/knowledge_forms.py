"""Page forms of the portal's knowledge, licence, contact and feedback screens (F2-F7).

Kept apart from ``forms.py`` (the case and profile forms) so each screen's forms sit
together; they validate shape only — the services decide policy.
"""

from __future__ import annotations

from django import forms

from casedesk.catalog.models import Product
from casedesk.knowledge.models import ArticleKind


class ArticleFilterForm(forms.Form):
    """Browse filters; unknown values are ignored, never an error page."""

    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "All kinds"), *[c for c in ArticleKind.choices if c[0] != "self_help"]],
    )
    product = forms.ModelChoiceField(
        label="Product", required=False, queryset=Product.objects.all(), empty_label="Any product"
    )
    tag = forms.CharField(label="Tag", required=False, max_length=40)


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Seen by support and by other readers of this article.",
    )
