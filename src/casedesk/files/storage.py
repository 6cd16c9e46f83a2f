"""Where attachment bytes live, behind a small interface (architecture convention 8).

Keys are relative, slash-separated names chosen by the services, never by users.
The filesystem backend is the default; another backend (object storage) implements
the same methods. Writes append, so a resumable upload (tus, SFTP) streams to
its key with constant memory and can continue after a restart.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import BinaryIO, Protocol

from django.conf import settings


class Storage(Protocol):
    def open_append(self, key: str) -> BinaryIO: ...
    def open_read(self, key: str) -> BinaryIO: ...
    def size(self, key: str) -> int: ...
    def move(self, src: str, dst: str) -> None: ...
    def delete(self, key: str) -> bool: ...
    def exists(self, key: str) -> bool: ...
    def truncate(self, key: str, size: int) -> None: ...
    def free_bytes(self) -> int: ...


class FileSystemStorage:
    """Files under one root directory; ``move`` is an atomic rename on one filesystem."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"storage key escapes the root: {key!r}")
        return path

    def open_append(self, key: str) -> BinaryIO:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "ab")

    def open_read(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return 0

    def move(self, src: str, dst: str) -> None:
        target = self._path(dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path(src), target)

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def truncate(self, key: str, size: int) -> None:
        """Cut a partial file back to ``size`` bytes (a refused or half-written chunk)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as handle:
            handle.truncate(size)

    def free_bytes(self) -> int:
        """Bytes free for us on the volume that holds the root (``shutil.disk_usage``)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return shutil.disk_usage(self.root).free

    def local_path(self, key: str) -> Path:
        """The file's path, for servers that hand a file descriptor to the OS."""
        return self._path(key)


def get_storage() -> FileSystemStorage:
    return FileSystemStorage(settings.FILES_ROOT)
