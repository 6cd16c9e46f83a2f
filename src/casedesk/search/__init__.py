"""One search over knowledge articles, self-help pages, the resource centre and the user's
own cases (F6, F1, T12).

Here: ``query`` (the search box's grammar, pure), one backend per database — ``postgres``
(tsvector columns, GIN indexes, ``to_tsquery`` of the parsed query, ``ts_headline``, a
text-search configuration per language) and ``sqlite`` (FTS5 tables kept in step by triggers) — and
``selectors``, the one interface pages and the API call, which scopes every result,
count and snippet by the same rules as everything else (``cases.permissions``,
``policy.articles``). The index DDL is in ``migrations``. No models, no pages.

May import: the domain apps (``cases``, ``knowledge``, ``resources``), ``policy`` and
``core``. Never an interface or the page kit.
"""
