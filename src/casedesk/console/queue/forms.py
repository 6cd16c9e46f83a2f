"""The queue's filter bar (B10, C2)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from casedesk.accounts.models import REGION_CHOICES
from casedesk.cases import selectors
from casedesk.catalog.models import ProductGroup
from casedesk.core import clock
from casedesk.policy.priority import Priority
from casedesk.sla.selectors import centres_now
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


def queue_filters(query: QueryDict) -> tuple[QueueFilterForm, selectors.CaseFilters, Any]:
    """The filter form, the filters it yields (invalid fields fall back to the defaults) and
    the centres on shift now."""
    form = QueueFilterForm(query or None)
    data = form.cleaned_data if form.is_valid() else {}
    try:
        page_number = int(query.get("page", "1"))
    except ValueError:
        page_number = 1
    centres = centres_now(clock.now())
    filters = selectors.CaseFilters(
        scope="all",
        state=data.get("state") or "waiting_on_support",
        product_group=data.get("product_group"),
        region=data.get("region") or "",
        regions=centres.regions_of(data.get("centre") or ""),
        priority=data.get("priority") or "",
        assignee=data.get("assignee") or "",
        q=(data.get("q") or "").strip(),
        sort=data.get("sort") or "urgent",
        page=page_number,
    )
    return form, filters, centres
