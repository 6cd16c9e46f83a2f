"""Attachment downloads for the pages (D3, D4; security rules 3 and 5).

Only someone who may see the case gets the file (``access_attachment``: 404 otherwise,
the same as a missing one). Bytes are always served as a download — never rendered by
the browser, whatever the file claims to be (SVG and HTML attachments caused XSS in five
peers): ``Content-Disposition: attachment`` with an RFC 6266 filename, an opaque content
type, ``nosniff`` and a sandboxing CSP.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from casedesk.core.errors import NotFound
from casedesk.files.models import Attachment
from casedesk.files.selectors import access_attachment
from casedesk.files.storage import get_storage

PURGED = (
    "This file was purged: attachments of a closed case are removed when the retention "
    "period after closure ends (retention policy). Ask the person who sent it for a new copy."
)


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback plus ``filename*=UTF-8''…`` for everything else."""
    fallback = "".join(
        ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\%;' else "_" for ch in filename
    )
    return f"attachment; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(filename)}"


def attachment_response(attachment: Attachment) -> HttpResponse:
    """The file as a download, or 410 with the reason when it was purged (C7, D4)."""
    if attachment.is_purged:
        return HttpResponse(PURGED, status=410, content_type="text/plain; charset=utf-8")
    storage = get_storage()
    try:
        stream = storage.open_read(attachment.storage_key)
    except FileNotFoundError:
        return HttpResponse(
            "This file's bytes are missing from storage.",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    response = FileResponse(stream, content_type="application/octet-stream")
    response["Content-Length"] = str(attachment.size)
    response["Content-Disposition"] = content_disposition(attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Repr-Digest"] = f"sha-256=:{_b64(attachment.sha256)}:"
    return response


def _b64(hexdigest: str) -> str:
    import base64

    return base64.b64encode(bytes.fromhex(hexdigest)).decode()


@require_safe
@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    try:
        attachment = access_attachment(request.user, attachment_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404("No such file.") from None
    return attachment_response(attachment)
