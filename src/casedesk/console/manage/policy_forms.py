"""The policy editor's form (C1-C9; issue 11 item 6): a new version from an existing one.

The form is built from the source version's data, so every number it shows is the one in
force there, and ``new_data`` writes back only what the form edits into a copy of that data:
keys the form does not know are carried over unchanged. Each field that cannot be read gets
its own error; a combination the policy refuses becomes a form error naming why.
"""

from __future__ import annotations

import copy
import zoneinfo
from typing import Any

from django import forms

from casedesk.policy.defaults import SupportPolicy
from casedesk.policy.editing import (
    EditError,
    format_dates,
    format_hours,
    parse_dates,
    parse_hours,
    parse_ladder,
)
from casedesk.policy.priority import Priority

# SLA numbers per priority row that the editor offers, with their labels (C3).
SLA_FIELDS = {
    "hold_minutes": "Hold (minutes)",
    "root_cause_business_days": "Root cause (business days)",
    "outage_minutes": "Average outage (minutes)",
    "fix_calendar_days": "Fix or workaround after root cause (days of 24 h)",
}
SLA_ROWS = {
    "production_down": "Production Down",
    "critical": "Critical",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
}
ESCALATION_FIELDS = {
    "quiet_business_days": "not updated for (business days)",
    "quiet_hours": "not updated for (hours)",
}
TOP_LEVEL = {
    "reopen_window_days": ("Re-open window (days of 24 h after closure)", 1, 3650),
    "attachment_retention_days": ("Files kept after closure (days of 24 h)", 1, 3650),
    "sftp_account_hours": ("SFTP drop box lifetime (hours)", 1, 24 * 365),
}
PREVIEW_PRIORITIES = [
    ("medium", "Medium"),
    ("low", "Low"),
    ("high", "High"),
    ("critical", "Critical"),
    ("production_down", "Production Down"),
]
_ZONES = sorted(zoneinfo.available_timezones())


def _number(label: str, value: Any, *, maximum: int = 10_000) -> forms.Field:
    return forms.IntegerField(
        label=label, min_value=0, max_value=maximum, initial=value, required=False
    )


class PolicyVersionForm(forms.Form):
    """Every editable number and calendar of one policy version, and the preview's case."""

    note = forms.CharField(
        label="What changes, and why",
        max_length=200,
        help_text="Shown in the list of versions; cases opened from now on use this version.",
    )
    followup_days = forms.CharField(
        label="Follow-up ladder (business days after the request)",
        help_text="Reminders on each day but the last; the last closes the case. E.g. 2, 5, 10.",
    )
    preview_region = forms.ChoiceField(label="Preview: region", required=False)
    preview_priority = forms.ChoiceField(
        label="Preview: priority", choices=PREVIEW_PRIORITIES, required=False
    )

    def __init__(self, *args: Any, source: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        self.fields["followup_days"].initial = ", ".join(
            str(d) for d in source["followup"]["business_days"]
        )
        for key, (label, low, high) in TOP_LEVEL.items():
            if key in source:
                self.fields[key] = forms.IntegerField(
                    label=label, min_value=low, max_value=high, initial=source[key]
                )
        self.sla_rows: list[tuple[str, list[str]]] = []
        for row, label in SLA_ROWS.items():
            values = source["sla"].get(row)
            if not isinstance(values, dict):
                continue  # a row the policy leaves out (Critical uses High's)
            names = []
            for key, field_label in SLA_FIELDS.items():
                if key in values:
                    name = f"sla_{row}_{key}"
                    self.fields[name] = _number(f"{label}: {field_label}", values[key])
                    names.append(name)
            self.sla_rows.append((label, names))
        self.escalation_rows: list[tuple[str, list[str]]] = []
        for row, label in SLA_ROWS.items():
            rule = source["escalation"].get(row)
            if not isinstance(rule, dict) or not rule.get("allowed"):
                continue
            names = []
            for key, field_label in ESCALATION_FIELDS.items():
                if rule.get(key) is not None:
                    name = f"esc_{row}_{key}"
                    self.fields[name] = _number(f"{label}: {field_label}", rule[key])
                    names.append(name)
            self.escalation_rows.append((label, names))
        for key in ("root_cause_business_days_cloud", "root_cause_business_days_premise"):
            if key in source["escalation"]:
                where = key.rsplit("_", 1)[-1]
                self.fields[f"esc_{key}"] = _number(
                    f"Root-cause request after (business days, {where})",
                    source["escalation"][key],
                )
        self.regions: list[tuple[str, list[str]]] = []
        for region in source["regions"]:
            key, calendar = region["key"], region["calendar"]
            self.fields[f"{key}_tz"] = forms.ChoiceField(
                label="Time zone", choices=[(z, z) for z in _ZONES], initial=calendar["tz"]
            )
            self.fields[f"{key}_hours"] = forms.CharField(
                label="Working hours",
                widget=forms.Textarea(attrs={"rows": 3}),
                initial=format_hours(calendar["hours"]),
                required=False,
                help_text="One line per day or range: mon-fri 08:00-18:00; sat closed.",
            )
            self.fields[f"{key}_extra"] = forms.CharField(
                label="Extra holidays",
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=format_dates(calendar.get("extra_holidays", [])),
                required=False,
                help_text="One date per line, e.g. 2026-12-24 Christmas Eve.",
            )
            self.fields[f"{key}_removed"] = forms.CharField(
                label="Public holidays worked",
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=format_dates(calendar.get("removed_holidays", [])),
                required=False,
                help_text="Dates the country's calendar lists but the centre works.",
            )
            self.fields[f"{key}_local"] = forms.BooleanField(
                label="Local business hours only (no follow-the-sun)",
                initial=region["local_hours_only"],
                required=False,
            )
            self.regions.append(
                (region["label"], [f"{key}_{s}" for s in ("tz", "hours", "extra", "removed")])
            )
        self.fields["preview_region"].choices = [(r["key"], r["label"]) for r in source["regions"]]
        self.fields["preview_region"].initial = source.get("default_region")
        self.policy: SupportPolicy | None = None
        self.data_out: dict[str, Any] | None = None

    # Bound fields grouped for the template (which cannot look fields up by a computed name).

    def sla_groups(self) -> list[tuple[str, list[Any]]]:
        return [(label, [self[n] for n in names]) for label, names in self.sla_rows]

    def escalation_groups(self) -> list[tuple[str, list[Any]]]:
        groups = [(label, [self[n] for n in names]) for label, names in self.escalation_rows]
        root = [self[n] for n in self.fields if n.startswith("esc_root_cause")]
        return [*groups, ("Root-cause request", root)] if root else groups

    def region_groups(self) -> list[tuple[str, list[Any], Any]]:
        return [
            (label, [self[n] for n in names], self[names[0].rsplit("_", 1)[0] + "_local"])
            for label, names in self.regions
        ]

    def period_fields(self) -> list[Any]:
        return [self[k] for k in TOP_LEVEL if k in self.fields]

    def _parsed(self, name: str, parse: Any) -> Any:
        try:
            return parse(self.cleaned_data.get(name) or "")
        except EditError as exc:
            self.add_error(name, str(exc))
            return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        data = copy.deepcopy(self.source)
        ladder = self._parsed("followup_days", parse_ladder)
        if ladder is not None:
            data["followup"]["business_days"] = ladder
        for key in TOP_LEVEL:
            if key in self.fields and cleaned.get(key) is not None:
                data[key] = cleaned[key]
        for name, value in cleaned.items():
            if name.startswith("sla_"):
                row, key = self._split(name[4:], SLA_FIELDS)
                data["sla"][row][key] = value
            elif name.startswith("esc_root_cause"):
                if value is None:
                    self.add_error(name, "Give a number of business days.")
                else:
                    data["escalation"][name[4:]] = value
            elif name.startswith("esc_"):
                row, key = self._split(name[4:], ESCALATION_FIELDS)
                data["escalation"][row][key] = value
        self._clean_required_sla(data)
        for region in data["regions"]:
            self._clean_region(region)
        if not self.errors:
            try:
                self.policy = SupportPolicy.from_dict(data)
            except (KeyError, TypeError, ValueError) as exc:
                raise forms.ValidationError(f"This policy cannot be used: {exc}.") from None
            self.data_out = data
        return cleaned

    @staticmethod
    def _split(rest: str, known: dict[str, str]) -> tuple[str, str]:
        for key in known:
            if rest.endswith(f"_{key}"):
                return rest[: -len(key) - 1], key
        raise KeyError(rest)

    def _clean_required_sla(self, data: dict[str, Any]) -> None:
        """Hold and root-cause targets are required for every row the policy has (C3)."""
        for row, values in data["sla"].items():
            if not isinstance(values, dict):
                continue
            for key in ("hold_minutes", "root_cause_business_days"):
                name = f"sla_{row}_{key}"
                if name in self.fields and values.get(key) in (None, 0) and name not in self.errors:
                    self.add_error(name, "Give a target greater than zero.")

    def _clean_region(self, region: dict[str, Any]) -> None:
        key, calendar = region["key"], region["calendar"]
        if f"{key}_tz" not in self.fields:
            return
        calendar["tz"] = self.cleaned_data.get(f"{key}_tz") or calendar["tz"]
        hours = self._parsed(f"{key}_hours", parse_hours)
        if hours is not None:
            if not any(hours.values()):
                self.add_error(f"{key}_hours", "A centre needs some working hours.")
            calendar["hours"] = hours
        for field, target in (("extra", "extra_holidays"), ("removed", "removed_holidays")):
            dates = self._parsed(f"{key}_{field}", parse_dates)
            if dates is not None:
                calendar[target] = dates
        region["local_hours_only"] = bool(self.cleaned_data.get(f"{key}_local"))

    def preview_case(self) -> tuple[str, str, bool]:
        """Region, priority and Production Down of the case the preview describes."""
        chosen = self.cleaned_data.get("preview_priority") or "medium"
        region = self.cleaned_data.get("preview_region") or self.source["default_region"]
        if chosen == "production_down":
            return region, Priority.CRITICAL.value, True
        return region, chosen, False
