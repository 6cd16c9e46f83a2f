"""Reference data of the demo desk: catalogue, partners, sites, contracts, people.

The vendor is a fictional contact-centre and telephony company ("Vocalis"); every
domain is under ``.example`` (RFC 2606) so no demo address can reach a real mailbox.
Rows here are plain reference data (what Customer Care edits in /admin/); actions
with rules and an audit trail (grace period, refusal, colleague visibility) go through
``accounts.services`` in :mod:`casedesk.demo.seed`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission

from casedesk.accounts.models import (
    Certification,
    Contract,
    Deployment,
    Organisation,
    Role,
    Site,
    User,
)
from casedesk.cases.models import Case
from casedesk.catalog.models import MajorVersion, Patch, Product, ProductGroup
from casedesk.policy.regions import Region
from casedesk.sla.models import Duty, RegionDuty

SUPPORT_DOMAIN = "support.vocalis.example"

# group -> product key -> (name, third party?, {major version: [patches]})
CATALOGUE: dict[str, dict[str, tuple[str, bool, dict[str, list[str]]]]] = {
    "Contact Centre": {
        "dialer": ("Outbound Dialer", False, {"8": ["8.4.2", "8.4.3"], "9": ["9.1.0", "9.2.1"]}),
        "acd": ("Inbound ACD", False, {"7": ["7.3.1", "7.4.0"]}),
        "desktop": ("Agent Desktop", False, {"5": ["5.0.3", "5.1.0"]}),
    },
    "Self Service": {
        "ivr": ("IVR Studio", False, {"6": ["6.2.0", "6.3.1"]}),
        "asr": ("Speech Recognition", False, {"3": ["3.1.2"]}),
        # Made by a partner vendor and resold by us: supported (G5).
        "tts": ("Verbia Neural TTS", True, {"11": ["11.2.0"]}),
    },
    "Unified Messaging": {
        "voicemail": ("Voicemail", False, {"4": ["4.2.5", "4.3.0"]}),
        "fax": ("Fax Server", False, {"2": ["2.9.1"]}),
    },
    "Voice Platform": {
        "sipgw": ("SIP Gateway", False, {"10": ["10.0.4", "10.1.2"]}),
        "media": ("Media Server", False, {"5": ["5.5.0"]}),
        # Bought elsewhere: on no contract, so cases about it are refused (G5).
        "sbc": ("Oakridge SBC 7000", True, {"7.2": ["7.20A.258"]}),
    },
    "CRM Integrations": {
        "crm_sf": ("CRM Connector for Salesforce", False, {"3": ["3.0.1", "3.2.0"]}),
        "crm_dyn": ("CRM Connector for Dynamics 365", False, {"2": ["2.4.0"]}),
    },
}


@dataclass(frozen=True)
class OrgSpec:
    key: str
    name: str
    country: str
    domain: str
    # contract key -> (number, site name, site country, deployment, region, language, products)
    contracts: dict[str, tuple[str, str, str, str, str, str, tuple[str, ...]]]
    paid_days: int  # maintenance paid through today + paid_days (negative: lapsed)
    # contact key -> (full name, can see colleagues, phone)
    contacts: dict[str, tuple[str, bool, str]] = field(default_factory=dict)


# fmt: off
ORGS: tuple[OrgSpec, ...] = (
    OrgSpec(
        "northwind",
        "Northwind Telecom Partners Ltd",
        "GB",
        "northwind-partners.example",
        {
            "nw_harbour": (
                "NW-PRM-1001", "Harbour Bank — Leeds Contact Centre", "GB",
                Deployment.PREMISE, Region.EMEA, "en",
                ("dialer", "acd", "desktop", "ivr", "voicemail", "sipgw", "crm_sf", "tts"),
            ),
            "nw_cityline": (
                "NW-CLD-1002", "Cityline Utilities Customer Service", "IE",
                Deployment.CLOUD, Region.EMEA, "en",
                ("acd", "desktop", "ivr", "crm_dyn"),
            ),
        },
        paid_days=210,
        contacts={
            "priya": ("Priya Shah", True, "+44 113 496 0101"),
            "tom": ("Tom Becker", False, "+44 113 496 0102"),
            "aisha": ("Aisha Okafor", False, "+44 113 496 0103"),
            "gary": ("Gary Holt", False, "+44 113 496 0104"),
        },
    ),
    OrgSpec(
        "solnascente",
        "Sol Nascente Integração Ltda",
        "BR",
        "solnascente.example",
        {
            "sn_horizonte": (
                "SN-PRM-2001", "Banco Horizonte — SAC São Paulo", "BR",
                Deployment.PREMISE, Region.BRAZIL, "pt-br",
                ("acd", "ivr", "asr", "sipgw", "voicemail"),
            ),
            "sn_varejo": (
                "SN-CLD-2002", "Varejo Sul Televendas", "BR",
                Deployment.CLOUD, Region.BRAZIL, "pt-br",
                ("dialer", "desktop", "crm_sf"),
            ),
        },
        paid_days=150,
        contacts={
            "rafael": ("Rafael Lima", True, "+55 11 4004 0101"),
            "beatriz": ("Beatriz Souza", False, "+55 11 4004 0102"),
        },
    ),
    OrgSpec(
        "sakura",
        "Sakura Systems KK",
        "JP",
        "sakura-systems.example",
        {
            "sk_tokai": (
                "SK-PRM-3001", "Tokai Mutual Insurance — Nagoya Call Center", "JP",
                Deployment.PREMISE, Region.JAPAN, "ja",
                ("acd", "ivr", "voicemail", "fax", "media"),
            ),
        },
        paid_days=320,
        contacts={
            "kenji": ("Kenji Watanabe", True, "+81 52 555 0101"),
            "yuki": ("Yuki Tanaka", False, "+81 52 555 0102"),
        },
    ),
    OrgSpec(
        "prairie",
        "Prairie Voice Solutions Inc",
        "US",
        "prairievoice.example",
        {
            "pv_midwest": (
                "PV-PRM-4001", "Midwest Health Scheduling Center", "US",
                Deployment.PREMISE, Region.AMERICAS, "en",
                ("dialer", "ivr", "voicemail", "sipgw"),
            ),
        },
        paid_days=-40,  # lapsed: no grace period, contacts are sent to Accounts Receivable
        contacts={
            "dana": ("Dana Ross", False, "+1 515 555 0101"),
            "marcus": ("Marcus Hill", True, "+1 515 555 0102"),
        },
    ),
    OrgSpec(
        "andes",
        "Andes Contact Partners SpA",
        "CL",
        "andescontact.example",
        {
            "ac_pacifico": (
                "AC-CLD-5001", "Aerolínea del Pacífico — Reservas", "CL",
                Deployment.CLOUD, Region.LATAM, "es",
                ("acd", "ivr", "asr", "desktop"),
            ),
        },
        paid_days=-20,  # lapsed, but inside a grace period for a disputed invoice
        contacts={
            "camila": ("Camila Rojas", True, "+56 2 2555 0101"),
            "diego": ("Diego Fuentes", False, "+56 2 2555 0102"),
        },
    ),
    OrgSpec(
        "southerncross",
        "Southern Cross Communications Pty Ltd",
        "AU",
        "southerncross.example",
        {
            "sc_coastal": (
                "SC-CLD-6001", "Coastal Energy Customer Care", "AU",
                Deployment.CLOUD, Region.APAC, "en",
                ("acd", "ivr", "crm_dyn", "desktop"),
            ),
        },
        paid_days=90,
        contacts={
            "olivia": ("Olivia Nguyen", False, "+61 2 5550 0101"),
        },
    ),
)

# fmt: on

# key -> (full name, role, region)
STAFF: dict[str, tuple[str, str, str]] = {
    "elena": ("Elena Fischer", Role.ENGINEER, Region.EMEA),
    "owen": ("Owen Price", Role.ENGINEER, Region.EMEA),
    "jake": ("Jake Morrison", Role.ENGINEER, Region.AMERICAS),
    "sofia": ("Sofía Morales", Role.ENGINEER, Region.LATAM),
    "lucas": ("Lucas Pereira", Role.ENGINEER, Region.BRAZIL),
    "haruto": ("Haruto Sato", Role.ENGINEER, Region.JAPAN),
    "claire": ("Claire Dubois", Role.CARE, Region.EMEA),
    "martin": ("Martin Kowalski", Role.MANAGER, Region.EMEA),
}

# Where the staff sit, and the language they prefer: pages show them their local time (A2).
STAFF_PLACE: dict[str, tuple[str, str]] = {
    "elena": ("Europe/Berlin", "de"),
    "owen": ("Europe/London", "en"),
    "jake": ("America/New_York", "en"),
    "sofia": ("America/Santiago", "es"),
    "lucas": ("America/Sao_Paulo", "pt-br"),
    "haruto": ("Asia/Tokyo", "ja"),
    "claire": ("Europe/Paris", "fr"),
    "martin": ("Europe/Warsaw", "en"),
}

# Who works a region's cases (follow the sun: APAC is picked up by Japan).
REGION_ENGINEERS: dict[str, tuple[str, ...]] = {
    Region.EMEA: ("elena", "owen"),
    Region.AMERICAS: ("jake",),
    Region.LATAM: ("sofia",),
    Region.BRAZIL: ("lucas",),
    Region.JAPAN: ("haruto",),
    Region.APAC: ("haruto", "owen"),
}

# contact key -> [(product key, version, function, valid for days from today)]
CERTIFICATIONS: dict[str, list[tuple[str, str, str, int]]] = {
    "priya": [
        ("dialer", "9", "Administrator", 410),
        ("acd", "7", "Implementation engineer", 260),
        ("crm_sf", "3", "Integration specialist", 120),
    ],
    "tom": [("voicemail", "4", "Administrator", 300), ("sipgw", "10", "Network engineer", 45)],
    "aisha": [("ivr", "6", "Call-flow developer", 500)],
    "gary": [("acd", "7", "Administrator", -30)],  # expired: engineers see it lapsed
    "rafael": [("acd", "7", "Implementation engineer", 380), ("asr", "3", "Tuning specialist", 90)],
    "beatriz": [("dialer", "9", "Administrator", 200)],
    "kenji": [("acd", "7", "Implementation engineer", 330), ("fax", "2", "Administrator", 150)],
    "yuki": [("voicemail", "4", "Administrator", 240)],
    "dana": [("ivr", "6", "Call-flow developer", 180)],
    "marcus": [("sipgw", "10", "Network engineer", 60)],
    "camila": [("acd", "7", "Administrator", 270), ("asr", "3", "Tuning specialist", 270)],
    "diego": [("desktop", "5", "Administrator", 100)],
    "olivia": [("acd", "7", "Administrator", 365), ("crm_dyn", "2", "Integration specialist", 20)],
}


@dataclass
class Desk:
    """Everything the case stories refer to, by short key."""

    products: dict[str, Product] = field(default_factory=dict)
    versions: dict[tuple[str, str], MajorVersion] = field(default_factory=dict)
    patches: dict[tuple[str, str], Patch] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)
    contracts: dict[str, Contract] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)


def build_catalogue(desk: Desk) -> None:
    for group_name, products in CATALOGUE.items():
        group = ProductGroup.objects.create(name=group_name)
        for key, (name, third_party, versions) in products.items():
            product = Product.objects.create(group=group, name=name, third_party=third_party)
            desk.products[key] = product
            for version_name, patches in versions.items():
                version = MajorVersion.objects.create(product=product, name=version_name)
                desk.versions[key, version_name] = version
                for patch_name in patches:
                    desk.patches[key, patch_name] = Patch.objects.create(
                        major_version=version, name=patch_name
                    )


def email_of(spec_domain: str, full_name: str) -> str:
    first, *rest = full_name.lower().replace("í", "i").split()
    return f"{first}.{rest[-1]}@{spec_domain}" if rest else f"{first}@{spec_domain}"


def build_partners(desk: Desk, *, today: dt.date, password_hash: str) -> None:
    for spec in ORGS:
        org = Organisation.objects.create(name=spec.name, country=spec.country)
        desk.orgs[spec.key] = org
        for key, (
            number,
            site_name,
            country,
            deployment,
            region,
            language,
            covered,
        ) in spec.contracts.items():
            site = Site.objects.create(organisation=org, name=site_name, country=country)
            contract = Contract.objects.create(
                number=number,
                organisation=org,
                site=site,
                deployment=deployment,
                region=region,
                language=language,
                paid_through=today + dt.timedelta(days=spec.paid_days),
            )
            contract.products.set([desk.products[p] for p in covered])
            desk.contracts[key] = contract
        for key, (full_name, colleagues, phone) in spec.contacts.items():
            desk.people[key] = User.objects.create(
                email=email_of(spec.domain, full_name),
                password=password_hash,
                full_name=full_name,
                role=Role.CONTACT,
                organisation=org,
                phone=phone,
                can_see_colleagues=colleagues,
            )


# Who answers beyond the centre's engineers (B, C2, C3): on-call engineers for urgent cases
# around the clock, and the queue owner told about cases nobody took.
DUTIES: tuple[tuple[str, str, str], ...] = (
    ("owen", Region.EMEA, Duty.ON_CALL),
    ("jake", Region.AMERICAS, Duty.ON_CALL),
    ("haruto", Region.APAC, Duty.ON_CALL),
    *(("martin", region.value, Duty.QUEUE_OWNER) for region in Region),
)


def build_staff(desk: Desk, *, password_hash: str) -> None:
    groups = _back_office_groups()
    for key, (full_name, role, region) in STAFF.items():
        user = User.objects.create(
            email=email_of(SUPPORT_DOMAIN, full_name),
            password=password_hash,
            full_name=full_name,
            role=role,
            region=region,
            time_zone=STAFF_PLACE[key][0],
            language=STAFF_PLACE[key][1],
            is_staff=role in (Role.CARE, Role.MANAGER),
        )
        if role in groups:
            user.groups.add(groups[role])
        desk.people[key] = user
    RegionDuty.objects.bulk_create(
        RegionDuty(user=desk.people[key], region=region, duty=duty) for key, region, duty in DUTIES
    )


def _back_office_groups() -> dict[str, Group]:
    """Django permissions so the care admin and the manager can actually use /admin/.

    ``is_staff`` alone opens the admin site but shows no model; the admin classes
    themselves still refuse what must go through services (grace periods, refusals).
    """
    apps = ("accounts", "catalog", "cases")
    everything = Permission.objects.filter(content_type__app_label__in=apps) | (
        Permission.objects.filter(content_type__app_label="sla", content_type__model="regionduty")
    )
    care, _ = Group.objects.get_or_create(name="Customer Care")
    care.permissions.add(*everything)
    managers, _ = Group.objects.get_or_create(name="Support managers")
    managers.permissions.add(
        *everything.filter(codename__startswith="view_"),
        *everything.filter(content_type__app_label="catalog"),
    )
    return {Role.CARE: care, Role.MANAGER: managers}


def build_certifications(desk: Desk, *, today: dt.date) -> None:
    for contact_key, certs in CERTIFICATIONS.items():
        for product_key, version, function, days in certs:
            Certification.objects.create(
                contact=desk.people[contact_key],
                product=desk.products[product_key],
                version=version,
                function=function,
                valid_until=today + dt.timedelta(days=days),
            )
