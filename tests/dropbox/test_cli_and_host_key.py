"""`casedesk sftp`, the demo's --sftp-port and the host key kept across starts (D2)."""

from __future__ import annotations

import stat

from casedesk.cli import build_parser
from casedesk.dropbox.server import load_host_key


def test_sftp_subcommand_and_demo_option_parse():
    # R: D2
    args = build_parser().parse_args(["sftp"])
    assert (args.host, args.port) == ("127.0.0.1", 2222)
    args = build_parser().parse_args(["sftp", "--host", "0.0.0.0", "--port", "2022"])  # noqa: S104
    assert (args.host, args.port) == ("0.0.0.0", 2022)  # noqa: S104
    assert build_parser().parse_args(["demo"]).sftp_port == 2222
    assert build_parser().parse_args(["demo", "--sftp-port", "2300"]).sftp_port == 2300


def test_host_key_is_generated_once_private_and_reused(tmp_path):
    # R: D2 — clients see the same host key after a restart
    path = tmp_path / "data" / "sftp_host_ed25519_key"
    first = load_host_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_host_key(path)
    assert first.export_public_key() == again.export_public_key()
