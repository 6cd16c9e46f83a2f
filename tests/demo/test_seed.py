"""The demo seed (``casedesk demo``): realistic, complete, idempotent, built by services."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import authenticate

from casedesk.accounts.models import Certification, Contract, GracePeriod, Role, User
from casedesk.cases.models import Case, CaseEvent, EventKind, Outcome
from casedesk.cases.services import CaseDraft, case_open
from casedesk.catalog.models import Product
from casedesk.core.errors import PolicyViolation
from casedesk.demo.seed import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
from casedesk.policy.priority import Priority
from casedesk.policy.regions import Region
from casedesk.policy.transitions import CloseReason, Status, SubStatus

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def seeded(db, settings):  # type: ignore[no-untyped-def]
    # `casedesk demo` opts out of sender authentication (it has no MTA; issue 15, item 2).
    settings.MAIL_TRUST_UNAUTHENTICATED = True
    assert seed_demo(now=NOW) is True
    return NOW


def _login(role_word: str) -> User:
    email = next(email for role, email in DEMO_LOGINS if role_word in role)
    return User.objects.get(email=email)


def _draft_for(contact: User) -> CaseDraft:
    contract = Contract.objects.filter(organisation=contact.organisation).first()
    assert contract is not None
    product = contract.products.first()
    version = product.versions.first()
    return CaseDraft(
        contract_id=contract.pk,
        product_id=product.pk,
        major_version_id=version.pk,
        subject="IVR prompts cut off",
        description="The last second of every prompt is cut off since this morning.",
    )


def test_seed_builds_a_desk_on_an_empty_database(seeded):
    # R: A1, A7, B1, B10
    assert 45 <= Case.objects.count() <= 60
    assert Contract.objects.values("organisation").distinct().count() >= 3
    assert {"cloud", "premise"} <= set(Contract.objects.values_list("deployment", flat=True))
    regions = set(Contract.objects.values_list("region", flat=True))
    assert {Region.BRAZIL, Region.JAPAN} <= regions
    engineer_regions = set(User.objects.filter(role=Role.ENGINEER).values_list("region", flat=True))
    assert len(engineer_regions) >= 3
    assert User.objects.filter(role=Role.CONTACT, can_see_colleagues=True).exists()
    assert User.objects.filter(role=Role.CONTACT, can_see_colleagues=False).exists()
    assert Certification.objects.count() >= 10
    for role in (Role.CARE, Role.MANAGER):
        staff = User.objects.get(role=role)
        assert staff.is_staff
        assert staff.has_perm("cases.view_case")
    # G5: a third-party product bought elsewhere is on no contract.
    elsewhere = Product.objects.filter(third_party=True, contracts__isnull=True)
    assert elsewhere.exists()
    # Timelines spread over the last two months, none in the future.
    first = Case.objects.order_by("opened_at").first()
    assert NOW - dt.timedelta(days=62) < first.opened_at < NOW - dt.timedelta(days=50)
    assert not CaseEvent.objects.filter(at__gt=NOW).exists()
    assert CaseEvent.objects.filter(kind=EventKind.OPENED).count() == Case.objects.count()
    # Case numbers follow opening order.
    opened = list(Case.objects.order_by("pk").values_list("opened_at", flat=True))
    assert opened == sorted(opened)


def test_seed_is_idempotent(seeded):
    counts = (Case.objects.count(), CaseEvent.objects.count(), User.objects.count())
    assert seed_demo(now=NOW + dt.timedelta(days=1)) is False
    assert (Case.objects.count(), CaseEvent.objects.count(), User.objects.count()) == counts


def test_seed_covers_every_status_sub_status_and_priority(seeded):
    # R: B3, B4
    assert set(Case.objects.values_list("status", flat=True)) == {s.value for s in Status}
    assert set(Case.objects.values_list("sub_status", flat=True)) == {s.value for s in SubStatus}
    assert set(Case.objects.values_list("priority", flat=True)) == {p.value for p in Priority}


def test_seed_shows_the_special_histories(seeded):
    # R: B3, B6, B7, B8, B9
    down = Case.objects.filter(production_down=True)
    assert down.exists()
    assert all(c.priority == Priority.CRITICAL and c.emergency_criterion for c in down)
    assert Case.objects.filter(priority=Priority.CRITICAL, production_down=False).exists()
    by_followup = Case.objects.filter(closed_by_followup=True)
    assert by_followup.filter(close_reason=CloseReason.NO_RESPONSE).exists()
    assert not by_followup.filter(production_down=True).exists()
    assert Case.objects.filter(sub_status=SubStatus.CUSTOMER_REQUESTED_REOPEN).exists()
    follow_on = Case.objects.get(linked_from__isnull=False)
    assert follow_on.opened_at - follow_on.linked_from.closed_at > dt.timedelta(days=30)
    defects = Case.objects.filter(outcome=Outcome.DEFECT)
    assert defects.exists()
    assert all(c.change_request_id for c in defects)
    assert set(Case.objects.exclude(outcome="").values_list("outcome", flat=True)) == set(
        Outcome.values
    )
    assert Case.objects.filter(hot_fix=True).exists()
    assert CaseEvent.objects.filter(kind=EventKind.PRIORITY).count() >= 3
    assert Case.objects.filter(kind="admin").exists()
    assert Case.objects.filter(kind="service_request").exists()


def test_lapsed_contact_cannot_open_but_grace_contact_can(seeded):
    # R: A5
    lapsed = _login("lapsed")
    with pytest.raises(PolicyViolation, match="Accounts Receivable"):
        case_open(contact=lapsed, draft=_draft_for(lapsed), now=NOW)
    grace = _login("grace")
    assert GracePeriod.objects.filter(contract__organisation=grace.organisation).exists()
    case = case_open(contact=grace, draft=_draft_for(grace), now=NOW)
    assert case.status == Status.OPEN


def test_every_demo_login_authenticates(seeded):
    roles = {User.objects.get(email=email).role for _, email in DEMO_LOGINS}
    assert roles == {Role.CONTACT, Role.ENGINEER, Role.CARE, Role.MANAGER}
    assert _login("colleagues").can_see_colleagues
    assert not _login("own cases").can_see_colleagues
    for _, email in DEMO_LOGINS:
        user = authenticate(username=email, password=DEMO_PASSWORD)
        assert user is not None, email
        assert user.email == email


def test_demo_shows_files_dropbox_escalations_mail_and_surveys(seeded):
    # R: D1-D3, D2, C6, E2, E3, F7 — every new screen has something to show
    from casedesk.dropbox.models import DropBoxAccount
    from casedesk.escalations.models import Escalation
    from casedesk.files.models import Attachment
    from casedesk.mail.models import InboundMessage
    from casedesk.notifications.models import SurveyResponse

    attachments = list(Attachment.objects.all())
    assert len(attachments) >= 4
    assert all(len(a.sha256) == 64 and a.size > 0 for a in attachments)
    assert {"browser", "engineer"} <= {a.source for a in attachments}
    assert DropBoxAccount.objects.filter(revoked_at__isnull=True).count() == 1
    assert {"open", "resolved"} <= set(Escalation.objects.values_list("state", flat=True))
    states = list(InboundMessage.objects.values_list("state", flat=True))
    assert {"appended", "needs_care", "ignored"} <= set(states)
    assert SurveyResponse.objects.count() >= 5


def test_the_backlog_chart_has_its_history_on_first_start(seeded, client):
    # R: I1 — every past day since the first seeded case, from the seeded cases' log (each
    # case's status at the day's snapshot instant), not waiting for the first nightly run.
    from django.db.models import Q, Sum
    from django.urls import reverse

    from casedesk.reports.backlog import backlog_report
    from casedesk.reports.models import BacklogSnapshot, BacklogTotal
    from casedesk.reports.services import snapshot_due

    active = {Status.OPEN, Status.AWAITING_INFO, Status.SOLUTION_PROPOSED}
    moves: dict[int, list[CaseEvent]] = {}
    for event in CaseEvent.objects.filter(kind=EventKind.TRANSITION).order_by("at", "id"):
        moves.setdefault(event.case_id, []).append(event)

    def open_at(case: Case, instant: dt.datetime) -> bool:
        if case.opened_at > instant:
            return False
        log = moves.get(case.pk, [])
        before = [e for e in log if e.at <= instant]
        status = (before[-1].data["to"] if before else log[0].data["from"] if log else None) or [
            case.status
        ]
        return status[0] in active

    cases = list(Case.objects.all())
    first = min(c.opened_at for c in cases).date()
    yesterday = NOW.date() - dt.timedelta(days=1)
    expected = {}
    for n in range((yesterday - first).days + 1):
        day = first + dt.timedelta(days=n)
        expected[day] = sum(open_at(c, snapshot_due(day)) for c in cases)
    totals = dict(
        BacklogTotal.objects.values("day").annotate(n=Sum("count")).values_list("day", "n")
    )
    assert totals == {day: n for day, n in expected.items() if n}  # a day with none has no row
    assert len(totals) > 40 and len(set(totals.values())) > 3  # weeks of a changing backlog
    cells = BacklogSnapshot.objects.values("day").annotate(n=Sum("count"))
    assert dict(cells.values_list("day", "n")) == totals  # scoped viewers' trend as well
    report = backlog_report(
        scope=Q(), start=NOW.date() - dt.timedelta(days=89), end=NOW.date(), now=NOW
    )
    assert report.trend == sorted(totals.items())
    client.force_login(_login("manager"))
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("console-report-backlog"), {"format": "csv"})
    recorded = [line for line in b"".join(page.streaming_content).decode().splitlines()
                if line.startswith("Recorded open cases")]  # fmt: skip
    assert recorded == [f"Recorded open cases,{day},{n}" for day, n in report.trend]
    rows = BacklogTotal.objects.count()
    assert seed_demo(now=NOW) is False and BacklogTotal.objects.count() == rows
