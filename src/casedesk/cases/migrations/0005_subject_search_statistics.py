"""Statistics on UPPER(subject) for the subject search of case lists (B10), PostgreSQL only.

``icontains`` becomes ``UPPER(subject) LIKE UPPER('%term%')``. Without statistics on that
expression the planner assumed almost nothing matches, read every closed case of an
organisation and sorted them (137-355 ms at 1M cases); with them it walks a common term's
cases in list order and stops after one page (~1 ms). Extended statistics cost nothing on
writes, unlike an index. ``cases.selectors`` has searches planned for their own term
(docs/benchmarks.md, run H). SQLite keeps its plain LIKE scan.
"""

from django.db import migrations

NAME = "case_subject_upper_stats"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE STATISTICS IF NOT EXISTS {NAME} ON (upper(subject)) FROM cases_case"
    )
    schema_editor.execute("ANALYZE cases_case")


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_drop_redundant_fk_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
