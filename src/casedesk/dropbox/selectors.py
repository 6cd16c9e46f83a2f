"""Reads for drop boxes, scoped by the one case visibility rule (security rule 3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.files.models import Attachment

from . import secrets_box
from .models import ACTIVE, DropBoxAccount
from .permissions import can_see_dropbox


def live_dropbox(case: Case, now: dt.datetime) -> DropBoxAccount | None:
    """The case's drop box that is open right now (no visibility check: callers have one)."""
    return DropBoxAccount.objects.filter(ACTIVE, case=case, expires_at__gt=now).first()


@dataclass(frozen=True)
class DropBoxLogin:
    """What the case page shows while a drop box is open (D2)."""

    account: DropBoxAccount
    host: str
    port: int
    username: str
    password: str | None
    expires_at: dt.datetime
    expires_in: str

    @property
    def command(self) -> str:
        port = "" if self.port == 22 else f"-P {self.port} "
        return f"sftp {port}{self.username}@{self.host}"


def dropbox_login_for(user: User, case: Case, now: dt.datetime) -> DropBoxLogin | None:
    """The open drop box's login for someone who may see the case; None otherwise."""
    if not can_see_dropbox(user, case):
        return None
    account = live_dropbox(case, now)
    if account is None or case.is_closed:  # a closed case refuses logins: show none
        return None
    return DropBoxLogin(
        account=account,
        host=settings.SFTP_PUBLIC_HOST,
        port=getattr(settings, "SFTP_PUBLIC_PORT", settings.SFTP_PORT),
        username=account.username,
        password=secrets_box.unseal(account.password_sealed),
        expires_at=account.expires_at,
        expires_in=remaining_text(account.expires_at - now),
    )


def remaining_text(left: dt.timedelta) -> str:
    """ "4 days 23 hours", "5 hours 10 minutes", "3 minutes": what a person reads at a glance."""

    def unit(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    seconds = max(0, int(left.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return unit(days, "day") + (f" {unit(hours, 'hour')}" if hours else "")
    if hours:
        return unit(hours, "hour") + (f" {unit(minutes, 'minute')}" if minutes else "")
    return unit(minutes, "minute") if minutes else "less than a minute"


def dropbox_files(account_id: int) -> dict[str, Attachment]:
    """Files uploaded through this drop box and not purged, by name (the newest wins)."""
    files: dict[str, Attachment] = {}
    rows = Attachment.objects.filter(
        dropbox_file__account_id=account_id, purged_at__isnull=True
    ).order_by("created_at", "id")
    for attachment in rows:
        files[attachment.filename] = attachment
    return files


@dataclass(frozen=True)
class AccountState:
    """What the SFTP server re-checks for each open session."""

    live: bool
    case_open: bool
    expires_at: dt.datetime


def account_states(ids: list[int], now: dt.datetime) -> dict[int, AccountState]:
    accounts = DropBoxAccount.objects.filter(pk__in=ids).select_related("case")
    return {
        a.pk: AccountState(a.is_active(now), not a.case.is_closed, a.expires_at) for a in accounts
    }
