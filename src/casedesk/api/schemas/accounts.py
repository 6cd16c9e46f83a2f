"""Token, profile and catalogue shapes (A2, B2)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StringConstraints

from .common import Email, InputSchema, ShortText


class TokenIn(InputSchema):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    name: ShortText = Field("API token", description="A label for the token, e.g. the script")


class TokenOut(Schema):
    token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 — the scheme name, not a secret
    name: str
    email: str
    role: str


class OrganisationOut(Schema):
    id: int
    name: str


class CertificationOut(Schema):
    product: str
    version: str
    function: str
    valid_until: dt.date


class DecisionOut(Schema):
    allowed: bool
    reason: str


class MeOut(Schema):
    email: str
    full_name: str
    role: str
    role_label: str
    organisation: OrganisationOut | None
    region: str
    phone: str
    can_see_colleagues: bool
    support_pin: str | None = Field(
        None, description="Identifies a contact on the phone (A2); null for support staff"
    )
    may_open_cases: DecisionOut | None = None
    certifications: list[CertificationOut] = []


class PinOut(Schema):
    support_pin: str


class PatchOut(Schema):
    id: int
    name: str


class VersionOut(Schema):
    id: int
    name: str
    patches: list[PatchOut]


class ProductOut(Schema):
    id: int
    name: str
    third_party: bool
    versions: list[VersionOut]


class ProductGroupOut(Schema):
    id: int
    name: str
    products: list[ProductOut]


class SiteOut(Schema):
    id: int
    name: str


class ContractOut(Schema):
    id: int
    number: str
    site: SiteOut
    deployment: str
    region: str
    language: str
    paid_through: dt.date | None
    maintenance: DecisionOut
    product_ids: list[int]


class CatalogueOut(Schema):
    product_groups: list[ProductGroupOut]
    contracts: list[ContractOut] = Field(
        default_factory=list, description="The caller's organisation's contracts (contacts)"
    )
