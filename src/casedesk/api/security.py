"""Who is calling: a bearer token, or the same Django session the pages use.

Both resolve to an active ``accounts.User``; everything after that goes through the one
authorisation layer (``cases.permissions`` / ``selectors.access_case``) shared with the
portal and console (security rule 3).

Session callers must present a CSRF token on unsafe methods, exactly as a page form does;
bearer callers need none, since a browser never attaches an ``Authorization`` header on
its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from casedesk.accounts.selectors import user_for_token
from casedesk.phone.selectors import telephony_token_for

if TYPE_CHECKING:
    from casedesk.accounts.models import User


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>``; tokens are looked up by digest (rule 12)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return user_for_token(token.strip())


class SessionAuth(APIKeyCookie):
    """The logged-in page session; unsafe methods need the CSRF token.

    Unlike ninja's stock ``SessionAuth``, a request without a logged-in session falls
    through to 401 instead of failing the CSRF check first, so an anonymous caller is told
    to authenticate rather than about CSRF.
    """

    def __init__(self) -> None:
        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise HttpError(
                403,
                "CSRF check failed: send the X-CSRFToken header with session "
                "authentication, or use a bearer token.",
            )
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key is not None and user is not None and user.is_authenticated and user.is_active:
            return user
        return None


def caller(request: HttpRequest) -> User:
    """The authenticated user of this request (set by one of the auth classes above)."""
    return request.auth  # type: ignore[attr-defined,no-any-return]


class TelephonyAuth(HttpBearer):
    """``Authorization: Bearer cdt_…``: the IVR/CTI's own token (``phone.TelephonyToken``).

    It is no person's: it opens only the telephony routes, and a person's token does not
    open them (H1). ``request.auth`` is the token row.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return telephony_token_for(token.strip())
