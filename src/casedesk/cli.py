"""The ``casedesk`` console script: demo, serve, worker, sftp, mail-receiver, mail-poll, manage.

Settings are read from ``CASEDESK_*`` variables; the options here only set those
variables before Django starts, so every entry point configures the same way. Every
long-running command but the demo refuses to start on the public development key
(``start_problems``), and says at start which data directory and database it uses.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# Long-running commands that sign and seal with the secret key. Only `demo` runs on the
# public development key; `manage` is an operator's tool and `upload` a client.
NEEDS_SECRET_KEY = frozenset({"serve", "worker", "sftp", "mail-receiver", "mail-poll"})


def start_problems(command: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """Why ``command`` must not start with this environment; checked before Django starts,
    so a refusal touches nothing (no data directory, no database)."""
    from casedesk.config.keys import (
        MIN_SECRET_KEY_LENGTH,
        NEW_KEY_HINT,
        KeyConfigError,
        parse_reference_keys,
        secret_key_problem,
    )

    env = os.environ if environ is None else environ
    problems = []
    if command in NEEDS_SECRET_KEY:
        problem = secret_key_problem(env.get("CASEDESK_SECRET_KEY"))
        if problem:
            problems.append(
                f"{problem}. It signs reference IDs, survey links and sessions and seals"
                f" drop-box passwords: give every casedesk process the same random value of"
                f" {MIN_SECRET_KEY_LENGTH}+ characters (e.g. from `{NEW_KEY_HINT}`)."
                " Only `casedesk demo` runs on the development key."
            )
    if command == "serve" and env.get("CASEDESK_DEBUG", "").lower() in {"1", "true", "yes", "on"}:
        problems.append("CASEDESK_DEBUG is on; production never runs with DEBUG.")
    if command != "upload":
        try:
            parse_reference_keys(env.get("CASEDESK_MAIL_REFERENCE_KEYS", ""))
        except KeyConfigError as exc:
            problems.append(f"{exc}.")
    return problems


def database_label(database: Mapping[str, Any]) -> str:
    """Which database a command uses, for its start line: never the password."""
    engine = str(database.get("ENGINE", "")).rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return f"SQLite {database.get('NAME')}"
    user = f"{database['USER']}@" if database.get("USER") else ""
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"{engine} {user}{database.get('HOST') or 'localhost'}{port}/{database.get('NAME')}"


def _setup(data_dir: str | None = None, *, announce: str = "") -> None:
    """Start Django; ``announce`` names the command that says on stderr which data directory
    and database it uses (a worker started elsewhere would silently use another SQLite)."""
    if data_dir:
        os.environ["CASEDESK_DATA_DIR"] = str(Path(data_dir).resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    import django

    django.setup()
    from django.conf import settings

    Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
    # whitenoise serves from the app folders (no collectstatic needed) but expects the root.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    if announce:
        print(
            f"casedesk {announce}: data in {settings.DATA_DIR};"
            f" database {database_label(settings.DATABASES['default'])}",
            file=sys.stderr,
            flush=True,
        )


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def cmd_demo(args: argparse.Namespace) -> int:
    """Everything on one machine: SQLite, seeded data, web server, printed logins."""
    os.environ.setdefault("CASEDESK_SITE_URL", f"http://{args.host}:{args.port}")
    # No SMTP server needed: the demo writes outbound mail into files in the data dir.
    os.environ.setdefault(
        "CASEDESK_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
    )
    os.environ.setdefault("CASEDESK_MAIL_TRUST_UNAUTHENTICATED", "true")  # no MTA (README)
    os.environ["CASEDESK_SFTP_PORT"] = str(args.sftp_port)  # shown on the case pages (D2)
    _setup(args.data_dir)
    server = _demo_web_server(args)
    if server is None:
        return 2
    _migrate()
    from casedesk.core import clock
    from casedesk.demo.seed import DEMO_LOGINS, DEMO_PASSWORD, seed_demo

    created = seed_demo(now=clock.now())
    from django.conf import settings

    url = f"http://{args.host}:{args.port}/"
    print(f"casedesk demo — data in {settings.DATA_DIR}" + (" (seeded)" if created else ""))
    print(f"  Database: {database_label(settings.DATABASES['default'])}")
    print(f"  Portal:  {url}")
    print(f"  Console: {url}console/")
    print(f"  API:     {url}api/v1/docs  (OpenAPI: {url}api/v1/openapi.json)")
    print(f"  Logins (password for all: {DEMO_PASSWORD}):")
    for role, email in DEMO_LOGINS:
        print(f"    {role:<28} {email}")
    print(f"  Mail:    {_mail_destination()}")
    sftp_line = _start_demo_sftp(args.sftp_port)
    print(f"  SFTP:    {sftp_line}")
    print(
        "  Worker:  in-process (follow-ups, milestones, outbound mail, background jobs)."
        "  Press Ctrl+C to stop.",
        flush=True,
    )
    import threading

    from casedesk.scheduling.worker import run_worker

    _start_daily_jobs()
    threading.Thread(target=run_worker, name="casedesk-worker", daemon=True).start()
    _demo_mail_receiver(args)
    server.run()  # waitress stops cleanly on Ctrl+C
    return 0


def _demo_web_server(args: argparse.Namespace) -> Any:
    """The demo's web server, bound before anything is printed: a busy port is said plainly,
    with the option that changes it, instead of a traceback after the banner."""
    from waitress import create_server

    from casedesk.config.wsgi import application

    try:
        return create_server(
            application, host=args.host, port=args.port, threads=8, ident="casedesk"
        )
    except OSError as exc:
        why = (
            "is in use"
            if exc.errno == errno.EADDRINUSE
            else f"cannot be used ({exc.strerror or exc})"
        )
        print(
            f"casedesk demo: port {args.port} on {args.host} {why}. Start the demo on another"
            f" port with --port, e.g. `casedesk demo --port {args.port + 1}`.",
            file=sys.stderr,
        )
        return None


def _mail_destination() -> str:
    """Where the outbox's mail goes, for the demo banner."""
    from django.conf import settings

    backend = str(getattr(settings, "EMAIL_BACKEND", ""))
    if backend.endswith("filebased.EmailBackend"):
        return f"written to files in {settings.EMAIL_FILE_PATH} (no SMTP server needed)"
    if backend.endswith("smtp.EmailBackend"):
        return f"sent via SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return f"sent by {backend}"


def _demo_mail_receiver(args: argparse.Namespace) -> None:
    """Inbound mail in the demo: the SMTP receiver on loopback (0 turns it off)."""
    if not args.smtp_port:
        return
    from casedesk.mail.checks import sender_auth_mode
    from casedesk.mail.smtp import start_receiver

    try:
        start_receiver(host="127.0.0.1", port=args.smtp_port)
    except Exception as exc:  # a busy port must not stop the demo
        print(f"  Mail in: not started ({exc})", flush=True)
        return
    print(f"  Mail in: smtp://127.0.0.1:{args.smtp_port} ({sender_auth_mode()})", flush=True)


def cmd_mail_receiver(args: argparse.Namespace) -> int:
    """Receive mail from the MTA over SMTP (or LMTP) and process it (E2, E3)."""
    if args.processes < 0:
        raise SystemExit(f"casedesk mail-receiver: --processes {args.processes}: give 0 or more")
    _setup(args.data_dir, announce="mail-receiver")
    import threading

    from django.conf import settings

    from casedesk.core import clock
    from casedesk.mail.checks import SENDER_AUTH_WARNING
    from casedesk.mail.processes import default_processes
    from casedesk.mail.services import mail_process_pending
    from casedesk.mail.smtp import start_receiver

    if not settings.MAIL_TRUSTED_AUTHSERV_ID:
        print(f"casedesk mail receiver: warning: {SENDER_AUTH_WARNING}", file=sys.stderr)
    pending = mail_process_pending(now=clock.now())
    processes = args.processes or default_processes()
    protocol = "LMTP" if args.lmtp else "SMTP"
    stop = threading.Event()
    import signal

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if processes > 1:
        from casedesk.mail.parsing import mail_limits
        from casedesk.mail.processes import serve_processes

        def ready(port: int, pids: list[int]) -> None:
            print(f"casedesk mail receiver: {protocol} on {args.host}:{port}"
                  f" ({pending} stored message(s) processed at start;"
                  f" {processes} processes: {' '.join(map(str, pids))})", flush=True)  # fmt: skip

        signal.signal(signal.SIGINT, lambda *_: stop.set())  # the children are stopped too
        serve_processes(host=args.host, port=args.port, processes=processes, lmtp=args.lmtp,
                        max_bytes=mail_limits().max_bytes, on_ready=ready, stop=stop)  # fmt: skip
        return 0
    controller = start_receiver(host=args.host, port=args.port, lmtp=args.lmtp)
    print(f"casedesk mail receiver: {protocol} on {args.host}:{controller.port}"
          f" ({pending} stored message(s) processed at start)", flush=True)  # fmt: skip
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


def cmd_mail_poll(args: argparse.Namespace) -> int:
    """Fetch unseen mail from the IMAP mailbox (CASEDESK_IMAP_*) and process it."""
    _setup(args.data_dir, announce="mail-poll")
    import imaplib
    import time

    from django.conf import settings

    from casedesk.core import clock
    from casedesk.mail.imap import mail_poll
    from casedesk.mail.services import mail_process_pending

    if not settings.IMAP_HOST:
        print("casedesk mail-poll: set CASEDESK_IMAP_HOST (and _USER, _PASSWORD).", file=sys.stderr)
        return 2
    while True:
        mail_process_pending(now=clock.now())
        try:
            print(f"mail-poll: {mail_poll(batch_size=args.batch)}", flush=True)
        except (imaplib.IMAP4.error, OSError) as exc:
            print(f"mail-poll: {exc}", file=sys.stderr, flush=True)
            if args.once:
                return 1
        if args.once:
            return 0
        try:
            time.sleep(args.interval)
        except KeyboardInterrupt:
            return 0


def _start_demo_sftp(port: int) -> str:
    """The drop box server in a daemon thread beside the web server (D2)."""
    from django.conf import settings

    from casedesk.dropbox.server import start_in_thread

    try:
        start_in_thread(settings.SFTP_HOST, port)
    except OSError as exc:
        return f"not started ({exc.strerror or exc}); try --sftp-port"
    return f"sftp://{settings.SFTP_HOST}:{port}  (drop boxes: create one on a case in the console)"


def cmd_sftp(args: argparse.Namespace) -> int:
    """The SFTP drop box server (D2): password logins of live drop boxes only."""
    _setup(args.data_dir, announce="sftp")
    from casedesk.dropbox.server import serve_forever

    serve_forever(args.host, args.port)
    return 0


def _announce_settings(data_dir: str | None, command: str) -> None:
    """What ``_setup`` says and prepares, from the settings alone: the gunicorn master
    never starts Django itself (it would be a third copy of it in memory; see
    ``config/gunicorn.py`` for what a preloaded master shares with its workers)."""
    if data_dir:
        os.environ["CASEDESK_DATA_DIR"] = str(Path(data_dir).resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    from django.conf import settings

    Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    print(
        f"casedesk {command}: data in {settings.DATA_DIR};"
        f" database {database_label(settings.DATABASES['default'])}",
        file=sys.stderr,
        flush=True,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    """The production web server (gunicorn on POSIX, waitress elsewhere)."""
    _announce_settings(args.data_dir, "serve")
    bind = f"{args.host}:{args.port}"
    workers = (
        args.workers
        or int(os.environ.get("CASEDESK_WEB_WORKERS", "0"))
        or ((os.cpu_count() or 1) * 2 + 1)
    )
    try:
        from gunicorn.app.wsgiapp import WSGIApplication
    except ImportError:
        from waitress import serve

        from casedesk.config.wsgi import application

        serve(application, host=args.host, port=args.port, threads=max(workers, 4))
        return 0
    sys.argv = [
        "gunicorn",
        "--config",
        "python:casedesk.config.gunicorn",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        os.environ.get("CASEDESK_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "casedesk.config.wsgi:application",
    ]
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    """Django's management commands, with casedesk's settings."""
    _setup(args.data_dir)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["casedesk manage", *args.rest])
    return 0


def _start_daily_jobs() -> None:
    """Daily deadlines reschedule themselves; a starting worker makes sure the chain exists.
    A database not reachable yet is the worker loop's to report: it retries its own steps."""
    from django.db import DatabaseError

    from casedesk.core import clock
    from casedesk.reports.services import backlog_snapshot_ensure, rollup_ensure

    try:
        backlog_snapshot_ensure(now=clock.now())
        rollup_ensure(now=clock.now())
    except DatabaseError:
        print("casedesk worker: backlog snapshots not scheduled yet (database)", file=sys.stderr)


def cmd_worker(args: argparse.Namespace) -> int:
    """Due deadlines (follow-ups, milestones, purges), the outbox and background jobs
    (django-tasks); several may run on PostgreSQL."""
    _setup(args.data_dir, announce="worker")
    import signal
    import threading

    from casedesk.scheduling.worker import run_worker

    _start_daily_jobs()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        done = run_worker(stop=stop, once=args.once, idle_sleep=args.idle)
    except KeyboardInterrupt:
        return 0
    if args.once:
        print(f"processed {done} deadline(s), mail(s) and background job(s)")
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    """Attach files to a case over tus; resumes an interrupted upload when run again (D1)."""
    from casedesk.files.tus_client import TusClient, UploadFailed

    token = args.token or os.environ.get("CASEDESK_TOKEN", "")
    if not token:
        print("casedesk upload: set CASEDESK_TOKEN or pass --token", file=sys.stderr)
        return 2
    client = TusClient(args.url, token, chunk_size=args.chunk_size * 1024 * 1024)
    failed = 0
    for name in args.files:
        try:
            result = client.upload(args.case, name, verify=not args.no_verify)
        except (UploadFailed, OSError) as exc:
            print(f"casedesk upload: {name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{result.sha256}  {name}", flush=True)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casedesk", description=__doc__)
    parser.add_argument("--data-dir", help="where SQLite and files live (CASEDESK_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the demo: SQLite, seeded data, web server")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--data-dir", dest="data_dir_sub", default=None)
    demo.add_argument("--sftp-port", type=int, default=2222, help="SFTP drop box port")
    demo.set_defaults(func=cmd_demo)

    demo.add_argument("--smtp-port", type=int, default=2525, help="inbound SMTP (0: off)")

    mail_receiver = sub.add_parser("mail-receiver", help="receive inbound mail over SMTP/LMTP")
    mail_receiver.add_argument("--host", default="127.0.0.1")
    mail_receiver.add_argument("--port", type=int, default=2525)
    mail_receiver.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
    mail_receiver.add_argument(
        "--processes",
        type=int,
        default=0,
        help="receiver processes sharing the port (default CASEDESK_MAIL_RECEIVER_PROCESSES,"
        " or one per CPU on PostgreSQL and one on SQLite)",
    )
    mail_receiver.add_argument("--data-dir", dest="data_dir_sub", default=None)
    mail_receiver.set_defaults(func=cmd_mail_receiver)

    mail_poll = sub.add_parser("mail-poll", help="fetch inbound mail from IMAP (CASEDESK_IMAP_*)")
    mail_poll.add_argument("--once", action="store_true", help="poll once, then exit")
    mail_poll.add_argument("--interval", type=float, default=60.0, help="seconds between polls")
    mail_poll.add_argument("--batch", type=int, default=50, help="messages per batch")
    mail_poll.add_argument("--data-dir", dest="data_dir_sub", default=None)
    mail_poll.set_defaults(func=cmd_mail_poll)

    serve = sub.add_parser("serve", help="production web server, configured by environment")
    serve.add_argument("--host", default=os.environ.get("CASEDESK_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("CASEDESK_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=0)
    serve.add_argument("--data-dir", dest="data_dir_sub", default=None)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="process background tasks and due deadlines")
    worker.add_argument("--once", action="store_true", help="process what is due, then exit")
    worker.add_argument("--idle", type=float, default=1.0, help="seconds to sleep when idle")
    worker.add_argument("--data-dir", dest="data_dir_sub", default=None)
    worker.set_defaults(func=cmd_worker)

    sftp = sub.add_parser("sftp", help="SFTP drop box server (temporary per-case logins)")
    sftp.add_argument("--host", default=os.environ.get("CASEDESK_SFTP_HOST", "127.0.0.1"))
    sftp.add_argument("--port", type=int, default=int(os.environ.get("CASEDESK_SFTP_PORT", "2222")))
    sftp.add_argument("--data-dir", dest="data_dir_sub", default=None)
    sftp.set_defaults(func=cmd_sftp)
    upload = sub.add_parser("upload", help="attach files to a case (resumable tus upload)")
    upload.add_argument("--case", required=True, help="case number, e.g. CS-000123")
    upload.add_argument("--url", default="http://127.0.0.1:8000", help="casedesk base URL")
    upload.add_argument("--token", default="", help="API token (default: $CASEDESK_TOKEN)")
    upload.add_argument("--chunk-size", type=int, default=16, help="MB per request")
    upload.add_argument("--no-verify", action="store_true", help="skip the local SHA-256")
    upload.add_argument("files", nargs="+", metavar="FILE")
    upload.set_defaults(func=cmd_upload)

    manage = sub.add_parser("manage", help="Django management commands (migrate, shell, …)")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.add_argument("--data-dir", dest="data_dir_sub", default=None)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.data_dir = getattr(args, "data_dir_sub", None) or args.data_dir
    problems = start_problems(args.command)
    if problems:
        for problem in problems:
            print(f"casedesk {args.command}: refusing to start: {problem}", file=sys.stderr)
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
