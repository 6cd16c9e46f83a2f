"""What the SSH server and an SFTP session share: the ``Session`` record of one login and
``SessionHost``, the part of the server an SFTP session calls back into.

Its own module so that ``server`` imports ``sftp_session`` (to serve SFTP channels) and
``sftp_session`` never imports ``server``: no import circle, not even for type checking.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import asyncssh

T = TypeVar("T")


@dataclass
class Session:
    """One authenticated SSH connection and the drop box it belongs to."""

    conn: asyncssh.SSHServerConnection
    account_id: int
    case_id: int
    username: str
    expires_at: Any
    ended: str = ""
    timer: asyncio.TimerHandle | None = None


class SessionHost(Protocol):
    """The server as an SFTP session sees it (``server.DropBoxService`` is the one)."""

    sessions: dict[asyncssh.SSHServerConnection, Session]

    async def db(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ORM work on the server's one database thread."""

    def io(self, func: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run blocking file work (hash, write, fsync) on the I/O threads."""

    def cut(self, session: Session, why: str) -> None:
        """End a session whose drop box is no longer usable."""

    async def check(self, sessions: list[Session]) -> None:
        """Cut sessions whose drop box was revoked, expired or whose case closed."""
