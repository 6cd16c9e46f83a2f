"""tus-js-client (the npm package, under Node) against a live casedesk: ``parallelUploads``
sends a file as parts joined by the concatenation extension, and a plain upload still
works (D1, D3; issue 17 item 6).

The client lives in tests/files/js (package.json and package-lock.json; ``npm ci`` there,
as .ci/run does). Without node or that install the tests skip and say why.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from casedesk.accounts.services import api_token_create
from casedesk.files.models import Attachment, Concat, Source, Upload

JS = Path(__file__).resolve().parent / "js"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(NODE is None, reason="node is not installed (tus-js-client runs on it)"),
    pytest.mark.skipif(
        not (JS / "node_modules" / "tus-js-client").is_dir(),
        reason="tus-js-client is not installed: run `npm ci --prefix tests/files/js`",
    ),
]


def make_file(path: Path, size: int) -> str:
    data = (hashlib.sha256(b"seed").digest() * (size // 32 + 1))[:size]
    data = bytes((b + i // 251) % 256 for i, b in enumerate(data))
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def upload_js(url: str, token: str, case: str, source: Path, parallel: int, chunk: int) -> dict:
    script = str(JS / "parallel_upload.mjs")
    args = [url + "/uploads/", token, case, str(source), str(parallel), str(chunk)]
    proc = subprocess.run(  # noqa: S603  node with our own script, fixed arguments
        [NODE or "node", script, *args],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr
    return json.loads(lines[-1])


def test_parallel_upload_is_joined_into_one_verified_attachment(live_server, world, tmp_path):
    # R: D1, D3 — four parts at once, joined in order; one attachment with the SHA-256 of
    # the whole file, no part attached on its own, no part left behind.
    source = tmp_path / "trace.pcap"
    expected = make_file(source, 1024 * 1024 + 4321)
    token = api_token_create(user=world.alice, name="js", now=world.now)
    result = upload_js(live_server.url, token, world.alice_case.number, source, 4, 200_000)
    assert result["ok"], result
    attachment = Attachment.objects.get()
    assert attachment.sha256 == expected and attachment.size == source.stat().st_size
    assert attachment.filename == "trace.pcap" and attachment.source == Source.CLI
    final = Upload.objects.get()
    assert final.concat == Concat.FINAL and len(final.part_ids) == 4
    assert result["url"].endswith(f"/uploads/{final.pk}")


def test_plain_upload_from_tus_js_client_still_works(live_server, world, tmp_path):
    # R: D1 — without parallelUploads nothing about concatenation is involved.
    source = tmp_path / "server.log"
    expected = make_file(source, 300_000)
    token = api_token_create(user=world.alice, name="js", now=world.now)
    result = upload_js(live_server.url, token, world.alice_case.number, source, 1, 100_000)
    assert result["ok"], result
    assert Attachment.objects.get().sha256 == expected
    assert Upload.objects.get().concat == Concat.NONE


def test_parallel_upload_to_a_case_the_user_cannot_see_fails(live_server, world, tmp_path):
    # R: A4, security rule 3 — the parts are refused at creation; nothing is stored.
    source = tmp_path / "x.bin"
    make_file(source, 50_000)
    token = api_token_create(user=world.gina, name="js", now=world.now)
    result = upload_js(live_server.url, token, world.alice_case.number, source, 2, 10_000)
    assert not result["ok"] and "404" in result["error"]
    assert not Upload.objects.exists() and not Attachment.objects.exists()
