"""The one search box both page interfaces show (F6): its form and the page's context.

The results come from ``search.selectors.search``, already scoped to the reader; this only
parses the query string (bad values are ignored, never a 500) and pages through them.
"""

from __future__ import annotations

from typing import Any

from django import forms

from casedesk.catalog.models import Product
from casedesk.search.selectors import KINDS, search

from .widgets import FilterSelect


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=200, required=False)
    kind = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("", "Everything"), *KINDS.items()],
        widget=FilterSelect,
    )
    product = forms.ModelChoiceField(
        label="Product",
        required=False,
        queryset=Product.objects.all(),
        empty_label="Any product",
        widget=FilterSelect,
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=50, widget=forms.HiddenInput)


def search_context(user: Any, params: Any) -> dict[str, Any]:
    form = SearchForm(params)
    results = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        data = form.cleaned_data
        results = search(
            user,
            data["q"],
            kinds=[data["kind"]] if data["kind"] else None,
            product_id=data["product"].pk if data["product"] else None,
            page=data["page"] or 1,
        )
    return {"form": form, "results": results, "kinds": KINDS}
