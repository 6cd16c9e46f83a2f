"""SFTP drop box throughput (D2): a 2 GB upload over loopback through ``casedesk sftp``.

Measured in the same run, on the same filesystem (/tmp by default):
- raw disk write: 2 GB in 1 MiB blocks, closed (page cache, no fsync), and the same with
  fsync for reference;
- hashlib SHA-256 over 2 GB in memory;
- the upload with OpenSSH's ``sftp`` (``-B`` request size, ``-R`` requests in flight) to
  ``casedesk sftp`` running as its own process, from first byte to the attachment recorded
  (the server hashes while receiving, fsyncs, and hands the running digest to
  ``attachment_add``);
- the server process's peak RSS (VmHWM), its CPU time, and the event-loop (main) thread's
  CPU time: the ceiling of one upload when that thread has a core to itself.

Target: upload ≥ 50% of the slower of disk write and SHA-256. Cleans up after itself.

    .venv/bin/python bench/bench_sftp.py [--size-mb 2048] [--block 261120] [--requests 64]
        [--cipher aes128-gcm@openssh.com] [--quick] [--profile server.prof]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def block() -> bytes:
    return os.urandom(MIB)


def disk_write(path: Path, size_mb: int, *, fsync: bool) -> float:
    data = block()
    started = time.perf_counter()
    with open(path, "wb") as out:
        for _ in range(size_mb):
            out.write(data)
        if fsync:
            out.flush()
            os.fsync(out.fileno())
    elapsed = time.perf_counter() - started
    path.unlink()
    return size_mb / elapsed


def sha256_speed(size_mb: int) -> float:
    data = block()
    digest = hashlib.sha256()
    started = time.perf_counter()
    for _ in range(size_mb):
        digest.update(data)
    return size_mb / (time.perf_counter() - started)


def cpu_seconds(pid: int, task: int | None = None) -> float:
    """utime + stime of a process (or of one of its threads), from /proc (clock ticks)."""
    where = f"/proc/{pid}/task/{task}/stat" if task else f"/proc/{pid}/stat"
    fields = Path(where).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument(
        "--block", type=int, default=32768, help="sftp -B request size (OpenSSH default)"
    )
    parser.add_argument("--requests", type=int, default=64, help="sftp -R requests in flight")
    parser.add_argument("--cipher", default="", help="sftp -c (default: negotiated)")
    parser.add_argument("--tmp", default=tempfile.gettempdir())
    parser.add_argument("--quick", action="store_true", help="one round of disk/hash, not two")
    parser.add_argument("--profile", default="", help="write a cProfile of the server here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="casedesk-sftp-bench-", dir=args.tmp))
    data_dir = work / "data"
    data_dir.mkdir()
    os.environ["CASEDESK_DATA_DIR"] = str(data_dir)
    os.environ["CASEDESK_DATABASE_URL"] = ""
    port = free_port()
    os.environ["CASEDESK_SFTP_PORT"] = str(port)
    # `casedesk sftp` refuses the public development key; one key for both processes.
    os.environ.setdefault("CASEDESK_SECRET_KEY", secrets.token_urlsafe(50))
    sys.path.insert(0, str(ROOT))
    server = None
    try:
        print(f"load average before: {os.getloadavg()}")
        # Best of two: the machine may be shared, and the first write also allocates.
        rounds = "a" if args.quick else "ab"
        write_speed = max(disk_write(work / "disk.bin", args.size_mb, fsync=False) for _ in rounds)
        write_sync = disk_write(work / "disk.bin", args.size_mb, fsync=True)
        hash_speed = max(sha256_speed(args.size_mb) for _ in rounds)
        print(
            f"disk write (page cache): {write_speed:8.0f} MB/s   with fsync: {write_sync:.0f} MB/s"
        )
        print(f"SHA-256 (hashlib):       {hash_speed:8.0f} MB/s")

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        from tests.factories import build_world

        from casedesk.core import clock
        from casedesk.dropbox import secrets_box
        from casedesk.dropbox.services import dropbox_open
        from casedesk.files.models import Attachment

        world = build_world(now=clock.now())
        account = dropbox_open(case=world.alice_case, actor=world.care, now=clock.now())
        password = secrets_box.unseal(account.password_sealed) or ""

        source = work / "upload.bin"
        data = block()
        expected = hashlib.sha256()
        with open(source, "wb") as out:
            for _ in range(args.size_mb):
                out.write(data)
                expected.update(data)

        profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                *profile,
                str(ROOT / ".venv/bin/casedesk"),
                "sftp",
                "--port",
                str(port),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        print(server.stdout.readline().strip())
        askpass = work / "askpass.sh"
        askpass.write_text(f"#!/bin/sh\necho '{password}'\n")
        askpass.chmod(0o700)
        batch = work / "batch"
        batch.write_text(f"put {source} big.bin\n")
        env = {**os.environ, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force",
               "DISPLAY": ":0"}  # fmt: skip
        command = [
            "sftp", "-o", "BatchMode=no", "-b", str(batch), "-P", str(port),
            "-B", str(args.block), "-R", str(args.requests),
            *(["-c", args.cipher] if args.cipher else []),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no",
            "-o", "LogLevel=ERROR", f"{account.username}@127.0.0.1",
        ]  # fmt: skip
        server_cpu = cpu_seconds(server.pid)
        loop_cpu = cpu_seconds(server.pid, server.pid)  # the main thread runs the event loop
        client_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(  # noqa: S603
            command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            print(done.stdout, done.stderr)
            return 1
        rss = vm_hwm_mb(server.pid)
        server_cpu = cpu_seconds(server.pid) - server_cpu
        loop_cpu = cpu_seconds(server.pid, server.pid) - loop_cpu
        threads = sorted(
            (
                cpu_seconds(server.pid, int(t.name))
                for t in Path(f"/proc/{server.pid}/task").iterdir()
            ),
            reverse=True,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_cpu = (after.ru_utime + after.ru_stime) - (client_cpu.ru_utime + client_cpu.ru_stime)
        attachment = Attachment.objects.get(case=world.alice_case)
        assert attachment.sha256 == expected.hexdigest(), "checksum mismatch"
        assert attachment.size == args.size_mb * MIB
        upload_speed = args.size_mb / elapsed
        slower = min(write_speed, hash_speed)
        print(
            f"SFTP upload:             {upload_speed:8.0f} MB/s  ({args.size_mb} MiB in "
            f"{elapsed:.1f} s, -B {args.block} -R {args.requests}, incl. login and attach)"
        )
        print(f"  = {upload_speed / slower:.0%} of the slower of disk write and SHA-256 "
              f"(target ≥ 50%)")  # fmt: skip
        print(f"server peak RSS (VmHWM): {rss:.0f} MB")
        print(
            f"CPU: server {server_cpu:.1f} s ({args.size_mb / server_cpu:.0f} MB per CPU-second), "
            f"OpenSSH client {client_cpu:.1f} s"
        )
        print(
            f"  of which the event-loop thread {loop_cpu:.1f} s: one upload's ceiling on a free "
            f"core ≈ {args.size_mb / loop_cpu:.0f} MB/s"
        )
        print("  CPU seconds by thread (since start): " + ", ".join(f"{t:.1f}" for t in threads))
        print(f"load average after: {os.getloadavg()}")
        return 0
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)  # Ctrl+C: a clean stop (and the profile written)
            server.wait(30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
