"""A small real volume for the files root: a tmpfs mounted where the test's files go."""

from __future__ import annotations

import subprocess

import pytest


def mount_small_volume(path, size: str = "2m"):
    """Mount a ``size`` tmpfs at ``path``; skip (saying why) where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(  # noqa: S603 (a fixed command line)
        ["/usr/bin/mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")


def unmount(path) -> None:
    subprocess.run(["/usr/bin/umount", str(path)], check=False)  # noqa: S603


@pytest.fixture
def small_volume(settings):
    """The files root on a 2 MiB volume of its own, no space kept back."""
    settings.FILES_RESERVE_BYTES = 0
    mount_small_volume(settings.FILES_ROOT)
    yield settings.FILES_ROOT
    unmount(settings.FILES_ROOT)
