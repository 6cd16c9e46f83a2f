"""The contact page, resource centre, licences and feedback in the portal and console
(F1, F2, F5, F7; T48)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
import time_machine
from django.test import Client

from casedesk.accounts.models import AuditEvent
from casedesk.cases.models import Case
from casedesk.resources.models import (
    EmergencyInstruction,
    Feedback,
    RegionalContact,
    SupportLine,
    VersionLifecycle,
)
from tests.pages.helpers import open_form_data

pytestmark = pytest.mark.django_db


def _login(user):
    client = Client()
    client.force_login(user)
    return client


def test_contact_page_and_the_open_case_banner_show_cares_data(world):
    SupportLine.objects.create(
        region="emea", centre="Lisbon centre", phone="+351 21 000 0000", hours="Mon–Fri 8–18"
    )
    RegionalContact.objects.create(
        region="emea", name="Maria Reis", title="EMEA support manager", email="m@support.example"
    )
    EmergencyInstruction.objects.create(position=1, text="Call <the> centre & quote your PIN")
    alice = _login(world.alice)
    page = alice.get("/contact/")
    assert page.status_code == 200
    for text in (b"Lisbon centre", b"+351 21 000 0000", b"Mon\xe2\x80\x93Fri 8\xe2\x80\x9318"):
        assert text in page.content
    assert b"Maria Reis" in page.content and b"m@support.example" in page.content
    # Care's text is escaped, never markup.
    assert b"Call &lt;the&gt; centre &amp; quote your PIN" in page.content
    form = alice.get("/cases/new/")
    assert b"Call &lt;the&gt; centre &amp; quote your PIN" in form.content
    assert b'href="/contact/"' in form.content


def test_resource_centre_lists_only_covered_products(world, res):
    acme = _login(world.alice).get("/resources/")
    globex = _login(world.gina).get("/resources/")
    assert b"Fax Server" in acme.content
    assert b"Fax Server" not in globex.content and b"Dialer" in globex.content
    page = _login(world.alice).get(f"/resources/{world.catalogue['product'].pk}/")
    assert b"9.3.0" in page.content and b"Pacing fixes." in page.content
    assert res.dialer_sha.encode() in page.content
    assert _login(world.gina).get(f"/resources/{res.fax.pk}/").status_code == 404


def test_download_serves_the_bytes_with_size_and_digest(world, res):
    response = _login(world.gina).get(f"/resources/downloads/{res.dialer_file.pk}/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == res.dialer_bytes
    assert res.dialer_file.size == len(res.dialer_bytes)
    assert res.dialer_file.sha256 == res.dialer_sha
    assert response["Content-Length"] == str(len(body))
    assert response["Content-Disposition"].startswith('attachment; filename="dialer-9.3.0.tar.gz"')
    assert response["X-Content-Type-Options"] == "nosniff"
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"


def test_a_contract_without_products_covers_every_product(world, res):
    world.globex_contract.products.clear()
    assert _login(world.gina).get(f"/resources/downloads/{res.fax_file.pk}/").status_code == 200


def test_licences_own_organisation_only_expiry_flagged_and_downloads_audited(world, res):
    with time_machine.travel(world.now, tick=False):
        page = _login(world.alice).get("/licences/")
    assert b"acme-dialer.lic" in page.content and b"globex-dialer.lic" not in page.content
    assert b"expires soon" in page.content
    with time_machine.travel(world.now, tick=False):
        globex_page = _login(world.gina).get("/licences/")
    assert b"globex-dialer.lic" in globex_page.content
    assert b"expires soon" not in globex_page.content
    response = _login(world.alice).get(f"/licences/{res.acme_licence.pk}/download/")
    assert b"".join(response.streaming_content) == b"ACME LICENCE KEY"
    event = AuditEvent.objects.get(action="licence.download")
    assert event.actor == world.alice and event.data["licence"] == res.acme_licence.pk
    other = _login(world.alice).get(f"/licences/{res.globex_licence.pk}/download/")
    assert other.status_code == 404
    assert AuditEvent.objects.filter(action="licence.download").count() == 1


def test_opening_warns_past_end_of_support_and_refuses_past_end_of_life(world):
    version = world.catalogue["version"]
    lifecycle = VersionLifecycle.objects.create(
        major_version=version,
        end_of_support=dt.date(2026, 6, 30),
        end_of_life=dt.date(2027, 6, 30),
    )
    alice = _login(world.alice)
    with time_machine.travel(world.now, tick=False):
        opened = alice.post("/cases/new/", open_form_data(world), follow=True)
    assert opened.status_code == 200
    assert b"passed end of support on 30 Jun 2026" in opened.content
    before = Case.objects.count()
    lifecycle.end_of_life = dt.date(2026, 7, 31)
    lifecycle.save()
    with time_machine.travel(world.now, tick=False):
        refused = alice.post("/cases/new/", open_form_data(world))
    assert refused.status_code == 422  # refused by the opening service (T48), on the form
    assert b"reached end of life on 31 Jul 2026" in refused.content
    assert Case.objects.count() == before
    # Admin cases (licences, access) are not about the product's behaviour: still allowed.
    admin = open_form_data(world, kind="admin", admin_category="licence", sub_type=None)
    with time_machine.travel(world.now, tick=False):
        assert alice.post("/cases/new/", admin).status_code == 302


def test_feedback_reaches_care_who_mark_it_handled(world):
    alice = _login(world.alice)
    assert alice.post("/feedback/", {"topic": "portal", "body": ""}).status_code == 400
    assert alice.post("/feedback/", {"topic": "nope", "body": "x"}).status_code == 400
    sent = alice.post("/feedback/", {"topic": "portal", "body": "<script>x</script> nice"})
    assert sent.status_code == 302
    feedback = Feedback.objects.get()
    care = _login(world.care)
    page = care.get("/console/feedback/")
    assert b"&lt;script&gt;x&lt;/script&gt; nice" in page.content
    assert care.post(f"/console/feedback/{feedback.pk}/handle/").status_code == 302
    feedback.refresh_from_db()
    assert feedback.handled_by == world.care
    assert b"nice" not in care.get("/console/feedback/").content
    assert b"nice" in care.get("/console/feedback/?view=handled").content
    assert care.post("/console/feedback/999999/handle/").status_code == 404
    for who in (world.engineer, world.alice):
        client = _login(who)
        assert client.get("/console/feedback/").status_code == 404
        assert client.post(f"/console/feedback/{feedback.pk}/handle/").status_code == 404
    assert Feedback.objects.filter(handled_by=world.care).count() == 1
