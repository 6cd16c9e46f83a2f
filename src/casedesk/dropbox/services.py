"""Writes for SFTP drop boxes (D2, C8; security rules 10, 12). One transaction each.

- ``dropbox_open``: care opens one per case; 120 hours (the case's policy) of absolute time,
  with a "dropbox.expire" deadline at the end.
- ``dropbox_revoke`` / ``dropbox_expire``: end it; the sealed password is wiped.
- ``dropbox_authenticate``: the SFTP server's only way in; constant-time, rate-limited per
  user name and per peer address.
- ``dropbox_file_attach``: an upload the server streamed to storage becomes an attachment.
Every one of them writes a line on the case timeline.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction

from casedesk.accounts.models import User
from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.core import ratelimit
from casedesk.core.errors import NotFound, NotPermitted, PolicyViolation
from casedesk.files.models import Source
from casedesk.files.services import attachment_add
from casedesk.files.storage import get_storage
from casedesk.scheduling.services import deadline_schedule, deadlines_cancel
from casedesk.sla.selectors import policy

from . import secrets_box
from .models import ACTIVE, DropBoxAccount, DropBoxFile
from .permissions import can_manage_dropbox

log = logging.getLogger(__name__)

EXPIRE = "dropbox.expire"
USER_LIMIT = 10  # failed logins per user name per 15 minutes
PEER_LIMIT = 30  # per peer address (several customers may share one NAT address)


def account_hours(case: Case) -> int:
    """C8: how long a drop box of this case stays open, from the case's policy version."""
    return policy(case.policy_version).sftp_account_hours


def _event(
    account: DropBoxAccount,
    *,
    action: str,
    actor: User | None,
    now: dt.datetime,
    body: str = "",
    public: bool = True,
    **data: object,
) -> None:
    CaseEvent.objects.create(
        case_id=account.case_id,
        at=now,
        actor=actor,
        kind=EventKind.DROPBOX,
        public=public,
        body=body,
        data={"action": action, "username": account.username, "account_id": account.pk, **data},
    )


def _end_lapsed(case: Case, now: dt.datetime) -> None:
    """Mark a live-looking drop box whose time is up as expired (the worker may lag)."""
    for account in DropBoxAccount.objects.filter(ACTIVE, case=case, expires_at__lte=now):
        _mark_expired(account, now)


def dropbox_open(*, case: Case, actor: User, now: dt.datetime) -> DropBoxAccount:
    """Open the case's SFTP drop box. Care only; not on closed cases; one live per case."""
    if not can_manage_dropbox(actor):
        raise NotPermitted("Only Customer Care opens SFTP drop boxes.")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.is_closed:
            raise PolicyViolation("This case is closed, so it cannot take files; re-open it first.")
        _end_lapsed(locked, now)
        if DropBoxAccount.objects.filter(ACTIVE, case=locked).exists():
            raise PolicyViolation("This case already has an active SFTP drop box.")
        password = secrets_box.new_password()
        try:
            with transaction.atomic():
                account = DropBoxAccount.objects.create(
                    case=locked,
                    username=secrets_box.new_username(),
                    password_hash=make_password(password),
                    password_sealed=secrets_box.seal(password),
                    created_by=actor,
                    created_at=now,
                    expires_at=now + dt.timedelta(hours=account_hours(locked)),
                )
        except IntegrityError:  # a parallel open won (PostgreSQL) or a name collided
            raise PolicyViolation("This case already has an active SFTP drop box.") from None
        deadline_schedule(
            kind=EXPIRE,
            key=f"{EXPIRE}:{account.pk}",
            due_at=account.expires_at,
            now=now,
            case_id=locked.pk,
            payload={"account_id": account.pk},
        )
        _event(
            account,
            action="opened",
            actor=actor,
            now=now,
            expires_at=account.expires_at.isoformat(),
        )
    return account


def dropbox_revoke(*, account: DropBoxAccount, actor: User, now: dt.datetime) -> DropBoxAccount:
    """End a drop box before its time; open sessions are cut by the server's next check."""
    if not can_manage_dropbox(actor):
        raise NotPermitted("Only Customer Care revokes SFTP drop boxes.")
    with transaction.atomic():
        locked = DropBoxAccount.objects.select_for_update().get(pk=account.pk)
        if locked.revoked_at is not None or locked.expired_at is not None:
            raise PolicyViolation("This SFTP drop box has already ended.")
        locked.revoked_at = now
        locked.revoked_by = actor
        locked.password_sealed = ""
        locked.save(update_fields=["revoked_at", "revoked_by", "password_sealed"])
        deadlines_cancel(case_id=locked.case_id, kinds=[EXPIRE], now=now, why="revoked")
        _event(locked, action="revoked", actor=actor, now=now)
    return locked


def _mark_expired(account: DropBoxAccount, now: dt.datetime) -> None:
    account.expired_at = now
    account.password_sealed = ""
    account.save(update_fields=["expired_at", "password_sealed"])
    _event(account, action="expired", actor=None, now=now)


def dropbox_expire(*, account_id: int, now: dt.datetime) -> str:
    """C8: the deadline handler's write; idempotent (an ended account is left alone)."""
    with transaction.atomic():
        account = DropBoxAccount.objects.select_for_update().filter(pk=account_id).first()
        if account is None:
            return "skipped: no such drop box"
        if account.revoked_at is not None or account.expired_at is not None:
            return "skipped: already ended"
        if now < account.expires_at:
            return "skipped: not yet due"
        _mark_expired(account, now)
    return f"drop box {account.username} expired"


# A hash of a random password, checked when the user name is unknown so that a miss costs
# the same hasher run as a hit (no user-name oracle by timing).
_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    if "hash" not in _DUMMY:
        _DUMMY["hash"] = make_password(secrets_box.new_password())
    return _DUMMY["hash"]


def dropbox_authenticate(
    *, username: str, password: str, now: dt.datetime, peer: str = ""
) -> DropBoxAccount | None:
    """The account if the login is right and the drop box is live; None for anything else.

    Refused alike: wrong password, unknown name, revoked, expired (C8), closed case, and a
    name or peer address over its failure limit (rule 12) — even with the right password.
    """
    username = (username or "")[:64]
    if ratelimit.attempts_blocked("sftp-user", username, limit=USER_LIMIT) or (
        peer and ratelimit.attempts_blocked("sftp-peer", peer, limit=PEER_LIMIT)
    ):
        log.warning("sftp login refused (rate limit): user=%r peer=%s", username, peer)
        return None
    account = (
        DropBoxAccount.objects.select_related("case").filter(username=username).first()
        if username.isascii() and "\x00" not in username
        else None
    )
    password_ok = check_password(
        password or "", account.password_hash if account else _dummy_hash()
    )
    if account is None or not (
        password_ok and account.is_active(now) and not account.case.is_closed
    ):
        ratelimit.attempts_record_failure("sftp-user", username)
        if peer:
            ratelimit.attempts_record_failure("sftp-peer", peer)
        return None
    ratelimit.attempts_clear("sftp-user", username)
    with transaction.atomic():
        first = account.last_login_at is None
        DropBoxAccount.objects.filter(pk=account.pk).update(last_login_at=now)
        account.last_login_at = now
        if first:  # every later login only updates last_login_at: the timeline stays readable
            # Internal: the peer address is for support, not for everyone on the case.
            _event(account, action="first login", actor=None, now=now, public=False, peer=peer)
    return account


def dropbox_file_attach(
    *, account: DropBoxAccount, filename: str, storage_key: str, sha256: str, now: dt.datetime
) -> DropBoxFile:
    """An upload the SFTP server streamed to ``storage_key`` becomes a case attachment.

    The account must still be live; ``attachment_add`` re-checks the whole-file SHA-256 and
    that the case is open. ``uploaded_by`` is None: a drop box login is not a person (a
    customer may hand it to a colleague or a vendor); the timeline names the drop box.
    """
    try:
        with transaction.atomic():
            locked = DropBoxAccount.objects.select_for_update().get(pk=account.pk)
            if not locked.is_active(now):
                raise NotFound("This SFTP drop box has ended.")
            attachment = attachment_add(
                case=locked.case,
                actor=None,
                filename=filename,
                storage_key=storage_key,
                source=Source.SFTP,
                now=now,
                sha256=sha256,
            )
            return DropBoxFile.objects.create(account=locked, attachment=attachment, created_at=now)
    except Exception:
        get_storage().delete(storage_key)
        raise
