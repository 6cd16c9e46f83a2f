"""tus upload throughput against the production server (D1: no size limit, constant memory).

Starts ``casedesk serve`` (gunicorn, SQLite and files in a scratch directory under /tmp),
uploads one large file over loopback with ``casedesk upload``'s tus client (chunked PATCH,
``Upload-Checksum: sha256`` per chunk; the server hashes each chunk, keeps a running
whole-file SHA-256 and writes to disk), and reports MB/s next to what the machine can do
in the same run: the disk's write speed (writing the source file, fsync included) and
hashlib's SHA-256. While uploading it samples VmRSS/VmHWM of every server process from
/proc. Everything it creates is deleted at the end.

``--parts 1 4`` sends the file whole (``casedesk upload``'s client, as before) and then as
four parallel parts (tus concatenation, as tus-js-client's ``parallelUploads`` does: four
threads, each creating an ``Upload-Concat: partial`` upload and PATCHing its slice with
per-chunk SHA-256 checksums, then one ``Upload-Concat: final`` request, in which the
server joins the parts, hashes the file once and attaches it). For parts it also reports
how long the final request (the join) took.

    .venv/bin/python bench/bench_upload_tus.py --size-mb 2048 --workers 1 3
    .venv/bin/python bench/bench_upload_tus.py --size-mb 2048 --workers 4 --chunk-mb 16 \
        --parts 1 4
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from casedesk.files.tus_client import TusClient  # noqa: E402

MB = 1024 * 1024
SEED = """
import json, django
django.setup()
from casedesk.accounts.services import api_token_create
from casedesk.core import clock
from tests.factories import build_world
world = build_world(now=clock.now())
token = api_token_create(user=world.alice, name="bench", now=clock.now())
print(json.dumps({"case": world.alice_case.number, "token": token}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_source(path: Path, size: int) -> tuple[float, float]:
    """Write the upload's source file: MB/s into the page cache, and with fsync."""
    block = bytearray(os.urandom(8 * MB))
    started = time.perf_counter()
    with open(path, "wb") as out:
        written = 0
        n = 0
        while written < size:
            block[:8] = n.to_bytes(8, "big")  # no two blocks alike
            piece = memoryview(block)[: min(len(block), size - written)]
            out.write(piece)
            written += len(piece)
            n += 1
        out.flush()
        buffered = size / MB / (time.perf_counter() - started)
        os.fsync(out.fileno())
    return buffered, size / MB / (time.perf_counter() - started)


def sha256_speed(total: int = 1024 * MB) -> float:
    block = os.urandom(8 * MB)
    digest = hashlib.sha256()
    started = time.perf_counter()
    for _ in range(total // len(block)):
        digest.update(block)
    return total / MB / (time.perf_counter() - started)


def tree(pid: int) -> list[int]:
    """The process and all its descendants (gunicorn master and workers)."""
    found = [pid]
    for child in Path("/proc").iterdir():
        if not child.name.isdigit():
            continue
        try:
            stat = (child / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid in found:
            found.append(int(child.name))
    return found


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class ProgressLog:
    """Collects the client's progress lines with their times (the last chunk includes the
    server's fsync, whole-file hash fallback and attachment record)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def write(self, text: str) -> int:
        if text.startswith("progress"):
            self.times.append(time.perf_counter())
        return len(text)

    def flush(self) -> None:
        pass

    def last_chunk(self) -> float:
        if len(self.times) < 3:
            return 0.0
        gaps = [b - a for a, b in zip(self.times, self.times[1:], strict=False)]
        return round(gaps[-1], 2)


class RssSampler(threading.Thread):
    def __init__(self, root_pid: int) -> None:
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.stop = threading.Event()
        self.peak_rss: dict[int, int] = {}
        self.hwm: dict[int, int] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in tree(self.root_pid):
                self.peak_rss[pid] = max(self.peak_rss.get(pid, 0), status_kb(pid, "VmRSS"))
                self.hwm[pid] = max(self.hwm.get(pid, 0), status_kb(pid, "VmHWM"))
            self.stop.wait(0.2)


def run_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "casedesk.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603  our own CLI
        [*cmd, "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    raise SystemExit("casedesk serve did not start")


def _tus(port: int, method: str, path: str, headers: dict[str, str], body: bytes = b""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    try:
        conn.request(method, path, body=body, headers={"Tus-Resumable": "1.0.0", **headers})
        response = conn.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        conn.close()


def parallel_upload(
    port: int, token: str, case: str, source: Path, parts: int, chunk: int
) -> tuple[str, float]:
    """Upload ``source`` as ``parts`` partial uploads at once, then join them with a final
    upload; (the server's SHA-256, seconds the final request took)."""
    size = source.stat().st_size
    auth = {"Authorization": f"Bearer {token}"}
    case_meta = f"case {base64.b64encode(case.encode()).decode()}"
    step = -(-size // parts)
    bounds = [(start, min(start + step, size)) for start in range(0, size, step)]

    def send(bound: tuple[int, int]) -> str:
        start, end = bound
        status, headers = _tus(
            port,
            "POST",
            "/uploads/",
            {**auth, "Upload-Length": str(end - start), "Upload-Concat": "partial"}
            | {"Upload-Metadata": case_meta},
        )
        assert status == 201, status
        url = urlsplit(headers["Location"]).path
        with open(source, "rb") as handle:
            offset = 0
            while offset < end - start:
                data = os.pread(handle.fileno(), min(chunk, end - start - offset), start + offset)
                digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
                status, _ = _tus(
                    port,
                    "PATCH",
                    url,
                    {
                        **auth,
                        "Upload-Offset": str(offset),
                        "Upload-Checksum": f"sha256 {digest}",
                        "Content-Type": "application/offset+octet-stream",
                    },
                    data,
                )
                assert status == 204, status
                offset += len(data)
        return url

    with ThreadPoolExecutor(max_workers=parts) as pool:
        urls = list(pool.map(send, bounds))
    name = base64.b64encode(source.name.encode()).decode()
    started = time.perf_counter()
    status, headers = _tus(
        port,
        "POST",
        "/uploads/",
        {**auth, "Upload-Concat": "final;" + " ".join(urls)}
        | {"Upload-Metadata": f"{case_meta},filename {name}"},
    )
    assert status == 201, status
    return headers["Upload-Sha256"], time.perf_counter() - started


def one_run(
    env: dict[str, str],
    world: dict[str, str],
    scratch: Path,
    source: Path,
    size: int,
    workers: int,
    chunk: int,
    parts: int,
) -> dict[str, object]:
    """One upload of ``source`` to a fresh server: whole (parts=1) or in parallel parts."""
    port = free_port()
    server = run_server(env, port, workers)
    sampler = RssSampler(server.pid)
    sampler.start()
    progress = ProgressLog()
    join_s = None
    started = time.perf_counter()
    try:
        if parts == 1:
            client = TusClient(
                f"http://127.0.0.1:{port}",
                world["token"],
                chunk_size=chunk * MB,
                state_file=scratch / "state.json",
                out=progress,  # type: ignore[arg-type]
            )
            sha256 = client.upload(world["case"], source, verify=False).sha256
        else:
            sha256, join_s = parallel_upload(
                port, world["token"], world["case"], source, parts, chunk * MB
            )
        elapsed = time.perf_counter() - started
    finally:
        sampler.stop.set()
        sampler.join()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(scratch / "data" / "files", ignore_errors=True)
        (scratch / "state.json").unlink(missing_ok=True)
    return {
        "workers": workers,
        "chunk_mb": chunk,
        "parts": parts,
        "seconds": round(elapsed, 2),
        "mb_s": round(size / MB / elapsed),
        "peak_rss_mb": max(sampler.hwm.values(), default=0) // 1024,
        "last_chunk_s": progress.last_chunk() if parts == 1 else None,
        "join_s": round(join_s, 2) if join_s is not None else None,
        "hwm_per_process_mb": sorted(v // 1024 for v in sampler.hwm.values()),
        "load": os.getloadavg(),
        "sha256": sha256,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--chunk-mb", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--parts", type=int, nargs="+", default=[1], help="parallel parts")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="casedesk-bench-tus-", dir="/tmp"))
    source = scratch / "upload.bin"
    size = args.size_mb * MB
    env = {
        **os.environ,
        "CASEDESK_DATA_DIR": str(scratch / "data"),
        "CASEDESK_SECRET_KEY": secrets.token_urlsafe(48),
        "CASEDESK_LOG_LEVEL": "ERROR",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "casedesk.config.settings",
    }
    env.pop("CASEDESK_DATABASE_URL", None)
    results: dict[str, object] = {"size_mb": args.size_mb, "load": os.getloadavg()}
    try:
        cached, disk = write_source(source, size)
        sha = sha256_speed()
        results.update(
            page_cache_write_mb_s=round(cached), disk_write_mb_s=round(disk), sha256_mb_s=round(sha)
        )
        print(
            f"write: {cached:7.0f} MB/s to the page cache, {disk:7.0f} MB/s with fsync;"
            f"   hashlib sha256: {sha:7.0f} MB/s"
        )
        expected = None
        subprocess.run(
            [sys.executable, "-m", "casedesk.cli", "manage", "migrate", "--noinput"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        seeded = subprocess.run(  # noqa: S603
            [sys.executable, "-c", SEED], env=env, cwd=ROOT, check=True, capture_output=True
        )
        world = json.loads(seeded.stdout.decode().strip().splitlines()[-1])
        runs = []
        for workers in args.workers:
            for chunk in args.chunk_mb:
                for parts in args.parts:
                    runs.append(one_run(env, world, scratch, source, size, workers, chunk, parts))
                    if expected is None:
                        started_hash = time.perf_counter()
                        expected = hashlib.sha256(source.read_bytes()).hexdigest()
                        results["client_verify_s"] = round(time.perf_counter() - started_hash, 2)
                    assert runs[-1].pop("sha256") == expected, "server SHA-256 differs"
                    rate = runs[-1]["mb_s"]
                    runs[-1]["vs_slower"] = round(rate / min(disk, sha), 2)
                    print(json.dumps(runs[-1]), flush=True)
        results["runs"] = runs
        results["load_after"] = os.getloadavg()
        print(json.dumps(results))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
