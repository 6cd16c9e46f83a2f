"""The guided open-case form (B2, B3) that the portal, the console and the care queue show.

It validates shape (choices, lengths, required fields); the services decide policy
(maintenance, refusal, coverage) and their refusals are attached back to it by
``web.errors.add_domain_error``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django import forms

from casedesk.accounts.models import Contract
from casedesk.cases.models import AdminCategory, Environment, Frequency, Kind, SubType
from casedesk.cases.services import CaseDraft
from casedesk.catalog.models import MajorVersion, Patch, Product
from casedesk.policy.decision import Decision
from casedesk.policy.priority import DEFINITIONS, EmergencyCriterion, Priority

from .forms import SUBJECT_MAX, TEXT_MAX

PRIORITY_CHOICES = [(p.value, DEFINITIONS[p]) for p in Priority]
CRITERION_CHOICES = [(c.value, c.label) for c in EmergencyCriterion]

# The preparatory questions (B2), grouped the way the handbook asks them.
FIELDSETS: list[tuple[str, str, list[str]]] = [
    (
        "Contract and kind of case",
        "Deployment, region and language come from the contract.",
        ["contract", "kind", "sub_type", "admin_category"],
    ),
    (
        "Product",
        "Choose the product, its major version and, if you know it, the patch level.",
        ["product", "major_version", "patch", "environment"],
    ),
    (
        "Priority",
        "Choose the impact the problem has now. For High, Critical and Production Down, "
        "please also phone your regional support centre: those are worked by phone first.",
        ["priority", "production_down", "emergency_criterion"],
    ),
    ("The problem", "", ["subject", "description", "business_impact"]),
    (
        "Preparatory questions",
        "Answers to these save a round trip with the engineer.",
        [
            "expected_behaviour",
            "circumstances",
            "frequency",
            "scope",
            "recent_changes",
            "load_at_time",
        ],
    ),
]


def _text(label: str, help_text: str = "", *, required: bool = False, rows: int = 4) -> Any:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _grouped(pairs: Iterable[tuple[str, tuple[str, str]]]) -> list[Any]:
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for group, option in pairs:
        groups[group].append(option)
    return [("", "— choose —"), *[(g, opts) for g, opts in groups.items()]]


class CaseOpenForm(forms.Form):
    """The guided open-case form (B2, B3); ``contracts`` pairs each contract with A5's verdict."""

    contract = forms.ChoiceField(label="Contract")
    kind = forms.ChoiceField(
        label="Kind of case", choices=Kind.choices, initial=Kind.SUPPORT, widget=forms.RadioSelect
    )
    sub_type = forms.ChoiceField(
        label="Support case type",
        choices=SubType.choices,
        initial=SubType.PROBLEM,
        required=False,
        widget=forms.RadioSelect,
        help_text="A Problem is something broken; an Inquiry is a question. Support cases only.",
    )
    admin_category = forms.ChoiceField(
        label="Admin case about",
        choices=[("", "— not an admin case —"), *AdminCategory.choices],
        required=False,
        help_text="Admin cases only: portal and account matters.",
    )
    product = forms.ChoiceField(label="Product", required=False)
    major_version = forms.ChoiceField(label="Major version", required=False)
    patch = forms.ChoiceField(label="Patch", required=False)
    environment = forms.ChoiceField(
        label="Environment",
        choices=Environment.choices,
        initial=Environment.PRODUCTION,
        widget=forms.RadioSelect,
    )
    priority = forms.ChoiceField(
        label="Priority",
        choices=PRIORITY_CHOICES,
        initial=Priority.LOW,
        widget=forms.RadioSelect,
    )
    production_down = forms.BooleanField(
        label="Production Down",
        required=False,
        help_text="Critical cases only: severe impact, loss of core functionality. "
        "Choose the emergency criterion below.",
    )
    emergency_criterion = forms.ChoiceField(
        label="Emergency criterion",
        choices=CRITERION_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        help_text="Required with Production Down.",
    )
    subject = forms.CharField(
        label="Subject",
        max_length=SUBJECT_MAX,
        error_messages={"required": "A subject is required."},
    )
    description = _text(
        "What happens (or does not happen)?",
        "Describe the problem, error messages, and what changed recently.",
        required=True,
        rows=8,
    )
    business_impact = _text(
        "Business impact", "How many agents, calls, users or sites are affected?", rows=2
    )
    expected_behaviour = _text("What should happen instead?", rows=3)
    circumstances = _text(
        "Under which circumstances?", "Steps, times, call types, users involved.", rows=3
    )
    frequency = forms.ChoiceField(
        label="How often does it happen?",
        choices=Frequency.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    scope = _text("Who is affected?", "Everyone, or only some users, gateways or servers?", rows=2)
    recent_changes = _text(
        "All recent changes",
        "Hardware, software, network, customisations, carrier, IT infrastructure.",
        rows=3,
    )
    load_at_time = _text("Load at the time", "Calls, agents or sessions when it happened.", rows=2)

    def __init__(
        self, *args: Any, contracts: list[tuple[Contract, Decision]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].error_messages["required"] = "Describe the problem."
        contract_choices = [
            (
                str(c.pk),
                f"{c.number} — {c.site.name} ({c.get_deployment_display()}, "
                f"{c.get_region_display()})" + ("" if ok else " — maintenance lapsed"),
            )
            for c, ok in contracts
        ]
        # With several contracts nothing is preselected: the contract decides region,
        # deployment and language, so it must be a choice, not a default (B2).
        if len(contracts) != 1:
            contract_choices.insert(0, ("", "— choose the contract —"))
        self.fields["contract"].choices = contract_choices
        self.fields["contract"].error_messages["required"] = (
            "Choose the contract this case is about."
        )
        products = _catalogue_products([c for c, _ in contracts])
        self.fields["product"].choices = _grouped(
            (p.group.name, (str(p.pk), p.name)) for p in products
        )
        versions = list(MajorVersion.objects.filter(product__in=products).select_related("product"))
        self.fields["major_version"].choices = _grouped(
            (v.product.name, (str(v.pk), f"{v.product.name} {v.name}")) for v in versions
        )
        patches = list(
            Patch.objects.filter(major_version__in=versions).select_related(
                "major_version__product"
            )
        )
        self.fields["patch"].choices = [
            ("", "— not known / none —"),
            *_grouped(
                (str(p.major_version), (str(p.pk), f"{p.major_version} {p.name}")) for p in patches
            )[1:],
        ]
        # Which option belongs to which: the page's script narrows the lists as the
        # person chooses (web/static/casedesk/js/catalogue.js); without it all stay listed.
        self.catalogue = {
            "major_version": {str(v.pk): str(v.product_id) for v in versions},
            "patch": {str(p.pk): str(p.major_version_id) for p in patches},
        }
        for name in ("subject",):
            self.fields[name].widget.attrs["maxlength"] = SUBJECT_MAX

    def fieldsets(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [(title, help_, [self[name] for name in names]) for title, help_, names in FIELDSETS]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("production_down") and data.get("priority") != Priority.CRITICAL:
            # R: B3 — what the priority guidance says is what the form accepts.
            self.add_error("production_down", "Production Down applies to Critical cases only.")
        if data.get("production_down") and not data.get("emergency_criterion"):
            # R: B3 — Production Down requires the emergency criterion.
            self.add_error(
                "emergency_criterion", "Production Down requires choosing the emergency criterion."
            )
        if not data.get("production_down"):
            data["emergency_criterion"] = ""
        # Shown together with the other errors; the service checks the same again (B1, B2).
        kind = data.get("kind")
        if kind == Kind.ADMIN and not data.get("admin_category"):
            self.add_error("admin_category", "Choose what the admin case is about.")
        if kind in (Kind.SUPPORT, Kind.SERVICE_REQUEST) and not data.get("product"):
            self.add_error("product", "Choose the product.")
        if kind == Kind.SUPPORT and not data.get("major_version"):
            self.add_error("major_version", "Choose the major version.")
        if kind == Kind.SUPPORT and not data.get("sub_type"):
            self.add_error("sub_type", "Choose Problem or Inquiry.")
        return data

    def to_draft(self) -> CaseDraft:
        d = self.cleaned_data

        def _id(name: str) -> int | None:
            return int(d[name]) if d.get(name) else None

        return CaseDraft(
            contract_id=int(d["contract"]),
            subject=d["subject"],
            description=d["description"],
            kind=d["kind"],
            sub_type=d.get("sub_type") or "",
            admin_category=d.get("admin_category") or "",
            product_id=_id("product"),
            major_version_id=_id("major_version"),
            patch_id=_id("patch"),
            environment=d["environment"],
            priority=d["priority"],
            production_down=bool(d.get("production_down")),
            emergency_criterion=d.get("emergency_criterion") or "",
            business_impact=d.get("business_impact") or "",
            expected_behaviour=d.get("expected_behaviour") or "",
            circumstances=d.get("circumstances") or "",
            frequency=d.get("frequency") or "",
            scope=d.get("scope") or "",
            recent_changes=d.get("recent_changes") or "",
            load_at_time=d.get("load_at_time") or "",
        )


def _catalogue_products(contracts: list[Contract]) -> list[Product]:
    """Products covered by these contracts; a contract without a product list covers all."""
    qs = Product.objects.select_related("group")
    ids = set(
        Contract.products.through.objects.filter(
            contract_id__in=[c.pk for c in contracts]
        ).values_list("contract_id", "product_id")
    )
    covered_contracts = {cid for cid, _ in ids}
    if not contracts or any(c.pk not in covered_contracts for c in contracts):
        return list(qs)
    return list(qs.filter(pk__in={pid for _, pid in ids}))


def initial_from_case(case: Any) -> dict[str, Any]:
    """Prefill a follow-on case (B7) from the earlier one."""
    return {
        "contract": str(case.contract_id),
        "kind": case.kind,
        "sub_type": case.sub_type or SubType.PROBLEM,
        "admin_category": case.admin_category,
        "product": str(case.product_id or ""),
        "major_version": str(case.major_version_id or ""),
        "patch": str(case.patch_id or ""),
        "environment": case.environment,
        "priority": Priority.LOW if case.priority == Priority.CRITICAL else case.priority,
        "subject": f"Follow-on to {case.number}: {case.subject}"[:SUBJECT_MAX],
        "description": f"Follow-on to {case.number}.\n\n",
        "business_impact": case.business_impact,
    }
