"""One search document per case, a language marker in every vector, a titles index for
suggestions (F6, T12; issue 12 item 11: search at a million cases).

SQLite gets the same one-document-per-case shape: ``search_case_fts`` with the columns
subject, description, timeline (public entries) and internal (notes), rebuilt for a case
by triggers whenever its text or its timeline's text changes; the per-event FTS table goes.

* **A case is one document**: subject (weight A), description (B), public timeline text
  (C) and internal notes (D) in ``cases_case.search_vector``, so one GIN index and the case
  table's own scope indexes (organisation, contact) answer a search; events keep no vector
  of their own. Opening writes subject and description only — the *opened* event repeats
  the description and is left out, so opening a case costs no event-index work at all.
  A trigger on events appends each new text to its case (``casedesk_tsvector_append``,
  which stops below tsvector's 1 MB limit), and recomputes the case when an event's text
  changes or goes; a trigger on cases recomputes when subject, description or language
  change.
* **A language marker** (``·english``, ``·spanish``, ``·portuguese``, ``·simple``) is a
  lexeme of every vector; ``casedesk_query`` ORs the query parsed once per configuration,
  each ANDed with its marker, so a row is tested against its own language only (an
  exclusion in one stemmer cannot let a row through another) in ONE tsquery that the GIN
  index and the planner's lexeme statistics both understand.
* Articles get the marker too, and ``suggest_vector`` (title A, tags B, unstemmed) with a
  partial GIN index over published articles: the open-case suggestions search titles.
"""

# ruff: noqa: S608 — DDL assembled from fixed table and column names; no input.

from django.db import migrations

_CFG = (
    "CASE lang WHEN 'en' THEN 'english' WHEN 'es' THEN 'spanish' WHEN 'pt' THEN 'portuguese' "
    "ELSE 'simple' END"
)

FUNCTIONS = [
    f"""CREATE FUNCTION casedesk_ts_marker(lang text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT array_to_tsvector(ARRAY['·' || {_CFG}]) $$""",
    # tsquery for one configuration, ANDed with its marker; empty stays empty (an empty
    # operand of && would otherwise leave the bare marker, which matches every row).
    """CREATE FUNCTION casedesk_config_query(cfg regconfig, marker text, t text)
        RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN numnode(q) = 0 THEN q ELSE q && marker::tsquery END
        FROM to_tsquery(cfg, t) AS q $$""",
    """CREATE FUNCTION casedesk_query(t text) RETURNS tsquery
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT casedesk_config_query('english', '''·english''', t)
            || casedesk_config_query('spanish', '''·spanish''', t)
            || casedesk_config_query('portuguese', '''·portuguese''', t)
            || casedesk_config_query('simple', '''·simple''', t) $$""",
    """CREATE FUNCTION casedesk_row_query(lang text, t text) RETURNS tsquery
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT to_tsquery(casedesk_ts_config(lang), t) $$""",
    # Appends b unless the result would come near tsvector's 1 MB limit (the case keeps
    # what it had: a very long timeline's tail is not indexed rather than failing a reply).
    """CREATE FUNCTION casedesk_tsvector_append(a tsvector, b tsvector) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a
            WHEN pg_column_size(a) + pg_column_size(b) > 800000 THEN a ELSE a || b END $$""",
    """CREATE AGGREGATE casedesk_tsvector_agg(tsvector) (
        SFUNC = casedesk_tsvector_append, STYPE = tsvector)""",
    """CREATE FUNCTION casedesk_case_head(lang text, subject text, description text)
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT casedesk_ts_marker(lang)
            || setweight(to_tsvector(casedesk_ts_config(lang), coalesce(subject, '')), 'A')
            || setweight(to_tsvector(casedesk_ts_config(lang),
                                     left(coalesce(description, ''), 100000)), 'B') $$""",
    """CREATE FUNCTION casedesk_event_piece(lang text, body text, public boolean)
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector(casedesk_ts_config(lang), left(body, 20000)),
                         CASE WHEN public THEN 'C'::"char" ELSE 'D'::"char" END) $$""",
    """CREATE FUNCTION casedesk_case_vector(case_id bigint, lang text, subject text,
        description text) RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT casedesk_tsvector_append(casedesk_case_head(lang, subject, description),
            (SELECT casedesk_tsvector_agg(casedesk_event_piece(lang, e.body, e.public)
                                          ORDER BY e.id)
             FROM cases_caseevent e
             WHERE e.case_id = $1 AND e.body <> '' AND e.kind <> 'opened')) $$""",
    """CREATE FUNCTION casedesk_case_search() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            NEW.search_vector := casedesk_case_head(NEW.language, NEW.subject, NEW.description);
          ELSE
            NEW.search_vector := casedesk_case_vector(NEW.id, NEW.language, NEW.subject,
                                                      NEW.description);
          END IF;
          RETURN NEW;
        END $$""",
    """CREATE FUNCTION casedesk_event_search() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            UPDATE cases_case c SET search_vector = casedesk_tsvector_append(
                coalesce(c.search_vector, casedesk_case_head(c.language, c.subject,
                                                             c.description)),
                casedesk_event_piece(c.language, NEW.body, NEW.public))
            WHERE c.id = NEW.case_id;
          ELSIF TG_OP = 'DELETE' THEN
            UPDATE cases_case c SET search_vector = casedesk_case_vector(c.id, c.language,
                c.subject, c.description) WHERE c.id = OLD.case_id;
          ELSE
            UPDATE cases_case c SET search_vector = casedesk_case_vector(c.id, c.language,
                c.subject, c.description) WHERE c.id IN (OLD.case_id, NEW.case_id);
          END IF;
          RETURN NULL;
        END $$""",
]

TRIGGERS = [
    """CREATE TRIGGER search_case_insert BEFORE INSERT ON cases_case
        FOR EACH ROW EXECUTE FUNCTION casedesk_case_search()""",
    """CREATE TRIGGER search_case_update BEFORE UPDATE OF subject, description, language
        ON cases_case FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject
            OR OLD.description IS DISTINCT FROM NEW.description
            OR OLD.language IS DISTINCT FROM NEW.language)
        EXECUTE FUNCTION casedesk_case_search()""",
    """CREATE TRIGGER search_event_insert AFTER INSERT ON cases_caseevent
        FOR EACH ROW WHEN (NEW.body <> '' AND NEW.kind <> 'opened')
        EXECUTE FUNCTION casedesk_event_search()""",
    """CREATE TRIGGER search_event_change AFTER UPDATE OF body, public, kind, case_id
        ON cases_caseevent FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body
            OR OLD.public IS DISTINCT FROM NEW.public OR OLD.kind IS DISTINCT FROM NEW.kind
            OR OLD.case_id IS DISTINCT FROM NEW.case_id)
        EXECUTE FUNCTION casedesk_event_search()""",
    """CREATE TRIGGER search_event_delete AFTER DELETE ON cases_caseevent
        FOR EACH ROW WHEN (OLD.body <> '' AND OLD.kind <> 'opened')
        EXECUTE FUNCTION casedesk_event_search()""",
]


# Every case's document in one pass (set-based: one sort of the timeline, not a lookup per
# case); bench/load_cases.py runs it too after its COPY, which bypasses the triggers.
BACKFILL = """WITH timeline AS (
        SELECT e.case_id, casedesk_tsvector_agg(casedesk_event_piece(c.language, e.body, e.public)
                                                ORDER BY e.id) AS v
        FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id
        WHERE e.body <> '' AND e.kind <> 'opened' GROUP BY e.case_id),
    docs AS (
        SELECT c.id, casedesk_tsvector_append(casedesk_case_head(c.language, c.subject,
                                                                 c.description), t.v) AS v
        FROM cases_case c LEFT JOIN timeline t ON t.case_id = c.id)
    UPDATE cases_case c SET search_vector = docs.v FROM docs WHERE docs.id = c.id"""


# Suggestions match titles and tags as typed: words and prefixes, unstemmed (one 'simple'
# parse, one prefix scan of the index; a stemmer would turn "renewal" into "renew" and a
# prefix per language would scan the index four times), so no language marker either.
SUGGEST_VECTOR = """ALTER TABLE knowledge_article ADD COLUMN suggest_vector tsvector
    GENERATED ALWAYS AS (setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(tags_text, '')), 'B')) STORED"""


def _article_vector(columns: list[tuple[str, str]]) -> str:
    parts = [
        f"setweight(to_tsvector(casedesk_ts_config(language), coalesce({c}, '')), '{w}')"
        for c, w in columns
    ]
    return " || ".join(["casedesk_ts_marker(language)", *parts])


POSTGRES = [
    # Events: no vector of their own any more.
    "DROP TRIGGER search_event_vector ON cases_caseevent",
    "DROP FUNCTION casedesk_event_vector()",
    "ALTER TABLE cases_caseevent DROP COLUMN search_vector",
    *FUNCTIONS,
    # Cases: the generated column becomes the trigger-kept document.
    "ALTER TABLE cases_case ALTER COLUMN search_vector DROP EXPRESSION",
    "DROP INDEX search_case_gin",
    BACKFILL,
    "CREATE INDEX search_case_gin ON cases_case USING gin (search_vector)",
    *TRIGGERS,
    # Articles: marker in the vector; titles and tags alone for suggestions.
    "ALTER TABLE knowledge_article DROP COLUMN search_vector",
    f"""ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        {_article_vector([("title", "A"), ("tags_text", "B"), ("body_text", "C")])}) STORED""",
    "CREATE INDEX search_article_gin ON knowledge_article USING gin (search_vector)",
    SUGGEST_VECTOR,
    """CREATE INDEX search_article_suggest_gin ON knowledge_article USING gin (suggest_vector)
        WHERE state = 'published'""",
    "ANALYZE cases_case",
    "ANALYZE knowledge_article",
]


def _old_vector(column: str, weight: str) -> str:
    return (
        f"setweight(to_tsvector(casedesk_ts_config(language), coalesce({column}, '')), '{weight}')"
    )


POSTGRES_REVERSE = [
    *(f"DROP TRIGGER {t} ON cases_case" for t in ("search_case_insert", "search_case_update")),
    *(
        f"DROP TRIGGER {t} ON cases_caseevent"
        for t in ("search_event_insert", "search_event_change", "search_event_delete")
    ),
    "ALTER TABLE knowledge_article DROP COLUMN suggest_vector",
    "ALTER TABLE knowledge_article DROP COLUMN search_vector",
    f"""ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        {_old_vector("title", "A")} || {_old_vector("tags_text", "B")}
        || {_old_vector("body_text", "C")}) STORED""",
    "CREATE INDEX search_article_gin ON knowledge_article USING gin (search_vector)",
    "ALTER TABLE cases_case DROP COLUMN search_vector",
    f"""ALTER TABLE cases_case ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        {_old_vector("subject", "A")} || {_old_vector("description", "B")}) STORED""",
    "CREATE INDEX search_case_gin ON cases_case USING gin (search_vector)",
    "DROP FUNCTION casedesk_event_search()",
    "DROP FUNCTION casedesk_case_search()",
    "DROP FUNCTION casedesk_case_vector(bigint, text, text, text)",
    "DROP FUNCTION casedesk_event_piece(text, text, boolean)",
    "DROP FUNCTION casedesk_case_head(text, text, text)",
    "DROP AGGREGATE casedesk_tsvector_agg(tsvector)",
    "DROP FUNCTION casedesk_tsvector_append(tsvector, tsvector)",
    "DROP FUNCTION casedesk_row_query(text, text)",
    "DROP FUNCTION casedesk_query(text)",
    "DROP FUNCTION casedesk_config_query(regconfig, text, text)",
    "DROP FUNCTION casedesk_ts_marker(text)",
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


_TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"


def _timeline(case: str, public: str) -> str:
    return (
        "coalesce((SELECT group_concat(body, char(10)) FROM (SELECT e.body FROM cases_caseevent e "
        f"WHERE e.case_id = {case} AND e.public = {public} AND e.kind <> 'opened' "
        "AND e.body <> '' ORDER BY e.id)), '')"
    )


def _sqlite_rebuild(case: str) -> str:
    """Statements (for a trigger body) that rewrite one case's document."""
    return (
        f"DELETE FROM search_case_fts WHERE rowid = {case}; "
        "INSERT INTO search_case_fts(rowid, subject, description, timeline, internal) "
        f"SELECT c.id, c.subject, c.description, {_timeline('c.id', '1')}, "
        f"{_timeline('c.id', '0')} FROM cases_case c WHERE c.id = {case};"
    )


SQLITE = [
    *(f"DROP TRIGGER search_{t}_{op}" for t in ("case", "event") for op in ("ai", "au", "ad")),
    "DROP TABLE search_case_fts",
    "DROP TABLE search_event_fts",
    "CREATE VIRTUAL TABLE search_case_fts USING fts5(subject, description, timeline, internal, "
    f"{_TOKENIZE})",
    """CREATE TRIGGER search_case_ai AFTER INSERT ON cases_case BEGIN
        INSERT INTO search_case_fts(rowid, subject, description, timeline, internal)
        VALUES (new.id, new.subject, new.description, '', ''); END""",
    f"""CREATE TRIGGER search_case_au AFTER UPDATE OF subject, description ON cases_case
        WHEN old.subject IS NOT new.subject OR old.description IS NOT new.description BEGIN
        {_sqlite_rebuild("new.id")} END""",
    """CREATE TRIGGER search_case_ad AFTER DELETE ON cases_case BEGIN
        DELETE FROM search_case_fts WHERE rowid = old.id; END""",
    f"""CREATE TRIGGER search_event_ai AFTER INSERT ON cases_caseevent
        WHEN new.body <> '' AND new.kind <> 'opened' BEGIN {_sqlite_rebuild("new.case_id")} END""",
    f"""CREATE TRIGGER search_event_au AFTER UPDATE OF body, public, kind, case_id
        ON cases_caseevent WHEN old.body IS NOT new.body OR old.public IS NOT new.public
        OR old.kind IS NOT new.kind OR old.case_id IS NOT new.case_id BEGIN
        {_sqlite_rebuild("old.case_id")} {_sqlite_rebuild("new.case_id")} END""",
    f"""CREATE TRIGGER search_event_ad AFTER DELETE ON cases_caseevent
        WHEN old.body <> '' AND old.kind <> 'opened' BEGIN {_sqlite_rebuild("old.case_id")} END""",
    "INSERT INTO search_case_fts(rowid, subject, description, timeline, internal) "
    f"SELECT c.id, c.subject, c.description, {_timeline('c.id', '1')}, {_timeline('c.id', '0')} "
    "FROM cases_case c",
]

SQLITE_REVERSE = [
    *(f"DROP TRIGGER search_{t}_{op}" for t in ("case", "event") for op in ("ai", "au", "ad")),
    "DROP TABLE search_case_fts",
    # 0001's shape again, refilled.
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
    """INSERT INTO search_case_fts(rowid, subject, description)
        SELECT id, subject, description FROM cases_case""",
    """INSERT INTO search_event_fts(rowid, body)
        SELECT id, body FROM cases_caseevent WHERE body != ''""",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_full_text")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
