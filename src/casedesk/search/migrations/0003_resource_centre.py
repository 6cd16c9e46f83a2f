"""Resource-centre entries in the one search (F1, F6): releases (name, notes), documents
(title, body) and downloads (file name) — FTS5 tables kept by triggers on SQLite, generated
tsvector columns with the English marker of 0002 and GIN indexes on PostgreSQL.
"""

# ruff: noqa: S608 — DDL assembled from the fixed table and column names above; no input.

from django.db import migrations

_TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"
# File names are words joined by punctuation ("dialer-9.3.0_linux.tar.gz").
_WORDS = "replace(replace(replace({c}, '-', ' '), '_', ' '), '.', ' ')"

# (table, FTS columns, source expressions)
SOURCES = [
    ("resources_release", ("name", "notes"), ("name", "notes")),
    ("resources_document", ("title", "body"), ("title", "body")),
    ("resources_download", ("filename",), (_WORDS.format(c="filename"),)),
]


def _sqlite() -> list[str]:
    out = []
    for table, columns, sources in SOURCES:
        fts = f"search_{table.split('_', 1)[1]}_fts"
        cols = ", ".join(columns)
        new = ", ".join(s.replace(c, f"new.{c}") for s, c in zip(sources, columns, strict=True))
        changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
        out += [
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, {_TOKENIZE})",
            f"""CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN
                INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END""",
            f"""CREATE TRIGGER {fts}_au AFTER UPDATE ON {table} WHEN {changed} BEGIN
                DELETE FROM {fts} WHERE rowid = old.id;
                INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END""",
            f"""CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN
                DELETE FROM {fts} WHERE rowid = old.id; END""",
            f"INSERT INTO {fts}(rowid, {cols}) SELECT id, {', '.join(sources)} FROM {table}",
        ]
    return out


def _sqlite_reverse() -> list[str]:
    out = []
    for table, _, _ in SOURCES:
        fts = f"search_{table.split('_', 1)[1]}_fts"
        out += [f"DROP TRIGGER {fts}_{op}" for op in ("ai", "au", "ad")]
        out.append(f"DROP TABLE {fts}")
    return out


def _postgres() -> list[str]:
    out = []
    for (table, _, sources), weights in zip(SOURCES, (("A", "C"), ("A", "C"), ("A",)), strict=True):
        parts = " || ".join(
            f"setweight(to_tsvector('english'::regconfig, coalesce({s}, '')), '{w}')"
            for s, w in zip(sources, weights, strict=True)
        )
        out += [
            f"""ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
                casedesk_ts_marker('en') || {parts}) STORED""",
            f"CREATE INDEX {table}_search_gin ON {table} USING gin (search_vector)",
        ]
    return out


def _postgres_reverse() -> list[str]:
    return [f"ALTER TABLE {table} DROP COLUMN search_vector" for table, _, _ in SOURCES]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_case_documents"), ("resources", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": _sqlite(), "postgresql": _postgres()}),
            _run({"sqlite": _sqlite_reverse(), "postgresql": _postgres_reverse()}),
        )
    ]
