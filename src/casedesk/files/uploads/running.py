"""The running whole-file hash of each upload whose chunks came through this process."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

# upload id -> (offset the hash covers, hashlib object). Per process: a chunk handled by
# another worker process makes this process's entry stale, and the final hash then
# falls back to re-reading the file once (measured in docs/benchmarks.md).
_RUNNING: OrderedDict[str, tuple[int, Any]] = OrderedDict()
_RUNNING_MAX = 256


def _running_take(upload_id: str, offset: int) -> Any | None:
    entry = _RUNNING.pop(upload_id, None)
    if entry is not None and entry[0] == offset:
        return entry[1]
    return hashlib.sha256() if offset == 0 else None


def _running_put(upload_id: str, offset: int, digest: Any) -> None:
    _RUNNING[upload_id] = (offset, digest)
    while len(_RUNNING) > _RUNNING_MAX:
        _RUNNING.popitem(last=False)
