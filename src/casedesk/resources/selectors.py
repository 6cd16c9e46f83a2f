"""Every read of the resources app, scoped (F1, F2, F5; security rule 3).

Contacts see the resource centre of the products their organisation's contracts cover (a
contract without a product list covers every product, as on the open-case form), download
only those products' files and only their own organisation's licences; support staff see
everything. What a contact may not have answers ``NotFound``, like a missing row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from casedesk.accounts.models import Contract, User
from casedesk.catalog.models import MajorVersion, Product
from casedesk.core.errors import NotFound
from casedesk.policy.lifecycle import LifecycleVerdict, expires_soon, version_support

from .models import (
    Document,
    Download,
    EmergencyInstruction,
    Feedback,
    Licence,
    RegionalContact,
    Release,
    SupportLine,
    VersionLifecycle,
)


def contact_page() -> dict[str, Any]:
    """F5: lines per region and centre, regional managers, Production Down steps."""
    return {
        "lines": list(SupportLine.objects.all()),
        "managers": list(RegionalContact.objects.all()),
        "emergency": list(EmergencyInstruction.objects.all()),
    }


def emergency_instructions() -> list[EmergencyInstruction]:
    return list(EmergencyInstruction.objects.all())


def covered_products(user: User) -> QuerySet[Product]:
    """Products whose resources ``user`` may see: all for staff, covered ones for contacts."""
    products = Product.objects.select_related("group")
    if user.is_support:
        return products
    if not user.is_contact or not user.organisation_id:
        return products.none()
    contracts = Contract.objects.filter(organisation_id=user.organisation_id)
    if not contracts.exists():
        return products.none()
    if contracts.filter(products__isnull=True).exists():
        return products
    # A semi-join written from the organisation's contracts outwards: the connection runs
    # with join_collapse_limit=1, so a join from the product side would read every
    # contract's product row (48k at 1M cases, ~10 ms per search page).
    covered = Contract.products.through.objects.filter(
        contract_id__in=contracts.values("pk")
    ).values("product_id")
    return products.filter(pk__in=covered)


def access_product(user: User, product_id: int) -> Product:
    product = covered_products(user).filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.")
    return product


def product_resources(product: Product) -> dict[str, Any]:
    """F1: releases with their downloads, documents by kind, lifecycle per major version."""
    releases = list(
        Release.objects.filter(product=product)
        .select_related("major_version")
        .prefetch_related("downloads")
    )
    versions = list(MajorVersion.objects.filter(product=product))
    lifecycles = {
        lc.major_version_id: lc
        for lc in VersionLifecycle.objects.filter(major_version__in=versions)
    }
    return {
        "product": product,
        "releases": releases,
        "documents": list(Document.objects.filter(product=product)),
        "versions": [(v, lifecycles.get(v.pk)) for v in versions],
    }


def access_download(user: User, download_id: int) -> Download:
    download = (
        Download.objects.select_related("release__product")
        .filter(pk=download_id, release__product__in=covered_products(user))
        .first()
    )
    if download is None:
        raise NotFound("No such file.")
    return download


def licences_for(user: User) -> QuerySet[Licence]:
    """F2: a contact's own organisation's licences; staff see all."""
    licences = Licence.objects.select_related("contract__site", "product").order_by(
        "contract__number", "product__name", "pk"
    )
    if user.is_support:
        return licences
    if not user.is_contact or not user.organisation_id:
        return licences.none()
    return licences.filter(contract__organisation_id=user.organisation_id)


def access_licence(user: User, licence_id: int) -> Licence:
    licence = licences_for(user).filter(pk=licence_id).first()
    if licence is None:
        raise NotFound("No such licence.")
    return licence


def licence_rows(user: User, today: dt.date) -> list[tuple[Licence, bool, bool]]:
    """Each licence with (expired, expires soon) for ``today`` (policy.lifecycle)."""
    return [
        (
            lic,
            lic.expires_on is not None and lic.expires_on < today,
            expires_soon(lic.expires_on, today),
        )
        for lic in licences_for(user)
    ]


def version_verdict(
    major_version_id: int, today: dt.date, *, admin_case: bool = False
) -> LifecycleVerdict | None:
    """T48 for a major version; None when it has no lifecycle dates (always supported)."""
    lc = (
        VersionLifecycle.objects.select_related("major_version__product")
        .filter(major_version_id=major_version_id)
        .first()
    )
    if lc is None:
        return None
    return version_support(
        version=str(lc.major_version),
        end_of_support=lc.end_of_support,
        end_of_life=lc.end_of_life,
        today=today,
        admin_case=admin_case,
    )


def feedback_list(*, handled: bool) -> QuerySet[Feedback]:
    return Feedback.objects.select_related("contact__organisation", "handled_by").filter(
        handled_at__isnull=not handled
    )
