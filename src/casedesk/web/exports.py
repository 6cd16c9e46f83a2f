"""CSV downloads (I1): UTF-8 with a byte-order mark so Excel reads the accents, RFC 4180
quoting and CRLF line ends by the ``csv`` module, streamed row by row so memory stays flat
however many rows the iterator yields."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

BOM = "\ufeff"


class _Line:
    """A write-only file for ``csv.writer``: each ``writerow`` returns the encoded line."""

    def write(self, value: str) -> str:
        return value


BATCH = 500  # rows per chunk sent: fewer, larger writes; memory stays one batch


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    writer = csv.writer(_Line())
    yield (BOM + writer.writerow(header)).encode()
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow(["" if v is None else v for v in row]))
        if len(batch) >= BATCH:
            yield "".join(batch).encode()
            batch.clear()
    if batch:
        yield "".join(batch).encode()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
