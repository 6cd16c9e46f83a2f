"""Articles, their revisions, votes, comments, solved cases, self-help components and the
suggestions shown while opening a case (F3, F4, T12).

Only ``knowledge.services`` writes these rows; an article's ``state`` changes only through
``article_act``, which checks ``policy.articles``.
"""

from __future__ import annotations

from django.db import models

from casedesk.policy.articles import ArticleState, Visibility

LANGUAGES = [("en", "English"), ("es", "Español"), ("pt", "Português"), ("ja", "日本語")]


class ArticleKind(models.TextChoices):
    BREAK_FIX = "break_fix", "Break/fix"
    HOW_TO = "how_to", "How-to"
    PRODUCT_INFO = "product_info", "Product information"
    SELF_HELP = "self_help", "Self-help page"


class Section(models.TextChoices):
    """Where a self-help page sits under its component (F3)."""

    OVERVIEW = "overview", "Architecture and overview"
    PROBLEM = "problem", "Common problems and solutions"
    COLLECT = "collect", "What to collect"
    TROUBLESHOOT = "troubleshoot", "How to troubleshoot"


class Component(models.Model):
    """A part of a product that self help is organised by (F3)."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    summary = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["product_id", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="uniq_component_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.product.name} — {self.name}"


class Tag(models.Model):
    name = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    kind = models.CharField(max_length=20, choices=ArticleKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown")
    # Rendered once on save: sanitised HTML for pages, plain text for search and snippets.
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    language = models.CharField(max_length=5, choices=LANGUAGES, default="en")
    visibility = models.CharField(
        max_length=10, choices=[(v.value, v.value.title()) for v in Visibility]
    )
    state = models.CharField(
        max_length=10,
        choices=[(s.value, s.value.title()) for s in ArticleState],
        default=ArticleState.DRAFT,
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    versions = models.ManyToManyField("catalog.MajorVersion", blank=True, related_name="+")
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    tags_text = models.CharField(max_length=400, blank=True, help_text="Tags, for search")
    component = models.ForeignKey(
        Component, on_delete=models.PROTECT, null=True, blank=True, related_name="pages"
    )
    section = models.CharField(max_length=15, choices=Section.choices, blank=True)
    position = models.PositiveIntegerField(default=0)
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    last_reviewed_on = models.DateField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency (stale → 409)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["state", "visibility", "product"], name="article_read_idx"),
            models.Index(fields=["component", "section", "position"], name="article_tree_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def state_enum(self) -> ArticleState:
        return ArticleState(self.state)

    @property
    def visibility_enum(self) -> Visibility:
        return Visibility(self.visibility)


class ArticleRevision(models.Model):
    """The text as it was after each save; revisions are never edited or deleted."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    edited_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    edited_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="uniq_article_revision")
        ]

    def __str__(self) -> str:
        return f"{self.title} (revision {self.number})"


class ArticleEvent(models.Model):
    """A workflow step: who submitted, rejected, published… and why."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=10)
    to_state = models.CharField(max_length=10)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"


class ArticleVote(models.Model):
    """One "was this helpful?" answer per contact and article; changing it replaces it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "voter"], name="one_vote_per_reader")
        ]

    def __str__(self) -> str:
        return "helpful" if self.helpful else "not helpful"


class ArticleComment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"comment at {self.at:%Y-%m-%d %H:%M}"


class SolvedCase(models.Model):
    """An article written from (or confirmed by) a solved case: each shows the other."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="solved")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["-linked_at"]
        constraints = [
            models.UniqueConstraint(fields=["article", "case"], name="uniq_article_case")
        ]

    def __str__(self) -> str:
        return f"article {self.article_id} ← case {self.case_id}"


class Suggestion(models.Model):
    """An article suggested to a contact while opening a case (T12).

    ``token`` names one visit to the open-case form; ``case`` is set when that visit
    ended in a case anyway. Shown and never followed by a case is a deflection.
    """

    token = models.CharField(max_length=32)
    contact = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="suggestions")
    shown_at = models.DateTimeField()
    clicked_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "article"], name="uniq_suggestion_per_visit")
        ]
        indexes = [models.Index(fields=["article", "shown_at"], name="suggestion_article_idx")]

    def __str__(self) -> str:
        return f"article {self.article_id} shown at {self.shown_at:%Y-%m-%d %H:%M}"


class ArticleFile(models.Model):
    """An image or attachment of an article (F4), its bytes in the attachment storage like a
    case file's. Served to whoever may read the article it belongs to — the file's own
    article decides, wherever a body refers to it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="files")
    filename = models.CharField(max_length=255)
    storage_key = models.CharField(max_length=255, editable=False)
    size = models.BigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    content_type = models.CharField(max_length=40, default="application/octet-stream")
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["article_id", "id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def path(self) -> str:
        """Where bodies refer to it (``markdown`` accepts only these paths for images)."""
        from urllib.parse import quote

        return f"/knowledge/files/{self.pk}/{quote(self.filename)}"

    @property
    def markdown(self) -> str:
        label = self.filename.replace("[", "(").replace("]", ")")
        return f"![{label}]({self.path})" if self.is_image else f"[{label}]({self.path})"
