"""A tus 1.0.0 server for case attachments at /uploads/ (D1; security rules 3, 5, 9).

Written here as two plain Django views because no well-kept Django tus server library
exists (the few on PyPI are unmaintained, keep chunks in memory or cache, and have no
locking or per-user binding); the protocol core is small. Supported: core, creation,
creation-with-upload, termination, checksum (sha1, sha256; a mismatch answers 460 and
the chunk is discarded) and expiration (``Upload-Expires``; an expired upload answers
410 and the ``files.upload_expire`` deadline removes its bytes) and concatenation
(parallel uploads, below). ``Upload-Defer-Length`` and ``concatenation-unfinished`` are
not offered.

Concatenation (tus-js-client's and Uppy's ``parallelUploads``): each part is created with
``Upload-Concat: partial`` and must name its case in ``Upload-Metadata`` (tus-js-client:
``metadataForPartialUploads: {case: ...}``); a part is bound to its creator and case and
is never attached on its own. ``Upload-Concat: final;<part URL> <part URL> …`` (no
``Upload-Length``, no body) joins finished parts of the same user and case, in order, into
one attachment, hashed once, in the creation request itself: the 201 comes with the
attachment. A part that is unknown, another user's, of another case, or unfinished gets
400 with the reason; an expired one 410; one already joined 409. A PATCH to a final
upload is 403. Orphaned parts expire like unfinished uploads (``files.uploads.concat``).

No size limit (D1), but an upload must fit: creation answers 413 with the reason when the
``Upload-Length`` exceeds the operator's maximum (then advertised as ``Tus-Max-Size``), the
case's quota, or the files volume's free space less a reserve (``files.uploads.creation``);
a chunk that meets a full disk anyway gets 507, its bytes discarded, the offset kept.

The whole file is verified: a client that announces its SHA-256 (``sha256``, hex, in
``Upload-Metadata``) gets 422 with both digests on the last chunk when the bytes differ,
and nothing is attached (security rule 9).

Every response carries ``Tus-Resumable``; a request for another protocol version gets
412. The body is read from the request stream in 1 MiB blocks straight into storage —
never through ``request.body``/``request.POST`` — so memory stays flat for any size.

Who may call: a bearer token (the API's own check) or the signed-in page session with the
``X-CSRFToken`` header on POST/PATCH/DELETE. ``Upload-Metadata`` carries ``case`` (the case
number), ``filename`` and ``filetype``. An upload is bound to its creator and case: anybody
else, a colleague included, gets 404, the same as for a missing upload.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import HttpError

from casedesk.accounts.models import User
from casedesk.api.security import BearerAuth, SessionAuth
from casedesk.cases.selectors import access_case
from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound, NotPermitted, PolicyViolation
from casedesk.files.models import Concat, Source, Upload, UploadState
from casedesk.files.selectors import access_upload
from casedesk.files.uploads import (
    MAX_PARTS,
    Checksum,
    OffsetMoved,
    upload_concat_final,
    upload_create,
    upload_terminate,
    upload_write,
)

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,termination,checksum,expiration,concatenation"
ALGORITHMS = ("sha1", "sha256")
OFFSET_TYPE = "application/offset+octet-stream"
MAX_METADATA = 4096
REASONS = {423: "Locked", 460: "Checksum Mismatch"}
HEX = frozenset("0123456789abcdef")
PART_PATH = re.compile(r"(?:^|/)uploads/([A-Za-z0-9_-]{1,48})/?$")


class Refused(Exception):
    """A protocol-level refusal: status, plain-text reason, extra headers."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}


def _response(status: int, text: str = "", headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(
        text + ("\n" if text else ""),
        status=status,
        content_type="text/plain; charset=utf-8",
        reason=REASONS.get(status),
    )
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _domain_status(exc: DomainError) -> int:
    # A closed case or any other policy refusal is a plain 403 for tus clients: they retry
    # 409/423/5xx, but must stop and show the reason here.
    if isinstance(exc, PolicyViolation | NotPermitted):
        return 403
    return exc.status_code


def _method(request: HttpRequest) -> str:
    """tus lets clients behind PATCH-less proxies send POST + X-HTTP-Method-Override."""
    override = request.headers.get("X-HTTP-Method-Override", "").upper()
    if request.method == "POST" and override in {"PATCH", "DELETE", "HEAD"}:
        return override
    return request.method or "GET"


def _caller(request: HttpRequest) -> tuple[User, str]:
    """Bearer token (CLI, scripts) or the page session with its CSRF token (browser)."""
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        user = BearerAuth()(request)
        if user is None:
            raise Refused(401, "Invalid or revoked API token.", {"WWW-Authenticate": "Bearer"})
        return user, Source.CLI
    try:
        user = SessionAuth()(request)
    except HttpError as exc:
        raise Refused(403, str(exc)) from None
    if user is None:
        raise Refused(
            401,
            "Authentication required: send 'Authorization: Bearer <token>' or sign in.",
            {"WWW-Authenticate": "Bearer"},
        )
    return user, Source.ENGINEER if user.is_support else Source.BROWSER


def _check_version(request: HttpRequest) -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise Refused(
            412,
            f"This server speaks tus {TUS_VERSION}; send 'Tus-Resumable: {TUS_VERSION}'.",
            {"Tus-Version": TUS_VERSION},
        )


def _int_header(request: HttpRequest, name: str, *, required: bool = True) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        if required:
            raise Refused(400, f"The {name} header is required.")
        return None
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        raise Refused(400, f"{name} must be a non-negative whole number of bytes.")
    return int(raw)


def parse_metadata(header: str) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (value optional)."""
    if len(header) > MAX_METADATA:
        raise Refused(400, "Upload-Metadata is too long.")
    result: dict[str, str] = {}
    for item in header.split(","):
        item = item.strip()
        if not item:
            continue
        key, _, value = item.partition(" ")
        if not key or key in result or " " in value.strip():
            raise Refused(400, "Upload-Metadata must be unique 'key base64value' pairs.")
        try:
            result[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Refused(400, f"Upload-Metadata value of '{key}' is not base64 UTF-8.") from None
    return result


def _encode_metadata(upload: Upload) -> str:
    pairs = {
        "case": upload.case.number,
        "filename": upload.filename,
        "filetype": upload.content_type,
    }
    if upload.sha256:
        pairs["sha256"] = upload.sha256
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in pairs.items()
    )


def _checksum(request: HttpRequest) -> Checksum | None:
    raw = request.headers.get("Upload-Checksum")
    if raw is None:
        return None
    algorithm, _, encoded = raw.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in ALGORITHMS:
        raise Refused(400, f"Unsupported checksum algorithm; use one of: {', '.join(ALGORITHMS)}.")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise Refused(400, "Upload-Checksum must be '<algorithm> <base64 digest>'.") from None
    if len(digest) != hashlib.new(algorithm).digest_size:
        raise Refused(400, f"That is not a {algorithm} digest.")
    return Checksum(algorithm, digest)


def _body_size(request: HttpRequest) -> int:
    raw = request.META.get("CONTENT_LENGTH")
    if raw in (None, ""):
        if request.headers.get("Transfer-Encoding"):
            raise Refused(411, "Send the chunk with a Content-Length.")
        return 0
    raw = str(raw).strip()
    if not (raw.isascii() and raw.isdigit()):
        raise Refused(400, "Content-Length must be a whole number.")
    return int(raw)


def _upload_headers(upload: Upload) -> dict[str, str]:
    # A final upload has no offset of its own until its parts are joined (tus).
    joined = upload.concat != Concat.FINAL or upload.state == UploadState.COMPLETED
    headers = {"Upload-Offset": str(upload.offset)} if joined else {}
    if upload.state == UploadState.ACTIVE:
        headers["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    if upload.attachment_id:
        headers["Upload-Attachment"] = str(upload.attachment_id)
        headers["Upload-Sha256"] = upload.attachment.sha256 if upload.attachment else ""
    return headers


def _options() -> HttpResponse:
    headers = {
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": EXTENSIONS,
        "Tus-Checksum-Algorithm": ",".join(ALGORITHMS),
    }
    most = int(getattr(settings, "UPLOAD_MAX_BYTES", 0) or 0)
    if most:
        headers["Tus-Max-Size"] = str(most)
    return _response(204, headers=headers)


def _announced_sha256(meta: dict[str, str]) -> str:
    """The whole-file SHA-256 the client announced (``sha256``, hex), or ''."""
    value = meta.get("sha256", "").strip().lower()
    if value and (len(value) != 64 or not set(value) <= HEX):
        raise Refused(400, "Upload-Metadata 'sha256' must be the file's SHA-256 in hex.")
    return value


def _concat(request: HttpRequest) -> tuple[str, list[str]]:
    """``Upload-Concat``: ('', []), ('partial', []) or ('final', [part ids in order])."""
    raw = request.headers.get("Upload-Concat")
    if raw is None:
        return Concat.NONE, []
    raw = raw.strip()
    if raw == "partial":
        return Concat.PARTIAL, []
    kind, _, urls = raw.partition(";")
    if kind.strip() != "final":
        raise Refused(400, "Upload-Concat must be 'partial' or 'final;<URL> <URL> …'.")
    ids = []
    for url in urls.split()[: MAX_PARTS + 1]:
        match = PART_PATH.search(urlsplit(url).path)
        if match is None:
            raise Refused(400, f"Upload-Concat names {url[:100]!r}, which is not an upload URL.")
        ids.append(match.group(1))
    return Concat.FINAL, ids


def _guard(view):  # type: ignore[no-untyped-def]
    """Turn refusals and domain errors into tus responses; never a 500 for bad input."""

    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Refused as exc:
            return _response(exc.status, exc.reason, exc.headers)
        except DomainError as exc:
            headers = {"Retry-After": "2"} if exc.status_code == 423 else {}
            if exc.status_code == 507:
                headers["Retry-After"] = "60"
            if isinstance(exc, OffsetMoved):
                headers["Upload-Offset"] = str(exc.offset)
            return _response(_domain_status(exc), exc.reason, headers)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return csrf_exempt(wrapper)


@_guard
def uploads_root(request: HttpRequest) -> HttpResponse:
    """OPTIONS: what this server offers. POST: create an upload (creation[-with-upload])."""
    method = _method(request)
    if method == "OPTIONS":
        return _options()
    if method != "POST":
        return _response(405, "Use POST to create an upload.", {"Allow": "OPTIONS, POST"})
    _check_version(request)
    # Before authentication: the CSRF check would parse a form body; ours is never one.
    size = _body_size(request)
    if size and request.content_type != OFFSET_TYPE:
        raise Refused(415, f"A creation request with data must be sent as {OFFSET_TYPE}.")
    user, source = _caller(request)
    if request.headers.get("Upload-Defer-Length") is not None:
        raise Refused(400, "Upload-Defer-Length is not supported; send Upload-Length.")
    concat, part_ids = _concat(request)
    meta = parse_metadata(request.headers.get("Upload-Metadata", ""))
    number = meta.get("case", "").strip()
    filename = meta.get("filename") or meta.get("name") or ""
    if concat == Concat.PARTIAL:
        filename = filename or "part"
    if not number:
        raise Refused(400, "Name the case in Upload-Metadata: 'case <base64 case number>'.")
    if not filename.strip():
        raise Refused(400, "Name the file in Upload-Metadata: 'filename <base64 name>'.")
    sha256 = _announced_sha256(meta)
    now = clock.now()
    if concat == Concat.FINAL:
        return _create_final(request, user, source, number, filename, meta, part_ids, size)
    length = _int_header(request, "Upload-Length") or 0
    checksum = _checksum(request) if size else None
    case = access_case(user, number)
    upload = upload_create(
        user=user,
        case=case,
        filename=filename,
        content_type=meta.get("filetype") or meta.get("type") or "",
        length=length,
        source=source,
        now=now,
        sha256="" if concat == Concat.PARTIAL else sha256,
        concat=concat,
    )
    try:
        if size or length == 0:
            upload = upload_write(
                upload=upload, offset=0, stream=request, size=size, checksum=checksum, now=now
            )
    except DomainError:
        if Upload.objects.filter(pk=upload.pk, state=UploadState.ACTIVE).exists():
            upload_terminate(upload=upload, now=now)
        raise
    headers = _upload_headers(upload)
    headers["Location"] = request.build_absolute_uri(f"/uploads/{upload.pk}")
    return _response(201, "", headers)


def _create_final(
    request: HttpRequest,
    user: User,
    source: str,
    number: str,
    filename: str,
    meta: dict[str, str],
    part_ids: list[str],
    size: int,
) -> HttpResponse:
    """``Upload-Concat: final``: join the parts into the attachment, in this request."""
    if request.headers.get("Upload-Length") is not None:
        raise Refused(400, "A final upload takes no Upload-Length: it is the parts' sum.")
    if size:
        raise Refused(400, "A final upload takes no body; its bytes are its parts'.")
    upload = upload_concat_final(
        user=user,
        case=access_case(user, number),
        part_ids=part_ids,
        filename=filename,
        content_type=meta.get("filetype") or meta.get("type") or "",
        source=source,
        now=clock.now(),
        sha256=_announced_sha256(meta),
    )
    headers = _upload_headers(upload)
    headers["Location"] = request.build_absolute_uri(f"/uploads/{upload.pk}")
    headers["Upload-Length"] = str(upload.length)
    return _response(201, "", headers)


def _concat_header(request: HttpRequest, upload: Upload) -> dict[str, str]:
    if upload.concat == Concat.PARTIAL:
        return {"Upload-Concat": "partial"}
    if upload.concat == Concat.FINAL:
        urls = " ".join(request.build_absolute_uri(f"/uploads/{pk}") for pk in upload.part_ids)
        return {"Upload-Concat": f"final;{urls}"}
    return {}


@_guard
def upload_resource(request: HttpRequest, upload_id: str) -> HttpResponse:
    """HEAD: the offset to resume from. PATCH: append a chunk. DELETE: give up."""
    method = _method(request)
    if method == "OPTIONS":
        return _options()
    if method not in {"HEAD", "PATCH", "DELETE"}:
        return _response(
            405, "Use HEAD, PATCH or DELETE.", {"Allow": "OPTIONS, HEAD, PATCH, DELETE"}
        )
    _check_version(request)
    if method == "PATCH" and request.content_type != OFFSET_TYPE:
        raise Refused(415, f"Send chunks as Content-Type: {OFFSET_TYPE}.")
    if method != "PATCH" and _body_size(request):
        raise Refused(400, f"{method} takes no body.")
    user, _source = _caller(request)
    now = clock.now()
    try:
        upload = access_upload(user, upload_id)
    except NotFound:
        return _response(404, "No such upload." if method != "HEAD" else "")
    if method == "HEAD":
        if upload.state == UploadState.EXPIRED or (
            upload.state == UploadState.ACTIVE and upload.expires_at <= now
        ):
            return _response(410)
        headers = _upload_headers(upload)
        headers["Upload-Length"] = str(upload.length)
        headers["Upload-Metadata"] = _encode_metadata(upload)
        headers.update(_concat_header(request, upload))
        return _response(200, "", headers)
    if method == "DELETE":
        upload_terminate(upload=upload, now=now)
        return _response(204)
    # PATCH
    offset = _int_header(request, "Upload-Offset")
    checksum = _checksum(request)
    size = _body_size(request)
    if upload.concat == Concat.FINAL:
        raise Refused(403, "A final upload is joined from its parts; it takes no PATCH.")
    if upload.state == UploadState.COMPLETED:
        raise Refused(409, "This upload is already complete.", _upload_headers(upload))
    upload = upload_write(
        upload=upload, offset=offset or 0, stream=request, size=size, checksum=checksum, now=now
    )
    return _response(204, "", _upload_headers(upload))
