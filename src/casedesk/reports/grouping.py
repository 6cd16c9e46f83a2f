"""One query, several groupings (issue 13 items 2, 5, 10): a report that shows the same rows
by day, priority, region, product and engineer reads them once. On PostgreSQL the grouping
runs as ``GROUP BY GROUPING SETS`` over the filtered rows; elsewhere (SQLite, small desks)
one ``GROUP BY`` per set, which is what the reports did before and answers the same."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Count, F, QuerySet, Sum

Row = tuple[Any, ...]  # the set's key values, then the row count, then each sum


def grouping_sets(
    qs: QuerySet[Any],
    keys: dict[str, Any],
    sets: Sequence[tuple[str, ...]],
    sums: Sequence[str] = (),
) -> list[list[Row]]:
    """For each of ``sets`` (names of ``keys``: an expression each), the rows of ``qs``
    grouped by those keys: ``(key values…, count, sum of each of sums…)``."""
    qs = qs.order_by()
    if connection.vendor != "postgresql":
        out = []
        for names in sets:
            rows = (
                qs.annotate(**{f"g_{n}": keys[n] for n in names})
                .values(*(f"g_{n}" for n in names))
                .annotate(_n=Count("*"), **{f"_s_{s}": Sum(s) for s in sums})
                .order_by()
            )
            out.append(
                [
                    (*(r[f"g_{n}"] for n in names), r["_n"], *(r[f"_s_{s}"] for s in sums))
                    for r in rows
                ]
            )
        return out
    names = list(dict.fromkeys(n for names in sets for n in names))
    if not all(n.isidentifier() for n in [*names, *sums]):
        raise ValueError("grouping keys and sums are Python identifiers")
    inner = qs.annotate(
        **{f"g_{n}": keys[n] for n in names}, **{f"s_{s}": F(s) for s in sums}
    ).values(*(f"g_{n}" for n in names), *(f"s_{s}" for s in sums))
    sql, params = inner.query.sql_with_params()
    columns = ", ".join(f'"g_{n}"' for n in names)
    flags = ", ".join(f'GROUPING("g_{n}")' for n in names)
    measures = ", ".join(["COUNT(*)", *(f'SUM("s_{s}")' for s in sums)])
    groups = ", ".join("(" + ", ".join(f'"g_{n}"' for n in s) + ")" for s in sets)
    # Identifiers are our own key names (checked above); every value is a parameter.
    query = f"SELECT {columns}, {flags}, {measures} FROM ({sql}) AS grouped "  # noqa: S608
    query += f"GROUP BY GROUPING SETS ({groups})"
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        found = cursor.fetchall()
    which = {frozenset(s): i for i, s in enumerate(sets)}
    position = {n: i for i, n in enumerate(names)}
    out = [[] for _ in sets]
    width = len(names)
    for row in found:
        present = frozenset(
            n for n, flag in zip(names, row[width : 2 * width], strict=True) if flag == 0
        )
        i = which[present]
        out[i].append((*(row[position[n]] for n in sets[i]), *row[2 * width :]))
    return out
