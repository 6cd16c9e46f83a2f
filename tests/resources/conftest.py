"""Resources fixtures: a release with a file for each product, a product only Acme's contract
covers, and one licence per organisation."""

from __future__ import annotations

import datetime as dt
import hashlib
from types import SimpleNamespace

import pytest

from casedesk.catalog.models import MajorVersion, Product
from casedesk.resources.models import Download, Licence, Release
from casedesk.resources.services import attach_file


def stored(row, filename, data: bytes, kind="files"):
    attach_file(row, filename, [data[:5], data[5:]], kind)
    row.save()
    return row


@pytest.fixture
def res(world):
    return build_resources(world)


def build_resources(world):
    cat = world.catalogue
    fax = Product.objects.create(name="Fax Server", group=cat["group"])
    fax_version = MajorVersion.objects.create(product=fax, name="2")
    world.acme_contract.products.add(fax)
    dialer = Release.objects.create(
        product=cat["product"],
        major_version=cat["version"],
        name="9.3.0",
        released_on=dt.date(2026, 10, 1),
        notes="Pacing fixes.",
    )
    fax_release = Release.objects.create(
        product=fax, major_version=fax_version, name="2.1", released_on=dt.date(2026, 9, 1)
    )
    dialer_bytes = b"dialer installer bytes"
    fax_bytes = b"fax installer bytes"
    dialer_file = stored(Download(release=dialer), "dialer-9.3.0.tar.gz", dialer_bytes)
    fax_file = stored(Download(release=fax_release), "fax-2.1.zip", fax_bytes)
    today = world.now.date()
    acme_licence = stored(
        Licence(
            contract=world.acme_contract,
            product=cat["product"],
            quantity=50,
            issued_on=today - dt.timedelta(days=300),
            expires_on=today + dt.timedelta(days=20),
        ),
        "acme-dialer.lic",
        b"ACME LICENCE KEY",
        "licences",
    )
    globex_licence = stored(
        Licence(
            contract=world.globex_contract,
            product=cat["product"],
            quantity=10,
            issued_on=today - dt.timedelta(days=30),
            expires_on=today + dt.timedelta(days=335),
        ),
        "globex-dialer.lic",
        b"GLOBEX LICENCE KEY",
        "licences",
    )
    return SimpleNamespace(
        fax=fax,
        fax_version=fax_version,
        dialer_release=dialer,
        dialer_file=dialer_file,
        dialer_bytes=dialer_bytes,
        dialer_sha=hashlib.sha256(dialer_bytes).hexdigest(),
        fax_file=fax_file,
        acme_licence=acme_licence,
        globex_licence=globex_licence,
    )
