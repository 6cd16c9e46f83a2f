"""Load a million-case support desk into PostgreSQL with COPY (benchmark data, not a demo).

Run (about 5 minutes on 2 cores; see bench/README.md)::

    export CASEDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/casedesk_bench
    .venv/bin/casedesk manage migrate
    .venv/bin/python bench/load_cases.py --reset

What it builds, with a fixed random seed: ~2,000 partner organisations of Zipf-like size
(the largest has ~2.5% of all cases), ~5,000 sites with one contract each, ~20,000
contacts, 300 engineers over six regions, a 32-product catalogue, and 1,000,000 cases
opened over five years with ~3.5 events each (opened, assignment, reply, close). About 5%
of cases are active, most of them recent; priorities, kinds, channels and closing
sub-statuses follow what a real desk sees. Then secondary indexes are rebuilt and the
tables vacuumed and analysed, as autovacuum would have done on a live system.

Columns the loader does not generate are filled from the Django model's defaults, so
new columns with defaults need no change here; a new NOT NULL column without a default
stops the load with its name.

Known logins (password ``bench-password``): ``bench.engineer@support.bench.example``,
``bench.contact@org0001.bench.example`` (largest organisation, sees colleagues' cases) and
``bench.own@org0001.bench.example`` (same organisation, own cases only).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import math
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

BENCH_PASSWORD = "bench-password"  # noqa: S105 - a fixed password for synthetic bench users
ENGINEER_EMAIL = "bench.engineer@support.bench.example"
CONTACT_EMAIL = "bench.contact@org0001.bench.example"
OWN_CONTACT_EMAIL = "bench.own@org0001.bench.example"

REGIONS = ("emea", "americas", "apac", "latam", "brazil", "japan")
REGION_WEIGHTS = (34, 30, 12, 8, 7, 9)
PRIORITIES = ("low", "medium", "high", "critical")
PRIORITY_WEIGHTS = (40, 37, 18, 5)
KINDS = ("support", "service_request", "admin")
KIND_WEIGHTS = (88, 7, 5)
CHANNELS = ("web", "phone", "email", "api")
CHANNEL_WEIGHTS = (70, 20, 8, 2)
ADMIN_CATEGORIES = ("contract_access", "contact_change", "access_level", "licence", "portal")
CRITERIA = ("server_down", "switchover_without_backup", "core_mission")
# (status, sub_status, weight) for active and closed cases.
ACTIVE = (
    ("open", "new", 9),
    ("open", "investigation", 27),
    ("open", "customer_responded", 9),
    ("open", "engineering_request", 9),
    ("open", "third_party_pending", 6),
    ("awaiting_info", "info_required", 15),
    ("solution_proposed", "fixed_software_provided", 10),
    ("solution_proposed", "replied", 15),
)
CLOSED = (
    ("resolved", "solution_accepted", 70),
    ("resolved", "no_response_after_followups", 10),
    ("cancelled", "customer_request", 10),
    ("logged_for_future_fix", "logged_for_future_fix", 5),
    ("redirected", "redirected", 4),
    ("customer_requested_reopen", "solution_accepted", 1),
)
OUTCOMES = ("education", "configuration", "enhancement", "defect", "fix", "workaround")
CATALOGUE = {
    "Contact Centre": ("Outbound Dialer", "Inbound ACD", "Agent Desktop", "Wallboard"),
    "Self Service": ("IVR Studio", "Speech Recognition", "Visual IVR", "Neural TTS"),
    "Unified Messaging": ("Voicemail", "Fax Server", "Auto Attendant", "Mobile Twinning"),
    "Voice Platform": ("SIP Gateway", "Media Server", "Call Recorder", "Session Manager"),
    "CRM Integrations": (
        "Salesforce Connector",
        "Dynamics Connector",
        "Zendesk Connector",
        "ServiceNow Connector",
    ),
    "Workforce Optimisation": (
        "Forecasting",
        "Scheduling",
        "Quality Monitoring",
        "Speech Analytics",
    ),
    "Digital Channels": ("Web Chat", "E-mail Routing", "SMS Gateway", "Social Inbox"),
    "Cloud Platform": ("Tenant Admin", "Cloud Reporting", "Identity Bridge", "Data Export"),
}
GROUP_WEIGHTS = (30, 20, 12, 14, 8, 6, 6, 4)
SYMPTOMS = (
    "calls drop after {n} seconds",
    "service restarts every night",
    "one-way audio on {n}% of calls",
    "login takes {n} seconds",
    "report totals do not match",
    "agents stuck in wrap-up",
    "prompts cut off at the end",
    "high CPU during the morning peak",
    "licence count wrong after upgrade",
    "callbacks not dialled",
    "screen pop shows the wrong record",
    "DTMF not recognised on menu {n}",
    "memory grows until the service stops",
    "queue statistics lag by {n} minutes",
    "e-mail notifications delayed",
    "error {n} when publishing",
    "transfer to external numbers fails",
    "time zone wrong in the schedule",
    "recordings missing for some calls",
    "how to configure {n} queues per tenant",
)
DESCRIPTIONS = (
    "Since the last maintenance window the problem happens several times a day. Logs and "
    "the configuration export are attached; no other changes on our side.",
    "Reported by the site supervisor this morning. It affects some agents only; we could "
    "not find a pattern yet. Trace of one failing call attached.",
    "After upgrading to the latest patch the behaviour changed. Rolling back is not an "
    "option because of the security fixes. Please advise.",
    "Customer asks how to set this up for their new team. We followed the installation "
    "guide but the option is not where the guide says.",
)
REPLIES = (
    "Thanks, I have taken the case and I am reviewing the logs now.",
    "Reproduced in our lab on the same patch level; details to follow.",
    "Could you confirm the exact patch level on each node?",
)
FIVE_YEARS = 5 * 365 * 86400


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _ts(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(sep=" ", timespec="seconds")


@dataclass
class Table:
    """A COPY target: the columns we generate plus constants for every other column."""

    model: Any
    supplied: Sequence[str]  # attnames, in the order the generator yields them
    columns: list[str] = field(init=False)
    suffix: str = field(init=False)

    def __post_init__(self) -> None:
        from django.db.models import JSONField

        by_attname = {f.attname: f for f in self.model._meta.concrete_fields}
        unknown = set(self.supplied) - set(by_attname)
        if unknown:
            raise SystemExit(f"{self.model.__name__}: no such fields {sorted(unknown)}")
        self.columns = [by_attname[a].column for a in self.supplied]
        rest: list[str] = []
        for attname, f in by_attname.items():
            if attname in self.supplied:
                continue
            value = f.get_default()
            if value is None and not f.null:
                raise SystemExit(
                    f"{self.model.__name__}.{attname} is NOT NULL without a default; "
                    "teach bench/load_cases.py to generate it."
                )
            self.columns.append(f.column)
            if value is None:
                rest.append("\\N")
            elif isinstance(f, JSONField):
                rest.append(_esc(json.dumps(value)))
            elif isinstance(value, bool):
                rest.append("t" if value else "f")
            else:
                rest.append(_esc(str(value)))
        self.suffix = "".join("\t" + r for r in rest) + "\n"

    @property
    def name(self) -> str:
        return str(self.model._meta.db_table)

    def copy_sql(self) -> str:
        cols = ", ".join(f'"{c}"' for c in self.columns)
        return f'COPY "{self.name}" ({cols}) FROM STDIN'


class Copier:
    """Streams rows of one table into a COPY on its own connection, in chunks."""

    def __init__(self, conn: Any, table: Table) -> None:
        self.table = table
        self.cur = conn.cursor()
        self._ctx = self.cur.copy(table.copy_sql())
        self.copy = self._ctx.__enter__()
        self.buf: list[str] = []
        self.rows = 0

    def add(self, values: Iterable[str]) -> None:
        self.buf.append("\t".join(values) + self.table.suffix)
        if len(self.buf) >= 20_000:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.copy.write("".join(self.buf))
            self.rows += len(self.buf)
            self.buf.clear()

    def close(self) -> int:
        self.flush()
        self._ctx.__exit__(None, None, None)
        return self.rows


def _b(flag: bool) -> str:
    return "t" if flag else "f"


def _n(value: int | None) -> str:
    return "\\N" if value is None else str(value)


def _pick(rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> Any:
    return rng.choices(items, weights=weights)[0]


def _copy_rows(conn: Any, table: Table, rows: Iterable[Sequence[str]]) -> int:
    copier = Copier(conn, table)
    for row in rows:
        copier.add(row)
    return copier.close()


@dataclass
class World:
    """Ids the case generator draws from (index = organisation id - 1)."""

    by_group: dict[int, list[int]] = field(default_factory=dict)
    versions: dict[int, list[int]] = field(default_factory=dict)
    patches: dict[int, list[int]] = field(default_factory=dict)
    products: dict[int, str] = field(default_factory=dict)
    org_cum: list[float] = field(default_factory=list)
    contacts: list[list[int]] = field(default_factory=list)
    contracts: list[list[tuple[int, int, str, str]]] = field(default_factory=list)
    engineers: dict[str, list[int]] = field(default_factory=dict)


def _catalogue(conn: Any, w: World) -> None:
    from casedesk.catalog.models import MajorVersion, Patch, Product, ProductGroup

    groups, products, versions, patches = [], [], [], []
    pid = vid = patch_id = 0
    for gid, (group, names) in enumerate(CATALOGUE.items(), 1):
        groups.append([str(gid), group])
        for name in names:
            pid += 1
            products.append([str(pid), str(gid), name, _b(name == "Neural TTS")])
            w.by_group.setdefault(gid, []).append(pid)
            w.products[pid] = name
            for major in (7, 8, 9):
                vid += 1
                versions.append([str(vid), str(pid), str(major)])
                w.versions.setdefault(pid, []).append(vid)
                for minor in range(3):
                    patch_id += 1
                    patches.append([str(patch_id), str(vid), f"{major}.{minor}.{minor * 3 + 1}"])
                    w.patches.setdefault(vid, []).append(patch_id)
    _copy_rows(conn, Table(ProductGroup, ["id", "name"]), groups)
    _copy_rows(conn, Table(Product, ["id", "group_id", "name", "third_party"]), products)
    _copy_rows(conn, Table(MajorVersion, ["id", "product_id", "name"]), versions)
    _copy_rows(conn, Table(Patch, ["id", "major_version_id", "name"]), patches)


def _partners(conn: Any, rng: random.Random, w: World, args: argparse.Namespace, now: float):
    """Organisations of Zipf-like size; their sites, contracts and covered products."""
    from casedesk.accounts.models import Contract, Organisation, Site

    weights = [1 / (i + 5) for i in range(args.orgs)]
    total = sum(weights)
    running = 0.0
    for wt in weights:
        running += wt
        w.org_cum.append(running)
    orgs, sites, contracts, covered = [], [], [], []
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    contract_model = Contract.products.through
    site_id = 0
    for i, wt in enumerate(weights):
        org_id = i + 1
        home = _pick(rng, REGIONS, REGION_WEIGHTS)
        orgs.append(
            [
                str(org_id),
                f"Partner {org_id:04d}",
                rng.choice(("GB", "US", "DE", "BR", "JP", "AU", "FR", "CL")),
            ]
        )
        w.contracts.append([])
        n_sites = max(1, min(40, round(args.sites * wt / total)))
        for _ in range(n_sites):
            site_id += 1
            region = home if rng.random() < 0.8 else _pick(rng, REGIONS, REGION_WEIGHTS)
            deployment = "cloud" if rng.random() < 0.4 else "premise"
            lapsed = rng.random() < 0.04 and site_id > 1  # the bench contact's contract is paid
            days = -rng.randint(1, 200) if lapsed else rng.randint(20, 400)
            paid = today + dt.timedelta(days=days)
            sites.append([str(site_id), str(org_id), f"Site {site_id:05d}", "GB"])
            contracts.append(
                [
                    str(site_id),
                    f"K-{site_id:06d}",
                    str(org_id),
                    str(site_id),
                    deployment,
                    region,
                    "en",
                    paid.isoformat(),
                ]
            )
            for product in rng.sample(sorted(w.products), 10):
                covered.append([str(site_id), str(product)])
            w.contracts[-1].append((site_id, site_id, region, deployment))
    _copy_rows(conn, Table(Organisation, ["id", "name", "country"]), orgs)
    _copy_rows(conn, Table(Site, ["id", "organisation_id", "name", "country"]), sites)
    _copy_rows(
        conn,
        Table(
            Contract,
            [
                "id",
                "number",
                "organisation_id",
                "site_id",
                "deployment",
                "region",
                "language",
                "paid_through",
            ],
        ),
        contracts,
    )
    # The bench contact's first contract covers every product, so opening never hits G5.
    first = w.contracts[0][0][0]
    covered = [row for row in covered if row[0] != str(first)]
    covered += [[str(first), str(p)] for p in sorted(w.products)]
    with_ids = [[str(n), *row] for n, row in enumerate(covered, 1)]
    _copy_rows(conn, Table(contract_model, ["id", "contract_id", "product_id"]), with_ids)
    return weights, total


def _people(
    conn: Any,
    rng: random.Random,
    w: World,
    args: argparse.Namespace,
    now: float,
    weights: list[float],
    total: float,
) -> None:
    from django.contrib.auth.hashers import make_password

    from casedesk.accounts.models import User

    pw = make_password(BENCH_PASSWORD)
    joined = _ts(now - FIVE_YEARS)
    rows = []
    uid = 0

    def user(
        email: str, name: str, role: str, org: int | None, region: str, sees: bool, staff: bool
    ) -> int:
        nonlocal uid
        uid += 1
        rows.append(
            [
                str(uid),
                pw,
                email,
                name,
                role,
                _n(org),
                region,
                _b(sees),
                _b(staff),
                joined,
                f"{rng.randrange(10**6):06d}",
            ]
        )
        return uid

    for n in range(args.engineers):
        region = "emea" if n == 0 else _pick(rng, REGIONS, REGION_WEIGHTS)
        email = ENGINEER_EMAIL if n == 0 else f"engineer{n:03d}@support.bench.example"
        w.engineers.setdefault(region, []).append(
            user(email, f"Engineer {n:03d}", "engineer", None, region, False, False)
        )
    for n in range(5):
        user(f"care{n}@support.bench.example", f"Care {n}", "care", None, "emea", False, True)
        user(
            f"manager{n}@support.bench.example",
            f"Manager {n}",
            "manager",
            None,
            "emea",
            False,
            True,
        )
    for i, wt in enumerate(weights):
        org_id = i + 1
        people = []
        for k in range(max(2, round(args.contacts * wt / total))):
            if org_id == 1 and k < 2:
                email, sees = (CONTACT_EMAIL, True) if k == 0 else (OWN_CONTACT_EMAIL, False)
            else:
                email, sees = f"c{uid + 1}@org{org_id:04d}.bench.example", rng.random() < 0.3
            people.append(user(email, f"Contact {uid + 1}", "contact", org_id, "", sees, False))
        w.contacts.append(people)
    _copy_rows(
        conn,
        Table(
            User,
            [
                "id",
                "password",
                "email",
                "full_name",
                "role",
                "organisation_id",
                "region",
                "can_see_colleagues",
                "is_staff",
                "date_joined",
                "support_pin",
            ],
        ),
        rows,
    )


CASE_FIELDS = [
    "id",
    "kind",
    "sub_type",
    "admin_category",
    "organisation_id",
    "contract_id",
    "site_id",
    "contact_id",
    "assignee_id",
    "product_group_id",
    "product_id",
    "major_version_id",
    "patch_id",
    "environment",
    "deployment",
    "region",
    "language",
    "channel",
    "priority",
    "production_down",
    "emergency_criterion",
    "subject",
    "description",
    "business_impact",
    "status",
    "sub_status",
    "close_reason",
    "closed_by_followup",
    "outcome",
    "change_request_id",
    "change_request_status",
    "opened_at",
    "updated_at",
    "closed_at",
    "all_info_at",
    "version",
]
EVENT_FIELDS = ["id", "case_id", "at", "actor_id", "kind", "public", "body", "data"]


def _transition_data(status: str, sub: str, reason: str) -> str:
    data = {
        "action": "close",
        "from": ["open", "investigation"],
        "to": [status, sub],
        "from_label": "Open / Investigation",
        "to_label": f"Closed / {sub.replace('_', ' ').title()}",
        "close_reason": reason,
    }
    return _esc(json.dumps(data))


def _cases(dsn: str, rng: random.Random, w: World, args: argparse.Namespace, now: float) -> None:
    """Cases and their events, streamed over two connections so both COPYs run at once."""
    import psycopg

    from casedesk.cases.models import Case, CaseEvent

    case_fields = list(CASE_FIELDS)
    has_waiting = any(f.attname == "waiting_since" for f in Case._meta.concrete_fields)
    if has_waiting:
        case_fields.append("waiting_since")
    conn_c = psycopg.connect(dsn)
    conn_e = psycopg.connect(dsn)
    for conn in (conn_c, conn_e):
        conn.execute("SET session_replication_role = replica")  # FK checks off for the load
    cases = Copier(conn_c, Table(Case, case_fields))
    events = Copier(conn_e, Table(CaseEvent, EVENT_FIELDS))
    ages = sorted((rng.random() ** 1.25 * FIVE_YEARS for _ in range(args.cases)), reverse=True)
    total = w.org_cum[-1]
    groups = sorted(w.by_group)
    active_subs = [(s, sub) for s, sub, _ in ACTIVE]
    active_w = [wt for *_, wt in ACTIVE]
    closed_subs = [(s, r) for s, r, _ in CLOSED]
    closed_w = [wt for *_, wt in CLOSED]
    all_engineers = [e for group in w.engineers.values() for e in group]
    transition_cache: dict[tuple[str, str, str], str] = {}
    opened_json = {
        (c, p): _esc(json.dumps({"channel": c, "priority": p}))
        for c in CHANNELS
        for p in PRIORITIES
    }
    event_id = 0
    started = time.monotonic()
    for n, age in enumerate(ages):
        case_id = n + 1
        opened = now - age - 120
        active = rng.random() < 0.85 * math.exp(-age / (40 * 86400)) + 0.03
        org = bisect.bisect_left(w.org_cum, rng.random() * total)
        contact = rng.choice(w.contacts[org])
        contract, site, region, deployment = rng.choice(w.contracts[org])
        kind = _pick(rng, KINDS, KIND_WEIGHTS)
        priority = _pick(rng, PRIORITIES, PRIORITY_WEIGHTS)
        channel = _pick(rng, CHANNELS, CHANNEL_WEIGHTS)
        down = priority == "critical" and rng.random() < 0.3
        if kind == "admin":
            group = product = version = patch = None
            subject = f"Admin: {rng.choice(ADMIN_CATEGORIES).replace('_', ' ')} request"
        else:
            group = _pick(rng, groups, GROUP_WEIGHTS)
            product = rng.choice(w.by_group[group])
            version = rng.choice(w.versions[product])
            patch = rng.choice(w.patches[version])
            symptom = rng.choice(SYMPTOMS).format(n=rng.randint(2, 90))
            subject = f"{w.products[product]}: {symptom}"
        pool = w.engineers.get(region) or all_engineers
        engineer = rng.choice(pool)
        assignee: int | None = engineer
        t = opened + rng.uniform(300, 4 * 3600)
        closed_at = all_info = None
        reason = outcome = cr_id = cr_status = ""
        followup = False
        if active:
            status, sub = _pick(rng, active_subs, active_w)
            if sub == "new":
                assignee = None
                t = opened
            updated = opened + rng.random() * age if sub != "new" else opened
            updated = max(updated, t)
        else:
            sub, reason = _pick(rng, closed_subs, closed_w)
            status = "closed"
            closed_at = min(opened + math.exp(rng.gauss(math.log(3 * 86400), 1.2)), now - 60)
            closed_at = max(closed_at, t + 60)
            updated = closed_at
            followup = reason == "no_response_after_followups"
            if rng.random() < 0.8 and kind != "admin":
                outcome = rng.choice(OUTCOMES)
                if outcome == "defect":
                    cr_id, cr_status = f"CR-{rng.randint(10000, 99999)}", "submitted"
        if sub in ("engineering_request", "fixed_software_provided") or (
            not active and rng.random() < 0.4
        ):
            all_info = opened + (updated - opened) * 0.3
        row = [
            str(case_id),
            kind,
            "problem" if kind == "support" else "",
            rng.choice(ADMIN_CATEGORIES) if kind == "admin" else "",
            str(org + 1),
            str(contract),
            str(site),
            str(contact),
            _n(assignee),
            _n(group),
            _n(product),
            _n(version),
            _n(patch),
            "prod" if rng.random() < 0.85 else "dev",
            deployment,
            region,
            "en",
            channel,
            priority,
            _b(down),
            rng.choice(CRITERIA) if down else "",
            subject,
            rng.choice(DESCRIPTIONS),
            "About 40 agents affected." if priority != "low" else "",
            status,
            sub,
            reason,
            _b(followup),
            outcome,
            cr_id,
            cr_status,
            _ts(opened),
            _ts(updated),
            "\\N" if closed_at is None else _ts(closed_at),
            "\\N" if all_info is None else _ts(all_info),
            "4" if not active else "3",
        ]
        if has_waiting:
            waiting = status in ("awaiting_info", "solution_proposed")
            row.append(_ts(updated) if waiting else "\\N")
        cases.add(row)
        # Events: opened, assignment, a reply, and the close.
        event_id += 1
        opener = engineer if channel == "phone" else contact
        events.add(
            [
                str(event_id),
                str(case_id),
                _ts(opened),
                str(opener),
                "opened",
                "t",
                row[22],
                opened_json[channel, priority],
            ]
        )
        if assignee is not None:
            event_id += 1
            events.add(
                [
                    str(event_id),
                    str(case_id),
                    _ts(t),
                    str(engineer),
                    "assignment",
                    "f",
                    "",
                    f'{{"to": {engineer}}}',
                ]
            )
            if rng.random() < 0.6:
                event_id += 1
                reply_at = t + (updated - t) * rng.random()
                events.add(
                    [
                        str(event_id),
                        str(case_id),
                        _ts(reply_at),
                        str(engineer),
                        "reply",
                        "t",
                        rng.choice(REPLIES),
                        "{}",
                    ]
                )
        if closed_at is not None:
            event_id += 1
            key = (status, sub, reason)
            if key not in transition_cache:
                transition_cache[key] = _transition_data(status, sub, reason)
            actor = "\\N" if followup else str(contact if rng.random() < 0.5 else engineer)
            events.add(
                [
                    str(event_id),
                    str(case_id),
                    _ts(closed_at),
                    actor,
                    "transition",
                    "t",
                    "Closed.",
                    transition_cache[key],
                ]
            )
        if case_id % 100_000 == 0:
            rate = case_id / (time.monotonic() - started)
            print(f"  {case_id:>9,} cases, {event_id:>9,} events ({rate:,.0f} cases/s)", flush=True)
    print(f"  cases: {cases.close():,} rows; events: {events.close():,} rows", flush=True)
    conn_c.commit()
    conn_e.commit()
    conn_c.close()
    conn_e.close()


LOADED = [
    "catalog_productgroup",
    "catalog_product",
    "catalog_majorversion",
    "catalog_patch",
    "accounts_organisation",
    "accounts_site",
    "accounts_contract",
    "accounts_contract_products",
    "accounts_user",
    "cases_case",
    "cases_caseevent",
]
BIG = ("cases_case", "cases_caseevent")


def _search_documents(dsn: str) -> None:
    """COPY bypasses the triggers that keep each case's search document (subject,
    description, timeline; search migration 0002): build them all in one pass, as that
    migration does, while the secondary indexes are still dropped."""
    import importlib

    import psycopg

    try:
        migration = importlib.import_module(
            "casedesk.search.migrations.0005_automated_text_not_indexed"
        )
    except ImportError:
        return
    t0 = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET work_mem = '256MB'")
        conn.execute(migration.BACKFILL)
    print(f"search documents built ({time.monotonic() - t0:.0f} s)", flush=True)


def _secondary_indexes(conn: Any) -> list[tuple[str, str]]:
    """Indexes of the big tables that back no constraint: dropped for the load, rebuilt after."""
    return conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        [list(BIG)],
    ).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--orgs", type=int, default=2_000)
    parser.add_argument("--sites", type=int, default=5_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--engineers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reset", action="store_true", help="empty the tables first")
    args = parser.parse_args()

    dsn = os.environ.get("CASEDESK_DATABASE_URL", "")
    if not dsn.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set CASEDESK_DATABASE_URL to the PostgreSQL benchmark database.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    import django
    import psycopg

    django.setup()
    rng = random.Random(args.seed)
    now = time.time()
    started = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        present = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        if present and not args.reset:
            raise SystemExit(f"{present:,} cases already loaded; pass --reset to start over.")
        if args.reset:
            conn.execute("TRUNCATE " + ", ".join(LOADED) + " RESTART IDENTITY CASCADE")
        indexes = _secondary_indexes(conn)
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
    print(f"dropped {len(indexes)} secondary indexes on {', '.join(BIG)}", flush=True)

    w = World()
    with psycopg.connect(dsn) as conn:
        conn.execute("SET session_replication_role = replica")
        _catalogue(conn, w)
        weights, total = _partners(conn, rng, w, args, now)
        _people(conn, rng, w, args, now, weights, total)
        conn.commit()
    print(f"reference data loaded ({time.monotonic() - started:.0f} s)", flush=True)
    _cases(dsn, rng, w, args, now)
    print(f"cases loaded ({time.monotonic() - started:.0f} s)", flush=True)
    _search_documents(dsn)
    print("rebuilding indexes", flush=True)

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        for name, definition in indexes:
            t0 = time.monotonic()
            conn.execute(definition)
            print(f"  {name} ({time.monotonic() - t0:.1f} s)", flush=True)
        for table in LOADED:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        t0 = time.monotonic()
        for table in LOADED:
            conn.execute(f"VACUUM (ANALYZE) {table}")
        print(f"vacuum + analyze ({time.monotonic() - t0:.0f} s)", flush=True)
        size = conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('cases_case')), "
            "pg_size_pretty(pg_total_relation_size('cases_caseevent')), "
            "pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()
    print(
        f"done in {time.monotonic() - started:.0f} s; cases {size[0]}, events {size[1]}, "
        f"database {size[2]}"
    )


if __name__ == "__main__":
    sys.exit(main())
