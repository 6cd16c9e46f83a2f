"""The cutover notice form (G1), shared by the portal (a contact files for one of their
organisation's sites) and the console (an engineer files for a contact's organisation)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from casedesk.accounts.models import Site
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.obligations.models import CHECKLIST, CutoverKind
from casedesk.obligations.services import CutoverDraft
from casedesk.sitework.services import cutover_file_with_diagram
from casedesk.web.errors import add_domain_error
from casedesk.web.forms import TEXT_MAX

_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _text(label: str, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=TEXT_MAX, widget=forms.Textarea({"rows": 2})
    )


class CutoverForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.none(), label="Site")
    kind = forms.ChoiceField(label="What", choices=CutoverKind.choices)
    technician = forms.CharField(label="Technician", max_length=200)
    product_line = forms.CharField(label="Product line", max_length=200)
    installation_date = forms.DateField(
        label="Installation date", widget=forms.DateInput(attrs={"type": "date"})
    )
    cutover_start = forms.DateTimeField(label="Cutover starts (your local time)", widget=_LOCAL)
    cutover_end = forms.DateTimeField(label="Cutover ends (your local time)", widget=_LOCAL)
    site_contact = forms.CharField(label="Site contact", max_length=200)
    vendor_contact = forms.CharField(label="Vendor contact", max_length=200, required=False)
    checklist = forms.MultipleChoiceField(
        label="Confirmed", choices=CHECKLIST, required=False, widget=forms.CheckboxSelectMultiple
    )
    line_configuration = _text("Line configuration")
    current_products = _text("Current products and versions")
    planned_products = _text("Planned products and versions")
    um_platform = forms.CharField(label="UM platform", max_length=200, required=False)
    diagram = forms.FileField(
        label="Network topology diagram",
        required=False,
        help_text="A file (PDF, image, Visio…), up to 25 MB; only support and your "
        "organisation can download it.",
    )

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites

    def to_draft(self) -> CutoverDraft:
        d = self.cleaned_data
        return CutoverDraft(**{k: v for k, v in d.items() if k not in ("site", "diagram")})


def file_cutover(request: HttpRequest, form: CutoverForm) -> tuple[Any, int]:
    """File the bound form's notice with its diagram for either interface: ``(notice, 200)``
    with a late filing's warning flashed, or ``(None, 400)`` with the refusal on the form."""
    if not form.is_valid():
        return None, 400
    upload = form.cleaned_data.get("diagram")
    try:
        notice = cutover_file_with_diagram(
            actor=request.user,
            site=form.cleaned_data["site"],
            draft=form.to_draft(),
            now=clock.now(),
            diagram=upload,
            diagram_name=upload.name if upload else "",
            diagram_type=upload.content_type if upload else "",
        )
    except DomainError as exc:
        return None, add_domain_error(form, exc)
    if notice.late_warning:
        messages.warning(request, notice.late_warning)
    return notice, 200
