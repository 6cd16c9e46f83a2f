"""One settings module, driven by ``CASEDESK_*`` environment variables.

Nothing set means a zero-config SQLite database in the data directory, which is
what ``casedesk demo`` and the test suite use. Every long-running command but the demo
refuses to start without a real secret key, ``casedesk serve`` also with DEBUG on (see
``casedesk.cli``).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from casedesk.config.keys import DEVELOPMENT_SECRET_KEY, KeyConfigError, parse_reference_keys


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"CASEDESK_{name}", default)


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if not raw:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in _env(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(_env("DATA_DIR", str(Path.cwd() / "casedesk-data"))).resolve()

DEBUG = _env_bool("DEBUG", False)
# The public development key is only for the demo and the tests: every other long-running
# command refuses to start on it (casedesk.config.keys, casedesk.cli).
SECRET_KEY = _env("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = _env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    # First, so the page kit's templates (registration/…) win over django.contrib.admin's.
    "casedesk.web",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",  # serves Swagger UI from its own static files instead of a CDN
    "django_tasks",
    "django_tasks_db",
    "casedesk.core",
    "casedesk.accounts",
    "casedesk.catalog",
    "casedesk.cases",
    "casedesk.scheduling",
    "casedesk.sla",
    "casedesk.escalations",
    "casedesk.files",
    "casedesk.mail",
    "casedesk.notifications",
    "casedesk.dropbox",
    "casedesk.knowledge",
    "casedesk.search",
    "casedesk.reports",
    "casedesk.phone",
    "casedesk.obligations",
    "casedesk.sitework",
    "casedesk.resources",
    "casedesk.portal",
    "casedesk.console",
    "casedesk.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "casedesk.core.middleware.PrivateNoStoreMiddleware",
    "casedesk.api.errors.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Pages in the viewer's time zone; styled 403/405 pages (the API keeps its JSON).
    "casedesk.web.middleware.UserTimeZoneMiddleware",
    "casedesk.web.middleware.ErrorPagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "casedesk.core.middleware.ContentSecurityPolicyMiddleware",
    "casedesk.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "casedesk.config.urls"
WSGI_APPLICATION = "casedesk.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = _env("DATABASE_URL")
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "casedesk.sqlite3",
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of failing mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
            "TEST": {"NAME": _env("TEST_SQLITE_NAME") or None},
            # Closing the last connection checkpoints the WAL (an fsync, ~40 ms on the
            # bench VM) on every request; a kept connection avoids it (docs/benchmarks.md).
            "CONN_MAX_AGE": int(_env("DB_CONN_MAX_AGE", "60")),
        }
    # A kept connection the server dropped (restart, failover, pg_terminate_backend) is
    # noticed and replaced at the start of the next request instead of failing it.
    config = dj_database_url.parse(
        url, conn_max_age=int(_env("DB_CONN_MAX_AGE", "60")), conn_health_checks=True
    )
    if config["ENGINE"].endswith("postgresql"):
        # Django's backend, with the health check above done without a round trip when the
        # socket shows the server has not ended the session (casedesk/core/postgresql).
        config["ENGINE"] = "casedesk.core.postgresql"
        # Our joins are FK → PK lookups written from the case outwards, already in the best
        # order; letting the planner search join orders cost more than running the query
        # (docs/benchmarks.md). CASEDESK_DB_JOIN_COLLAPSE_LIMIT=8 restores the default.
        limit = int(_env("DB_JOIN_COLLAPSE_LIMIT", "1"))
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"-c join_collapse_limit={limit} -c from_collapse_limit={limit}"
        if _env_bool("DB_PREPARED_STATEMENTS", True):
            # Server-side binding lets psycopg prepare statements a connection repeats, so
            # PostgreSQL stops re-planning the same queries (docs/benchmarks.md). Turn it off
            # behind PgBouncer in transaction pooling mode, which cannot keep them.
            options["server_side_binding"] = True
            options["prepare_threshold"] = int(_env("DB_PREPARE_THRESHOLD", "5"))
    config.setdefault("TEST", {})
    return dict(config)


DATABASES = {"default": _database()}
# Shared by every worker process on the host (login rate limits need one count).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": DATA_DIR / "cache",
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = _env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders so a fresh checkout needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "files"
# Attachment bytes (files.storage); partial uploads live beside them until complete.
FILES_ROOT = Path(_env("FILES_DIR", str(DATA_DIR / "files"))).resolve()
# tus uploads (files.tus): an unfinished upload expires this long after its last chunk;
# a PATCH's claim on an upload lapses this long after a killed server stopped renewing it.
UPLOAD_EXPIRE_HOURS = int(_env("UPLOAD_EXPIRE_HOURS", "24"))
UPLOAD_LOCK_SECONDS = int(_env("UPLOAD_LOCK_SECONDS", "30"))
# Bounds an upload must fit at creation (files.uploads.creation; 0 = none): the largest file
# (advertised as Tus-Max-Size), each case's live attachments, and free space kept back.
UPLOAD_MAX_BYTES = int(_env("UPLOAD_MAX_BYTES", "0"))
CASE_QUOTA_BYTES = int(_env("CASE_QUOTA_BYTES", "0"))
FILES_RESERVE_BYTES = int(_env("FILES_RESERVE_BYTES", str(1024**3)))
# A separate origin for attachment bytes (api.transfer.downloads): downloads redirect there
# through short-lived signed URLs, away from the session cookie. Empty: served in place.
FILES_ORIGIN = _env("FILES_ORIGIN", "").rstrip("/")
if FILES_ORIGIN:
    ALLOWED_HOSTS.append(urlsplit(FILES_ORIGIN).hostname or "")

# Exports (issue 13 item 7): a case list longer than this is written by the worker into
# EXPORTS_DIR instead of streaming to the browser; the file is removed after EXPORT_EXPIRE_HOURS.
EXPORT_INLINE_MAX_ROWS = int(_env("EXPORT_INLINE_MAX_ROWS", "50000"))
EXPORT_EXPIRE_HOURS = int(_env("EXPORT_EXPIRE_HOURS", "24"))
# A running export whose worker has not reported progress for this long is taken as dead
# (killed, host restarted) and marked failed, so its page stops waiting and offers a new one.
EXPORT_STALE_MINUTES = int(_env("EXPORT_STALE_MINUTES", "15"))
EXPORTS_DIR = DATA_DIR / "exports"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
    }
}

# SFTP drop boxes (D2): where `casedesk sftp` / the demo listen, and the host customers are told.
SFTP_HOST = _env("SFTP_HOST", "127.0.0.1")
SFTP_PORT = int(_env("SFTP_PORT", "2222"))
SFTP_PUBLIC_HOST = _env("SFTP_PUBLIC_HOST") or SFTP_HOST
SFTP_PUBLIC_PORT = int(_env("SFTP_PUBLIC_PORT") or SFTP_PORT)

# A worker's claim on a deadline lapses after this long (a killed worker's rows are retaken).
DEADLINE_LEASE_SECONDS = int(_env("DEADLINE_LEASE_SECONDS", "300"))

EMAIL_BACKEND = _env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = _env("SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(_env("SMTP_PORT", "25"))
DEFAULT_FROM_EMAIL = _env("MAIL_FROM", "support@casedesk.invalid")
EMAIL_HOST_USER = _env("SMTP_USER")
EMAIL_HOST_PASSWORD = _env("SMTP_PASSWORD")
EMAIL_USE_TLS = _env_bool("SMTP_STARTTLS", False)
EMAIL_USE_SSL = _env_bool("SMTP_SSL", False)
EMAIL_TIMEOUT = int(_env("SMTP_TIMEOUT", "30"))
# Where the file backend (the demo's default) writes each sent message.
EMAIL_FILE_PATH = Path(_env("MAIL_FILE_DIR", str(DATA_DIR / "sent-mail"))).resolve()
# Message-ID domain; empty means the domain of CASEDESK_MAIL_FROM.
MAIL_DOMAIN = _env("MAIL_DOMAIN")
MANAGEMENT_EMAIL = _env("MANAGEMENT_EMAIL", "support-management@casedesk.invalid")
OUTBOX_MAX_ATTEMPTS = int(_env("OUTBOX_MAX_ATTEMPTS", "8"))
# A worker's claim on an outbox message lapses after this long, on the database's clock (a
# killed worker's mail is retaken; every send re-checks the claim first).
OUTBOX_LEASE_SECONDS = int(_env("OUTBOX_LEASE_SECONDS", "300"))
# Wait for the disk on every "sent" mark (notifications.commits); off by default.
OUTBOX_DURABLE_MARKS = _env_bool("OUTBOX_DURABLE_MARKS", False)


def _reference_keys() -> dict[int, bytes]:
    """``CASEDESK_MAIL_REFERENCE_KEYS="2:new-secret,1:old-secret"``: current key first.

    A malformed entry stops every entry point (the command line says so before Django starts).
    """
    try:
        return parse_reference_keys(_env("MAIL_REFERENCE_KEYS"))
    except KeyConfigError as exc:
        raise ImproperlyConfigured(str(exc)) from None


MAIL_REFERENCE_KEYS = _reference_keys()

# Inbound mail (casedesk.mail): limits, sender authentication, our domain, IMAP polling.
MAIL_MAX_BYTES = int(_env("MAIL_MAX_BYTES", str(25 * 1024 * 1024)))
MAIL_TRUSTED_AUTHSERV_ID = _env("MAIL_TRUSTED_AUTHSERV_ID", "")
# Unsafe opt-out: without an authserv-id, believe every From address (issue 15, item 2).
MAIL_TRUST_UNAUTHENTICATED = _env_bool("MAIL_TRUST_UNAUTHENTICATED", False)
MAIL_FLOOD_PER_SENDER = int(_env("MAIL_FLOOD_PER_SENDER", "10"))  # a minute; 0: no limit
MAIL_FLOOD_PER_CASE = int(_env("MAIL_FLOOD_PER_CASE", "20"))
# `casedesk mail-receiver` processes; 0: one per CPU on PostgreSQL, one on SQLite.
MAIL_RECEIVER_PROCESSES = int(_env("MAIL_RECEIVER_PROCESSES", "0"))
IMAP_HOST = _env("IMAP_HOST", "")
IMAP_PORT = int(_env("IMAP_PORT", "0"))
IMAP_USER = _env("IMAP_USER", "")
IMAP_PASSWORD = _env("IMAP_PASSWORD", "")
IMAP_SSL = _env_bool("IMAP_SSL", True)
IMAP_FOLDER = _env("IMAP_FOLDER", "INBOX")
IMAP_MOVE_TO = _env("IMAP_MOVE_TO", "")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", not DEBUG and bool(_env("SECRET_KEY")))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = _env_bool("SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(_env("HSTS_SECONDS", "0"))
BEHIND_TLS_PROXY = _env_bool("BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# Proxies trusted for X-Forwarded-For (the client address of login limits, core.ratelimit).
FORWARDED_ALLOW_IPS = _env_list("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Failed sign-ins from one client address, across accounts, before it waits 15 minutes.
LOGIN_ADDRESS_LIMIT = int(_env("LOGIN_ADDRESS_LIMIT", "30"))

# Limits that keep one request from exhausting the server.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "WARNING")},
}
