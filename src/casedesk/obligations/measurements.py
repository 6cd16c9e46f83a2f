"""Reading VoIP measurements (G2) typed in a form or sent as a CSV or JSON file.

Every value is checked the same way wherever it comes from; a bad file is refused whole,
with one message per bad row and field ("Row 3, latency_ms: …"), so the customer can fix
the file and send it again. Nothing is stored from a file with any error.

CSV: a header row naming at least ``stream, codec, latency_ms, jitter_ms, loss_pct,
rtp_dscp, sip_dscp, bandwidth_kbps`` (other columns are ignored), one row per RTP stream.
JSON: ``{"measured_at": "2026-11-20T10:00:00Z", "notes": "…", "lines": [{…}, …]}`` with
the same keys per line, or just the list of lines. DSCP may be a number (46) or a name
(EF, CS3, AF41).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import dataclass
from typing import Any

from casedesk.core.errors import PolicyViolation
from casedesk.policy.voip import LineMeasurement

FIELDS = (
    "stream",
    "codec",
    "latency_ms",
    "jitter_ms",
    "loss_pct",
    "rtp_dscp",
    "sip_dscp",
    "bandwidth_kbps",
)
FIELD_LABELS = {
    "stream": "RTP stream",
    "codec": "Codec",
    "latency_ms": "Latency (ms)",
    "jitter_ms": "Jitter (ms)",
    "loss_pct": "Packet loss (%)",
    "rtp_dscp": "RTP DSCP",
    "sip_dscp": "SIP DSCP",
    "bandwidth_kbps": "Bandwidth (kbit/s)",
}
MAX_LINES = 500
MAX_FILE_BYTES = 1_000_000
_LIMITS = {  # (lowest, highest) a measuring tool can honestly report
    "latency_ms": (0.0, 60_000.0),
    "jitter_ms": (0.0, 60_000.0),
    "loss_pct": (0.0, 100.0),
    "bandwidth_kbps": (0.0, 100_000_000.0),
}
_TEXT_MAX = {"stream": 100, "codec": 20}


class MeasurementErrors(PolicyViolation):
    """Measurements that cannot be read; ``errors`` lists (where, message) for each."""

    def __init__(self, errors: list[tuple[str, str]], *, field: str = "file") -> None:
        shown = "; ".join(f"{where}: {message}" for where, message in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"Nothing was stored. {shown}{more}", field=field)
        self.errors = errors


def dscp_value(value: Any) -> int:
    """46, "46", "EF", "cs3", "AF41" → the 6-bit code point; ValueError otherwise."""
    text = str(value).strip().upper()
    if text.isdigit():
        number = int(text)
    elif text == "EF":
        number = 46
    elif text.startswith("CS") and text[2:].isdigit() and len(text) == 3:
        number = 8 * int(text[2:])
    elif text.startswith("AF") and len(text) == 4 and text[2] in "1234" and text[3] in "123":
        number = 8 * int(text[2]) + 2 * int(text[3])
    else:
        raise ValueError(f"“{value}” is not a DSCP value (0-63, EF, CS0-CS7 or AF11-AF43)")
    if not 0 <= number <= 63:
        raise ValueError(f"{number} is not a DSCP value (0-63)")
    return number


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise ValueError("is not a number")
    try:
        number = float(str(value).strip().rstrip("%")) if value is not None else math.nan
    except ValueError:
        raise ValueError(f"“{value}” is not a number") from None
    low, high = _LIMITS[name]
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"must be a number from {low:g} to {high:g}")
    return number


def line_from(data: dict[str, Any]) -> tuple[LineMeasurement | None, list[tuple[str, str]]]:
    """One line from its fields (text or numbers); the errors per field name otherwise."""
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for name in FIELDS:
        raw = data.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            errors.append((name, "is missing"))
            continue
        try:
            if name in _TEXT_MAX:
                text = str(raw).strip()
                if len(text) > _TEXT_MAX[name] or any(ord(ch) < 32 for ch in text):
                    raise ValueError(f"must be plain text of at most {_TEXT_MAX[name]} characters")
                values[name] = text
            elif name.endswith("_dscp"):
                values[name] = dscp_value(raw)
            else:
                values[name] = _number(raw, name)
        except ValueError as exc:
            errors.append((name, str(exc)))
    if errors:
        return None, errors
    return LineMeasurement(**values), []


@dataclass(frozen=True)
class MeasurementFile:
    kind: str  # csv | json
    lines: list[LineMeasurement]
    measured_at: dt.datetime | None = None
    notes: str = ""


def _lines(rows: list[dict[str, Any]], first_row: int) -> list[LineMeasurement]:
    if not rows:
        raise MeasurementErrors([("File", "has no measured lines")])
    if len(rows) > MAX_LINES:
        raise MeasurementErrors([("File", f"has {len(rows)} lines; at most {MAX_LINES}")])
    lines: list[LineMeasurement] = []
    errors: list[tuple[str, str]] = []
    for number, row in enumerate(rows, start=first_row):
        if not isinstance(row, dict):
            errors.append((f"Row {number}", "is not an object of line fields"))
            continue
        line, problems = line_from(row)
        errors += [(f"Row {number}, {name}", message) for name, message in problems]
        if line is not None:
            lines.append(line)
    if errors:
        raise MeasurementErrors(errors)
    return lines


def _text(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise MeasurementErrors([("File", f"is larger than {MAX_FILE_BYTES // 1000} kB")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MeasurementErrors([("File", "is not UTF-8 text")]) from None


def parse_csv(data: bytes) -> MeasurementFile:
    text = _text(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [name for name in FIELDS if name not in header]
    if missing:
        raise MeasurementErrors(
            [("Header row", f"lacks the column(s) {', '.join(missing)}")], field="file"
        )
    reader.fieldnames = header
    try:
        rows = [row for row in reader if any((v or "").strip() for v in row.values())]
    except csv.Error as exc:
        raise MeasurementErrors([("File", f"is not valid CSV ({exc})")]) from None
    return MeasurementFile("csv", _lines(rows, first_row=2))  # row 1 is the header


def _when(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise MeasurementErrors([("measured_at", "is not an ISO 8601 date and time")]) from None
    if when.tzinfo is None:
        raise MeasurementErrors([("measured_at", "needs a UTC offset, e.g. 2026-11-20T10:00Z")])
    return when.astimezone(dt.UTC)


def parse_json(data: bytes) -> MeasurementFile:
    try:
        doc = json.loads(_text(data))
    except json.JSONDecodeError as exc:
        why = f"is not valid JSON ({exc.msg}, line {exc.lineno})"
        raise MeasurementErrors([("File", why)]) from None
    if isinstance(doc, list):
        return MeasurementFile("json", _lines(doc, first_row=1))
    if not isinstance(doc, dict) or not isinstance(doc.get("lines"), list):
        raise MeasurementErrors([("File", "must be a list of lines or an object with “lines”")])
    notes = doc.get("notes") or ""
    if not isinstance(notes, str) or len(notes) > 2000:
        raise MeasurementErrors([("notes", "must be text of at most 2000 characters")])
    measured_at = _when(doc.get("measured_at"))
    return MeasurementFile("json", _lines(doc["lines"], first_row=1), measured_at, notes)


def parse_file(filename: str, data: bytes) -> MeasurementFile:
    """By the file's extension; a file that is neither is refused, saying so."""
    name = filename.lower()
    if name.endswith(".csv"):
        return parse_csv(data)
    if name.endswith(".json"):
        return parse_json(data)
    raise MeasurementErrors([("File", "must be a .csv or .json measurement file")])
