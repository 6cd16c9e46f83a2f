"""The contact page, resource centre and licences over the API (F1, F2, F5; rule 3).

The same selectors as the portal: products by the caller's organisation's contracts,
licences of the caller's own organisation (staff: all), 404 for anything else exactly as
for a missing one. Every licence file handed out is audited, as on the page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from casedesk.api.routers.common import errors
from casedesk.api.schemas.resources import (
    ContactPageOut,
    LicenceOut,
    ProductResourcesOut,
    ResourceProductOut,
)
from casedesk.api.security import caller
from casedesk.core import clock
from casedesk.resources import selectors, services
from casedesk.web.downloads import stored_file_response

router = Router(tags=["resources"])

READ = errors(401, 503)
ONE = errors(401, 404, 422, 503)
FILE = errors(401, 404, 410, 422, 503)


@router.get("/contact", response={200: ContactPageOut, **READ}, summary="The contact page")
def contact_page(request: HttpRequest) -> dict[str, Any]:
    """Support lines per region and centre with their hours, regional management, and the
    Production Down instructions (F5)."""
    caller(request)
    data = selectors.contact_page()
    return {
        "support_lines": data["lines"],
        "regional_contacts": data["managers"],
        "production_down": [step.text for step in data["emergency"]],
    }


def _product(p: Any) -> dict[str, Any]:
    return {"id": p.pk, "name": p.name, "group": p.group.name}


@router.get(
    "/resources/products",
    response={200: list[ResourceProductOut], **READ},
    summary="Products in your resource centre",
)
def products(request: HttpRequest) -> list[dict[str, Any]]:
    """Products your organisation's contracts cover (support staff: all)."""
    return [_product(p) for p in selectors.covered_products(caller(request))]


@router.get(
    "/resources/products/{product_id}",
    response={200: ProductResourcesOut, **ONE},
    summary="A product's releases, downloads, documents and lifecycle",
)
def product_resources(request: HttpRequest, product_id: int) -> dict[str, Any]:
    """F1: releases with notes and files (size, SHA-256), documents, end of support and end
    of life per major version."""
    product = selectors.access_product(caller(request), product_id)
    data = selectors.product_resources(product)
    return {
        **_product(product),
        "releases": [
            {
                "name": r.name,
                "major_version": r.major_version.name if r.major_version else None,
                "released_on": r.released_on,
                "notes": r.notes,
                "downloads": [
                    {
                        "id": d.pk,
                        "filename": d.filename,
                        "size": d.size,
                        "sha256": d.sha256,
                        "download_url": f"/api/v1/resources/downloads/{d.pk}",
                    }
                    for d in r.downloads.all()
                ],
            }
            for r in data["releases"]
        ],
        "documents": [
            {"kind": d.kind, "title": d.title, "body": d.body, "url": d.url}
            for d in data["documents"]
        ],
        "versions": [
            {
                "id": v.pk,
                "name": v.name,
                "end_of_support": lc.end_of_support if lc else None,
                "end_of_life": lc.end_of_life if lc else None,
            }
            for v, lc in data["versions"]
        ],
    }


@router.get(
    "/resources/downloads/{download_id}",
    response={200: None, **FILE},
    summary="Download a release file",
)
def download(request: HttpRequest, download_id: int) -> HttpResponse:
    """The bytes as an ``application/octet-stream`` download with ``Repr-Digest``."""
    return stored_file_response(selectors.access_download(caller(request), download_id))


@router.get("/licences", response={200: list[LicenceOut], **READ}, summary="Your licences")
def licences(request: HttpRequest) -> list[dict[str, Any]]:
    """Your organisation's licences per contract and site, expiring ones flagged (F2)."""
    rows = selectors.licence_rows(caller(request), clock.today())
    return [
        {
            "id": lic.pk,
            "contract": lic.contract.number,
            "site": lic.contract.site.name,
            "product": lic.product.name,
            "quantity": lic.quantity,
            "issued_on": lic.issued_on,
            "expires_on": lic.expires_on,
            "expired": expired,
            "expires_soon": soon,
            "filename": lic.filename,
            "size": lic.size,
            "sha256": lic.sha256,
            "download_url": f"/api/v1/licences/{lic.pk}/download",
        }
        for lic, expired, soon in rows
    ]


@router.get(
    "/licences/{licence_id}/download",
    response={200: None, **FILE},
    summary="Download a licence file",
)
def licence_download(request: HttpRequest, licence_id: int) -> HttpResponse:
    """Your organisation's licence file; every download is audited (F2)."""
    user = caller(request)
    licence = selectors.access_licence(user, licence_id)
    response = stored_file_response(licence)
    if response.status_code == 200:
        services.licence_downloaded(actor=user, licence=licence, now=clock.now())
    return response
