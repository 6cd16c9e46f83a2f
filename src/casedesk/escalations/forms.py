"""Forms for the C6 template (portal) and a manager's outcome (console)."""

from __future__ import annotations

from typing import Any

from django import forms

from casedesk.portal.web import TEXT_MAX, IdPrefixMixin, clean_text

from .models import EscalationKind, EscalationState
from .services import EscalationRequest


def _area(label: str, help_text: str = "", *, required: bool = True, rows: int = 3) -> Any:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class EscalationRequestForm(IdPrefixMixin, forms.Form):
    """The management escalation template (C6); product, version and case come from the case."""

    id_prefix = "esc"
    kind = forms.ChoiceField(
        label="What do you ask for?", choices=EscalationKind.choices, widget=forms.RadioSelect
    )
    significant_impact = forms.BooleanField(
        label="The problem is actively causing significant business impact right now",
        required=False,
    )
    reason = _area("Reason: impact and urgency", "Who and what is affected, and how urgently.")
    summary = _area("Summary", "The problem and what has been done so far.", rows=4)
    critical_dates = _area(
        "Critical dates", "Go-lives, meetings, deadlines.", required=False, rows=2
    )
    expectations = _area("Expectations", "What you expect management to do.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("reason", "summary", "critical_dates", "expectations"):
            if name in data:
                data[name] = clean_text(data[name])
        return data

    def to_request(self) -> EscalationRequest:
        d = self.cleaned_data
        return EscalationRequest(
            kind=d["kind"],
            reason=d["reason"],
            summary=d["summary"],
            expectations=d["expectations"],
            critical_dates=d.get("critical_dates") or "",
            significant_impact=bool(d.get("significant_impact")),
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
