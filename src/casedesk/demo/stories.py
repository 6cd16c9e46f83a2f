"""Case histories for the demo, written only through ``cases.services``.

A :class:`Story` walks one case through its life on a private clock that starts at
the opening time and moves forward a few hours (or days) per step, so timelines,
``updated_at`` and re-open windows look like a real desk's. A step that would land
in the future is a bug in the script and raises, rather than silently producing a
timeline that ends after "now".
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from casedesk.accounts.models import User
from casedesk.cases import services
from casedesk.cases.models import Case, Channel
from casedesk.policy.transitions import Action, CloseReason, SubStatus

from .reference import REGION_ENGINEERS, Desk


class ScriptError(RuntimeError):
    """The demo script asked for something that cannot happen (a timeline past now)."""


@dataclass
class Story:
    desk: Desk
    case: Case
    contact: User
    engineer: User
    at: dt.datetime
    now: dt.datetime
    rng: random.Random

    # --- the clock -------------------------------------------------------------------

    def tick(self, hours: float) -> dt.datetime:
        """Advance by about ``hours`` (±15%, at least a few minutes) and return the time."""
        jitter = self.rng.uniform(0.85, 1.15)
        self.at += dt.timedelta(minutes=max(4.0, hours * 60 * jitter))
        if self.at >= self.now:
            raise ScriptError(
                f"{self.case.number}: step lands after now ({self.at:%Y-%m-%d %H:%M})"
            )
        return self.at

    # --- steps -----------------------------------------------------------------------

    def assign(self, hours: float = 0.5, *, by: User | None = None) -> Story:
        self.case = services.case_assign(
            case=self.case,
            actor=by or self.engineer,
            assignee=self.engineer,
            now=self.tick(hours),
            reason="Taken from the regional queue." if by is None else "Assigned by the manager.",
        )
        return self

    def reply(self, text: str, hours: float = 1) -> Story:
        services.case_add_update(
            case=self.case, actor=self.engineer, body=text, now=self.tick(hours)
        )
        return self

    def note(self, text: str, hours: float = 1) -> Story:
        services.case_add_update(
            case=self.case, actor=self.engineer, body=text, now=self.tick(hours), internal=True
        )
        return self

    def customer(self, text: str, hours: float = 4) -> Story:
        services.case_add_update(
            case=self.case, actor=self.contact, body=text, now=self.tick(hours)
        )
        self._reload()
        return self

    def work(self, to: SubStatus, reason: str, hours: float = 1) -> Story:
        return self._move(Action.WORK, to, reason, hours)

    def request_info(self, question: str, hours: float = 2) -> Story:
        return self._move(Action.REQUEST_INFO, SubStatus.INFO_REQUIRED, question, hours)

    def propose(self, to: SubStatus, solution: str, hours: float = 6) -> Story:
        return self._move(Action.PROPOSE_SOLUTION, to, solution, hours)

    def all_info(self, hours: float = 0.5) -> Story:
        self.case = services.case_mark_all_info_provided(
            case=self.case, actor=self.engineer, now=self.tick(hours)
        )
        return self

    def outcome(self, outcome: str, note: str, hours: float = 0.3, **extra: Any) -> Story:
        self.case = services.case_set_outcome(
            case=self.case,
            actor=self.engineer,
            outcome=outcome,
            now=self.tick(hours),
            note=note,
            **extra,
        )
        return self

    def priority(
        self, priority: str, reason: str, hours: float = 2, *, by: User | None = None, **kw: Any
    ) -> Story:
        self.case = services.case_change_priority(
            case=self.case,
            actor=by or self.engineer,
            priority=priority,
            reason=reason,
            now=self.tick(hours),
            **kw,
        )
        return self

    def close(
        self,
        to: SubStatus,
        reason: CloseReason,
        comment: str,
        hours: float = 24,
        *,
        by_contact: bool = False,
    ) -> Story:
        actor = self.contact if by_contact else self.engineer
        self.case = services.case_transition(
            case=self.case,
            actor=actor,
            action=Action.CLOSE,
            to=to,
            reason=comment,
            close_reason=reason,
            now=self.tick(hours),
        )
        return self

    def close_after_followups(self, days: float = 14) -> Story:
        self.case = services.case_close_after_followups(
            case=self.case,
            now=self.tick(days * 24),
            notice=(
                "No response after the third automated follow-up (10 business days). The case "
                "is closed; call support within 30 days to re-open it."
            ),
        )
        return self

    def reopen(self, information: str, hours: float, *, by_contact: bool) -> Story:
        self.case = services.case_reopen(
            case=self.case,
            actor=self.contact if by_contact else self.engineer,
            information=information,
            now=self.tick(hours),
        )
        return self

    def _move(self, action: Action, to: SubStatus, reason: str, hours: float) -> Story:
        self.case = services.case_transition(
            case=self.case,
            actor=self.engineer,
            action=action,
            to=to,
            reason=reason,
            now=self.tick(hours),
        )
        return self

    def _reload(self) -> None:
        self.case = Case.objects.get(pk=self.case.pk)


@dataclass(frozen=True)
class Scenario:
    """One case as a contact would describe it (B2), plus the path its life takes."""

    contact: str
    contract: str
    product: str
    patch: str
    subject: str
    description: str
    path: str
    days_ago: float
    priority: str = "low"
    sub_type: str = "problem"
    kind: str = "support"
    admin_category: str = ""
    environment: str = "prod"
    channel: str = Channel.WEB
    business_impact: str = ""
    expected_behaviour: str = ""
    circumstances: str = ""
    frequency: str = ""
    scope: str = ""
    recent_changes: str = ""
    load_at_time: str = ""
    production_down: bool = False
    emergency_criterion: str = ""
    # Texts for the path; empty ones fall back to the generic pools below.
    question: str = ""
    answer: str = ""
    solution: str = ""
    outcome: tuple[str, ...] = ()  # (outcome, change request id, change request status)


def draft_for(desk: Desk, sc: Scenario) -> services.CaseDraft:
    fields: dict[str, Any] = {
        "contract_id": desk.contracts[sc.contract].pk,
        "subject": sc.subject,
        "description": sc.description,
        "kind": sc.kind,
        "sub_type": sc.sub_type,
        "admin_category": sc.admin_category,
        "environment": sc.environment,
        "priority": sc.priority,
        "production_down": sc.production_down,
        "emergency_criterion": sc.emergency_criterion,
        "business_impact": sc.business_impact,
        "expected_behaviour": sc.expected_behaviour,
        "circumstances": sc.circumstances,
        "frequency": sc.frequency,
        "scope": sc.scope,
        "recent_changes": sc.recent_changes,
        "load_at_time": sc.load_at_time,
    }
    if sc.kind != "admin":
        patch = desk.patches[sc.product, sc.patch]
        fields.update(
            product_id=desk.products[sc.product].pk,
            major_version_id=patch.major_version_id,
            patch_id=patch.pk,
        )
    return services.CaseDraft(**fields)


def open_story(
    desk: Desk,
    sc: Scenario,
    *,
    opened: dt.datetime,
    now: dt.datetime,
    rng: random.Random,
    index: int,
    engineer: str = "",
    follow_on_of: Case | None = None,
) -> Story:
    """Open the case as its channel would (web by the contact; phone and e-mail by support)."""
    contact = desk.people[sc.contact]
    engineers = REGION_ENGINEERS[desk.contracts[sc.contract].region]
    handler = desk.people[engineer or engineers[index % len(engineers)]]
    # Phone cases are keyed in by the engineer taking the call (H1); e-mail by care (E3).
    opened_by = None
    if sc.channel == Channel.PHONE:
        opened_by = handler
    elif sc.channel == Channel.EMAIL:
        opened_by = desk.people["claire"]
    draft = draft_for(desk, sc)
    if follow_on_of is not None:
        case = services.case_open_follow_on(
            old_case=follow_on_of,
            contact=contact,
            draft=draft,
            now=opened,
            opened_by=opened_by,
            channel=sc.channel,
        )
    else:
        case = services.case_open(
            contact=contact, draft=draft, now=opened, opened_by=opened_by, channel=sc.channel
        )
    return Story(desk, case, contact, handler, opened, now, rng)


def opening_time(now: dt.datetime, days_ago: float, rng: random.Random) -> dt.datetime:
    """About ``days_ago`` before now, never later, spread over the hours of the day."""
    spread = 540 if days_ago >= 1 else 60
    return now - dt.timedelta(days=days_ago, minutes=rng.randint(10, spread))
