"""Reads about organisations, contracts and contacts."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import zoneinfo

from django.db import connection
from django.db.models import QuerySet

from casedesk.core.rows import Columns, table
from casedesk.policy.decision import Decision, allow, deny
from casedesk.policy.maintenance import (
    GraceWindow,
    local_date,
    maintenance_decision,
    site_time_zone,
)

from .models import (
    ApiToken,
    Certification,
    Contract,
    ContractAccess,
    Organisation,
    Refusal,
    Role,
    User,
)


def contract_today(contract: Contract, now: dt.datetime) -> dt.date:
    """Today at the contract's site (C9): its own time zone, else its region's."""
    return local_date(now, site_time_zone(contract.site.time_zone, contract.region))


def contract_maintenance(contract: Contract, now: dt.datetime) -> Decision:
    """A5: paid through today, or inside a grace period for a disputed invoice; "today" is
    the date at the contract's site at ``now`` (C9), not the UTC date."""
    today = contract_today(contract, now)
    if contract.paid_through is not None and contract.paid_through >= today:
        return maintenance_decision(paid_through=contract.paid_through, today=today)
    grace = [
        GraceWindow(g.invoice, g.starts_on, g.ends_on)
        for g in contract.grace_periods.filter(starts_on__lte=today, ends_on__gte=today)
    ]
    return maintenance_decision(paid_through=contract.paid_through, today=today, grace=grace)


def active_refusal(contact: User) -> Refusal | None:
    return contact.refusals.filter(lifted_at__isnull=True).first()


def contact_may_open_cases(contact: User, *, refused: bool | None = None) -> Decision:
    """A6, A8: only active, registered contacts who have not been refused support.

    ``refused=False`` is a caller's word that it has just seen no active refusal (opening a
    case reads that with its other facts); otherwise the refusal is looked up here.
    """
    if contact.role != Role.CONTACT or contact.organisation_id is None:
        return deny(
            "Only registered contacts of a partner organisation open cases; end users are "
            "served by their partner."
        )
    if not contact.is_active:
        return deny("This contact is no longer active.")
    refusal = None if refused is False else active_refusal(contact)
    if refusal is not None:
        return deny(
            "Support has been refused to this contact "
            f"({refusal.get_category_display().lower()}). Please contact Customer Care."
        )
    return allow("Registered contact in good standing.")


def allowed_contract_ids(contact: User) -> frozenset[int] | None:
    """The contracts care limited ``contact`` to (A3), or None for every contract of the
    organisation. Read once per user object: a request sees one answer throughout."""
    cached = getattr(contact, "_casedesk_allowed_contracts", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    ids = frozenset(
        ContractAccess.objects.filter(contact_id=contact.pk).values_list("contract_id", flat=True)
    )
    allowed = ids or None
    contact._casedesk_allowed_contracts = allowed  # type: ignore[attr-defined]
    return allowed


def contracts_for_contact(contact: User) -> QuerySet[Contract]:
    """The organisation's contracts this contact may open cases on (A3 contract access)."""
    contracts = Contract.objects.filter(organisation_id=contact.organisation_id)
    allowed = allowed_contract_ids(contact)
    if allowed is not None:
        contracts = contracts.filter(pk__in=allowed)
    return contracts.select_related("site", "organisation")


def contracts_with_maintenance(contact: User, now: dt.datetime) -> list[tuple[Contract, Decision]]:
    """Each of the contact's contracts with A5's verdict at ``now`` (the open-case form)."""
    return [(c, contract_maintenance(c, now)) for c in contracts_for_contact(contact)]


def find_contact(who: str) -> tuple[User | None, str]:
    """The active contact with this e-mail or support PIN, or why there is none."""
    who = who.strip()
    contacts = User.objects.filter(role=Role.CONTACT, is_active=True).select_related("organisation")
    if "@" in who:
        found = list(contacts.filter(email__iexact=who)[:2])
    elif who.isdigit() and len(who) == 6:
        found = list(contacts.filter(support_pin=who)[:2])
    else:
        return None, "Enter the contact's e-mail address or their 6-digit support PIN."
    if not found:
        return None, "No active contact has that e-mail or PIN."
    if len(found) > 1:
        return None, "More than one contact has that PIN; ask for their e-mail address."
    return found[0], ""


def certifications_for(contact: User) -> list[Certification]:
    return list(contact.certifications.select_related("product", "product__group"))


def api_tokens_of(user: User) -> list[ApiToken]:
    """The user's API tokens, newest first, revoked ones included (the profile page)."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at"))


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def user_for_token(raw: str) -> User | None:
    """The active user behind a bearer token, or None. Tokens are looked up by digest.

    Every API call makes this lookup, so it is one hand-written statement (user and
    organisation together) rather than an ORM query compiled anew each time.
    """
    if not raw or len(raw) > 200:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_token_sql(), [token_digest(raw), True])
        row = cursor.fetchone()
    if row is None:
        return None
    user = _USER.take(row, 0)
    if user is None:  # the inner join always finds one; this keeps the types honest
        return None
    user.organisation = _ORGANISATION.take(row, _USER.width)
    return user


_USER = Columns(User, "u")
_ORGANISATION = Columns(Organisation, "o")


@functools.cache
def _token_sql() -> str:
    # Identifiers come from model metadata; the digest is a bound parameter.
    return (
        f"SELECT {_USER.sql()}, {_ORGANISATION.sql()} FROM {table(ApiToken)} t "  # noqa: S608
        f"JOIN {table(User)} u ON u.id = t.user_id "
        f"LEFT JOIN {table(Organisation)} o ON o.id = u.organisation_id "
        "WHERE t.digest = %s AND t.revoked_at IS NULL AND u.is_active = %s"
    )


# Zone names people choose from: "Area/City" plus UTC, without the aliases kept for old
# systems (US/…, Etc/GMT+3, EST5EDT …), which only make the list longer.
_ZONE_AREAS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """The IANA zones the profile form offers, sorted (A2: times in the viewer's zone)."""
    zones = zoneinfo.available_timezones()
    return ("UTC", *sorted(z for z in zones if z.startswith(_ZONE_AREAS)))


def is_time_zone(name: str) -> bool:
    """Any zone the system knows, including aliases set by care or an older profile."""
    return name in time_zone_names() or name in zoneinfo.available_timezones()


def engineers() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=[Role.ENGINEER, Role.MANAGER, Role.CARE])
