"""The desk's own boilerplate leaves the case document (F6; issue 17 item 4).

Automated timeline entries — follow-up reminders and final notices, SLA milestone
warnings, the unassigned-case alert, the files-purged line — carry the same system text
on every case. Indexed, they made every waiting case match "reminder", "response" or
"waiting", and each one rewrote its case's search document: a follow-up reminder cost an
extra UPDATE of the wide case row (0.2–0.4 ms of PostgreSQL per reminder at 1M cases,
bench_worker.py with the trigger on and off). Like the *opened* entry, they are left out
of the document; what people write (replies, updates, notes, status reasons) stays in.

Documents that already hold such text are rebuilt here: only the cases that have one of
those entries (a set-based pass over them, not the whole table).
"""

# ruff: noqa: S608 — DDL assembled from fixed names and kinds; no input.

from importlib import import_module

from django.db import migrations

previous = import_module("casedesk.search.migrations.0002_case_documents")

# Kept in step with ``search.backends.UNINDEXED_KINDS`` (a test compares them).
UNINDEXED = ("opened", "followup", "milestone", "unassigned", "files_purged")
_NOT_IN = "(" + ", ".join(f"'{k}'" for k in UNINDEXED) + ")"
_WAS = "e.kind <> 'opened'"
_NOW = f"e.kind NOT IN {_NOT_IN}"


def _case_vector(condition: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION casedesk_case_vector(case_id bigint, lang text,
        subject text, description text) RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE
        AS $$
        SELECT casedesk_tsvector_append(casedesk_case_head(lang, subject, description),
            (SELECT casedesk_tsvector_agg(casedesk_event_piece(lang, e.body, e.public)
                                          ORDER BY e.id)
             FROM cases_caseevent e
             WHERE e.case_id = $1 AND e.body <> '' AND {condition})) $$"""


def _event_triggers(kinds: str) -> list[str]:
    return [
        "DROP TRIGGER search_event_insert ON cases_caseevent",
        "DROP TRIGGER search_event_delete ON cases_caseevent",
        f"""CREATE TRIGGER search_event_insert AFTER INSERT ON cases_caseevent
            FOR EACH ROW WHEN (NEW.body <> '' AND NEW.kind NOT IN {kinds})
            EXECUTE FUNCTION casedesk_event_search()""",
        f"""CREATE TRIGGER search_event_delete AFTER DELETE ON cases_caseevent
            FOR EACH ROW WHEN (OLD.body <> '' AND OLD.kind NOT IN {kinds})
            EXECUTE FUNCTION casedesk_event_search()""",
    ]


# Every case's document in one pass (bench/load_cases.py runs it after its COPY).
BACKFILL = previous.BACKFILL.replace(_WAS, _NOW)

_AFFECTED = (
    "SELECT DISTINCT case_id FROM cases_caseevent "
    f"WHERE body <> '' AND kind IN {_NOT_IN} AND kind <> 'opened'"
)

POSTGRES = [
    _case_vector(_NOW),
    *_event_triggers(_NOT_IN),
    f"""UPDATE cases_case c SET search_vector = casedesk_case_vector(c.id, c.language,
        c.subject, c.description) WHERE c.id IN ({_AFFECTED})""",
]

POSTGRES_REVERSE = [
    _case_vector(_WAS),
    *_event_triggers("('opened')"),
    f"""UPDATE cases_case c SET search_vector = casedesk_case_vector(c.id, c.language,
        c.subject, c.description) WHERE c.id IN ({_AFFECTED})""",
]


def _sqlite(condition: str) -> list[str]:
    """0002's SQLite triggers with the timeline read under ``condition``, then the
    affected documents rebuilt."""
    statements = [
        s.replace(_WAS, condition)
        for s in previous.SQLITE
        if "CREATE TRIGGER search_case_au" in s or "CREATE TRIGGER search_event_a" in s
    ]
    statements = [
        s.replace("new.kind <> 'opened'", condition.replace("e.kind", "new.kind")).replace(
            "old.kind <> 'opened'", condition.replace("e.kind", "old.kind")
        )
        for s in statements
    ]
    drops = [
        f"DROP TRIGGER search_{name}" for name in ("case_au", "event_ai", "event_au", "event_ad")
    ]
    rebuild = (
        "DELETE FROM search_case_fts WHERE rowid IN (" + _AFFECTED + "); "
        "INSERT INTO search_case_fts(rowid, subject, description, timeline, internal) "
        f"SELECT c.id, c.subject, c.description, "
        f"{previous._timeline('c.id', '1').replace(_WAS, condition)}, "
        f"{previous._timeline('c.id', '0').replace(_WAS, condition)} "
        f"FROM cases_case c WHERE c.id IN ({_AFFECTED})"
    )
    return [*drops, *statements, *rebuild.split("; ")]


class Migration(migrations.Migration):
    dependencies = [("search", "0004_scope_first_indexes")]

    operations = [
        migrations.RunPython(
            previous._run({"postgresql": POSTGRES, "sqlite": _sqlite(_NOW)}),
            previous._run({"postgresql": POSTGRES_REVERSE, "sqlite": _sqlite(_WAS)}),
        )
    ]
