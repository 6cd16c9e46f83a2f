"""Case histories that show one rule each: Production Down, priority changes (B3, B8),
admin cases handled by Customer Care (B1, A3), and a follow-on case (B7)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from casedesk.accounts.services import contact_set_colleague_visibility
from casedesk.cases.models import AdminCategory, Channel, Kind
from casedesk.policy.priority import EmergencyCriterion, Priority
from casedesk.policy.transitions import CloseReason, SubStatus

from .reference import Desk
from .stories import Scenario, Story, open_story

Special = Callable[[Desk, dt.datetime, dt.datetime, random.Random, int], Story]


def production_down_now(
    desk: Desk, opened: dt.datetime, now: dt.datetime, rng: random.Random, index: int
) -> Story:
    """B3: a Critical case with the Production Down flag, taken by phone a few hours ago."""
    sc = Scenario(
        "tom",
        "nw_harbour",
        "sipgw",
        "10.1.2",
        "All inbound calls failing — primary SIP gateway down",
        "Since 08:10 no inbound call reaches the Leeds contact centre; callers hear a fast "
        "busy tone. Gateway A shows no heartbeat and the standby did not take over.",
        "",
        0,
        priority=Priority.CRITICAL,
        production_down=True,
        emergency_criterion=EmergencyCriterion.SERVER_DOWN,
        channel=Channel.PHONE,
        business_impact="The whole site (180 agents) receives no calls; bank card-blocking "
        "line unreachable.",
        frequency="always",
        scope="Every inbound call on both trunk groups.",
        recent_changes="Data-centre network maintenance last night (core switch firmware).",
        load_at_time="Monday morning peak, about 1,400 calls per hour expected.",
    )
    s = open_story(desk, sc, opened=opened, now=now, rng=rng, index=index, engineer="elena")
    s.assign(0.05).all_info(0.1)
    s.work(SubStatus.INVESTIGATION, "On the phone with the customer; remote session open.", 0.1)
    s.note(
        "Gateway A: kernel panic at 08:09 after the switch firmware change. Heartbeat "
        "VLAN missing on the new switch config, so B never saw A fail.",
        0.3,
    )
    s.reply(
        "Update 08:55: we forced the switchover to gateway B and inbound calls are flowing "
        "again. We are keeping the case Production Down until A is back and the pair "
        "is redundant; next update within 30 minutes.",
        0.4,
    )
    return s


def production_down_resolved(
    desk: Desk, opened: dt.datetime, now: dt.datetime, rng: random.Random, index: int
) -> Story:
    """B3, B9: Production Down fixed with an engineering special (hot fix)."""
    sc = Scenario(
        "beatriz",
        "sn_varejo",
        "dialer",
        "9.1.0",
        "Outbound call centre cannot dial out — all campaigns stopped",
        "Nenhuma campanha disca desde 09:30: the dialer shows every trunk as busy although "
        "the carrier sees no call attempts. Restarting the dialer did not help.",
        "",
        0,
        priority=Priority.CRITICAL,
        production_down=True,
        emergency_criterion=EmergencyCriterion.CORE_MISSION,
        channel=Channel.PHONE,
        business_impact="Televendas site (250 agents) cannot make any sales call.",
        frequency="always",
        recent_changes="Daylight-saving rule update pushed last night.",
    )
    s = open_story(desk, sc, opened=opened, now=now, rng=rng, index=index, engineer="lucas")
    s.assign(0.05).all_info(0.15)
    s.work(SubStatus.INVESTIGATION, "Bridge open with the customer.", 0.1)
    s.work(
        SubStatus.ENGINEERING_REQUEST,
        "Trunk-state cache never expires after the time-zone rule update; engineering "
        "preparing an engineering special.",
        0.8,
    )
    s.outcome("fix", "Engineering special 9.1.0-ES1 built for this case.", 1.5, hot_fix=True)
    s.propose(
        SubStatus.FIXED_SOFTWARE_PROVIDED,
        "Engineering special 9.1.0-ES1 installed remotely at 12:40; campaigns are "
        "dialling again. The fix is included in 9.1.1.",
        0.5,
    )
    s.customer("All campaigns dialled normally for the rest of the day. Obrigada!", 20)
    s.close(
        SubStatus.RESOLVED,
        CloseReason.SOLUTION_ACCEPTED,
        "Confirmed stable for 24 hours. Thank you for the fast response.",
        3,
        by_contact=True,
    )
    return s


def raised_to_production_down(
    desk: Desk, opened: dt.datetime, now: dt.datetime, rng: random.Random, index: int
) -> Story:
    """B8: opened High on the web, raised to Critical / Production Down after a phone call."""
    sc = Scenario(
        "camila",
        "ac_pacifico",
        "ivr",
        "6.3.1",
        "IVR no enruta llamadas a reservas tras la actualización del tenant",
        "After last night's cloud tenant update the reservations IVR plays the welcome prompt "
        "and then disconnects every call.",
        "",
        0,
        priority=Priority.HIGH,
        frequency="always",
        business_impact="IVR-only reservations line: no bookings by phone.",
    )
    s = open_story(desk, sc, opened=opened, now=now, rng=rng, index=index)
    s.assign(0.3).reply(
        "Looking at the tenant logs now. If all calls are affected please also "
        "call the support line so we can treat this as Production Down.",
        0.2,
    )
    s.priority(
        Priority.CRITICAL,
        "Camila called: the IVR-only reservations site cannot route any call. Agreed "
        "Production Down (site cannot perform its core mission).",
        0.6,
        production_down=True,
        emergency_criterion=EmergencyCriterion.CORE_MISSION,
    )
    s.all_info(0.1).work(SubStatus.INVESTIGATION, "Reproduced on the tenant's staging copy.", 0.3)
    s.work(
        SubStatus.ENGINEERING_REQUEST,
        "Cloud operations rolling back the routing service on this tenant.",
        0.5,
    )
    return s


def critical_without_flag(
    desk: Desk, opened: dt.datetime, now: dt.datetime, rng: random.Random, index: int
) -> Story:
    """B3: Critical without Production Down uses the High targets."""
    sc = Scenario(
        "rafael",
        "sn_horizonte",
        "acd",
        "7.4.0",
        "Reporting server down — no real-time statistics for supervisors",
        "The reporting server does not start after a power failure; calls are routed "
        "normally but supervisors have no real-time view and no intraday reports.",
        "",
        0,
        priority=Priority.CRITICAL,
        frequency="always",
        business_impact="Supervisors of 400 agents cannot manage queues in real time.",
    )
    s = open_story(desk, sc, opened=opened, now=now, rng=rng, index=index)
    s.assign(0.4).work(
        SubStatus.INVESTIGATION, "Database of the reporting server failed its consistency check.", 1
    )
    s.note("Not Production Down: call handling unaffected. Restoring from last night's backup.")
    return s


def contact_raised_to_medium(
    desk: Desk, opened: dt.datetime, now: dt.datetime, rng: random.Random, index: int
) -> Story:
    """B8: the contact raises Low → Medium with a work note."""
    sc = Scenario(
        "tom",
        "nw_harbour",
        "voicemail",
        "4.3.0",
        "Voicemail PIN reset e-mails arrive hours late",
        "PIN reset e-mails from voicemail take 3–6 hours to arrive. Other system e-mail is "
        "immediate.",
        "",
        0,
        frequency="always",
    )
    s = open_story(desk, sc, opened=opened, now=now, rng=rng, index=index)
    s.assign(2).reply("Checking the voicemail mail queue and SMTP relay settings.", 1)
    s.priority(
        Priority.MEDIUM,
        "Now affecting new starters: 25 people this week cannot set up voicemail on "
        "their first day.",
        20,
        by=s.contact,
    )
    s.work(SubStatus.INVESTIGATION, "Mail queue shows deferrals from the relay.", 3)
    s.request_info(
        "Your relay defers our messages with '451 greylisted'. Please ask your mail "
        "team to allow-list the voicemail server (10.20.4.15) and confirm.",
        2,
    )
    return s


def support_raised_to_high(
    desk: Desk, opened: dt.datetime, now: dt.datetime, rng: random.Random, index: int
) -> Story:
    """B8: support raises Medium → High after a phone call; not an escalation."""
    sc = Scenario(
        "aisha",
        "nw_harbour",
        "dialer",
        "9.2.1",
        "Answering-machine detection hangs up on live customers",
        "Since Friday a share of answered calls are classified as answering machines and "
        "dropped; customers call back to complain about silent calls.",
        "",
        0,
        priority=Priority.MEDIUM,
        frequency="sometimes",
        business_impact="Silent-call complaints; Ofcom limits on abandoned calls.",
    )
    s = open_story(desk, sc, opened=opened, now=now, rng=rng, index=index)
    s.assign(1).work(SubStatus.INVESTIGATION, "Reviewing AMD statistics per trunk.", 2)
    s.priority(
        Priority.HIGH,
        "Phone call with Aisha: two formal complaints received, regulator exposure. "
        "Usability severely impacted — raised to High.",
        10,
    )
    s.note(
        "AMD false positives only on trunk group 3, which the carrier moved to a new "
        "codec profile on Friday.",
        3,
    )
    return s


def visibility_admin_case(
    desk: Desk, opened: dt.datetime, now: dt.datetime, rng: random.Random, index: int
) -> Story:
    """B1, A3: an admin case after which Customer Care grants colleague visibility."""
    sc = Scenario(
        "aisha",
        "nw_harbour",
        "",
        "",
        "Please give me access to my colleagues' cases",
        "I am now team lead for the IVR team and need to follow the cases my colleagues open "
        "for Harbour Bank and Cityline. Priya Shah can confirm.",
        "",
        0,
        kind=Kind.ADMIN,
        admin_category=AdminCategory.ACCESS_LEVEL,
    )
    s = open_story(desk, sc, opened=opened, now=now, rng=rng, index=index, engineer="claire")
    s.assign(3).reply(
        "Thanks Aisha. I have asked Priya Shah, your portal administrator, to confirm by e-mail.",
        0.5,
    )
    s.customer("Priya has replied to your e-mail to confirm.", 20)
    when = s.tick(2)
    contact_set_colleague_visibility(
        actor=desk.people["claire"],
        contact=s.contact,
        allowed=True,
        reason=f"Admin case {s.case.number}: team lead, confirmed by Priya Shah.",
        now=when,
    )
    s.close(
        SubStatus.RESOLVED,
        CloseReason.SOLUTION_ACCEPTED,
        "Colleague visibility granted: 'All open cases' and 'All closed cases' are now in "
        "your menu.",
        0.2,
    )
    return s


def new_contact_admin_case(
    desk: Desk, opened: dt.datetime, now: dt.datetime, rng: random.Random, index: int
) -> Story:
    """B1, E3: an e-mail turned into an admin case by care, waiting in the queue."""
    sc = Scenario(
        "diego",
        "ac_pacifico",
        "",
        "",
        "Add a new contact: Ana Vidal (supervisor, reservations)",
        "Please register Ana Vidal, ana.vidal@andescontact.example, as a contact for the "
        "Aerolínea del Pacífico contract. She completed the ACD administrator course.",
        "",
        0,
        kind=Kind.ADMIN,
        admin_category=AdminCategory.CONTACT_CHANGE,
        channel=Channel.EMAIL,
    )
    return open_story(desk, sc, opened=opened, now=now, rng=rng, index=index, engineer="claire")


def old_voicemail_case(
    desk: Desk, opened: dt.datetime, now: dt.datetime, rng: random.Random, index: int
) -> Story:
    """B7: the first half of a follow-on pair; closed long ago."""
    sc = Scenario(
        "kenji",
        "sk_tokai",
        "voicemail",
        "4.2.5",
        "Orphaned voicemail files fill the message store",
        "The message store grows by 2 GB a day; deleted messages leave their audio files behind.",
        "",
        0,
        priority=Priority.MEDIUM,
        frequency="always",
    )
    s = open_story(desk, sc, opened=opened, now=now, rng=rng, index=index)
    s.assign(1).work(SubStatus.INVESTIGATION, "Comparing the index with the store.", 2)
    s.outcome("workaround", "Nightly clean-up script provided.", 20)
    s.propose(
        SubStatus.REPLIED,
        "Known issue in 4.2.5. The attached clean-up script removes "
        "orphaned files safely; schedule it nightly until you upgrade to 4.3.",
        0.5,
    )
    s.close(
        SubStatus.RESOLVED,
        CloseReason.SOLUTION_ACCEPTED,
        "Script scheduled; the store is stable. Thank you.",
        30,
        by_contact=True,
    )
    desk.cases["old_voicemail"] = s.case
    return s


def follow_on_voicemail_case(
    desk: Desk, opened: dt.datetime, now: dt.datetime, rng: random.Random, index: int
) -> Story:
    """B7: past the 30-day window, a new case linked to the old one."""
    sc = Scenario(
        "kenji",
        "sk_tokai",
        "voicemail",
        "4.3.0",
        "Orphaned voicemail files again after upgrading to 4.3.0",
        "Follow-up of our earlier case: after upgrading to 4.3.0 we removed the clean-up "
        "script, and orphaned files are accumulating again (1.5 GB a day).",
        "",
        0,
        priority=Priority.MEDIUM,
        frequency="always",
        recent_changes="Voicemail 4.2.5 → 4.3.0 two weeks ago.",
    )
    s = open_story(
        desk,
        sc,
        opened=opened,
        now=now,
        rng=rng,
        index=index,
        follow_on_of=desk.cases["old_voicemail"],
    )
    s.assign(1).work(
        SubStatus.INVESTIGATION, "Checking whether the 4.3 fix covers shared mailboxes.", 2
    )
    s.all_info(6).outcome("fix", "Fix for shared mailboxes built.", 20)
    s.propose(
        SubStatus.FIXED_SOFTWARE_PROVIDED,
        "The 4.3.0 fix missed shared mailboxes. Patch 4.3.1 (attached) covers them; "
        "the old script is safe to run once to clean up what accumulated.",
        2,
    )
    return s


# (days ago opened, story); the seed opens every case in time order.
SPECIALS: tuple[tuple[float, Special], ...] = (
    (0.12, production_down_now),
    (24, production_down_resolved),
    (0.6, raised_to_production_down),
    (1, critical_without_flag),
    (5, contact_raised_to_medium),
    (6, support_raised_to_high),
    (25, visibility_admin_case),
    (0.3, new_contact_admin_case),
    (59, old_voicemail_case),
    (4, follow_on_voicemail_case),
)
