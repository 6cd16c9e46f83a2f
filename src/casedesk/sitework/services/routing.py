"""Routing a case out of support (G5, G6): the handbook's answer goes to the customer as the
closing comment (Closed · Redirected), and a ``ScopeRouting`` row records where it went."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.core.errors import NotPermitted, PolicyViolation
from casedesk.policy.scope import OutOfScope, scope_routing
from casedesk.policy.transitions import Action, CloseReason, SubStatus

from ..models import ScopeRouting


@transaction.atomic
def case_route_out_of_scope(
    *,
    case: Case,
    actor: User,
    kind: OutOfScope | str,
    vendor: str,
    now: dt.datetime,
    expected_version: int | None = None,
) -> ScopeRouting:
    """Close the case as Redirected with the handbook's answer, unless the policy says the
    case is in scope (a third-party product bought from us, or our own product)."""
    if not actor.is_support:
        raise NotPermitted("Support routes cases.")
    try:
        kind = OutOfScope(kind)
    except ValueError:
        raise PolicyViolation(
            "Choose customisation or third-party product.", field="kind"
        ) from None
    if len(vendor) > 200:
        raise PolicyViolation("At most 200 characters.", field="vendor")
    product = case.product
    bought = bool(product and case.contract.products.filter(pk=product.pk).exists())
    verdict = scope_routing(
        kind,
        product=product.name if product else "",
        third_party=bool(product and product.third_party),
        bought_from_vendor=bought,
        vendor=vendor,
    )
    if not verdict.routed:
        raise PolicyViolation(verdict.answer, field="kind")
    if ScopeRouting.objects.filter(case=case).exists():
        raise PolicyViolation("This case was already routed.", field="kind")
    case_transition(
        case=case,
        actor=actor,
        action=Action.CLOSE,
        to=SubStatus.REDIRECTED,
        reason=verdict.answer,
        now=now,
        close_reason=CloseReason.REDIRECTED,
        expected_version=expected_version,
    )
    return ScopeRouting.objects.create(
        case=case,
        kind=kind,
        route_to=verdict.route_to,
        answer=verdict.answer,
        routed_by=actor,
        routed_at=now,
    )
