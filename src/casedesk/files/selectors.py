"""Reads for attachments, scoped by the one case visibility rule (security rule 3)."""

from __future__ import annotations

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.cases.permissions import can_view_case, scope_cases
from casedesk.core.errors import NotFound

from .models import Attachment, Upload


def case_attachments(case: Case) -> list[Attachment]:
    """The attachments of a case the caller already accessed (``access_case``)."""
    return list(case.attachments.select_related("uploaded_by"))


def access_attachment(user: User, attachment_id: int) -> Attachment:
    """The attachment if ``user`` may see its case; otherwise NotFound, like a missing one."""
    if not 0 < attachment_id < 2**63:
        raise NotFound("No such file.")
    visible = scope_cases(user, Case.objects.all()).values("pk")
    try:
        return Attachment.objects.select_related("case").get(pk=attachment_id, case_id__in=visible)
    except Attachment.DoesNotExist:
        raise NotFound("No such file.") from None


def access_upload(user: User, upload_id: str) -> Upload:
    """The upload if it is ``user``'s own and its case is still visible to them.

    A colleague's upload, even on a case both may see, is NotFound like a missing one:
    an upload URL is bound to the person who created it (security rule 9).
    """
    if not upload_id or len(upload_id) > 48:
        raise NotFound("No such upload.")
    upload = Upload.objects.select_related("case", "user").filter(pk=upload_id, user=user).first()
    if upload is None or not can_view_case(user, upload.case):
        raise NotFound("No such upload.")
    return upload
