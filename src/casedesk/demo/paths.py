"""The lives an ordinary demo case can lead, from "still in the queue" to "re-opened by phone".

Each path is a short script of :class:`~casedesk.demo.stories.Story` steps; texts not
given by the scenario come from the generic pools below (picked with the seed's random
generator, so the demo is the same on every run).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from casedesk.policy.transitions import CloseReason, SubStatus

from .stories import Scenario, Story

# --- generic texts -------------------------------------------------------------------

ACKS = (
    "Thanks for the detailed report. I have taken the case and I am going through the logs "
    "and the configuration export now.",
    "Case taken. I am checking this against the known issues for your patch level and will "
    "update you before the end of my shift.",
    "Hello, I am looking after this case. First finding: nothing in the release notes "
    "matches exactly, so I am setting up a lab system on the same build.",
)
INVESTIGATING = (
    "Reproducing on a lab system with the same patch level.",
    "Reviewing the traces and the configuration export.",
    "Comparing with two similar cases from other sites.",
)
QUESTIONS = (
    "Please collect diagnostics from the affected server (Administration > Diagnostics > "
    "Collect, last 24 hours) and attach the bundle, with the time of one failing call.",
    "Could you capture a SIP trace on the gateway during a failing call and attach it, "
    "together with the calling and called numbers and the exact time?",
    "Please attach the exported configuration and confirm the patch level shown under "
    "Help > About on each server; the logs suggest the nodes are not on the same build.",
)
ANSWERS = (
    "Diagnostics bundle attached. The last failure was at 10:42 local time, agent 4417.",
    "Trace attached (gateway 2, 09:15–09:20). Calling number 0113 496 0555, called 0800 "
    "series. Happy to run another capture if needed.",
    "Configuration export attached. You are right: node B was still on the previous patch; "
    "it was missed during the last maintenance window.",
)
SOLUTIONS = (
    "The behaviour comes from the retry timer being shorter than the carrier's release "
    "timer. Set 'Retry interval' to 8 s under Trunk > Advanced and restart the service in "
    "your next window; details and screenshots are in the attached note.",
    "This is a known issue fixed in the latest patch for your version. Download it from the "
    "resource centre; the release notes list the fix under 'Call control'.",
    "The setting you are looking for is per tenant, not global: Tenant > Features > "
    "Routing. The documentation page is linked in the resource centre.",
)
FIXES = (
    "This is a known defect, fixed in the latest patch for your version. It is published in "
    "the resource centre; the release notes list the fix under 'Call control'.",
    "Engineering built a hot fix for your patch level; it is attached to this case with the "
    "installation steps. The fix will be part of the next service update.",
)
THANKS = (
    "Applied in last night's window and it has been clean all morning. Thank you, please close.",
    "Confirmed working on all nodes. Thanks for the quick help.",
    "Works as described. We have updated our internal runbook as well. Closing.",
)


def _pick(rng: random.Random, specific: str, pool: tuple[str, ...]) -> str:
    return specific or rng.choice(pool)


PathFn = Callable[[Story, Scenario], None]


def _investigate(s: Story, sc: Scenario) -> Story:
    return (
        s.assign()
        .reply(_pick(s.rng, "", ACKS))
        .work(SubStatus.INVESTIGATION, s.rng.choice(INVESTIGATING))
    )


def _ask_and_answer(s: Story, sc: Scenario) -> Story:
    s.request_info(_pick(s.rng, sc.question, QUESTIONS))
    return s.customer(_pick(s.rng, sc.answer, ANSWERS), hours=18)


def _set_outcome(s: Story, sc: Scenario, default: str = "configuration") -> Story:
    outcome, cr_id, cr_status = (*(sc.outcome or (default,)), "", "")[:3]
    if outcome == "defect" and not cr_id:
        cr_id = f"CR-{s.rng.randint(48000, 49999)}"
    return s.outcome(
        outcome,
        "Outcome recorded for the monthly report.",
        change_request_id=cr_id,
        change_request_status=cr_status,
    )


def path_new(s: Story, sc: Scenario) -> None:
    """Still in the regional queue: nobody has picked it up yet."""


def path_acknowledged(s: Story, sc: Scenario) -> None:
    s.assign().reply(_pick(s.rng, "", ACKS))


def path_investigation(s: Story, sc: Scenario) -> None:
    _investigate(s, sc).note("Lab reproduction in progress; no match in the known-issues list yet.")


def path_customer_responded(s: Story, sc: Scenario) -> None:
    _ask_and_answer(_investigate(s, sc), sc)


def path_engineering(s: Story, sc: Scenario) -> None:
    _ask_and_answer(_investigate(s, sc), sc).all_info(hours=3)
    s.work(
        SubStatus.ENGINEERING_REQUEST,
        f"Reproduced in the lab; raised to engineering as ENG-{s.rng.randint(20000, 29999)}.",
        hours=20,
    )
    s.reply(
        "We reproduced it and engineering is now analysing the root cause. I will keep you "
        "posted at least every two business days."
    )


def path_third_party(s: Story, sc: Scenario) -> None:
    _investigate(s, sc).reply(
        "The traces show the carrier sending 503 Service Unavailable before our gateway "
        "answers. I have opened a ticket with the carrier through our interop programme."
    )
    s.work(SubStatus.THIRD_PARTY_PENDING, "Waiting on the carrier's ticket.", hours=2)


def path_info_required(s: Story, sc: Scenario) -> None:
    _investigate(s, sc).request_info(_pick(s.rng, sc.question, QUESTIONS))


def path_fixed(s: Story, sc: Scenario) -> None:
    _investigate(s, sc).all_info(hours=8)
    _set_outcome(s, sc, "fix").propose(
        SubStatus.FIXED_SOFTWARE_PROVIDED, _pick(s.rng, sc.solution, FIXES), hours=30
    )


def path_replied(s: Story, sc: Scenario) -> None:
    s.assign()
    _set_outcome(s, sc, "education").propose(
        SubStatus.REPLIED, _pick(s.rng, sc.solution, SOLUTIONS), hours=5
    )


def path_resolved(s: Story, sc: Scenario) -> None:
    _investigate(s, sc)
    if s.rng.random() < 0.5:
        _ask_and_answer(s, sc)
    _set_outcome(s, sc).propose(SubStatus.REPLIED, _pick(s.rng, sc.solution, SOLUTIONS), hours=20)
    s.close(
        SubStatus.RESOLVED,
        CloseReason.SOLUTION_ACCEPTED,
        s.rng.choice(THANKS),
        hours=30,
        by_contact=True,
    )


def path_resolved_by_support(s: Story, sc: Scenario) -> None:
    """Solution confirmed by the customer, then closed by the engineer."""
    _investigate(s, sc)
    fix = (sc.outcome or ("fix",))[0] == "fix"
    _set_outcome(s, sc, "fix")
    if fix:
        s.propose(SubStatus.FIXED_SOFTWARE_PROVIDED, _pick(s.rng, sc.solution, FIXES), hours=26)
        s.customer("Patch installed on both nodes, the problem is gone.", hours=40)
    else:
        s.propose(SubStatus.REPLIED, _pick(s.rng, sc.solution, SOLUTIONS), hours=26)
        s.customer("Tested this morning with a few calls: it works as expected.", hours=40)
    s.close(
        SubStatus.RESOLVED,
        CloseReason.SOLUTION_ACCEPTED,
        "Customer confirmed the solution; closing.",
        hours=3,
    )


def path_cancelled(s: Story, sc: Scenario) -> None:
    s.assign().reply(_pick(s.rng, "", ACKS))
    s.close(
        SubStatus.CANCELLED,
        CloseReason.CUSTOMER_REQUEST,
        "Our network team found a misconfigured VLAN on their side; nothing for you to do. "
        "Cancelling, thanks.",
        hours=20,
        by_contact=True,
    )


def path_future_fix(s: Story, sc: Scenario) -> None:
    _ask_and_answer(_investigate(s, sc), sc).all_info(hours=2)
    _set_outcome(s, sc, "defect").reply(
        "Engineering confirmed a defect and scheduled the fix for the next service update; "
        "the workaround in my previous update avoids it until then.",
        hours=40,
    )
    s.close(
        SubStatus.LOGGED_FOR_FUTURE_FIX,
        CloseReason.FUTURE_FIX,
        "Defect logged for a future service update; workaround in place.",
        hours=20,
    )


def path_redirected(s: Story, sc: Scenario) -> None:
    s.assign().reply(
        _pick(
            s.rng,
            sc.solution,
            (
                "This concerns a customisation built for the site, which "
                "technical support does not cover (G6). I have passed the "
                "details to Professional Services, who will contact you.",
            ),
        ),
        hours=3,
    )
    s.close(
        SubStatus.REDIRECTED,
        CloseReason.REDIRECTED,
        "Redirected to Professional Services.",
        hours=2,
    )


def path_followup_closed(s: Story, sc: Scenario) -> None:
    _investigate(s, sc).propose(SubStatus.REPLIED, _pick(s.rng, sc.solution, SOLUTIONS), hours=20)
    s.close_after_followups()


def path_reopen_requested(s: Story, sc: Scenario) -> None:
    path_resolved(s, sc)
    s.reopen(
        "It happened again this morning after the nightly restart: same symptom, logs of "
        "07:55 attached. The setting is still in place, so the fix does not cover this case.",
        hours=6 * 24,
        by_contact=True,
    )


def path_reopened_by_phone(s: Story, sc: Scenario) -> None:
    _investigate(s, sc).request_info(_pick(s.rng, sc.question, QUESTIONS), hours=4)
    s.close_after_followups()
    s.reopen(
        "Contact called: they were on leave during the follow-ups. The problem is still "
        "there; new logs promised by e-mail today.",
        hours=8 * 24,
        by_contact=False,
    )


PATHS: dict[str, PathFn] = {
    "new": path_new,
    "acknowledged": path_acknowledged,
    "investigation": path_investigation,
    "customer_responded": path_customer_responded,
    "engineering": path_engineering,
    "third_party": path_third_party,
    "info_required": path_info_required,
    "fixed": path_fixed,
    "replied": path_replied,
    "resolved": path_resolved,
    "resolved_by_support": path_resolved_by_support,
    "cancelled": path_cancelled,
    "future_fix": path_future_fix,
    "redirected": path_redirected,
    "followup_closed": path_followup_closed,
    "reopen_requested": path_reopen_requested,
    "reopened_by_phone": path_reopened_by_phone,
}
