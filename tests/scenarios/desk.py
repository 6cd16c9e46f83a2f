"""A support desk driven through the services and the real worker tick, on a travelling clock.

Each scenario builds its own world at its own start, opens cases for contacts in the
region it needs, acts at named instants (``now=`` into the services, the page clock moved
with time_machine) and runs ``worker_tick`` at the instants the timers should fire.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import time_machine

from casedesk.accounts.models import User
from casedesk.cases import services
from casedesk.cases.models import Case, EventKind
from casedesk.cases.services import case_open
from casedesk.scheduling.services import worker_tick
from tests.factories import World, build_world, draft, make_org, make_user, quiet

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
_names = itertools.count(1)


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


@dataclass
class Desk:
    world: World

    @property
    def engineer(self) -> User:
        return self.world.engineer

    def contact(self, region: str, deployment: str = "premise") -> User:
        """A contact of a new organisation whose contract is served by ``region``."""
        n = next(_names)
        org, contract = make_org(
            f"Org{n}",
            paid_through=self.world.now.date() + dt.timedelta(days=400),
            region=region,
            deployment=deployment,
            catalogue=self.world.catalogue,
        )
        user = make_user(f"c{n}@org{n}.example", organisation=org)
        user.contract = contract  # type: ignore[attr-defined]
        return user

    def open(
        self, contact: User, when: dt.datetime, *, alert: bool = False, **overrides: Any
    ) -> Case:
        """``alert=False``: the queue-owner alert is cancelled (``factories.quiet``)."""
        contract = getattr(contact, "contract", None)
        if contract is None:
            contract = (
                self.world.acme_contract
                if contact.organisation_id == self.world.acme.pk
                else self.world.globex_contract
            )
        case = case_open(
            contact=contact, draft=draft(contract, self.world.catalogue, **overrides), now=when
        )
        return case if alert else quiet(case)

    def ask_info(self, case: Case, when: dt.datetime) -> Case:
        return services.case_transition(
            case=case,
            actor=self.engineer,
            action="request_info",
            to="info_required",
            reason="Please send the server logs.",
            now=when,
        )

    def tick(self, when: dt.datetime) -> int:
        with time_machine.travel(when, tick=False):
            return worker_tick(worker="scenario", now=when)

    def fires_at(self, when: dt.datetime, count: int = 1) -> None:
        """Nothing a minute before ``when``; ``count`` deadlines take effect at it."""
        assert self.tick(when - MINUTE) == 0, f"fired before {when}"
        assert self.tick(when) == count, f"did not fire at {when}"


def followups(case: Case) -> list[tuple[dt.datetime, int]]:
    return [
        (e.at, e.data["step"])
        for e in case.events.filter(kind=EventKind.FOLLOW_UP).order_by("at", "id")
    ]


def desk_at(start: dt.datetime) -> Desk:
    return Desk(build_world(now=start))
