"""The forms of a site's records (G2, G3), the same in the portal and the console: a VoIP
readiness assessment typed line by line or uploaded as a file, and a change record.

Typed lines are read by ``obligations.measurements.line_from``, the same reader as the
files, so a value refused in one is refused in the other with the same words.
"""

from __future__ import annotations

from typing import Any

from django import forms

from casedesk.obligations.changes import ChangeDraft
from casedesk.obligations.measurements import FIELD_LABELS, FIELDS, MAX_FILE_BYTES, line_from
from casedesk.obligations.models import ChangeOutcome
from casedesk.policy.voip import LineMeasurement

from .forms import TEXT_MAX, clean_text

LINE_ROWS = 8
_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_VISIBILITY = [
    ("public", "Visible to the customer"),
    ("internal", "Internal — support only"),
]


def _visibility() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Who sees it", choices=_VISIBILITY, initial="public", widget=forms.RadioSelect
    )


class _Visibility:
    """Only support may keep a record internal; contacts do not get the choice."""

    def _drop_visibility_for(self, user: Any) -> None:
        if user.is_contact:
            del self.fields["visibility"]  # type: ignore[attr-defined]

    @property
    def public(self) -> bool:
        return self.cleaned_data.get("visibility", "public") == "public"  # type: ignore[attr-defined]


class VoipTypedForm(_Visibility, forms.Form):
    """Up to ``LINE_ROWS`` lines, one row of inputs each; empty rows are skipped."""

    measured_at = forms.DateTimeField(label="Measured at (your local time)", widget=_LOCAL)
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )
    visibility = _visibility()

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._drop_visibility_for(user)
        for row in range(1, LINE_ROWS + 1):
            for name in FIELDS:
                self.fields[f"l{row}_{name}"] = forms.CharField(
                    label=f"Line {row}: {FIELD_LABELS[name]}",
                    required=False,
                    max_length=100,
                    widget=forms.TextInput(
                        {"class": f"line-input line-input--{name}", "inputmode": _mode(name)}
                    ),
                )
        self.lines: list[LineMeasurement] = []

    def rows(self) -> list[tuple[int, list[tuple[str, Any]]]]:
        """Per row, (column label, bound field): the template's table cells."""
        return [
            (row, [(FIELD_LABELS[name], self[f"l{row}_{name}"]) for name in FIELDS])
            for row in range(1, LINE_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.lines = []
        for row in range(1, LINE_ROWS + 1):
            values = {name: data.get(f"l{row}_{name}", "") for name in FIELDS}
            if not any(str(v).strip() for v in values.values()):
                continue
            line, errors = line_from(values)
            for name, message in errors:
                self.add_error(f"l{row}_{name}", f"{FIELD_LABELS[name]} {message}.")
            if line is not None:
                self.lines.append(line)
        if not self.lines and not self.errors:
            raise forms.ValidationError("Enter at least one measured line.")
        return data


def _mode(name: str) -> str:
    return "text" if name in ("stream", "codec") or name.endswith("dscp") else "decimal"


class VoipUploadForm(_Visibility, forms.Form):
    file = forms.FileField(
        label="Measurement file (.csv or .json)",
        help_text=(
            "Columns or keys: stream, codec, latency_ms, jitter_ms, loss_pct, rtp_dscp, "
            f"sip_dscp, bandwidth_kbps; at most {MAX_FILE_BYTES // 1000} kB."
        ),
    )
    measured_at = forms.DateTimeField(
        label="Measured at (your local time)",
        required=False,
        widget=_LOCAL,
        help_text="Empty: the file's measured_at, or now.",
    )
    visibility = _visibility()

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._drop_visibility_for(user)
        self.auto_id = "up_%s"


def _text(label: str, *, required: bool = True, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=TEXT_MAX, widget=forms.Textarea({"rows": rows})
    )


class ChangeForm(_Visibility, forms.Form):
    performed_at = forms.DateTimeField(label="Date and time (your local time)", widget=_LOCAL)
    engineer = forms.CharField(label="Engineer", max_length=200)
    short_description = forms.CharField(label="Short description", max_length=200)
    summary = _text("Full summary", rows=4)
    outcome = forms.ChoiceField(
        label="Outcome", choices=ChangeOutcome.choices, widget=forms.RadioSelect
    )
    test_environment = _text("Test environment", required=False, rows=2)
    implementation_plan = _text("Implementation plan")
    test_plan = _text("Test plan")
    backout_plan = _text("Backout plan")
    backup_taken = forms.BooleanField(label="A backup was taken before the change", required=False)
    backup_details = _text("Backup details", required=False, rows=2)
    visibility = _visibility()

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._drop_visibility_for(user)

    def to_draft(self) -> ChangeDraft:
        d = self.cleaned_data
        texts = {
            k: clean_text(d.get(k) or "")
            for k in (
                "engineer",
                "short_description",
                "summary",
                "test_environment",
                "implementation_plan",
                "test_plan",
                "backout_plan",
                "backup_details",
            )
        }
        return ChangeDraft(
            performed_at=d["performed_at"],
            outcome=d["outcome"],
            backup_taken=bool(d.get("backup_taken")),
            **texts,
        )
