"""A trigram index for the subject search of case lists (B10), on PostgreSQL only.

``icontains`` becomes ``UPPER(subject) LIKE UPPER('%term%')``. Without this index every
search read all of an organisation's closed cases (137-355 ms at 1M cases). With it, a
rare term is a small bitmap scan, and the statistics PostgreSQL keeps on the indexed
expression let it walk a common term's cases in list order and stop after one page;
``cases.selectors`` has searches planned for their own term (docs/benchmarks.md, run H).
pg_trgm ships with PostgreSQL and is a trusted extension, so the database owner may create
it. Built CONCURRENTLY: no write lock on cases while it builds. SQLite keeps LIKE.
"""

from django.db import migrations

INDEX = "case_subject_trgm_idx"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} "
        "ON cases_case USING gin (upper(subject) gin_trgm_ops)"
    )
    schema_editor.execute("ANALYZE cases_case")


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("cases", "0004_drop_redundant_fk_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
