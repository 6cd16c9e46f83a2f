"""The REST API (django-ninja) under /api/v1 (issue items 6 and 7).

One ``NinjaAPI`` with small routers; every operation authenticates with a bearer token or
the pages' own session (CSRF on unsafe methods) and goes through the same services and
selectors as the portal and console. OpenAPI: /api/v1/openapi.json, docs: /api/v1/docs.
"""

from ninja import NinjaAPI

from casedesk.api import errors
from casedesk.api.routers import (
    attachments,
    auth,
    case_actions,
    cases,
    catalogue,
    escalations,
    knowledge,
    me,
    reports,
    resources,
    sites,
    sitework,
    telephony,
)
from casedesk.api.security import BearerAuth, SessionAuth

api = NinjaAPI(
    title="casedesk API",
    version="1",
    description=(
        "Technical-support cases for customer contacts and support staff. Authenticate "
        "with `Authorization: Bearer <token>` (POST /api/v1/auth/token) or a signed-in "
        "session plus the X-CSRFToken header on unsafe methods. Errors always look like "
        '`{"detail": "...", "errors": [{"field": "body.subject", "message": "..."}]}`.'
    ),
    urls_namespace="api",
    auth=[BearerAuth(), SessionAuth()],
)
errors.register(api)

api.add_router("/auth", auth.router)
api.add_router("/me", me.router)
api.add_router("/catalogue", catalogue.router)
api.add_router("/cases", cases.router)
api.add_router("/cases", case_actions.router)
api.add_router("", attachments.router)
api.add_router("/cases", escalations.router)
api.add_router("/reports", reports.router)
api.add_router("/telephony", telephony.router)
api.add_router("", knowledge.router)
api.add_router("", resources.router)
api.add_router("", sites.router)
api.add_router("", sitework.router)
