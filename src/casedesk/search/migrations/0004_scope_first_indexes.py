"""Scope first, newest first (issue 12 item 11): an organisation's cases by key, so a
contact's search walks only their organisation's cases newest-first and stops after the
candidates (a common word: ~3k rows instead of a bitmap of every match in the database);
articles by kind, so the self-help kind is narrowed by an index, not by reading every
matching article.
"""

from django.db import migrations

INDEXES = [
    ("search_case_org_recent_idx", "cases_case", "organisation_id, id"),
    ("search_article_kind_idx", "knowledge_article", "kind, id"),
]


class Migration(migrations.Migration):
    dependencies = [("search", "0003_resource_centre"), ("knowledge", "0001_initial")]

    operations = [
        migrations.RunSQL(f"CREATE INDEX {name} ON {table} ({columns})", f"DROP INDEX {name}")
        for name, table, columns in INDEXES
    ]
