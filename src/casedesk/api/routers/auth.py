"""``POST /auth/token``: e-mail and password in, bearer token out (rule 12)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Router, Status

from casedesk.accounts.services import api_token_create
from casedesk.api.routers.common import errors
from casedesk.api.schemas.accounts import TokenIn, TokenOut
from casedesk.core import clock, ratelimit
from casedesk.core.errors import DomainError

router = Router(tags=["auth"])

WRONG_CREDENTIALS = "Wrong e-mail address or password."


class WrongCredentials(DomainError):
    status_code = 401


@router.post(
    "/token",
    auth=None,
    response={201: TokenOut, **errors(400, 401, 413, 422, 429, 503)},
    summary="Issue a bearer token",
)
def issue_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, str]]:
    """Exchange an e-mail address and password for a bearer token, shown once.

    After 10 failures for one e-mail address from one IP within 15 minutes the pair is
    refused with 429 until the window ends (security rule 12).
    """
    ratelimit.check(payload.email, request)
    user = authenticate(request, email=payload.email, password=payload.password)
    if user is None:
        ratelimit.record_failure(payload.email, request)
        raise WrongCredentials(WRONG_CREDENTIALS)
    ratelimit.clear(payload.email, request)
    token = api_token_create(user=user, name=payload.name, now=clock.now())
    return Status(
        201,
        {
            "token": token,
            "token_type": "Bearer",
            "name": payload.name.strip()[:80] or "API token",
            "email": user.email,
            "role": user.role,
        },
    )
