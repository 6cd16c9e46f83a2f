"""The handbook's numbers as one editable policy object (R: B7, C1-C8).

Policy is data, not code: ``SupportPolicy`` round-trips through JSON
(``to_dict``/``from_dict``) so operators can store and change it in the database;
``DEFAULT_POLICY`` is what a fresh installation starts with.

Holiday choices for the default regions (Mon-Fri 08:00-18:00 local everywhere):
- emea: Europe/London, GB holidays for England (subdivision ENG: England and Wales
  bank holidays), because the centre is in London.
- americas: America/New_York, US federal holidays (no state subdivision).
- latam: America/Mexico_City, MX statutory holidays.
- brazil: America/Sao_Paulo, BR national public holidays plus Carnival Monday and
  Tuesday, which the ``holidays`` package files under the "optional" category.
  Only the days named "Carnival" are taken from that category: Ash Wednesday (a
  half day), Corpus Christi, Christmas Eve and New Year's Eve stay working days.
- japan: Asia/Tokyo, JP public holidays (Golden Week's public days included).
- apac: Australia/Sydney, AU holidays for New South Wales (subdivision NSW).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from casedesk.policy.alerts import StaffAlerts
from casedesk.policy.calendars import BusinessCalendar
from casedesk.policy.escalation import EscalationPolicy
from casedesk.policy.followup import FollowUpPolicy
from casedesk.policy.regions import LOCAL_HOURS_ONLY, Region
from casedesk.policy.sla import SlaTable, SlaTargets
from casedesk.policy.voip import DEFAULT_VOIP, VoipPolicy

__all__ = ["DEFAULT_POLICY", "DEFAULT_REGIONS", "SupportPolicy", "SupportRegion"]


@dataclass(frozen=True)
class SupportRegion:
    """A support centre: its calendar, and whether it serves only in local business hours
    in the local language (R: C2: Latin America, Brazil, Japan) or joins follow-the-sun."""

    key: str
    label: str
    calendar: BusinessCalendar
    local_hours_only: bool = False
    language: str = "en"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "calendar": self.calendar.to_dict(),
            "local_hours_only": self.local_hours_only,
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SupportRegion:
        return cls(
            key=data["key"],
            label=data["label"],
            calendar=BusinessCalendar.from_dict(data["calendar"]),
            local_hours_only=data["local_hours_only"],
            language=data["language"],
        )


def _region(region: Region, tz: str, country: str, **options: Any) -> SupportRegion:
    language = options.pop("language", "en")
    calendar = BusinessCalendar.for_region(region.value, tz=tz, country=country, **options)
    return SupportRegion(region.value, region.label, calendar, region in LOCAL_HOURS_ONLY, language)


DEFAULT_REGIONS: tuple[SupportRegion, ...] = (
    _region(Region.EMEA, "Europe/London", "GB", subdivision="ENG"),
    _region(Region.AMERICAS, "America/New_York", "US"),
    _region(Region.LATAM, "America/Mexico_City", "MX", language="es", place="Mexico City"),
    _region(
        Region.BRAZIL,
        "America/Sao_Paulo",
        "BR",
        include_names=("Carnival",),
        language="pt-BR",
        place="São Paulo",
    ),
    _region(Region.JAPAN, "Asia/Tokyo", "JP", language="ja"),
    _region(Region.APAC, "Australia/Sydney", "AU", subdivision="NSW"),
)

DEFAULT_SLA = SlaTable(
    production_down=SlaTargets(
        label="Production Down",
        hold_minutes=5,
        hold_around_the_clock=True,
        root_cause_business_days=7,
        outage_minutes=30,
        fix_calendar_days=7,
    ),
    high=SlaTargets(
        "High", hold_minutes=10, hold_around_the_clock=False, root_cause_business_days=9
    ),
    medium=SlaTargets(
        "Medium", hold_minutes=10, hold_around_the_clock=False, root_cause_business_days=12
    ),
    low=SlaTargets(
        "Low", hold_minutes=10, hold_around_the_clock=False, root_cause_business_days=15
    ),
)


@dataclass(frozen=True)
class SupportPolicy:
    """Every configurable number of the handbook (R: B7, C2-C8) plus the regions (C1)."""

    sla: SlaTable = DEFAULT_SLA
    followup: FollowUpPolicy = field(default_factory=FollowUpPolicy)
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy)
    reopen_window_days: int = 30
    attachment_retention_days: int = 30
    sftp_account_hours: int = 120
    support_around_the_clock: bool = True
    alerts: StaffAlerts = field(default_factory=StaffAlerts)
    regions: tuple[SupportRegion, ...] = DEFAULT_REGIONS
    default_region: str = "emea"
    voip: VoipPolicy = DEFAULT_VOIP  # G2 thresholds and the readiness hold

    def __post_init__(self) -> None:
        keys = [r.key for r in self.regions]
        if len(set(keys)) != len(keys):
            raise ValueError(f"region keys must be unique: {keys}")
        if self.default_region not in keys:
            raise ValueError(f"default region {self.default_region!r} is not one of {keys}")

    def region(self, key: str) -> SupportRegion:
        for region in self.regions:
            if region.key == key:
                return region
        raise KeyError(key)

    def calendar(self, key: str) -> BusinessCalendar:
        return self.region(key).calendar

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; ``SupportPolicy.from_dict(p.to_dict()) == p``."""
        return {
            "sla": self.sla.to_dict(),
            "followup": self.followup.to_dict(),
            "escalation": self.escalation.to_dict(),
            "reopen_window_days": self.reopen_window_days,
            "attachment_retention_days": self.attachment_retention_days,
            "sftp_account_hours": self.sftp_account_hours,
            "support_around_the_clock": self.support_around_the_clock,
            "alerts": self.alerts.to_dict(),
            "regions": [r.to_dict() for r in self.regions],
            "default_region": self.default_region,
            "voip": self.voip.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SupportPolicy:
        return cls(
            sla=SlaTable.from_dict(data["sla"]),
            followup=FollowUpPolicy.from_dict(data["followup"]),
            escalation=EscalationPolicy.from_dict(data["escalation"]),
            reopen_window_days=data["reopen_window_days"],
            attachment_retention_days=data["attachment_retention_days"],
            sftp_account_hours=data["sftp_account_hours"],
            support_around_the_clock=data["support_around_the_clock"],
            # Versions saved before staff alerts existed take the defaults.
            alerts=StaffAlerts.from_dict(data.get("alerts")),
            regions=tuple(SupportRegion.from_dict(r) for r in data["regions"]),
            default_region=data["default_region"],
            # Versions saved before G2 take the handbook's thresholds.
            voip=VoipPolicy.from_dict(data.get("voip")),
        )


DEFAULT_POLICY = SupportPolicy()
