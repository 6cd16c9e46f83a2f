"""The demo desk: what ``casedesk demo`` loads into an empty database.

Six partner organisations (one with maintenance lapsed, one inside a grace period for a
disputed invoice), their end-user sites and contracts, certified contacts, engineers in
five regions, a care admin and a manager, a product catalogue, and about fifty cases
covering every status, sub-status and priority, with timelines over the last two months,
and the backlog's daily history over those weeks (rebuilt from the cases' log).

Every case is built through ``cases.services`` (so the demo exercises the same rules as
real use), from a fixed random seed, relative to ``now``. Seeding is one transaction and
idempotent: a database that already holds the demo is left untouched.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Min

from casedesk.accounts.models import RefusalReason, User
from casedesk.accounts.services import contact_refuse, grace_period_record
from casedesk.cases.models import Case
from casedesk.reports.services import backlog_history_fill

from . import reference
from .extras import seed_extras
from .knowledge import seed_knowledge
from .paths import PATHS
from .phone import seed_phone
from .reference import Desk
from .resources import seed_resources
from .scenarios import SCENARIOS
from .sites import seed_sites
from .sitework import seed_sitework
from .specials import SPECIALS
from .stories import open_story, opening_time

DEMO_PASSWORD = "casedesk-demo"
_RANDOM_SEED = 20240611

DEMO_LOGINS: list[tuple[str, str]] = [
    ("Contact + colleagues' cases", "priya.shah@northwind-partners.example"),
    ("Contact, own cases only", "tom.becker@northwind-partners.example"),
    ("Contact, maintenance lapsed", "dana.ross@prairievoice.example"),
    ("Contact, grace period", "camila.rojas@andescontact.example"),
    ("Support engineer (EMEA)", "elena.fischer@support.vocalis.example"),
    ("Support engineer (Japan)", "haruto.sato@support.vocalis.example"),
    ("Customer Care admin", "claire.dubois@support.vocalis.example"),
    ("Support manager", "martin.kowalski@support.vocalis.example"),
]
_MARKER = "claire.dubois@support.vocalis.example"


def seed_demo(*, now: dt.datetime) -> bool:
    """Load the demo desk; False (and no change) if it is already there."""
    with transaction.atomic():
        if User.objects.filter(email=_MARKER).exists():
            return False
        rng = random.Random(_RANDOM_SEED)
        today = now.date()
        # One hash for everybody: PBKDF2 per user would make the demo start slowly.
        password_hash = make_password(DEMO_PASSWORD)
        desk = Desk()
        reference.build_catalogue(desk)
        reference.build_partners(desk, today=today, password_hash=password_hash)
        reference.build_staff(desk, password_hash=password_hash)
        reference.build_certifications(desk, today=today)
        _record_grace_periods(desk, now=now)
        _run_cases(desk, now=now, rng=rng)
        seed_extras(desk, now=now)
        seed_knowledge(desk, now=now)
        seed_phone(desk, now=now)  # issue 14: calls with hold times, upcoming cutovers
        seed_sites(desk, now=now)  # issue 14: a failing and a passing VoIP site, changes
        seed_sitework(desk, now=now)  # issue 14: diagram, site visits, a routed case
        seed_resources(desk, today=today)
        contact_refuse(
            actor=desk.people["claire"],
            contact=desk.people["gary"],
            category=RefusalReason.ABUSIVE,
            reason="Abusive language towards the engineer on two recorded calls (see the "
            "call log of 14 and 15 of last month); partner management informed.",
            now=now - dt.timedelta(days=6, hours=3),
        )
        _record_backlog_history(now=now)
    return True


def _record_backlog_history(*, now: dt.datetime) -> None:
    """I1: the backlog chart shows the seeded weeks from the first start, rebuilt from the
    seeded cases' log as the nightly snapshot would have recorded them."""
    first = Case.objects.aggregate(first=Min("opened_at"))["first"]
    if first is not None:
        yesterday = now.date() - dt.timedelta(days=1)
        backlog_history_fill(start=first.date(), end=yesterday, now=now)


def _record_grace_periods(desk: Desk, *, now: dt.datetime) -> None:
    """A5: Andes disputes its renewal invoice (support continues); Prairie's grace is over."""
    care = desk.people["claire"]
    for key, invoice, ends_in_days, recorded_days_ago in (
        ("ac_pacifico", f"INV-{now.year}-0815", 25, 18),
        ("pv_midwest", f"INV-{now.year}-0611", -10, 38),
    ):
        contract = desk.contracts[key]
        lapsed_on = (contract.paid_through or now.date()) + dt.timedelta(days=1)
        grace_period_record(
            actor=care,
            contract=contract,
            invoice=invoice,
            starts_on=lapsed_on,
            ends_on=now.date() + dt.timedelta(days=ends_in_days),
            now=now - dt.timedelta(days=recorded_days_ago),
        )


def _run_cases(desk: Desk, *, now: dt.datetime, rng: random.Random) -> None:
    """Open every case in time order, so case numbers grow with the opening date."""
    runs = []
    for scenario in SCENARIOS:
        opened = opening_time(now, scenario.days_ago, rng)
        runs.append((opened, scenario, None))
    for days_ago, special in SPECIALS:
        runs.append((opening_time(now, days_ago, rng), None, special))
    runs.sort(key=lambda run: run[0])
    for index, (opened, scenario, special) in enumerate(runs):
        if special is not None:
            special(desk, opened, now, rng, index)
        elif scenario is not None:
            story = open_story(desk, scenario, opened=opened, now=now, rng=rng, index=index)
            PATHS[scenario.path](story, scenario)
