"""Reads for attachments, scoped by the one case visibility rule (security rule 3)."""

from __future__ import annotations

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.cases.permissions import scope_cases
from casedesk.core.errors import NotFound

from .models import Attachment


def case_attachments(case: Case) -> list[Attachment]:
    """The attachments of a case the caller already accessed (``access_case``)."""
    return list(case.attachments.select_related("uploaded_by"))


def access_attachment(user: User, attachment_id: int) -> Attachment:
    """The attachment if ``user`` may see its case; otherwise NotFound, like a missing one."""
    visible = scope_cases(user, Case.objects.all()).values("pk")
    try:
        return Attachment.objects.select_related("case").get(pk=attachment_id, case_id__in=visible)
    except Attachment.DoesNotExist:
        raise NotFound("No such file.") from None
