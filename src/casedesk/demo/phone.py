"""The demo's phone desk and cutovers (issue 14): yesterday's calls with their hold times, two
callers on the line now (one an emergency), and upcoming cutovers, one on a weekend."""

from __future__ import annotations

import datetime as dt
import random

from casedesk.accounts.models import Role
from casedesk.obligations.services import CutoverDraft, cutover_file
from casedesk.phone import services as phone
from casedesk.phone.selectors import open_cases_of

from .reference import Desk

_SEED = 1414


def seed_phone(desk: Desk, *, now: dt.datetime) -> None:
    rng = random.Random(_SEED)
    contacts = sorted(
        (p for p in desk.people.values() if p.role == Role.CONTACT and p.is_active),
        key=lambda p: p.email,
    )
    engineers = sorted(
        (p for p in desk.people.values() if p.role == Role.ENGINEER), key=lambda p: p.email
    )
    day = dt.datetime.combine(now.date() - dt.timedelta(days=1), dt.time(7, 0), tzinfo=dt.UTC)
    for n in range(18):
        queued = day + dt.timedelta(minutes=35 * n + rng.randrange(0, 20))
        caller = rng.choice(contacts) if n % 6 else None  # every sixth caller gives no PIN
        emergency = n % 5 == 0
        hold = dt.timedelta(seconds=rng.randrange(30, 200 if emergency else 420))
        if n in (5, 15):
            hold = dt.timedelta(minutes=14)  # two emergencies that missed the 5-minute target
        call = phone.call_queued(
            now=queued, caller=caller, emergency=emergency, external_id=f"demo-{n:03d}"
        )
        engineer = engineers[n % len(engineers)]
        phone.call_answered(call=call, engineer=engineer, now=queued + hold)
        talked = queued + hold + dt.timedelta(minutes=rng.randrange(3, 25))
        theirs = open_cases_of(caller) if caller else []
        if theirs and n % 2:
            phone.call_log(
                call=call,
                case=theirs[0],
                engineer=engineer,
                body="Phoned: walked through the trace settings; customer will send logs.",
                public=n % 4 == 1,
                now=talked,
            )
        phone.call_ended(call=call, now=talked)
    phone.call_queued(
        now=now - dt.timedelta(minutes=3),
        caller=contacts[0],
        emergency=True,
        external_id="demo-live-1",
    )
    phone.call_queued(now=now - dt.timedelta(minutes=1), external_id="demo-live-2")
    _cutovers(desk, now=now)


def _cutovers(desk: Desk, *, now: dt.datetime) -> None:
    priya = desk.people["priya"]
    site = desk.contracts[
        next(k for k, c in desk.contracts.items() if c.organisation_id == priya.organisation_id)
    ].site
    start = dt.datetime.combine(now.date() + dt.timedelta(days=15), dt.time(20, 0), tzinfo=dt.UTC)
    weekend = start + dt.timedelta(days=(5 - start.weekday()) % 7)
    for begins, kind, planned in (
        (start, "server_upgrade", "Contact Centre 9.3"),
        (weekend, "added_lines", ""),
    ):
        cutover_file(
            actor=priya,
            site=site,
            draft=CutoverDraft(
                kind=kind,
                technician="Ravi Patel (Northwind field services)",
                product_line="Contact Centre",
                installation_date=begins.date() - dt.timedelta(days=2),
                cutover_start=begins,
                cutover_end=begins + dt.timedelta(hours=5),
                site_contact="Facilities desk, +44 113 496 0199",
                vendor_contact="Carrier NOC, +44 20 7946 0000",
                checklist=["wiring", "network_connectivity", "network_rights", "installation"],
                line_configuration="2 x SIP trunks, 60 channels",
                current_products="Contact Centre 9.2.1",
                planned_products=planned,
                um_platform="Exchange Online",
            ),
            now=now,
        )
