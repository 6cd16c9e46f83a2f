"""A cutover notice's network topology diagram (G1): bytes streamed into the files storage
first, then recorded; a replaced diagram's bytes go once the new row is committed. Stored
like case files (same storage, SHA-256, cleaned name), so the same download rules apply."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import BinaryIO

from django.db import transaction

from casedesk.accounts.models import Site, User
from casedesk.core.errors import NotFound, PolicyViolation
from casedesk.files.services import CHUNK, clean_filename
from casedesk.files.storage import get_storage
from casedesk.obligations.models import CutoverNotice
from casedesk.obligations.services import CutoverDraft, cutover_file

from ..models import CutoverDiagram

MAX_DIAGRAM_BYTES = 25 * 1024 * 1024


def cutover_diagram_store(
    *,
    notice: CutoverNotice,
    actor: User,
    filename: str,
    stream: BinaryIO,
    now: dt.datetime,
    content_type: str = "",
) -> CutoverDiagram:
    """Attach (or replace) the diagram; a contact only on their own organisation's notice."""
    if actor.is_contact and notice.organisation_id != actor.organisation_id:
        raise NotFound("No such cutover notice.")
    storage = get_storage()
    key = f"cutovers/{notice.pk}/{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    size = 0
    try:
        with storage.open_append(key) as out:
            while block := stream.read(CHUNK):
                size += len(block)
                if size > MAX_DIAGRAM_BYTES:
                    raise PolicyViolation(
                        f"A diagram may be at most {MAX_DIAGRAM_BYTES // (1024 * 1024)} MB.",
                        field="diagram",
                    )
                digest.update(block)
                out.write(block)
        if size == 0:
            raise PolicyViolation("The diagram file is empty.", field="diagram")
        with transaction.atomic():
            old = CutoverDiagram.objects.select_for_update().filter(notice=notice).first()
            if old is not None:
                old_key = old.storage_key
                old.delete()
                transaction.on_commit(lambda: storage.delete(old_key))
            return CutoverDiagram.objects.create(
                notice=notice,
                filename=clean_filename(filename),
                content_type=content_type[:120],
                size=size,
                sha256=digest.hexdigest(),
                storage_key=key,
                uploaded_by=actor,
                uploaded_at=now,
            )
    except BaseException:
        storage.delete(key)
        raise


def cutover_file_with_diagram(
    *,
    actor: User,
    site: Site,
    draft: CutoverDraft,
    now: dt.datetime,
    diagram: BinaryIO | None = None,
    diagram_name: str = "",
    diagram_type: str = "",
) -> CutoverNotice:
    """File the notice (``obligations.services.cutover_file``: own sites, lead time) and store
    its diagram in one transaction: a diagram refused (too large, empty) files nothing."""
    with transaction.atomic():
        notice = cutover_file(actor=actor, site=site, draft=draft, now=now)
        if diagram is not None:
            cutover_diagram_store(
                notice=notice,
                actor=actor,
                filename=diagram_name,
                stream=diagram,
                now=now,
                content_type=diagram_type,
            )
    return notice
