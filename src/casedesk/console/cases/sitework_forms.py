"""Forms of the case page's site-work panel (G4-G6) and what the page shows of it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from casedesk.cases.models import Case
from casedesk.policy.scope import OutOfScope
from casedesk.policy.site_visits import MAX_DAYS
from casedesk.sitework import selectors
from casedesk.sitework.services import VisitDraft
from casedesk.web.forms import TEXT_MAX, IdPrefixMixin

_MONEY = {"min_value": Decimal("0"), "max_digits": 10, "decimal_places": 2}


class VisitForm(IdPrefixMixin, forms.Form):
    """G4: ask for a site visit; a manager decides."""

    id_prefix = "visit"

    reason = forms.CharField(
        label="Why someone must go on site",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    visit_on = forms.DateField(label="Visit on", widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label="Days on site", min_value=1, max_value=MAX_DAYS, initial=1)
    billable = forms.BooleanField(label="Billable to the customer", required=False, initial=True)
    travel_cost = forms.DecimalField(label="Travel cost", initial=Decimal("0"), **_MONEY)
    daily_rate = forms.DecimalField(label="Daily rate", initial=Decimal("0"), **_MONEY)
    currency = forms.CharField(label="Currency", max_length=3, min_length=3, initial="EUR")

    def to_draft(self) -> VisitDraft:
        return VisitDraft(**self.cleaned_data)


class DecideForm(IdPrefixMixin, forms.Form):
    id_prefix = "decide"

    decision = forms.ChoiceField(
        label="Decision",
        choices=[("approve", "Approve"), ("decline", "Decline")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note (required to decline)",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RoutingForm(IdPrefixMixin, forms.Form):
    """G5, G6: route the case out of support with the handbook's answer."""

    id_prefix = "route"

    kind = forms.ChoiceField(
        label="Not supported because it is",
        choices=[(k.value, k.label) for k in OutOfScope],
        widget=forms.RadioSelect,
    )
    vendor = forms.CharField(
        label="Third party to contact (for a third-party product)",
        max_length=200,
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def sitework_context(user: Any, case: Case, forms_: dict[str, Any]) -> dict[str, Any]:
    """The panel's data: visits (with a decide form for managers), the routing (only ever on
    a closed case: routing closes it), the forms."""
    open_ = not case.is_closed
    return {
        "visits": selectors.visits_for_case(user, case),
        "may_decide_visits": user.role == "manager",
        "routing": None if open_ else selectors.routing_for(case),
        "visit_form": forms_.get("visit_form")
        or (VisitForm() if open_ and case.all_info_at else None),
        "routing_form": forms_.get("routing_form")
        or (RoutingForm(initial={"version": case.version}) if open_ else None),
    }
