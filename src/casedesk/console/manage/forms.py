"""A manager works an escalation to its outcome (C6)."""

from __future__ import annotations

from typing import Any

from django import forms

from casedesk.escalations.models import EscalationState
from casedesk.web.forms import TEXT_MAX, IdPrefixMixin


def _area(label: str, help_text: str = "", *, required: bool = True, rows: int = 3) -> Any:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class EscalationResolveForm(IdPrefixMixin, forms.Form):
    """A manager moves an escalation to in progress, or to its outcome."""

    id_prefix = "res"
    state = forms.ChoiceField(
        label="State",
        choices=[
            (EscalationState.IN_PROGRESS, "In progress"),
            (EscalationState.RESOLVED, "Resolved"),
            (EscalationState.DECLINED, "Declined"),
        ],
        widget=forms.RadioSelect,
    )
    outcome = _area(
        "Outcome",
        "Recorded on the case timeline; required to resolve or decline.",
        required=False,
        rows=4,
    )
