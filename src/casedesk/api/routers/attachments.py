"""Case attachments over the API: list a case's files and download one (D3, D4; rule 3, 5).

Both go through the same visibility rule as the pages: the case via ``find_case``, the
file via ``files.selectors.access_attachment`` (404 for anything the caller may not see).
Uploads use the tus endpoint at ``/uploads/`` with the same bearer token.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError

from casedesk.api.routers.common import CASE_READ_ERRORS, errors, find_case
from casedesk.api.security import caller
from casedesk.api.transfer.downloads import PURGED, attachment_response
from casedesk.files.models import Attachment
from casedesk.files.selectors import access_attachment, case_attachments

router = Router(tags=["attachments"])


class AttachmentOut(Schema):
    id: int
    filename: str
    size: int
    sha256: str
    content_type: str
    source: str
    uploaded_by: str | None
    created_at: dt.datetime
    purged_at: dt.datetime | None
    download_url: str | None


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "content_type": attachment.content_type,
        "source": attachment.source,
        "uploaded_by": attachment.uploaded_by.full_name if attachment.uploaded_by else None,
        "created_at": attachment.created_at,
        "purged_at": attachment.purged_at,
        "download_url": (
            None if attachment.is_purged else f"/api/v1/attachments/{attachment.pk}/download"
        ),
    }


@router.get(
    "/cases/{number}/attachments",
    response={200: list[AttachmentOut], **CASE_READ_ERRORS},
    summary="List a case's attachments",
)
def list_attachments(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """Name, size, SHA-256, uploader and date of every file; purged ones stay listed (C7)."""
    case = find_case(caller(request), number)
    return [_attachment(a) for a in case_attachments(case)]


@router.get(
    "/attachments/{attachment_id}/download",
    # 302: with CASEDESK_FILES_ORIGIN set, a short-lived signed URL on the files origin.
    response={200: None, 302: None, **errors(401, 404, 410, 422, 503)},
    summary="Download an attachment",
)
def download_attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """The bytes as ``application/octet-stream`` download; 410 once purged (D4). Where the
    operator serves files from their own origin, a 302 to a signed URL there instead."""
    attachment = access_attachment(caller(request), attachment_id)
    if attachment.is_purged:
        raise HttpError(410, PURGED)
    return attachment_response(attachment)
