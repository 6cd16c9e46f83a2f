"""Helpers shared by the routers: documented errors, finding the case, the people named in a
body, and refusing a write based on a stale read."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.db import transaction

from casedesk.accounts.models import Role, User
from casedesk.accounts.selectors import engineers
from casedesk.api.schemas.common import ErrorOut
from casedesk.cases.models import Case
from casedesk.cases.selectors import access_case
from casedesk.core.errors import NotFound, PolicyViolation, StaleObject

if TYPE_CHECKING:
    from collections.abc import Iterator


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Documented error responses; every one has the ``ErrorOut`` shape."""
    return dict.fromkeys(statuses, ErrorOut)


# Every operation behind authentication may answer 401 (no, a wrong or a revoked token)
# and 503 (the database unreachable, with Retry-After).
# Reading one case: besides those, 404 for a case that is missing or not visible.
CASE_READ_ERRORS = errors(401, 404, 503)
# Writing: a body that is not JSON (400), a rule, role or missing CSRF token that refuses
# (403), a stale version or a status edge that does not exist (409), a body over the size
# limit (413), input the schema or a policy refuses (422).
CASE_WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 422, 503)

_CASE_NUMBER = re.compile(r"(?i:CS-)?[0-9]{1,12}")


def find_case(user: User, number: str) -> Case:
    """The case if ``user`` may see it; anything else is the same 404 (rule 3, A4)."""
    if not _CASE_NUMBER.fullmatch(number.strip()):
        raise NotFound("No such case.")
    return access_case(user, number)


def reload(user: User, case: Case) -> Case:
    """The case as ``user`` now sees it, with everything the detail view reads."""
    return access_case(user, case.pk)


STALE = (
    "This case was changed by someone else after you loaded it. Reload it, check the latest "
    "updates, and try again; nothing you sent was saved."
)


@contextmanager
def unchanged_since(case: Case, version: int | None) -> Iterator[None]:
    """Run the write inside only if the case is still at ``version`` (None: no check).

    The services' own ``expected_version`` rule (transition, close, priority) for the
    writes that do not take one: the row is locked in the transaction the write then joins,
    so nothing can change the case between this check and the write (409 otherwise).
    """
    if version is None:
        yield
        return
    with transaction.atomic():
        current = Case.objects.select_for_update().values_list("version", flat=True).get(pk=case.pk)
        if current != version:
            raise StaleObject(STALE)
        yield


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
