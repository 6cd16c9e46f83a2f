"""Response shapes of the knowledge, search, resource-centre, licence and contact-page
operations (F1-F6)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class ArticleSummaryOut(Schema):
    id: int
    title: str
    kind: str
    language: str
    product: str | None
    updated_at: dt.datetime


class ArticleOut(ArticleSummaryOut):
    body_markdown: str
    body_html: str  # sanitised with nh3 when saved: safe to insert as HTML
    tags: list[str]
    last_reviewed_on: dt.date | None
    helpful_yes: int
    helpful_no: int


class SearchHitOut(Schema):
    kind: str  # article, selfhelp, resource, case
    key: str  # article id, case number, or release-/document-/download-<id>
    title_html: str  # escaped text with <mark> around the matches
    snippet_html: str
    product: str


class SearchOut(Schema):
    query: str
    counts: dict[str, int]
    hits: list[SearchHitOut]


class SupportLineOut(Schema):
    region: str
    centre: str
    phone: str
    hours: str
    languages: str


class RegionalContactOut(Schema):
    region: str
    name: str
    title: str
    email: str
    phone: str


class ContactPageOut(Schema):
    support_lines: list[SupportLineOut]
    regional_contacts: list[RegionalContactOut]
    production_down: list[str]


class ResourceProductOut(Schema):
    id: int
    name: str
    group: str


class DownloadOut(Schema):
    id: int
    filename: str
    size: int
    sha256: str
    download_url: str


class ReleaseOut(Schema):
    name: str
    major_version: str | None
    released_on: dt.date
    notes: str
    downloads: list[DownloadOut]


class DocumentOut(Schema):
    kind: str
    title: str
    body: str
    url: str


class LifecycleVersionOut(Schema):
    id: int
    name: str
    end_of_support: dt.date | None
    end_of_life: dt.date | None


class ProductResourcesOut(ResourceProductOut):
    releases: list[ReleaseOut]
    documents: list[DocumentOut]
    versions: list[LifecycleVersionOut]


class LicenceOut(Schema):
    id: int
    contract: str
    site: str
    product: str
    quantity: int
    issued_on: dt.date
    expires_on: dt.date | None
    expired: bool
    expires_soon: bool
    filename: str
    size: int
    sha256: str
    download_url: str
