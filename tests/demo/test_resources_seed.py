"""The demo's contact page, resource centre and licences (issue 12 item 10)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from casedesk.accounts.models import Organisation, User
from casedesk.demo.seed import seed_demo
from casedesk.files.storage import get_storage
from casedesk.resources import selectors
from casedesk.resources.models import Download, Licence, SupportLine

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)


def test_demo_seeds_resources_licences_and_the_contact_page():
    assert seed_demo(now=NOW)
    page = selectors.contact_page()
    assert {line.region for line in page["lines"]} >= {"emea", "amer", "apac", "japan"}
    assert page["managers"] and page["emergency"]
    download = Download.objects.first()
    with get_storage().open_read(download.storage_key) as stream:
        data = stream.read()
    assert (len(data), hashlib.sha256(data).hexdigest()) == (download.size, download.sha256)
    for org in Organisation.objects.filter(contracts__products__isnull=False).distinct():
        assert Licence.objects.filter(contract__organisation=org).exists(), org.name
    contact = User.objects.get(email="priya.shah@northwind-partners.example")
    rows = selectors.licence_rows(contact, NOW.date())
    assert rows and all(lic.contract.organisation_id == contact.organisation_id for lic, *_ in rows)
    assert any(
        soon
        for *_, soon in selectors.licence_rows(
            User.objects.get(email="claire.dubois@support.vocalis.example"), NOW.date()
        )
    )
    dialer8 = selectors.version_verdict(
        Download.objects.get(release__name="8.4.3").release.major_version_id, NOW.date()
    )
    assert dialer8 is not None and dialer8.warn
    assert seed_demo(now=NOW) is False
    assert SupportLine.objects.count() == len(page["lines"])
