"""The article editor's form: shape only; ``knowledge.services`` decides the rest."""

from __future__ import annotations

from typing import Any

from django import forms

from casedesk.catalog.models import MajorVersion, Product
from casedesk.knowledge.models import LANGUAGES, ArticleKind, Component, Section
from casedesk.knowledge.services import BODY_MAX, ArticleDraft
from casedesk.policy.articles import ArticleAction, Visibility
from casedesk.web.forms import clean_text


class ArticleForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    body = forms.CharField(
        label="Body",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Markdown: ## headings, **bold**, `code`, lists, tables, [links](https://…). "
        "HTML is shown as text.",
    )
    kind = forms.ChoiceField(label="Kind", choices=ArticleKind.choices)
    visibility = forms.ChoiceField(
        label="Visibility",
        choices=[(v.value, v.value.title()) for v in Visibility],
        help_text="Public: anyone. Customers: signed-in contacts. Internal: support staff.",
    )
    language = forms.ChoiceField(label="Language", choices=LANGUAGES)
    product = forms.ModelChoiceField(
        label="Product", required=False, queryset=Product.objects.all(), empty_label="All products"
    )
    versions = forms.ModelMultipleChoiceField(
        label="Versions it applies to",
        required=False,
        queryset=MajorVersion.objects.select_related("product"),
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    tags = forms.CharField(
        label="Tags", required=False, max_length=400, help_text="Separated by commas."
    )
    component = forms.ModelChoiceField(
        label="Self-help component",
        required=False,
        queryset=Component.objects.select_related("product"),
        empty_label="—",
    )
    section = forms.ChoiceField(
        label="Self-help section", required=False, choices=[("", "—"), *Section.choices]
    )
    position = forms.IntegerField(label="Order", required=False, min_value=0, max_value=9999)
    note = forms.CharField(label="What changed", required=False, max_length=200)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_body(self) -> str:
        return clean_text(self.cleaned_data["body"])

    def to_draft(self) -> ArticleDraft:
        data = self.cleaned_data
        return ArticleDraft(
            title=data["title"],
            body=data["body"],
            kind=data["kind"],
            visibility=data["visibility"],
            language=data["language"],
            product_id=data["product"].pk if data["product"] else None,
            version_ids=[v.pk for v in data["versions"]],
            tags=[t for t in (data["tags"] or "").split(",")],
            component_id=data["component"].pk if data["component"] else None,
            section=data["section"] or "",
            position=data["position"] or 0,
        )

    @staticmethod
    def initial_for(article: Any) -> dict[str, Any]:
        return {
            "title": article.title,
            "body": article.body,
            "kind": article.kind,
            "visibility": article.visibility,
            "language": article.language,
            "product": article.product_id,
            "versions": list(article.versions.all()),
            "tags": ", ".join(t.name for t in article.tags.all()),
            "component": article.component_id,
            "section": article.section,
            "position": article.position,
            "version": article.version,
        }


class ArticleActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a.value, a.value) for a in ArticleAction])
    version = forms.IntegerField()
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ArticleFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[
            ("", "Any state"),
            ("draft", "Draft"),
            ("review", "In review"),
            ("published", "Published"),
            ("retired", "Retired"),
        ],
    )
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All kinds"), *ArticleKind.choices]
    )
    product = forms.ModelChoiceField(
        label="Product", required=False, queryset=Product.objects.all(), empty_label="Any product"
    )
