"""Inbound mail end to end: SMTP over loopback into cases (E2, E3; rule 6; issue 17).

Builds a desk in a fresh data directory (SQLite) or in the EMPTY database named by
``CASEDESK_DATABASE_URL``: ``--contacts`` contacts in two organisations and ``--cases``
cases waiting on their contacts. Starts the aiosmtpd receiver in-process on a free
loopback port (as ``casedesk mail-receiver`` does with one process), or with
``--processes N`` the command ``casedesk mail-receiver --processes N`` as a child process
(N receiver processes sharing the port), and a separate load-generator
process sends the plan over ``--connections`` SMTP sessions (smtplib, one thread each,
a new session every 500 messages).

The default plan is the realistic mix of ``mailmix.py``: 31% multipart/alternative HTML,
10% with an attachment of 10 KB–5 MB, 21% replies with a reference ID, 38% plain new
mail; HTML bodies and quoted history; new mail 75% from known contacts, 25% from
strangers; every message with the MTA's ``Authentication-Results`` (the bench trusts
``mx.casedesk.invalid``). ``--mix tiny`` is the earlier plan (90% tiny plain replies).

End to end means: sent, stored durably, parsed, routed, appended or queued, committed.
The clock runs from the first send to the moment the last message of the run has left
``received`` (polled; the receiver may answer ``250`` once the message is stored, before
it is processed). Reported per run: messages/s, send → 250 p50/p95, CPU ms per message of
the receiver process (and its children), of the PostgreSQL backends serving it (read
from /proc: server on this machine), and of the load generator, the outcomes and the
load average. After the mixed run, ``--per-kind`` messages of each kind alone give the
figures per kind.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a live process; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def tree_cpu(pid: int, skip: int = 0) -> float:
    """CPU seconds of ``pid`` (all its threads) and its live descendants but ``skip``
    (the load generator: it reports its own)."""
    total = proc_cpu(pid)
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                if int(child) != skip:
                    total += tree_cpu(int(child), skip)
    except OSError:
        pass
    return total


# ---------------------------------------------------------------- load generator process


def client_main(spec_path: str) -> int:
    spec = pickle.loads(Path(spec_path).read_bytes())  # noqa: S301 - written by the parent
    port, blob, plan, connections = spec["port"], spec["blob"], spec["plan"], spec["connections"]
    results: list[tuple[str, float]] = []
    lock = threading.Lock()
    errors: list[str] = []

    def client(chunk: list) -> None:
        mine = []
        smtp = smtplib.SMTP("127.0.0.1", port)
        try:
            for n, item in enumerate(chunk, 1):
                raw = item.head + blob[: item.attach] + item.tail if item.attach else item.head
                began = time.perf_counter()
                smtp.sendmail(item.sender, ["support@casedesk.invalid"], raw)
                mine.append((item.kind, time.perf_counter() - began))
                if n % 500 == 0:
                    smtp.quit()
                    smtp = smtplib.SMTP("127.0.0.1", port)
            smtp.quit()
        except Exception as exc:  # reported to the parent
            errors.append(f"{type(exc).__name__}: {exc}")
        with lock:
            results.extend(mine)

    chunks = [plan[i::connections] for i in range(connections)]
    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    print("ready", flush=True)
    sys.stdin.readline()
    cpu0 = time.process_time()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {
        "elapsed": time.perf_counter() - started,
        "cpu": time.process_time() - cpu0,
        "results": results,
        "errors": errors[:5],
    }
    print(json.dumps(out), flush=True)
    return 0


# ---------------------------------------------------------------- the receiving side


def setup_desk(args: argparse.Namespace):  # bench helper
    from django.contrib.auth.hashers import make_password
    from tests.factories import build_world

    from casedesk.accounts.models import Role, User
    from casedesk.cases.models import Case
    from casedesk.cases.services import case_transition
    from casedesk.core import clock
    from casedesk.mail.reference import reference_token

    now = clock.now()
    if Case.objects.exists():
        return None
    world = build_world(now=now)
    unusable = make_password(None)
    orgs = [world.acme, world.globex]
    users = [
        User(
            email=f"contact{i}@{'acme' if i % 2 == 0 else 'globex'}.example",
            full_name=f"Contact {i}",
            role=Role.CONTACT,
            organisation=orgs[i % 2],
            password=unusable,
        )
        for i in range(args.contacts)
    ]
    contacts = User.objects.bulk_create(users)
    cases = []
    for i in range(args.cases):
        contact = contacts[i % len(contacts)]
        case = world.open_case(contact, subject=f"bench case {i}: dialer drops calls")
        case_transition(
            case=case, actor=world.engineer, action="request_info", to="info_required",
            reason="Please send logs.", now=now,
        )  # fmt: skip
        token = str(reference_token(case.pk, case.organisation_id))
        cases.append((token, contact.email, case.number))
    return cases, [u.email for u in contacts]


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each live thread of this process by name (the in-process receiver:
    its event loop, storing and processing threads)."""
    out: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except (OSError, TypeError):
            continue
        fields = stat.rpartition(")")[2].split()
        name = "main (bench, polls)" if thread is threading.main_thread() else thread.name
        name = "event loop (aiosmtpd)" if name.startswith("Thread-") else name
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / TICK
    return out


def pg_backends() -> dict[int, float]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend'"
        )
        return {pid: proc_cpu(pid) for (pid,) in cursor.fetchall()}


def run_once(name: str, plan: list, blob: bytes, port: int, args: argparse.Namespace) -> dict:
    from django.db import connection

    from casedesk.mail.models import InboundMessage, State

    last = InboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    spec = Path(tempfile.mkstemp(prefix="mailbench-plan-")[1])
    spec.write_bytes(
        pickle.dumps({"port": port, "blob": blob, "plan": plan, "connections": args.connections})
    )
    proc = subprocess.Popen(  # noqa: S603 - this script, in client mode
        [sys.executable, __file__, "--client", str(spec)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == "ready"
    pg0 = pg_backends()
    me0 = tree_cpu(os.getpid(), skip=proc.pid)
    threads0 = thread_cpu()
    load0 = os.getloadavg()[0]
    started = time.perf_counter()
    proc.stdin.write("go\n")
    proc.stdin.flush()
    report = json.loads(proc.stdout.readline())
    proc.wait()
    spec.unlink()
    pending = InboundMessage.objects.filter(pk__gt=last, state=State.RECEIVED)
    while pending.exists():  # processed after the 250: wait for the last one
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    me = tree_cpu(os.getpid(), skip=proc.pid) - me0
    threads = {k: v - threads0.get(k, 0.0) for k, v in thread_cpu().items()}
    pg1 = pg_backends()
    pg = sum(cpu - pg0.get(pid, 0.0) for pid, cpu in pg1.items())
    n = len(report["results"])
    states: dict[str, int] = {}
    for state in InboundMessage.objects.filter(pk__gt=last).values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1
    lat = sorted(t for _, t in report["results"])
    row = {
        "run": name,
        "database": connection.vendor,
        "messages": n,
        "stored": sum(states.values()),
        "elapsed_s": round(elapsed, 2),
        "msg_per_s": round(n / elapsed, 1),
        "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
        "p95_ms": round(lat[int(len(lat) * 0.95)] * 1000, 1) if lat else None,
        "receiver_cpu_ms": round(me * 1000 / max(n, 1), 2),
        "postgres_cpu_ms": round(pg * 1000 / max(n, 1), 2),
        "client_cpu_ms": round(report["cpu"] * 1000 / max(n, 1), 2),
        "load_1min": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "receiver_threads_cpu_ms": {
            k: round(v * 1000 / max(n, 1), 2) for k, v in sorted(threads.items()) if v
        },
        "outcomes": states,
        "errors": report["errors"],
    }
    total = row["receiver_cpu_ms"] + row["postgres_cpu_ms"] + row["client_cpu_ms"]
    row["idle_2core_msg_per_s"] = round(2000 / total) if total else None
    print(json.dumps(row), flush=True)
    return row


class ReceiverCommand:
    """``casedesk mail-receiver --processes N`` as a child of this process (its CPU and its
    children's count as the receiver's)."""

    def __init__(self, processes: int) -> None:
        from django.db import connections

        connections.close_all()
        self.proc = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "casedesk.cli", "mail-receiver", "--port", "0",
             "--processes", str(processes)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        print(line.strip(), file=sys.stderr, flush=True)
        self.port = int(line.split("127.0.0.1:")[1].split()[0])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(120)


def tiny_plan(cases: list, n: int, tag: str) -> list:
    import random

    from mailmix import Planned

    rng = random.Random(7)
    plan = []
    for i in range(n):
        token, sender, _ = rng.choice(cases)
        subject = f"New problem {i}" if rng.random() < 0.1 else f"Re: [{token}] {tag}"
        raw = (
            f"From: {sender}\r\nTo: support@casedesk.invalid\r\nSubject: {subject}\r\n"
            f"Message-ID: <{tag}-{i}@acme.example>\r\nMIME-Version: 1.0\r\n"
            "Authentication-Results: mx.casedesk.invalid; dmarc=pass "
            f"header.from={sender.rpartition('@')[2]}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Update {i}: the dialer log shows a timeout at 09:{i % 60:02d}.\r\n\r\n"
            "On Tue, Support wrote:\r\n> Please send logs.\r\n"
        ).encode()
        plan.append(Planned("tiny", sender, raw))
    return plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--per-kind", type=int, default=400, help="0: no runs per kind")
    parser.add_argument("--mix", choices=("realistic", "tiny"), default="realistic")
    parser.add_argument("--receiver-threads", type=int, default=4)
    parser.add_argument(
        "--processes", type=int, default=0,
        help="0: the receiver in this process; N: `casedesk mail-receiver --processes N`",
    )  # fmt: skip
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        return client_main(args.client)

    data_dir = tempfile.mkdtemp(prefix="casedesk-mailbench-")
    os.environ.setdefault("CASEDESK_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    os.environ.setdefault("CASEDESK_MAIL_TRUSTED_AUTHSERV_ID", "mx.casedesk.invalid")
    os.environ.setdefault("CASEDESK_DB_CONN_MAX_AGE", "3600")  # backends live through a run
    # 1,000 contacts sending 10,000 mails within a minute would trip the per-minute flood
    # limits (10 per sender): raised, still counted per message.
    os.environ.setdefault("CASEDESK_MAIL_FLOOD_PER_SENDER", "1000")
    os.environ.setdefault("CASEDESK_MAIL_FLOOD_PER_CASE", "1000")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    Path(os.environ["CASEDESK_DATA_DIR"], "files").mkdir(parents=True, exist_ok=True)

    from mailmix import MIX, MixBuilder, shared_blob

    from casedesk.mail.smtp import start_receiver

    desk = setup_desk(args)
    if desk is None:
        print("database already has cases: use an empty database", file=sys.stderr)
        return 2
    cases, contacts = desk
    tag = f"mb{int(time.time())}"
    blob = shared_blob()
    if args.processes:
        controller = ReceiverCommand(args.processes)
    else:
        controller = start_receiver(host="127.0.0.1", port=0)
    try:
        if args.mix == "tiny":
            run_once("tiny", tiny_plan(cases, args.messages, tag), blob, controller.port, args)
        else:
            builder = MixBuilder(tag=tag, cases=cases, contacts=contacts)
            plan = [builder.build(k) for k in builder.kinds(args.messages)]
            run_once("realistic mix", plan, blob, controller.port, args)
            for kind in MIX if args.per_kind else ():
                count = args.per_kind // 2 if kind == "attachment" else args.per_kind
                run_once(kind, [builder.build(kind) for _ in range(count)], blob,
                         controller.port, args)  # fmt: skip
    finally:
        controller.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
