"""Form widgets for pages rendered on every request of the day.

Django renders each ``<option>`` of a ``Select`` through the template engine, which
costs about as much as the rest of the queue page (docs/benchmarks.md). The filter bars
of the queue and the case lists use this widget instead: the same markup, built with
``format_html``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


class FilterSelect(forms.Select):
    """A single-choice ``<select>`` without per-option template rendering (no optgroups)."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(key), " selected" if str(key) in selected else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)
