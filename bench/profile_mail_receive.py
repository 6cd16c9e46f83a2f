"""Where a receiver process's CPU goes, per message of the realistic mix (issue 17, item 2).

In one thread, without SMTP: the messages of ``mailmix.py`` are stored and processed in
batches of ``--batch`` as the receiver's storing and processing threads do
(``mail_store_batch``, ``mail_process_batch``) under cProfile; prints the thread CPU per
message of each stage and the cumulative time of the main steps. Needs the EMPTY
database named by ``CASEDESK_DATABASE_URL`` (or none: a temporary SQLite), like
``bench_mail_receive.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

STEPS = [  # (label, function name as cProfile shows it, file part)
    ("parse_message (stdlib email + limits)", "parse_message", "mail/parsing.py"),
    ("  of it: stdlib BytesParser.parse", "parsebytes", "email/parser.py"),
    ("_prepare (parse, quote split, sanitise)", "_prepare", "services/reading.py"),
    ("routing reads (cases, senders) per batch", "_route_batch", "services/batching.py"),
    ("flood counts per batch", "__init__", "services/flood.py"),
    ("flood counts per message (before batching)", "flood_reason", "services/flood.py"),
    ("route_reply (per message)", "route_reply", "mail/routing.py"),
    ("_apply (finish, append)", "_apply", "services/receiving.py"),
    ("  of it: case_add_update", "case_add_update", "conversation.py"),
    ("  of it: attachment_store", "attachment_store", "files/services"),
    ("SQL round trips (cursor.execute)", "execute", "django/db/backends/utils.py"),
]


def _time_stages() -> dict[str, list]:
    """Wrap the main steps to add up their thread CPU (exact, unlike cProfile's shares)."""
    import importlib

    spent: dict[str, list] = {}
    for label, name, where in STEPS:
        module_name = {
            "mail/parsing.py": "casedesk.mail.parsing",
            "services/reading.py": "casedesk.mail.services.reading",
            "services/batching.py": "casedesk.mail.services.batching",
            "services/flood.py": "casedesk.mail.services.flood",
            "services/receiving.py": "casedesk.mail.services.receiving",
            "mail/routing.py": "casedesk.mail.routing",
        }.get(where)
        if module_name is None:
            continue
        module = importlib.import_module(module_name)
        owner = getattr(module, "FloodCounts", None) if name == "__init__" else module
        if owner is None or not hasattr(owner, name):
            continue
        spent[label] = [0.0, 0]
        _wrap(owner, name, spent[label])
    return spent


def _wrap(owner: object, name: str, total: list) -> None:
    inner = getattr(owner, name)

    def timed(*args, **kwargs):
        began = time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            total[0] += time.thread_time() - began
            total[1] += 1

    setattr(owner, name, timed)
    # the modules that imported it by name see the wrapper too
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("casedesk.mail") and (
            getattr(module, name, None) is inner
        ):
            setattr(module, name, timed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--top", type=int, default=0, help="also print the top N by own time")
    parser.add_argument("--no-profile", action="store_true", help="thread CPU only, no cProfile")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="casedesk-mailprof-")
    os.environ.setdefault("CASEDESK_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    os.environ.setdefault("CASEDESK_MAIL_TRUSTED_AUTHSERV_ID", "mx.casedesk.invalid")
    os.environ.setdefault("CASEDESK_MAIL_FLOOD_PER_SENDER", "1000")
    os.environ.setdefault("CASEDESK_MAIL_FLOOD_PER_CASE", "1000")
    import django

    django.setup()
    from bench_mail_receive import setup_desk
    from django.core.management import call_command
    from mailmix import MixBuilder, shared_blob

    from casedesk.core import clock
    from casedesk.mail.services.batching import Incoming, mail_process_batch, mail_store_batch

    call_command("migrate", interactive=False, verbosity=0)
    Path(os.environ["CASEDESK_DATA_DIR"], "files").mkdir(parents=True, exist_ok=True)
    desk = setup_desk(argparse.Namespace(contacts=1000, cases=500))
    if desk is None:
        print("database already has cases: use an empty database", file=sys.stderr)
        return 2
    builder = MixBuilder(tag=f"prof{int(time.time())}", cases=desk[0], contacts=desk[1])
    blob = shared_blob()
    raws = []
    for kind in builder.kinds(args.messages):
        item = builder.build(kind)
        raws.append(item.head + blob[: item.attach] + item.tail if item.attach else item.head)
    spent = _time_stages() if args.no_profile else {}
    profile = cProfile.Profile(time.thread_time)  # CPU, not time spent waiting on SQL
    store = process = 0.0
    try:
        for start in range(0, len(raws), args.batch):
            chunk = raws[start : start + args.batch]
            items = [Incoming(raw=r, source="smtp", envelope_from="x@acme.example",
                              envelope_to=["support@casedesk.invalid"]) for r in chunk]  # fmt: skip
            began = time.thread_time()
            rows = mail_store_batch(items, now=clock.now())
            store += time.thread_time() - began
            began = time.thread_time()
            if not args.no_profile:
                profile.enable()
            mail_process_batch(list(zip(rows, chunk, strict=True)), now=clock.now())
            profile.disable()
            process += time.thread_time() - began
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    n = len(raws)
    print(f"{n} messages, batches of {args.batch}: thread CPU per message "
          f"store {store * 1000 / n:.2f} ms, process {process * 1000 / n:.2f} ms "
          + ("" if args.no_profile else "(under cProfile: inflated; see the shares)"))  # fmt: skip
    if args.no_profile:
        for label, (cpu, calls) in spent.items():
            print(f"  {label:<44} {cpu * 1000 / n:7.2f} ms/msg  ({calls} calls)")
        return 0
    stats = pstats.Stats(profile)
    total = sum(v[3] for k, v in stats.stats.items() if k[2] == "mail_process_batch")
    for label, name, where in STEPS:
        cum = sum(v[3] for k, v in stats.stats.items() if k[2] == name and where in k[0])
        calls = sum(v[1] for k, v in stats.stats.items() if k[2] == name and where in k[0])
        print(f"  {label:<44} {cum * 1000 / n:7.2f} ms/msg  {cum / total:6.1%}  ({calls} calls)")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
