"""The caller's own profile and support PIN (A2)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from casedesk.accounts.models import Role
from casedesk.accounts.selectors import certifications_for, contact_may_open_cases
from casedesk.accounts.services import contact_regenerate_pin
from casedesk.api.routers.common import errors
from casedesk.api.schemas.accounts import MeOut, PinOut
from casedesk.api.security import caller
from casedesk.core import clock
from casedesk.core.errors import NotPermitted

router = Router(tags=["me"])


@router.get("", response={200: MeOut, **errors(401, 503)}, summary="Your profile")
def me(request: HttpRequest) -> dict[str, Any]:
    user = caller(request)
    data: dict[str, Any] = {
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "role_label": Role(user.role).label,
        "organisation": (
            {"id": user.organisation.pk, "name": user.organisation.name}
            if user.organisation_id
            else None
        ),
        "region": user.region,
        "phone": user.phone,
        "can_see_colleagues": user.can_see_colleagues,
        "support_pin": None,
        "may_open_cases": None,
        "certifications": [],
    }
    if user.is_contact:
        verdict = contact_may_open_cases(user)
        data["support_pin"] = user.support_pin
        data["may_open_cases"] = {"allowed": verdict.allowed, "reason": verdict.reason}
        data["certifications"] = [
            {
                "product": c.product.name,
                "version": c.version,
                "function": c.function,
                "valid_until": c.valid_until,
            }
            for c in certifications_for(user)
        ]
    return data


@router.post("/pin", response={200: PinOut, **errors(401, 403, 503)}, summary="Regenerate your PIN")
def regenerate_pin(request: HttpRequest) -> dict[str, str]:
    """A2: a fresh support PIN; the old one stops identifying you at once."""
    user = caller(request)
    if not user.is_contact:
        raise NotPermitted("Support PINs identify customer contacts on the phone.")
    return {"support_pin": contact_regenerate_pin(contact=user, now=clock.now())}
