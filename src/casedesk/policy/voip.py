"""VoIP readiness (G2): is a site's network fit to carry calls, stream by stream?

Each measured RTP stream (a "line") passes when its one-way latency is under 150 ms, its
jitter under 30 ms, its packet loss at most 1 %, its RTP packets marked DSCP EF (46), the
SIP signalling marked CS3 (24), and the bandwidth measured for it covers what its codec
needs. An assessment passes when it has at least one line and every line passes; a site is
ready while its latest assessment passes. Support may hold a VoIP case until then, when the
policy allows holds at all and the case is not Production Down (a site that cannot call is
worked, never parked).

The numbers are one ``VoipPolicy``, part of the support policy operators edit; every verdict
says in words which checks failed and by how much.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .decision import Decision, allow, deny

DSCP_EF = 46  # Expedited Forwarding: voice media (RFC 3246)
DSCP_CS3 = 24  # Class Selector 3: call signalling (RFC 4594)

# Bandwidth one call needs on Ethernet (IP/UDP/RTP + L2 headers), 20 ms packets; iLBC at
# 30 ms. Cisco's "Voice Over IP - Per Call Bandwidth Consumption" gives the same figures.
DEFAULT_CODEC_KBPS: dict[str, float] = {
    "G.711": 87.2,
    "G.722": 87.2,
    "G.729": 31.2,
    "iLBC": 28.8,
}
# Names measurement tools print for the same codecs.
CODEC_ALIASES: dict[str, str] = {
    "g711": "G.711",
    "g711u": "G.711",
    "g711a": "G.711",
    "g711ulaw": "G.711",
    "g711alaw": "G.711",
    "pcmu": "G.711",
    "pcma": "G.711",
    "g722": "G.722",
    "g729": "G.729",
    "g729a": "G.729",
    "g729ab": "G.729",
    "ilbc": "iLBC",
}


def codec_name(text: str, known: Iterable[str] = DEFAULT_CODEC_KBPS) -> str | None:
    """The policy's name for a codec as a tool spelled it ("PCMU", "g.711u"), or None."""
    key = "".join(ch for ch in text.lower() if ch.isalnum())
    for name in known:
        if key == "".join(ch for ch in name.lower() if ch.isalnum()):
            return name
    alias = CODEC_ALIASES.get(key)
    return alias if alias in set(known) else None


@dataclass(frozen=True)
class VoipPolicy:
    """The G2 thresholds and the hold rule, as data (round-trips through ``to_dict``)."""

    max_latency_ms: float = 150.0  # strictly under
    max_jitter_ms: float = 30.0  # strictly under
    max_loss_pct: float = 1.0  # at most
    rtp_dscp: int = DSCP_EF
    sip_dscp: int = DSCP_CS3
    codec_kbps: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_CODEC_KBPS))
    # Cases in these product groups are VoIP cases (the flag and the hold apply to them).
    voip_product_groups: tuple[str, ...] = ("Voice Platform",)
    holds_allowed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_latency_ms": self.max_latency_ms,
            "max_jitter_ms": self.max_jitter_ms,
            "max_loss_pct": self.max_loss_pct,
            "rtp_dscp": self.rtp_dscp,
            "sip_dscp": self.sip_dscp,
            "codec_kbps": dict(self.codec_kbps),
            "voip_product_groups": list(self.voip_product_groups),
            "holds_allowed": self.holds_allowed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> VoipPolicy:
        """Policy versions saved before G2 existed take the handbook's numbers."""
        if not data:
            return cls()
        return cls(
            max_latency_ms=float(data["max_latency_ms"]),
            max_jitter_ms=float(data["max_jitter_ms"]),
            max_loss_pct=float(data["max_loss_pct"]),
            rtp_dscp=int(data["rtp_dscp"]),
            sip_dscp=int(data["sip_dscp"]),
            codec_kbps={str(k): float(v) for k, v in data["codec_kbps"].items()},
            voip_product_groups=tuple(data["voip_product_groups"]),
            holds_allowed=bool(data["holds_allowed"]),
        )


DEFAULT_VOIP = VoipPolicy()


@dataclass(frozen=True)
class LineMeasurement:
    """One RTP stream as measured: milliseconds, percent, DSCP code points, kbit/s."""

    stream: str
    codec: str
    latency_ms: float
    jitter_ms: float
    loss_pct: float
    rtp_dscp: int
    sip_dscp: int
    bandwidth_kbps: float


@dataclass(frozen=True)
class LineVerdict:
    passed: bool
    failures: tuple[str, ...]  # one sentence per failed check, empty when passed

    @property
    def text(self) -> str:
        return "Passes every check." if self.passed else " ".join(self.failures)


def _num(value: float) -> str:
    return f"{value:g}"


def check_line(line: LineMeasurement, policy: VoipPolicy = DEFAULT_VOIP) -> LineVerdict:
    """Every G2 check on one stream; the verdict names each one that failed."""
    failures: list[str] = []
    if not line.latency_ms < policy.max_latency_ms:
        failures.append(
            f"Latency {_num(line.latency_ms)} ms is not under {_num(policy.max_latency_ms)} ms."
        )
    if not line.jitter_ms < policy.max_jitter_ms:
        failures.append(
            f"Jitter {_num(line.jitter_ms)} ms is not under {_num(policy.max_jitter_ms)} ms."
        )
    if not line.loss_pct <= policy.max_loss_pct:
        failures.append(
            f"Packet loss {_num(line.loss_pct)} % is over {_num(policy.max_loss_pct)} %."
        )
    if line.rtp_dscp != policy.rtp_dscp:
        failures.append(f"RTP is marked DSCP {line.rtp_dscp}, not {policy.rtp_dscp} (EF).")
    if line.sip_dscp != policy.sip_dscp:
        failures.append(f"SIP is marked DSCP {line.sip_dscp}, not {policy.sip_dscp} (CS3).")
    codec = codec_name(line.codec, policy.codec_kbps)
    if codec is None:
        known = ", ".join(policy.codec_kbps)
        failures.append(f"Codec “{line.codec}” is not one the policy knows ({known}).")
    elif not line.bandwidth_kbps >= policy.codec_kbps[codec]:
        failures.append(
            f"Bandwidth {_num(line.bandwidth_kbps)} kbit/s is below the "
            f"{_num(policy.codec_kbps[codec])} kbit/s {codec} needs."
        )
    return LineVerdict(not failures, tuple(failures))


@dataclass(frozen=True)
class AssessmentVerdict:
    passed: bool
    lines: tuple[LineVerdict, ...]
    reason: str


def check_assessment(
    lines: Iterable[LineMeasurement], policy: VoipPolicy = DEFAULT_VOIP
) -> AssessmentVerdict:
    """Passes when there is at least one line and every line passes."""
    verdicts = tuple(check_line(line, policy) for line in lines)
    if not verdicts:
        return AssessmentVerdict(False, (), "No RTP stream was measured.")
    failed = sum(not v.passed for v in verdicts)
    if failed:
        return AssessmentVerdict(
            False, verdicts, f"{failed} of {len(verdicts)} lines fail the G2 thresholds."
        )
    return AssessmentVerdict(True, verdicts, f"All {len(verdicts)} lines pass.")


def is_voip_case(product_group: str | None, policy: VoipPolicy = DEFAULT_VOIP) -> bool:
    return product_group is not None and product_group in policy.voip_product_groups


def hold_decision(
    *,
    voip_case: bool,
    site_ready: bool,
    production_down: bool,
    policy: VoipPolicy = DEFAULT_VOIP,
) -> Decision:
    """May support hold this case as "VoIP readiness pending" (G2)? Says why not."""
    if not policy.holds_allowed:
        return deny("The support policy does not allow VoIP readiness holds.")
    if not voip_case:
        return deny("Only VoIP cases wait for VoIP readiness.")
    if site_ready:
        return deny("The site's latest VoIP readiness assessment passes; nothing to wait for.")
    if production_down:
        return deny("A Production Down case is worked, never held for readiness.")
    return allow("The site has no passing VoIP readiness assessment.")
