"""A small tus 1.0.0 client for ``casedesk upload`` (D1), standard library only.

Creates the upload (``POST /uploads/`` with the case number and the whole file's SHA-256
in ``Upload-Metadata``, so the server refuses to attach other bytes: issue 15 item 7),
sends the file in chunks (``PATCH`` with ``Upload-Checksum: sha256``), retries with
back-off after a broken connection or a restarted server (``HEAD`` tells the offset to
continue from), and remembers each upload URL in a state file keyed by server, case,
path, size and modification time, so a command run again after an interruption resumes
instead of starting over. The server's whole-file SHA-256 is printed and, unless
``verify=False``, compared with the local file's.

No Django import: the client runs on any machine with Python.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import mimetypes
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urljoin, urlsplit

TUS_VERSION = "1.0.0"
DEFAULT_CHUNK = 16 * 1024 * 1024
MAX_ATTEMPTS = 30


class UploadFailed(Exception):
    """The server refused the upload for good (a 4xx with its reason)."""


@dataclass
class Result:
    url: str
    sha256: str
    attachment_id: str
    resumed_from: int


def state_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "casedesk" / "uploads.json"


class _State:
    """upload URLs by fingerprint, in one small JSON file (written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> str | None:
        return self._load().get(key)

    def put(self, key: str, url: str | None) -> None:
        data = self._load()
        if url is None:
            data.pop(key, None)
        else:
            data[key] = url
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.path)


class _Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def reason(self) -> str:
        text = self.body.decode("utf-8", "replace").strip()
        return text or f"HTTP {self.status}"


class TusClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        chunk_size: int = DEFAULT_CHUNK,
        state_file: Path | None = None,
        out: TextIO = sys.stderr,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.token = token
        self.chunk_size = max(1024, chunk_size)
        self.state = _State(state_file or state_path())
        self.out = out
        self.timeout = timeout

    # --- HTTP --------------------------------------------------------------------------

    def _request(
        self, method: str, url: str, headers: dict[str, str], body: bytes = b""
    ) -> _Response:
        parts = urlsplit(url)
        conn_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        conn = conn_class(parts.netloc, timeout=self.timeout)
        try:
            all_headers = {
                "Tus-Resumable": TUS_VERSION,
                "Authorization": f"Bearer {self.token}",
                "Content-Length": str(len(body)),
                **headers,
            }
            conn.request(method, parts.path or "/", body=body or None, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
            return _Response(
                response.status, {k.lower(): v for k, v in response.getheaders()}, data
            )
        finally:
            conn.close()

    # --- protocol ------------------------------------------------------------------------

    def _create(self, case: str, path: Path, size: int, sha256: str) -> str:
        filetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        meta = {"case": case, "filename": path.name, "filetype": filetype, "sha256": sha256}
        encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
        response = self._request(
            "POST",
            urljoin(self.base_url, "uploads/"),
            {"Upload-Length": str(size), "Upload-Metadata": encoded},
        )
        if response.status != 201:
            if response.status >= 500:
                raise ConnectionError(response.reason())
            raise UploadFailed(response.reason())
        return urljoin(self.base_url, response.headers["location"])

    def _offset(self, url: str) -> _Response | None:
        response = self._request("HEAD", url, {})
        if response.status in (404, 410):
            return None
        if response.status == 423 or response.status >= 500:
            raise ConnectionError(f"HTTP {response.status}")
        if response.status != 200:
            raise UploadFailed(f"HEAD {url}: HTTP {response.status}")
        return response

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def upload(self, case: str, file: str | os.PathLike[str], *, verify: bool = True) -> Result:
        path = Path(file).resolve()
        stat = path.stat()
        size = stat.st_size
        key = "|".join([self.base_url, case.upper(), str(path), str(size), str(stat.st_mtime_ns)])
        attempt = 0
        resumed_from = -1
        local = ""  # the file's SHA-256, read once: announced at creation, then compared
        while True:
            try:
                url = self.state.get(key)
                head = self._offset(url) if url else None
                if url and head is None:
                    self.state.put(key, None)
                if head is None:
                    local = local or _file_sha256(path)
                    url = self._create(case, path, size, local)
                    self.state.put(key, url)
                    offset = 0
                    head = self._offset(url)
                else:
                    offset = int(head.headers.get("upload-offset", "0"))
                if url is None or head is None:
                    raise UploadFailed("the server lost the upload it just created")
                if resumed_from < 0:
                    resumed_from = offset
                    if offset:
                        self._say(f"resuming {path.name} at {offset} of {size} bytes")
                result = self._send(url, path, size, offset, head)
                self.state.put(key, None)
                result.resumed_from = resumed_from
                if verify:
                    local = local or _file_sha256(path)
                    if local != result.sha256:
                        raise UploadFailed(
                            f"the server's SHA-256 {result.sha256} differs from the local "
                            f"file's {local}"
                        )
                return result
            except (OSError, http.client.HTTPException) as exc:
                attempt += 1
                if attempt > MAX_ATTEMPTS:
                    raise UploadFailed(f"giving up after {MAX_ATTEMPTS} attempts: {exc}") from exc
                delay = min(15.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)  # noqa: S311
                self._say(f"connection problem ({exc}); retrying in {delay:.1f} s")
                time.sleep(delay)

    def _send(self, url: str, path: Path, size: int, offset: int, head: _Response) -> Result:
        """PATCH the rest of the file; the next chunk is read and hashed while one is sent."""
        started = time.monotonic()
        first = offset
        response = head
        fd = os.open(path, os.O_RDONLY)
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(self._prepare, fd, offset, size) if offset < size else None
                while pending is not None:
                    chunk, checksum = pending.result()
                    pending = None
                    if offset + len(chunk) < size:
                        pending = pool.submit(self._prepare, fd, offset + len(chunk), size)
                    response = self._request(
                        "PATCH",
                        url,
                        {
                            "Content-Type": "application/offset+octet-stream",
                            "Upload-Offset": str(offset),
                            "Upload-Checksum": f"sha256 {checksum}",
                        },
                        chunk,
                    )
                    if response.status in (409, 423, 460) or response.status >= 500:
                        raise ConnectionError(f"HTTP {response.status}: {response.reason()}")
                    if response.status != 204:
                        raise UploadFailed(response.reason())
                    accepted = int(response.headers["upload-offset"])
                    if accepted != offset + len(chunk) and accepted < size:
                        if pending is not None:
                            pending.result()
                        pending = pool.submit(self._prepare, fd, accepted, size)
                    offset = accepted
                    elapsed = max(time.monotonic() - started, 1e-6)
                    rate = (offset - first) / elapsed / 1e6
                    percent = offset * 100 // max(size, 1)
                    self._say(f"progress {offset}/{size} bytes ({percent}%) {rate:.1f} MB/s")
        finally:
            os.close(fd)
        return Result(
            url=url,
            sha256=response.headers.get("upload-sha256", ""),
            attachment_id=response.headers.get("upload-attachment", ""),
            resumed_from=first,
        )

    def _prepare(self, fd: int, offset: int, size: int) -> tuple[bytes, str]:
        """One chunk from ``offset`` and its base64 SHA-256 (hashlib releases the GIL)."""
        chunk = os.pread(fd, min(self.chunk_size, size - offset), offset)
        return chunk, base64.b64encode(hashlib.sha256(chunk).digest()).decode()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(4 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
