"""Fixtures for outbound mail: a real SMTP server and settings that point at it."""

from __future__ import annotations

import socket

import pytest

from casedesk.notifications import smtp_pipe

from .smtp_sink import start_sink


@pytest.fixture
def smtp(settings):  # type: ignore[no-untyped-def]
    """An aiosmtpd server on an ephemeral port, with Django's SMTP backend aimed at it."""
    controller, handler = start_sink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "support@casedesk.example"
    settings.MANAGEMENT_EMAIL = "management@casedesk.example"
    settings.SITE_URL = "https://support.casedesk.example"
    yield handler
    controller.stop()


@pytest.fixture
def dead_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fresh_smtp_session():  # type: ignore[no-untyped-def]
    """No pipelined SMTP session cached by an earlier test of this thread, none left after."""
    smtp_pipe.session_release(idle=True)
    yield
    session = getattr(smtp_pipe._local, "session", None)
    if session is not None:
        session.close()
        smtp_pipe._local.session = None
