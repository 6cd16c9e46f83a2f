"""Helpers shared by the case routers: finding the case and the people named in a body."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from casedesk.accounts.models import Role, User
from casedesk.accounts.selectors import engineers
from casedesk.api.schemas.common import ErrorOut
from casedesk.cases.selectors import access_case
from casedesk.core.errors import NotFound, PolicyViolation

if TYPE_CHECKING:
    from casedesk.cases.models import Case

# Documented error responses of case operations (all share the ErrorOut shape).
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

_CASE_NUMBER = re.compile(r"(?i:CS-)?[0-9]{1,12}")


def find_case(user: User, number: str) -> Case:
    """The case if ``user`` may see it; anything else is the same 404 (rule 3, A4)."""
    if not _CASE_NUMBER.fullmatch(number.strip()):
        raise NotFound("No such case.")
    return access_case(user, number)


def reload(user: User, case: Case) -> Case:
    """The case as ``user`` now sees it, with everything the detail view reads."""
    return access_case(user, case.pk)


def contact_by_email(email: str) -> User:
    contact = (
        User.objects.select_related("organisation")
        .filter(email=email, role=Role.CONTACT, is_active=True)
        .first()
    )
    if contact is None:
        raise PolicyViolation(
            "No active registered contact has that e-mail address.", field="contact_email"
        )
    return contact


def engineer_by_email(email: str) -> User:
    engineer = engineers().filter(email=email).first()
    if engineer is None:
        raise PolicyViolation(
            "No active support engineer has that e-mail address.", field="assignee_email"
        )
    return engineer
