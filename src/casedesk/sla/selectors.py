"""Which support policy applies: the newest version for new cases, the recorded one after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from casedesk.policy.calendars import BusinessCalendar, format_local
from casedesk.policy.defaults import DEFAULT_POLICY, SupportPolicy
from casedesk.policy.follow_the_sun import Routing

from .models import PolicyVersion

if TYPE_CHECKING:
    from casedesk.cases.models import Case

# Deadline kinds shown on the case (named here to avoid importing the handler modules).
FOLLOWUP_KIND = "followup"
PURGE_KIND = "files.purge"
UNASSIGNED_KIND = "case.unassigned"


@lru_cache(maxsize=64)
def _parsed(number: int) -> SupportPolicy:
    row = PolicyVersion.objects.filter(number=number).only("data").first()
    return SupportPolicy.from_dict(row.data) if row else DEFAULT_POLICY


def current_policy_number() -> int:
    """Newest saved version; 0 means the built-in handbook defaults."""
    return PolicyVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0


def policy(number: int) -> SupportPolicy:
    """Versions never change once saved, so parsing is cached per number."""
    return DEFAULT_POLICY if number == 0 else _parsed(number)


def calendar_for(policy_number: int, region: str) -> BusinessCalendar:
    chosen = policy(policy_number)
    try:
        return chosen.calendar(region)
    except KeyError:
        return chosen.calendar(chosen.default_region)


@dataclass(frozen=True)
class MilestoneView:
    kind: str
    label: str
    target_at: datetime
    reason: str
    met_at: datetime | None
    breached_at: datetime | None
    warned_at: datetime | None
    text: str  # "due in 3 business days, Thu 26 Nov 14:00 São Paulo time", met or overdue
    settlement: str = ""  # how the closure settled it (C9): missed | not_applicable


@dataclass(frozen=True)
class TimerView:
    kind: str  # followup | files.purge
    due_at: datetime
    text: str


@dataclass(frozen=True)
class CaseClock:
    """Everything the clock panel shows for one case (C2-C5, C7), in at most three queries."""

    milestones: list[MilestoneView]
    timers: list[TimerView]
    routing: Routing
    centre_label: str
    calendar_place: str
    policy_version: int
    files_purged_at: datetime | None
    followup_off_reason: str
    outage: str = ""  # Production Down: first contact → service restored (C3)


def running_milestones(case: Case) -> set[str]:
    """Kinds of the case's milestones still running: which marks the console offers."""
    from .models import Milestone

    return set(
        Milestone.objects.filter(
            case=case, met_at__isnull=True, settled_at__isnull=True
        ).values_list("kind", flat=True)
    )


def case_clock(case: Case, now: datetime) -> CaseClock:
    from casedesk.policy.calendars import describe_due
    from casedesk.policy.follow_the_sun import route
    from casedesk.policy.transitions import WAITING_ON_CUSTOMER, Status
    from casedesk.scheduling.models import Deadline, DeadlineState

    from .models import Milestone

    chosen = policy(case.policy_version)
    calendar = calendar_for(case.policy_version, case.region)
    milestones = []
    for m in Milestone.objects.filter(case=case).order_by("started_at", "id"):
        if m.met_at:
            late = " (after the target)" if m.met_at > m.target_at else ""
            text = f"met {format_local(m.met_at, calendar)}{late}"
        elif m.settled_at:
            closed = format_local(m.settled_at, calendar)
            if m.settlement == "missed":
                text = (
                    f"missed: due {format_local(m.target_at, calendar)}, the case closed {closed}"
                )
            else:
                text = f"not applicable: the case closed {closed}, before the target"
        elif m.breached_at:
            text = f"breached: {describe_due(m.target_at, now, calendar)}"
        else:
            text = describe_due(m.target_at, now, calendar)
        milestones.append(
            MilestoneView(
                m.kind,
                m.get_kind_display(),
                m.target_at,
                m.reason,
                m.met_at,
                m.breached_at,
                m.warned_at,
                text,
                m.settlement if m.settled_at else "",
            )
        )
    timers = []
    pending = Deadline.objects.filter(
        case=case, state=DeadlineState.PENDING, kind__in=[FOLLOWUP_KIND, PURGE_KIND]
    ).order_by("due_at")
    for d in pending.only("kind", "due_at", "payload"):
        if d.kind == FOLLOWUP_KIND:
            step = d.payload.get("step", "?")
            what = (
                f"Follow-up #{step}: the case closes with a final notice"
                if d.payload.get("action") == "close"
                else f"Reminder #{step}"
            )
        else:
            when = format_local(d.due_at, calendar)
            days = chosen.attachment_retention_days
            timers.append(
                TimerView(
                    d.kind,
                    d.due_at,
                    f"Attachments are removed {when} ({days} days after closure)",
                )
            )
            continue
        timers.append(TimerView(d.kind, d.due_at, f"{what}, {_when(d.due_at, now, calendar)}"))
    off = ""
    if Status(case.status) in WAITING_ON_CUSTOMER and case.production_down:
        off = "Production Down cases are never followed up automatically."
    purged = (
        case.attachments.filter(purged_at__isnull=False)
        .order_by("-purged_at")
        .values_list("purged_at", flat=True)
        .first()
    )
    routing = route(case.region, now, chosen) if _has_region(chosen, case.region) else None
    centre = chosen.region(routing.centre).label if routing else ""
    return CaseClock(
        milestones,
        timers,
        routing,  # type: ignore[arg-type]
        centre,
        calendar.place,
        case.policy_version,
        purged,
        off,
        _outage(case, now, chosen, calendar),
    )


def _outage(case: Case, now: datetime, chosen: SupportPolicy, calendar: BusinessCalendar) -> str:
    """C3: the outage of a Production Down case, from first contact to service restored."""
    from casedesk.policy.calendars import format_duration

    target = chosen.sla.production_down.outage_minutes
    goal = f" (target: under {target} min on average)" if target else ""
    if case.service_restored_at:
        span = format_duration(case.service_restored_at - case.opened_at)
        when = format_local(case.service_restored_at, calendar)
        return f"Service restored {when}: outage {span} from first contact{goal}."
    if not case.production_down:
        return ""
    if case.is_closed:
        return "The case closed without service restored being recorded."
    return f"Outage running for {format_duration(now - case.opened_at)} since first contact{goal}."


def _when(due: datetime, now: datetime, calendar: BusinessCalendar) -> str:
    from casedesk.policy.calendars import describe_due

    return describe_due(due, now, calendar)


def _has_region(chosen: SupportPolicy, key: str) -> bool:
    return any(r.key == key for r in chosen.regions)


@dataclass(frozen=True)
class CentresNow:
    """Follow-the-sun at one instant (C2): which centre serves each case region now.

    Computed once per queue page from the newest policy (no per-row work)."""

    routing: dict[str, Routing]
    labels: dict[str, str]

    def centre_of(self, region: str) -> str:
        routing = self.routing.get(region)
        return self.labels.get(routing.centre, routing.centre) if routing else ""

    def regions_of(self, centre: str) -> tuple[str, ...]:
        """Case regions served by ``centre`` now; a centre serving none matches nothing."""
        if not centre:
            return ()
        regions = tuple(r for r, routing in self.routing.items() if routing.centre == centre)
        return regions or ("-",)

    @property
    def on_shift(self) -> list[str]:
        """Centres serving now; one answering outside its hours says "(on call)" (C9)."""
        return sorted(
            {
                self.labels[r.centre] + (" (on call)" if r.on_call else "")
                for r in self.routing.values()
                if r.on_shift
            },
        )


def centres_now(now: datetime) -> CentresNow:
    from casedesk.policy.follow_the_sun import route

    chosen = policy(current_policy_number())
    return CentresNow(
        {r.key: route(r.key, now, chosen) for r in chosen.regions},
        {r.key: r.label for r in chosen.regions},
    )


def policy_versions() -> list[PolicyVersion]:
    """Every saved version, newest first, with who saved it (the policy editor's list)."""
    return list(PolicyVersion.objects.select_related("created_by").order_by("-number"))
