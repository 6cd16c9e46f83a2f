"""The drop box's path rule, by component after normalisation (security rule 10)."""

from __future__ import annotations

import pytest

from casedesk.dropbox.jail import JailError, resolve


@pytest.mark.parametrize(
    ("raw", "name"),
    [(b"/", ""), (b"", ""), (b".", ""), (b"/./", ""), (b"a.log", "a.log"), (b"/a.log", "a.log"),
     (b"//./a.log", "a.log"), ("é.txt".encode(), "é.txt")],
)  # fmt: skip
def test_names_inside_the_drop_box(raw, name):
    # R: D2
    assert resolve(raw).name == name


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"..", "denied"),
        (b"/..", "denied"),
        (b"../other", "denied"),
        (b"/a/../../etc/passwd", "denied"),
        (b"a/..", "denied"),
        (b"/etc/passwd", "missing"),
        (b"/cases/7/abc", "missing"),
        (b"sub/a.log", "missing"),
        (b"a\x00.log", "invalid"),
        (b"a\\..\\b", "invalid"),
        (b"\xff\xfe", "invalid"),
        (b"a\nb", "invalid"),
        (b"x" * 300, "invalid"),
    ],
)
def test_escapes_and_odd_names_are_refused(raw, kind):
    # R: security rule 10 — "..", NUL, absolute escapes, sub-folders
    with pytest.raises(JailError) as exc:
        resolve(raw)
    assert exc.value.kind == kind
