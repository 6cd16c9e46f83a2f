"""The demo's contact page, resource centre and licences (issue 12 item 10; F1, F2, F5).

Support lines for every region the desk serves with C9's hours, a manager per region, the
Production Down steps; per product releases with notes, a download and documents; lifecycle
dates (Outbound Dialer 8 past end of support, Fax Server 2 past end of life, so T48's warning
and refusal can be tried); licences per contract, the first one expiring within the notice
period. Files are stored through the same service care's uploads use. Idempotent: a
database that already has support lines is left alone.
"""

from __future__ import annotations

import datetime as dt

from casedesk.resources.models import (
    Document,
    DocumentKind,
    Download,
    EmergencyInstruction,
    Licence,
    RegionalContact,
    Release,
    SupportLine,
    VersionLifecycle,
)
from casedesk.resources.services import attach_file

from .reference import Desk

LINES = [
    ("emea", "Lisbon support centre", "+351 21 555 0100", "Mon–Fri 08:00–18:00 WET", "en, pt, es"),
    ("emea", "Munich support centre", "+49 89 555 0100", "Mon–Fri 08:00–18:00 CET", "en, de, fr"),
    ("amer", "Austin support centre", "+1 512 555 0100", "Mon–Fri 08:00–18:00 CT", "en, es"),
    ("latam", "São Paulo support centre", "+55 11 5555 0100", "Mon–Fri 08:00–18:00 BRT", "pt, es"),
    ("apac", "Singapore support centre", "+65 6555 0100", "Mon–Fri 09:00–18:00 SGT", "en"),
    ("japan", "Tokyo support centre", "+81 3 5555 0100", "平日 09:00–18:00 JST", "ja, en"),
    ("emea", "Production Down line (all regions)", "+44 20 7555 0199", "24 × 7", "en"),
]

MANAGERS = [
    ("emea", "Sofia Almeida", "Support manager, EMEA", "sofia.almeida@support.vocalis.example"),
    ("amer", "James Carter", "Support manager, Americas", "james.carter@support.vocalis.example"),
    ("latam", "Lucas Pereira", "Support manager, LATAM", "lucas.pereira@support.vocalis.example"),
    ("apac", "Mei Tan", "Support manager, APAC", "mei.tan@support.vocalis.example"),
    ("japan", "Kenji Mori", "Support manager, Japan", "kenji.mori@support.vocalis.example"),
]

EMERGENCY = [
    "Open the case online as Critical with Production Down and choose the emergency criterion.",
    "Then call the Production Down line (+44 20 7555 0199, 24 × 7) and quote the case number "
    "and your support PIN.",
    "Keep someone who can reach the affected system on the line until service is restored.",
]

DOCS = {
    DocumentKind.DOCUMENTATION: "Administrator guide",
    DocumentKind.PREREQUISITES: "Hardware and software prerequisites",
    DocumentKind.CONFIGURATIONS: "Supported operating systems and databases",
    DocumentKind.INSTALLATION: "Installation and upgrade guide",
}


def seed_resources(desk: Desk, *, today: dt.date) -> None:
    if SupportLine.objects.exists():
        return
    for position, (region, centre, phone, hours, languages) in enumerate(LINES):
        SupportLine.objects.create(
            region=region,
            centre=centre,
            phone=phone,
            hours=hours,
            languages=languages,
            position=position,
        )
    for region, name, title, email in MANAGERS:
        RegionalContact.objects.create(region=region, name=name, title=title, email=email)
    for position, text in enumerate(EMERGENCY, start=1):
        EmergencyInstruction.objects.create(position=position, text=text)
    _catalogue(desk, today)
    _licences(desk, today)


def _catalogue(desk: Desk, today: dt.date) -> None:
    for (key, _name), version in desk.versions.items():
        product = desk.products[key]
        patches = [
            p
            for (k, name), p in desk.patches.items()
            if k == key and p.major_version_id == version.pk
        ]
        for age, patch in enumerate(reversed(patches)):
            release = Release.objects.create(
                product=product,
                major_version=version,
                name=patch.name,
                released_on=today - dt.timedelta(days=45 + 120 * age),
                notes=f"{product.name} {patch.name}: fixes and security updates. "
                "Upgrade from any earlier patch of the same major version.",
            )
            download = Download(release=release)
            stem = product.name.lower().replace(" ", "-")
            content = f"{product.name} {patch.name} installer (demo bytes)\n".encode() * 64
            attach_file(download, f"{stem}-{patch.name}.tar.gz", [content], "downloads")
            download.save()
    for product in desk.products.values():
        for kind, title in DOCS.items():
            Document.objects.create(
                product=product,
                kind=kind,
                title=f"{product.name}: {title}",
                body=f"The {title.lower()} for {product.name}, every supported version.",
                url="https://docs.vocalis.example/" + product.name.lower().replace(" ", "-"),
            )
    VersionLifecycle.objects.create(
        major_version=desk.versions["dialer", "8"],
        end_of_support=today - dt.timedelta(days=120),
        end_of_life=today + dt.timedelta(days=245),
    )
    VersionLifecycle.objects.create(
        major_version=desk.versions["dialer", "9"], end_of_support=today + dt.timedelta(days=900)
    )
    VersionLifecycle.objects.create(
        major_version=desk.versions["fax", "2"],
        end_of_support=today - dt.timedelta(days=400),
        end_of_life=today - dt.timedelta(days=30),
    )


def _licences(desk: Desk, today: dt.date) -> None:
    for n, contract in enumerate(desk.contracts.values()):
        for product in list(contract.products.all())[:2]:
            # The first contract's first licence expires inside the 60-day notice.
            days = 40 if n == 0 and not Licence.objects.exists() else 200 + 30 * n
            licence = Licence(
                contract=contract,
                product=product,
                quantity=25 * (n + 1),
                issued_on=today - dt.timedelta(days=365 - days),
                expires_on=today + dt.timedelta(days=days),
            )
            body = f"LICENCE {contract.number} {product.name} seats={licence.quantity}\n"
            name = f"{contract.number}-{product.name.lower().replace(' ', '-')}.lic"
            attach_file(licence, name, [body.encode()], "licences")
            licence.save()
