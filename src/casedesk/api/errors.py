"""Every error the API returns has one shape: ``{"detail": str, "errors": [...]}``.

Domain exceptions are mapped here once (architecture convention 9): a ``DomainError``
answers with its own ``status_code`` (NotFound 404 — identical for missing and not
visible, rule 3 —, NotPermitted 403, PolicyViolation 422, TransitionNotAllowed and
StaleObject 409). Validation errors name the offending field as a dotted path such as
``body.subject`` or ``query.page``; a body that is not JSON is a 400, never a 500.
Whatever Django answers around ninja under the API's prefix (an unknown path, a method the
path does not take, the database-outage 503, an unexpected 500) gets the same shape from
``ApiErrorMiddleware``.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from ninja.errors import HttpError, ValidationError

from casedesk.api.schemas.common import NOT_BLANK
from casedesk.core.errors import DomainError

if TYPE_CHECKING:
    from ninja import NinjaAPI

# Every body parameter is called ``payload``; it is an implementation detail of the
# handler signature, not part of the field path a client sees.
BODY_PARAM = "payload"

# Service errors name form fields; the API's body names some of them differently.
_DOMAIN_FIELDS = {
    "contract": "contract_id",
    "product": "product_id",
    "major_version": "major_version_id",
    "patch": "patch_id",
    "assignee": "assignee_email",
}


def _body(detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or [{"field": None, "message": detail}]}


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] == "body" and parts[1] == BODY_PARAM:
        del parts[1]
    return ".".join(parts)


def register(api: NinjaAPI) -> None:
    """Install the handlers on ``api``; called once where the API is built."""

    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        field = None
        if exc.field and "." in exc.field:
            field = exc.field  # already a full path, e.g. "query.scope"
        elif exc.field:
            field = f"body.{_DOMAIN_FIELDS.get(exc.field, exc.field)}"
        listed = [{"field": field, "message": exc.reason}]
        rows = getattr(exc, "errors", None)  # a measurement file: one per bad row (G2)
        if isinstance(rows, list) and rows:
            listed = [{"field": field, "message": f"{where}: {message}"} for where, message in rows]
        response = api.create_response(request, _body(exc.reason, listed), status=exc.status_code)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            response["Retry-After"] = str(retry_after)
        return response

    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": _field_path(e.get("loc", ())), "message": _message(e)} for e in exc.errors
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return api.create_response(request, _body(f"Invalid input — {summary}", errors), status=422)

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = str(exc)
        if exc.status_code == 400 and message.startswith("Cannot parse request body"):
            message = "Malformed JSON: the request body must be a JSON document."
        elif exc.status_code == 401 and message == "Unauthorized":
            message = (
                "Authentication required: send 'Authorization: Bearer <token>' "
                "(POST /api/v1/auth/token issues one) or sign in."
            )
        return api.create_response(request, _body(message), status=exc.status_code)

    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return api.create_response(request, _body("The request body is too large."), status=413)

    api.add_exception_handler(DomainError, domain_error)  # type: ignore[arg-type]
    api.add_exception_handler(ValidationError, validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, http_error)  # type: ignore[arg-type]
    api.add_exception_handler(RequestDataTooBig, too_big)  # type: ignore[arg-type]


# pydantic names the schema class in these; callers need to hear what to send instead.
_OBJECT_EXPECTED = frozenset({"model_type", "model_attributes_type", "dict_type"})


def _message(error: dict[str, Any]) -> str:
    if error.get("type") in _OBJECT_EXPECTED:
        return "Send a JSON object with the fields of this request."
    if error.get("type") == "string_pattern_mismatch" and (
        error.get("ctx", {}).get("pattern") == NOT_BLANK
    ):
        return "This must not be blank."
    return str(error.get("msg", "Invalid."))


# Headers of Django's own error answers that a client needs to act on.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class ApiErrorMiddleware:
    """Every error under the API's prefix is JSON ``{detail, errors}``, never an HTML page.

    ninja's handlers cover what happens inside an operation; this covers what Django answers
    around it: 404 for an unknown path, 405 for a method the path does not take (with
    ``Allow``), 503 while the database is unreachable (with ``Retry-After``), 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._prefix: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith(self.prefix):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        detail = _status_detail(request, response)
        replaced = JsonResponse(_body(detail), status=response.status_code)
        for header in _KEPT_HEADERS:
            if header in response:
                replaced[header] = response[header]
        return replaced

    @property
    def prefix(self) -> str:
        # Resolved on first use: the URLconf imports the API, not the other way round.
        if self._prefix is None:
            self._prefix = reverse("api:api-root")
        return self._prefix


def _status_detail(request: HttpRequest, response: HttpResponse) -> str:
    status = response.status_code
    if status == 404:
        return f"No such API endpoint: {request.path}. See {reverse('api:openapi-json')}."
    if status == 405:
        allowed = response.get("Allow", "")
        return f"{request.method} is not allowed here; this path takes {allowed}."
    if status == 503:
        retry = response.get("Retry-After", "")
        again = f" in {retry} seconds" if retry else ""
        return f"The service is temporarily unavailable (database unreachable); retry{again}."
    if status >= 500:
        return "Internal server error; it was logged. Please try again later."
    try:
        return f"{HTTPStatus(status).phrase}."
    except ValueError:
        return f"HTTP {status}."
