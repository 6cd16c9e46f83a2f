"""What a case can be opened about: the product catalogue and the caller's contracts (B2)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router

from casedesk.accounts.selectors import contract_maintenance, contracts_for_contact
from casedesk.api.routers.common import errors
from casedesk.api.schemas.accounts import CatalogueOut
from casedesk.api.security import caller
from casedesk.catalog.models import MajorVersion, Product, ProductGroup
from casedesk.core import clock

router = Router(tags=["catalogue"])


def _product_groups() -> list[dict[str, Any]]:
    # Four queries whatever the catalogue's size.
    groups = ProductGroup.objects.prefetch_related(
        Prefetch(
            "products",
            queryset=Product.objects.prefetch_related(
                Prefetch(
                    "versions",
                    queryset=MajorVersion.objects.prefetch_related("patches"),
                )
            ),
        )
    )
    return [
        {
            "id": g.pk,
            "name": g.name,
            "products": [
                {
                    "id": p.pk,
                    "name": p.name,
                    "third_party": p.third_party,
                    "versions": [
                        {
                            "id": v.pk,
                            "name": v.name,
                            "patches": [{"id": x.pk, "name": x.name} for x in v.patches.all()],
                        }
                        for v in p.versions.all()
                    ],
                }
                for p in g.products.all()
            ],
        }
        for g in groups
    ]


@router.get(
    "",
    response={200: CatalogueOut, **errors(401, 503)},
    summary="Products, versions, patches and your contracts",
)
def catalogue(request: HttpRequest) -> dict[str, Any]:
    user = caller(request)
    contracts: list[dict[str, Any]] = []
    if user.is_contact:
        now = clock.now()
        for contract in contracts_for_contact(user).prefetch_related("products"):
            verdict = contract_maintenance(contract, now)
            contracts.append(
                {
                    "id": contract.pk,
                    "number": contract.number,
                    "site": {"id": contract.site.pk, "name": contract.site.name},
                    "deployment": contract.deployment,
                    "region": contract.region,
                    "language": contract.language,
                    "paid_through": contract.paid_through,
                    "maintenance": {"allowed": verdict.allowed, "reason": verdict.reason},
                    "product_ids": [p.pk for p in contract.products.all()],
                }
            )
    return {"product_groups": _product_groups(), "contracts": contracts}
