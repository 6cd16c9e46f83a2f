"""The queue's filter bar (B10, C2)."""

from __future__ import annotations

from typing import Any

from django import forms

from casedesk.accounts.models import REGION_CHOICES
from casedesk.catalog.models import ProductGroup
from casedesk.policy.priority import Priority
from casedesk.web.forms import IdPrefixMixin
from casedesk.web.widgets import FilterSelect

QUEUE_STATES = [
    ("waiting_on_support", "Waiting on support"),
    ("waiting_on_customer", "Waiting on customer"),
    ("reopen_requested", "Re-open requested"),
    ("open", "All open"),
    ("closed", "Closed"),
]
QUEUE_SORTS = [
    ("urgent", "Most urgent first"),
    ("due", "Next milestone due"),
    ("updated", "Last updated"),
    ("oldest", "Oldest first"),
    ("newest", "Newest first"),
]


class QueueFilterForm(IdPrefixMixin, forms.Form):
    """Engineers' queue by product group and region (B10, C2)."""

    id_prefix = "f"

    state = forms.ChoiceField(
        widget=FilterSelect, label="State", choices=QUEUE_STATES, required=False
    )
    product_group = forms.TypedChoiceField(
        widget=FilterSelect, label="Product group", coerce=int, required=False, empty_value=None
    )
    region = forms.ChoiceField(
        widget=FilterSelect, label="Region", choices=[("", "Any"), *REGION_CHOICES], required=False
    )
    # C2: the cases a regional centre serves right now (follow-the-sun).
    centre = forms.ChoiceField(
        label="Served now by", choices=[("", "Any centre"), *REGION_CHOICES], required=False
    )
    priority = forms.ChoiceField(
        widget=FilterSelect,
        label="Priority",
        choices=[("", "Any"), *[(p.value, p.label) for p in Priority]],
        required=False,
    )
    assignee = forms.ChoiceField(
        widget=FilterSelect,
        label="Assignee",
        choices=[("", "Anyone"), ("me", "Me"), ("none", "Unassigned")],
        required=False,
    )
    q = forms.CharField(label="Search", max_length=100, required=False)
    sort = forms.ChoiceField(widget=FilterSelect, label="Sort", choices=QUEUE_SORTS, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_group"].choices = [
            ("", "Any"),
            *[(g.pk, g.name) for g in ProductGroup.objects.all()],
        ]
        self.fields["q"].widget.attrs["placeholder"] = "Case number or subject"
