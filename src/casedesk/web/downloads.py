"""Serving a stored resource file (a release download, a licence file) as a download (F1, F2).

The same headers as case attachments (``api/transfer/downloads.py``): always
``Content-Disposition: attachment`` with an RFC 6266 filename, an opaque type, ``nosniff``,
a sandboxing CSP, no caching, and the SHA-256 as ``Repr-Digest`` so a client can verify.
These files are care's, not customers', so they are served in place.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from django.http import FileResponse, HttpResponse

from casedesk.files.storage import get_storage


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback plus ``filename*=UTF-8''…`` for everything else."""
    fallback = "".join(
        ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\%;' else "_" for ch in filename
    )
    return f"attachment; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(filename)}"


def stored_file_response(row: Any, *, inline_type: str = "") -> HttpResponse:
    """``row`` has ``storage_key``, ``filename``, ``size`` and ``sha256``; 410 if bytes vanished.

    ``inline_type`` (a raster image type the caller vouches for) shows it in the page
    instead of downloading it; the sandboxing CSP and ``nosniff`` stay either way."""
    try:
        stream = get_storage().open_read(row.storage_key)
    except (FileNotFoundError, ValueError):
        return HttpResponse(
            "This file's bytes are missing from storage; Customer Care has been told.",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    response = FileResponse(stream, content_type=inline_type or "application/octet-stream")
    response["Content-Length"] = str(row.size)
    disposition = content_disposition(row.filename)
    if inline_type:
        disposition = disposition.replace("attachment;", "inline;", 1)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(row.sha256)).decode()}:"
    return response
