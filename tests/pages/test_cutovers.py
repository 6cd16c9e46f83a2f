"""Cutover notices (G1): filed by contacts for their own sites ahead of the lead time, listed
for engineers by region and date, shown on a case opened during the window."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.accounts.models import Site
from casedesk.cases.services import case_open
from casedesk.core import clock
from casedesk.core.errors import NotFound, PolicyViolation
from casedesk.obligations.models import CutoverNotice
from casedesk.obligations.services import CutoverDraft, cutover_file
from casedesk.policy.cutover import earliest_cutover_date
from casedesk.sla.selectors import calendar_for
from tests import factories

from .helpers import url

pytestmark = pytest.mark.django_db


def _draft(start: dt.datetime, **overrides) -> CutoverDraft:  # type: ignore[no-untyped-def]
    values = dict(
        kind="server_upgrade",
        technician="Tom Tech",
        product_line="Contact Centre",
        installation_date=start.date(),
        cutover_start=start,
        cutover_end=start + dt.timedelta(hours=6),
        site_contact="Sam Site",
        checklist=["wiring", "network_rights"],
        planned_products="CC 9.3",
    )
    values.update(overrides)
    return CutoverDraft(**values)


def _far(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=21)


def _form(site: Site, start: dt.datetime) -> dict[str, object]:
    return {
        "site": site.pk,
        "kind": "new_install",
        "technician": "Tom Tech",
        "product_line": "Contact Centre",
        "installation_date": start.date().isoformat(),
        "cutover_start": start.strftime("%Y-%m-%dT%H:%M"),
        "cutover_end": (start + dt.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
        "site_contact": "Sam Site",
        "checklist": ["wiring", "installation"],
    }


def test_a_contact_files_for_their_own_site_and_sees_only_their_organisations(as_user, world):
    # R: G1, A4
    client = as_user(world.alice)
    start = _far(clock.now())
    response = client.post(url("portal-cutovers"), _form(world.acme_contract.site, start))
    assert response.status_code == 302
    notice = CutoverNotice.objects.get()
    assert notice.organisation == world.acme and notice.filed_by == world.alice
    assert notice.checklist == ["wiring", "installation"] and not notice.late_warning
    # Another organisation's site is not even offered, and a forged post is refused.
    forged = client.post(url("portal-cutovers"), _form(world.globex_contract.site, start))
    assert forged.status_code == 400 and CutoverNotice.objects.count() == 1
    assert world.acme_contract.site.name in client.get(url("portal-cutovers")).content.decode()
    gina_page = as_user(world.gina).get(url("portal-cutovers")).content.decode()
    assert "cutover-list" not in gina_page and world.globex_contract.site.name in gina_page


def test_the_service_refuses_another_organisations_site_as_missing(world, now):
    # R: G1, security rule 3
    with pytest.raises(NotFound):
        cutover_file(
            actor=world.alice, site=world.globex_contract.site, draft=_draft(_far(now)), now=now
        )


def test_a_late_notice_is_refused_with_the_earliest_date_or_warned_by_policy(world, now, settings):
    # R: G1
    site = world.acme_contract.site
    calendar = calendar_for(0, world.acme_contract.region)
    earliest = earliest_cutover_date(now, calendar)
    late = dt.datetime.combine(earliest - dt.timedelta(days=1), dt.time(12), tzinfo=calendar.zone)
    with pytest.raises(PolicyViolation) as refused:
        cutover_file(actor=world.alice, site=site, draft=_draft(late), now=now)
    assert f"{earliest:%d %b %Y}" in refused.value.reason
    settings.CASEDESK_CUTOVER_LEAD_MODE = "warn"
    notice = cutover_file(actor=world.alice, site=site, draft=_draft(late), now=now)
    assert notice.earliest_allowed == earliest and "Accepted late" in notice.late_warning
    on_time = dt.datetime.combine(earliest, dt.time(12), tzinfo=calendar.zone)
    assert not cutover_file(
        actor=world.alice, site=site, draft=_draft(on_time), now=now
    ).late_warning
    with pytest.raises(PolicyViolation):
        cutover_file(
            actor=world.alice,
            site=site,
            draft=_draft(on_time, cutover_end=on_time - dt.timedelta(hours=1)),
            now=now,
        )


def test_engineers_see_upcoming_cutovers_by_region_with_after_hours_marked(as_user, world):
    # R: G1
    now = clock.now()
    saturday = _far(now)
    while saturday.weekday() != 5:
        saturday += dt.timedelta(days=1)
    saturday = saturday.replace(hour=12, minute=0)
    cutover_file(actor=world.gina, site=world.globex_contract.site, draft=_draft(saturday), now=now)
    client = as_user(world.engineer)
    body = client.get(url("console-cutovers"), {"days": "60"}).content.decode()
    assert world.globex_contract.site.name in body and ">Weekend</span>" in body
    other = client.get(
        url("console-cutovers"), {"region": world.acme_contract.region, "days": "60"}
    )
    assert world.globex_contract.site.name not in other.content.decode()
    assert client.get(url("console-cutovers"), {"region": "x", "days": "-1"}).status_code == 200


def test_a_case_opened_during_the_window_shows_the_notice(as_user, world, now):
    # R: G1
    start = _far(now)
    cutover_file(actor=world.alice, site=world.acme_contract.site, draft=_draft(start), now=now)
    during = case_open(
        contact=world.alice,
        draft=factories.draft(world.acme_contract, world.catalogue, subject="Dead after cutover"),
        now=start + dt.timedelta(hours=1),
    )
    client = as_user(world.engineer)
    body = client.get(url("console-case-detail", during.number)).content.decode()
    assert "Opened during a cutover" in body and "Tom Tech" in body and "✓ Wiring" in body
    before = client.get(url("console-case-detail", world.alice_case.number)).content.decode()
    assert "Opened during a cutover" not in before
