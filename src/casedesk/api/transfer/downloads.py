"""Attachment downloads for the pages (D3, D4; security rules 3 and 5).

Only someone who may see the case gets the file (``access_attachment``: 404 otherwise,
the same as a missing one). Bytes are always served as a download — never rendered by
the browser, whatever the file claims to be (SVG and HTML attachments caused XSS in five
peers): ``Content-Disposition: attachment`` with an RFC 6266 filename, an opaque content
type, ``nosniff`` and a sandboxing CSP.

With ``CASEDESK_FILES_ORIGIN`` set (e.g. ``https://files.support-usercontent.example``)
the bytes are never served where the session cookie lives (issue 15 item 9): the page and
API downloads check access as before and then redirect (302) to a short-lived signed URL
on that origin, ``/files/signed/<token>/``. The token is ``django.core.signing`` with its
own salt, names the attachment id and lapses after ``SIGNED_URL_SECONDS``; the view there
checks only the signature, never a session, and answers 404 on any other host, so a file
is never served from the session origin by that route. The headers above stay on both.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_safe

from casedesk.core.errors import NotFound
from casedesk.files.models import Attachment
from casedesk.files.selectors import access_attachment
from casedesk.files.storage import get_storage

SIGNED_SALT = "casedesk.files.signed-download"
SIGNED_URL_SECONDS = 300

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


def _files_origin() -> str:
    return str(getattr(settings, "FILES_ORIGIN", "") or "").rstrip("/")


def signed_download_url(attachment: Attachment) -> str:
    """A URL on the files origin that serves this attachment for ``SIGNED_URL_SECONDS``."""
    token = signing.dumps(attachment.pk, salt=SIGNED_SALT)
    path = reverse("files-attachment-signed", kwargs={"token": token})
    return _files_origin() + path


def attachment_response(attachment: Attachment, *, signed: bool = False) -> HttpResponse:
    """The file as a download, or 410 with the reason when it was purged (C7, D4); with a
    files origin configured, a redirect to its signed URL unless this is that URL."""
    if _files_origin() and not signed and not attachment.is_purged:
        response = HttpResponseRedirect(signed_download_url(attachment))
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
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


@require_safe
def attachment_signed(request: HttpRequest, token: str) -> HttpResponse:
    """The bytes behind a signed URL, on the files origin only; no session is consulted."""
    origin = _files_origin()
    if not origin or request.get_host() != urlsplit(origin).netloc:
        raise Http404("No such file.")
    try:
        attachment_id = signing.loads(token, salt=SIGNED_SALT, max_age=SIGNED_URL_SECONDS)
    except signing.SignatureExpired:
        return HttpResponse(
            "This download link has expired; open the file again from the case page.",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    except signing.BadSignature:
        raise Http404("No such file.") from None
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such file.")
    response = attachment_response(attachment, signed=True)
    response["Referrer-Policy"] = "no-referrer"
    return response
