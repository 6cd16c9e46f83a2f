"""Full-text indexes for one search (F6): FTS5 on SQLite, tsvector + GIN on PostgreSQL.

SQLite: three FTS5 tables (articles, cases, case events) whose rowid is the source row's
key, kept in step by triggers on the source tables, so every writer — the ORM, the
hand-written inserts of ``core.rows``, the admin — updates them in the same transaction.

PostgreSQL: ``search_vector`` columns — generated on articles and cases, filled by a
trigger on case events (an event's language is its case's) — with GIN indexes.
``casedesk_ts_config`` maps a language code to its text-search configuration (English,
Spanish, Portuguese; 'simple' for Japanese and anything else).
"""

from django.db import migrations

_TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"

SQLITE = [
    f"CREATE VIRTUAL TABLE search_article_fts USING fts5(title, tags, body, {_TOKENIZE})",
    """CREATE TRIGGER search_article_ai AFTER INSERT ON knowledge_article BEGIN
        INSERT INTO search_article_fts(rowid, title, tags, body)
        VALUES (new.id, new.title, new.tags_text, new.body_text); END""",
    """CREATE TRIGGER search_article_au AFTER UPDATE OF title, tags_text, body_text
        ON knowledge_article WHEN old.title IS NOT new.title OR old.tags_text IS NOT new.tags_text
        OR old.body_text IS NOT new.body_text BEGIN
        DELETE FROM search_article_fts WHERE rowid = old.id;
        INSERT INTO search_article_fts(rowid, title, tags, body)
        VALUES (new.id, new.title, new.tags_text, new.body_text); END""",
    """CREATE TRIGGER search_article_ad AFTER DELETE ON knowledge_article BEGIN
        DELETE FROM search_article_fts WHERE rowid = old.id; END""",
    f"CREATE VIRTUAL TABLE search_case_fts USING fts5(subject, description, {_TOKENIZE})",
    """CREATE TRIGGER search_case_ai AFTER INSERT ON cases_case BEGIN
        INSERT INTO search_case_fts(rowid, subject, description)
        VALUES (new.id, new.subject, new.description); END""",
    """CREATE TRIGGER search_case_au AFTER UPDATE OF subject, description ON cases_case
        WHEN old.subject IS NOT new.subject OR old.description IS NOT new.description BEGIN
        DELETE FROM search_case_fts WHERE rowid = old.id;
        INSERT INTO search_case_fts(rowid, subject, description)
        VALUES (new.id, new.subject, new.description); END""",
    """CREATE TRIGGER search_case_ad AFTER DELETE ON cases_case BEGIN
        DELETE FROM search_case_fts WHERE rowid = old.id; END""",
    f"CREATE VIRTUAL TABLE search_event_fts USING fts5(body, {_TOKENIZE})",
    """CREATE TRIGGER search_event_ai AFTER INSERT ON cases_caseevent WHEN new.body != '' BEGIN
        INSERT INTO search_event_fts(rowid, body) VALUES (new.id, new.body); END""",
    """CREATE TRIGGER search_event_au AFTER UPDATE OF body ON cases_caseevent
        WHEN old.body IS NOT new.body BEGIN
        DELETE FROM search_event_fts WHERE rowid = old.id;
        INSERT INTO search_event_fts(rowid, body) SELECT new.id, new.body WHERE new.body != '';
        END""",
    """CREATE TRIGGER search_event_ad AFTER DELETE ON cases_caseevent BEGIN
        DELETE FROM search_event_fts WHERE rowid = old.id; END""",
    # Rows that existed before this migration.
    """INSERT INTO search_article_fts(rowid, title, tags, body)
        SELECT id, title, tags_text, body_text FROM knowledge_article""",
    """INSERT INTO search_case_fts(rowid, subject, description)
        SELECT id, subject, description FROM cases_case""",
    """INSERT INTO search_event_fts(rowid, body)
        SELECT id, body FROM cases_caseevent WHERE body != ''""",
]

SQLITE_REVERSE = [
    *(
        f"DROP TRIGGER search_{t}_{op}"
        for t in ("article", "case", "event")
        for op in ("ai", "au", "ad")
    ),
    "DROP TABLE search_article_fts",
    "DROP TABLE search_case_fts",
    "DROP TABLE search_event_fts",
]


def _vector(column: str, weight: str, lang: str = "language") -> str:
    return f"setweight(to_tsvector(casedesk_ts_config({lang}), coalesce({column}, '')), '{weight}')"


POSTGRES = [
    """CREATE FUNCTION casedesk_ts_config(lang text) RETURNS regconfig
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE lang WHEN 'en' THEN 'english'::regconfig WHEN 'es' THEN 'spanish'::regconfig
        WHEN 'pt' THEN 'portuguese'::regconfig ELSE 'simple'::regconfig END $$""",
    f"""ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        {_vector("title", "A")} || {_vector("tags_text", "B")} || {_vector("body_text", "C")}
        ) STORED""",
    "CREATE INDEX search_article_gin ON knowledge_article USING gin (search_vector)",
    f"""ALTER TABLE cases_case ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        {_vector("subject", "A")} || {_vector("description", "B")}) STORED""",
    "CREATE INDEX search_case_gin ON cases_case USING gin (search_vector)",
    "ALTER TABLE cases_caseevent ADD COLUMN search_vector tsvector",
    """CREATE FUNCTION casedesk_event_vector() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.body = '' THEN
            NEW.search_vector := NULL;
          ELSE
            NEW.search_vector := to_tsvector(casedesk_ts_config(
              (SELECT language FROM cases_case WHERE id = NEW.case_id)), NEW.body);
          END IF;
          RETURN NEW;
        END $$""",
    """CREATE TRIGGER search_event_vector BEFORE INSERT OR UPDATE OF body ON cases_caseevent
        FOR EACH ROW EXECUTE FUNCTION casedesk_event_vector()""",
    """UPDATE cases_caseevent e SET search_vector = to_tsvector(casedesk_ts_config(c.language),
        e.body) FROM cases_case c WHERE c.id = e.case_id AND e.body != ''""",
    "CREATE INDEX search_event_gin ON cases_caseevent USING gin (search_vector)",
]

POSTGRES_REVERSE = [
    "DROP TRIGGER search_event_vector ON cases_caseevent",
    "DROP FUNCTION casedesk_event_vector()",
    "ALTER TABLE cases_caseevent DROP COLUMN search_vector",
    "ALTER TABLE cases_case DROP COLUMN search_vector",
    "ALTER TABLE knowledge_article DROP COLUMN search_vector",
    "DROP FUNCTION casedesk_ts_config(text)",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("cases", "0005_subject_search_statistics"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
