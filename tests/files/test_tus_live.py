"""Real tus clients against a live server: ``casedesk upload`` (killed and run again), the
reference Python client tuspy (interrupted and resumed), and a connection cut mid-chunk
(D1; security rule 9)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import threading
from urllib.parse import urlsplit

import pytest

from casedesk.accounts.services import api_token_create
from casedesk.core import clock
from casedesk.files.models import Attachment, Source, Upload
from tests.waiting import DEADLINE, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def make_file(path, size: int) -> str:
    block = os.urandom(1024 * 1024)
    with open(path, "wb") as out:
        for i in range(size // len(block)):
            out.write(block[:-8] + i.to_bytes(8, "big"))
        out.write(block[: size % len(block)])
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(args, env):
    return subprocess.Popen(  # noqa: S603  our own CLI, fixed arguments
        [sys.executable, "-m", "casedesk.cli", "upload", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class StallingRelay:
    """A TCP relay in front of the live server that forwards the first ``budget`` bytes
    clients send, then stops reading: the upload stalls mid-chunk, as on a dead link, at a
    byte the test chose rather than wherever a race between the client and the test left
    it. ``cut()`` ends the requests there (the server sees each body end short) and returns
    once the server has answered every one of them; later connections pass whole."""

    def __init__(self, target: str, budget: int) -> None:
        parts = urlsplit(target)
        self.target = (parts.hostname, parts.port)
        self.left = budget
        self.lock = threading.Lock()
        self.stalled = threading.Event()
        self.open: list[tuple[socket.socket, socket.socket, threading.Thread]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            answers = threading.Thread(target=self._down, args=(server, client), daemon=True)
            with self.lock:  # cut() sees a connection with its pumps running, or not at all
                threading.Thread(target=self._up, args=(client, server), daemon=True).start()
                answers.start()
                self.open.append((client, server, answers))

    def _up(self, client: socket.socket, server: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:
                with self.lock:
                    allowed = self.left
                if allowed <= 0:
                    self.stalled.set()
                    return
                data = client.recv(min(65536, allowed))
                if not data:
                    server.shutdown(socket.SHUT_WR)
                    return
                with self.lock:
                    self.left -= len(data)
                server.sendall(data)

    @staticmethod
    def _down(server: socket.socket, client: socket.socket) -> None:
        """The server's answers, read to the end even when the client is gone."""
        alive = True
        with contextlib.suppress(OSError):
            while data := server.recv(65536):
                if alive:
                    try:
                        client.sendall(data)
                    except OSError:
                        alive = False
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        with self.lock:
            conns, self.open = self.open, []
            self.left = 1 << 62
        for _client, server, _answers in conns:
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_WR)  # no more request bytes
        for client, server, answers in conns:
            answers.join(DEADLINE)  # the server answered and closed: it is done with it
            assert not answers.is_alive(), "the server never finished a cut request"
            client.close()
            server.close()

    def close(self) -> None:
        self.listener.close()
        self.cut()


def test_cli_upload_resumes_after_being_killed(live_server, world, tmp_path):
    # R: D1 — resumable after a broken connection; progress and final SHA-256 printed.
    chunk = 1024 * 1024
    source = tmp_path / "core dump.bin"
    expected = make_file(source, 24 * chunk + 123)
    token = api_token_create(user=world.alice, name="cli", now=world.now)
    env = {**os.environ, "CASEDESK_TOKEN": token, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    # Three whole chunks (with the requests' headers) get through; the fourth stalls halfway.
    relay = StallingRelay(live_server.url, budget=3 * chunk + chunk // 2)
    try:
        args = ["--case", world.alice_case.number, "--url", relay.url, "--chunk-size", "1"]
        first = cli([*args, str(source)], env)
        assert relay.stalled.wait(DEADLINE), "the upload never reached the stall"
        first.kill()
        _, seen = first.communicate()
        relay.cut()  # returns when the server has dealt with the cut chunk
        upload = Upload.objects.get()
        assert upload.locked_until is None
        assert upload.offset == 3 * chunk  # the half chunk failed its checksum and was dropped
        assert f"progress {3 * chunk}/{24 * chunk + 123} bytes" in seen, seen
        assert not Attachment.objects.exists()
        state = (tmp_path / "cache" / "casedesk" / "uploads.json").read_text()
        assert "/uploads/" in state

        second = cli([*args, str(source)], env)
        out, err = second.communicate(timeout=DEADLINE)
    finally:
        relay.close()
    assert second.returncode == 0, err
    assert f"resuming core dump.bin at {3 * chunk} of {24 * chunk + 123} bytes" in err, err
    assert out.strip() == f"{expected}  {source}"
    att = Attachment.objects.get()
    assert att.sha256 == expected and att.source == Source.CLI
    assert att.filename == "core dump.bin" and att.size == source.stat().st_size
    assert Upload.objects.count() == 1  # the resumed upload, not a second one


def test_cli_refuses_a_case_it_cannot_see(live_server, world, tmp_path):
    # R: A4, D1
    source = tmp_path / "x.log"
    source.write_bytes(b"x")
    token = api_token_create(user=world.gina, name="cli", now=world.now)
    env = {**os.environ, "CASEDESK_TOKEN": token, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = cli(["--case", world.alice_case.number, "--url", live_server.url, str(source)], env)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "No such case" in err
    assert not Upload.objects.exists()


def test_tuspy_uploads_interrupted_and_resumed(live_server, world, tmp_path):
    # R: D1 — interoperability with the reference Python client (sha1 chunk checksums).
    from tusclient import client as tus_client
    from tusclient.storage.filestorage import FileStorage

    source = tmp_path / "capture.pcap"
    expected = make_file(source, 3 * 1024 * 1024 + 77)
    token = api_token_create(user=world.bob, name="tuspy", now=world.now)
    client = tus_client.TusClient(
        live_server.url + "/uploads/", headers={"Authorization": f"Bearer {token}"}
    )

    def uploader():
        return client.uploader(
            str(source),
            chunk_size=512 * 1024,
            metadata={"case": world.carol_case.number, "filename": source.name},
            upload_checksum=True,
            store_url=True,
            url_storage=FileStorage(str(tmp_path / "tuspy-urls.json")),
        )

    first = uploader()
    first.upload(stop_at=1536 * 1024)  # the client stops here, as if the laptop went to sleep
    assert first.offset == 1536 * 1024
    assert not Attachment.objects.exists()

    second = uploader()  # finds the URL by fingerprint and asks the server for the offset
    assert second.url == first.url and second.offset == 1536 * 1024
    second.upload()
    att = Attachment.objects.get()
    assert att.sha256 == expected and att.case == world.carol_case
    assert att.uploaded_by == world.bob


def _raw_patch(url: str, token: str, offset: int, declared: int, sent: bytes, extra=""):
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    head = (
        f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n"
        f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n"
        f"Content-Length: {declared}\r\n{extra}\r\n"
    )
    sock.sendall(head.encode() + sent)
    # The cut: no more bytes will come. Reading until the server closes its side is the
    # signal that it has dealt with the short request, whatever it answered.
    sock.shutdown(socket.SHUT_WR)
    while sock.recv(65536):
        pass
    sock.close()


def _wait_unlocked(upload: Upload) -> Upload:
    def unlocked() -> bool:
        upload.refresh_from_db()
        return upload.locked_until is None

    wait_for(unlocked, "the cut request to release the upload")
    return upload


def test_connection_cut_mid_chunk(live_server, world, tmp_path):
    # R: D1, security rule 9 — an unchecksummed chunk keeps what arrived; a checksummed
    # one cut short is discarded, so only verified bytes ever count.
    import base64

    from casedesk.files.uploads import upload_create

    token = api_token_create(user=world.alice, name="raw", now=world.now)
    upload = upload_create(
        user=world.alice,
        case=world.alice_case,
        filename="cut.bin",
        content_type="",
        length=1000_000,
        source=Source.CLI,
        now=clock.now(),
    )
    url = f"{live_server.url}/uploads/{upload.pk}"
    data = os.urandom(1000_000)
    _raw_patch(url, token, 0, 500_000, data[:200_000])
    assert _wait_unlocked(upload).offset == 200_000

    digest = base64.b64encode(hashlib.sha256(data[200_000:700_000]).digest()).decode()
    _raw_patch(
        url, token, 200_000, 500_000, data[200_000:500_000], f"Upload-Checksum: sha256 {digest}\r\n"
    )
    assert _wait_unlocked(upload).offset == 200_000

    import requests

    rest = requests.patch(
        url,
        data=data[200_000:],
        headers={
            "Authorization": f"Bearer {token}",
            "Tus-Resumable": "1.0.0",
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": "200000",
        },
        timeout=30,
    )
    assert rest.status_code == 204, rest.text
    assert Attachment.objects.get().sha256 == hashlib.sha256(data).hexdigest()


def test_a_second_patch_while_one_is_streaming_gets_423(live_server, world):
    # R: security rule 9 — tus has no locking of its own; two writers never interleave.
    import requests

    from casedesk.files.uploads import upload_create

    token = api_token_create(user=world.alice, name="raw", now=world.now)
    upload = upload_create(
        user=world.alice,
        case=world.alice_case,
        filename="race.bin",
        content_type="",
        length=400_000,
        source=Source.CLI,
        now=clock.now(),
    )
    url = f"{live_server.url}/uploads/{upload.pk}"
    data = os.urandom(400_000)
    parts = urlsplit(url)
    slow = socket.create_connection((parts.hostname, parts.port))
    slow.sendall(
        (
            f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n"
            "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode()
        + data[:100_000]
    )

    def claimed() -> bool:
        upload.refresh_from_db()
        return upload.locked_until is not None

    wait_for(claimed, "the slow request to hold the claim")
    headers = {
        "Authorization": f"Bearer {token}",
        "Tus-Resumable": "1.0.0",
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": "0",
    }
    second = requests.patch(url, data=data, headers=headers, timeout=30)
    assert second.status_code == 423 and second.headers["Retry-After"]
    slow.sendall(data[100_000:])
    reply = slow.recv(4096).decode()
    slow.close()
    assert reply.startswith("HTTP/1.1 204") or reply.startswith("HTTP/1.0 204"), reply
    assert Attachment.objects.get().sha256 == hashlib.sha256(data).hexdigest()
