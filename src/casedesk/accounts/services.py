"""Writes to accounts: PINs, tokens, profiles, invitations and password-reset mail, refusals,
grace periods, visibility (A2-A6)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from casedesk.core.errors import NotPermitted, PolicyViolation
from casedesk.policy.text import has_c0_control

from .models import (
    LANGUAGE_CHOICES,
    ApiToken,
    AuditEvent,
    Contract,
    GracePeriod,
    Refusal,
    RefusalReason,
    Role,
    User,
    new_support_pin,
)
from .selectors import active_refusal, is_time_zone, token_digest

CARE_ROLES = (Role.CARE, Role.MANAGER)


def _require_care(actor: User) -> None:
    if actor.role not in CARE_ROLES and not actor.is_superuser:
        raise NotPermitted("Only Customer Care may do this.")


def _audit(
    *,
    actor: User | None,
    action: str,
    subject: str,
    reason: str,
    now: dt.datetime,
    data: dict[str, object] | None = None,
) -> None:
    AuditEvent.objects.create(
        at=now, actor=actor, action=action, subject=subject, reason=reason, data=data or {}
    )


@transaction.atomic
def contact_regenerate_pin(*, contact: User, now: dt.datetime) -> str:
    """A2: a fresh support PIN; the old one stops identifying the caller at once."""
    if contact.role != Role.CONTACT:
        raise NotPermitted("Support PINs identify customer contacts on the phone.")
    contact.support_pin = new_support_pin()
    contact.save(update_fields=["support_pin"])
    _audit(actor=contact, action="pin.regenerated", subject=contact.email, reason="", now=now)
    return contact.support_pin


PROFILE_FIELDS = ("full_name", "phone", "time_zone", "language")


@transaction.atomic
def user_update_profile(
    *, user: User, full_name: str, phone: str, time_zone: str, language: str, now: dt.datetime
) -> list[str]:
    """A2: people keep their own name, phone, time zone and language; returns what changed.

    The e-mail address is the login and a contact's identity towards the organisation, so
    it changes only through Customer Care (an admin case, B1).
    """
    values = {
        "full_name": " ".join(full_name.split()),
        "phone": " ".join(phone.split()),
        "time_zone": time_zone.strip(),
        "language": language,
    }
    for field, limit in (("full_name", 200), ("phone", 40)):
        if has_c0_control(values[field]):
            raise PolicyViolation("Remove the control characters from this text.", field=field)
        if len(values[field]) > limit:
            raise PolicyViolation(f"At most {limit} characters, please.", field=field)
    if not values["full_name"]:
        raise PolicyViolation("Your name is required.", field="full_name")
    if values["time_zone"] and not is_time_zone(values["time_zone"]):
        raise PolicyViolation("Choose a time zone from the list.", field="time_zone")
    if language not in dict(LANGUAGE_CHOICES):
        raise PolicyViolation("Choose a language from the list.", field="language")
    changed = [name for name in PROFILE_FIELDS if getattr(user, name) != values[name]]
    if not changed:
        return []
    User.objects.filter(pk=user.pk).update(**{name: values[name] for name in changed})
    for name in changed:
        setattr(user, name, values[name])
    _audit(
        actor=user,
        action="profile.updated",
        subject=user.email,
        reason="",
        now=now,
        data={"fields": changed},
    )
    return changed


def password_link(user: User) -> str:
    """The absolute set-your-password link for ``user`` (Django's reset token, on SITE_URL).

    Built on the configured site address, never the request's Host header, so a forged
    Host cannot make us mail a link to somebody else's server.
    """
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def password_reset_mail(*, user: User, now: dt.datetime) -> None:
    """A2: queue a reset link for an active user (the page answers the same for anyone)."""
    from casedesk.notifications.accounts import account_mail_queue

    if not user.is_active:
        return
    account_mail_queue(user=user, kind="account_password_reset", link=password_link(user), now=now)
    _audit(actor=None, action="password.reset_mailed", subject=user.email, reason="", now=now)


def password_changed(*, user: User, how: str, now: dt.datetime) -> None:
    """Audit a password set by its owner (Django's forms write the hash): "change" or "reset"."""
    _audit(actor=user, action=f"password.{how}", subject=user.email, reason="", now=now)


@transaction.atomic
def user_invite(*, actor: User, user: User, now: dt.datetime) -> None:
    """A2: "credentials e-mailed to you" — a set-your-password link, never a password.

    Customer Care invites the people it creates (and may send the link again); the account
    keeps no usable password until its owner chooses one.
    """
    from casedesk.notifications.accounts import account_mail_queue

    _require_care(actor)
    if not user.is_active:
        raise PolicyViolation("This account is not active; activate it before inviting.")
    if user.has_usable_password() and user.last_login is not None:
        raise PolicyViolation(
            f"{user.email} has already logged in; they can reset their password themselves."
        )
    account_mail_queue(
        user=user,
        kind="account_invitation",
        link=password_link(user),
        now=now,
        extra={"invited_by": actor.full_name},
    )
    _audit(actor=actor, action="user.invited", subject=user.email, reason="", now=now)


@transaction.atomic
def api_token_create(*, user: User, name: str, now: dt.datetime) -> str:
    """A new bearer token: returned once in clear, stored only as its SHA-256 digest."""
    raw = "cdk_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        name=name.strip()[:80] or "API token",
        digest=token_digest(raw),
        prefix=raw[:10],
        created_at=now,
    )
    _audit(actor=user, action="token.created", subject=user.email, reason=name, now=now)
    return raw


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int, now: dt.datetime) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=now
    )
    if updated:
        _audit(actor=user, action="token.revoked", subject=user.email, reason="", now=now)


@transaction.atomic
def contact_refuse(
    *, actor: User, contact: User, category: str, reason: str, now: dt.datetime
) -> Refusal:
    """A6: block a contact from opening cases, with the reason recorded and audited."""
    _require_care(actor)
    if category not in RefusalReason.values:
        raise PolicyViolation("Choose a refusal reason.", field="category")
    if not reason.strip():
        raise PolicyViolation("Describe why support is refused.", field="reason")
    User.objects.select_for_update().get(pk=contact.pk)
    if active_refusal(contact) is not None:
        raise PolicyViolation("Support is already refused to this contact.")
    refusal = Refusal.objects.create(
        contact=contact, category=category, reason=reason.strip(), refused_by=actor, refused_at=now
    )
    _audit(
        actor=actor,
        action="contact.refused",
        subject=contact.email,
        reason=reason,
        now=now,
        data={"category": category},
    )
    return refusal


@transaction.atomic
def contact_lift_refusal(*, actor: User, contact: User, reason: str, now: dt.datetime) -> None:
    """A6 is reversible; the refusal stays on record with who lifted it and why."""
    _require_care(actor)
    refusal = active_refusal(contact)
    if refusal is None:
        raise PolicyViolation("Support is not refused to this contact.")
    Refusal.objects.filter(pk=refusal.pk).update(lifted_at=now, lifted_by=actor, lift_reason=reason)
    _audit(
        actor=actor, action="contact.refusal_lifted", subject=contact.email, reason=reason, now=now
    )


@transaction.atomic
def contact_set_colleague_visibility(
    *, actor: User, contact: User, allowed: bool, reason: str, now: dt.datetime
) -> None:
    """A3: granted by Customer Care, normally after an admin case."""
    _require_care(actor)
    User.objects.filter(pk=contact.pk).update(can_see_colleagues=allowed)
    contact.can_see_colleagues = allowed
    _audit(
        actor=actor,
        action="contact.colleague_visibility",
        subject=contact.email,
        reason=reason,
        now=now,
        data={"allowed": allowed},
    )


def grace_period_record(
    *,
    actor: User,
    contract: Contract,
    invoice: str,
    starts_on: dt.date,
    ends_on: dt.date,
    now: dt.datetime,
) -> GracePeriod:
    """A5: one grace period per disputed invoice."""
    _require_care(actor)
    if not invoice.strip():
        raise PolicyViolation("Name the disputed invoice.", field="invoice")
    if ends_on < starts_on:
        raise PolicyViolation("The grace period must end on or after its start.", field="ends_on")
    try:
        with transaction.atomic():
            grace = GracePeriod.objects.create(
                contract=contract,
                invoice=invoice.strip(),
                starts_on=starts_on,
                ends_on=ends_on,
                recorded_by=actor,
                recorded_at=now,
            )
            _audit(
                actor=actor,
                action="contract.grace_period",
                subject=contract.number,
                reason=invoice,
                now=now,
                data={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
            )
    except IntegrityError:
        raise PolicyViolation(
            f"Invoice {invoice} already had its grace period.", field="invoice"
        ) from None
    return grace
