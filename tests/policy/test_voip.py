"""G2 VoIP readiness as a pure rule: the thresholds per RTP stream, the verdict per
assessment, and when support may hold a VoIP case."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casedesk.policy.defaults import DEFAULT_POLICY, SupportPolicy
from casedesk.policy.voip import (
    DEFAULT_VOIP,
    LineMeasurement,
    VoipPolicy,
    check_assessment,
    check_line,
    codec_name,
    hold_decision,
)

# Pure arithmetic: no deadline, so a loaded machine cannot fail a run (no timing in tests).
PROPS = settings(deadline=None, max_examples=300)

GOOD = LineMeasurement("Line 1", "G.711", 40.0, 5.0, 0.0, 46, 24, 100.0)

latency = st.floats(0, 1000, allow_nan=False)
jitter = st.floats(0, 200, allow_nan=False)
loss = st.floats(0, 100, allow_nan=False)
dscp = st.integers(0, 63)
bandwidth = st.floats(0, 1000, allow_nan=False)
codecs = st.sampled_from(["G.711", "PCMU", "g729", "G.722", "iLBC", "opus"])
lines = st.builds(
    LineMeasurement, st.just("L"), codecs, latency, jitter, loss, dscp, dscp, bandwidth
)


def _spec(line: LineMeasurement) -> bool:
    """G2 written out from requirements.md line 202-204, independent of the code."""
    needs = {"G.711": 87.2, "PCMU": 87.2, "g729": 31.2, "G.722": 87.2, "iLBC": 28.8}
    return (
        line.latency_ms < 150
        and line.jitter_ms < 30
        and line.loss_pct <= 1
        and line.rtp_dscp == 46  # EF
        and line.sip_dscp == 24  # CS3
        and line.codec in needs
        and line.bandwidth_kbps >= needs[line.codec]
    )


@PROPS
@given(line=lines)
def test_a_line_passes_exactly_when_every_g2_threshold_holds(line):
    # R: G2 — latency < 150 ms, jitter < 30 ms, loss ≤ 1 %, RTP EF, SIP CS3, codec bandwidth.
    verdict = check_line(line)
    assert verdict.passed is _spec(line)
    assert (verdict.failures == ()) is verdict.passed


@PROPS
@given(line=lines)
def test_each_failed_check_is_named_once(line):
    # R: G2 — the person reads which check failed and by how much.
    text = " ".join(check_line(line).failures)
    assert ("Latency" in text) is (line.latency_ms >= 150)
    assert ("Jitter" in text) is (line.jitter_ms >= 30)
    assert ("Packet loss" in text) is (line.loss_pct > 1)
    assert ("RTP is marked" in text) is (line.rtp_dscp != 46)
    assert ("SIP is marked" in text) is (line.sip_dscp != 24)


@PROPS
@given(line=lines, worse=st.floats(0, 500, allow_nan=False))
def test_worse_measurements_never_turn_a_failure_into_a_pass(line, worse):
    # R: G2 — monotone: more latency, jitter or loss, or less bandwidth, never helps.
    if check_line(line).passed:
        return
    for change in (
        {"latency_ms": line.latency_ms + worse},
        {"jitter_ms": line.jitter_ms + worse},
        {"loss_pct": min(100.0, line.loss_pct + worse)},
        {"bandwidth_kbps": max(0.0, line.bandwidth_kbps - worse)},
    ):
        assert not check_line(dataclasses.replace(line, **change)).passed


@pytest.mark.parametrize(
    ("change", "passes"),
    [
        ({"latency_ms": 149.99}, True),
        ({"latency_ms": 150.0}, False),  # "< 150 ms"
        ({"jitter_ms": 29.99}, True),
        ({"jitter_ms": 30.0}, False),  # "< 30 ms"
        ({"loss_pct": 1.0}, True),  # "≤ 1 %"
        ({"loss_pct": 1.01}, False),
        ({"rtp_dscp": 34}, False),  # AF41 is not EF
        ({"sip_dscp": 26}, False),  # AF31 is not CS3
        ({"bandwidth_kbps": 87.2}, True),
        ({"bandwidth_kbps": 87.1}, False),
        ({"codec": "G.729", "bandwidth_kbps": 31.2}, True),
        ({"codec": "speex"}, False),
    ],
)
def test_the_boundaries_are_the_handbooks(change, passes):
    # R: G2 — each bound exactly where the handbook puts it.
    assert check_line(dataclasses.replace(GOOD, **change)).passed is passes


@PROPS
@given(many=st.lists(lines, max_size=8))
def test_an_assessment_passes_when_it_has_lines_and_every_line_passes(many):
    # R: G2 — "pass/fail per line" and overall.
    verdict = check_assessment(many)
    assert verdict.passed is (bool(many) and all(_spec(line) for line in many))
    assert len(verdict.lines) == len(many)


def test_codec_names_as_tools_print_them():
    assert codec_name("PCMU") == codec_name("g.711a") == codec_name("G711") == "G.711"
    assert codec_name("G.729A") == "G.729"
    assert codec_name("opus") is None


def test_thresholds_are_policy_data_that_round_trips():
    # R: G2, C-series "policy is data": operators may change the numbers.
    strict = VoipPolicy(max_latency_ms=100, voip_product_groups=("Voice Platform", "SIP"))
    data = SupportPolicy(voip=strict).to_dict()
    assert SupportPolicy.from_dict(data).voip == strict
    old = DEFAULT_POLICY.to_dict()
    del old["voip"]  # a version saved before G2
    assert SupportPolicy.from_dict(old).voip == DEFAULT_VOIP
    assert not check_line(dataclasses.replace(GOOD, latency_ms=120), strict).passed


@PROPS
@given(voip=st.booleans(), ready=st.booleans(), down=st.booleans(), allowed=st.booleans())
def test_support_may_hold_only_a_voip_case_whose_site_is_not_ready(voip, ready, down, allowed):
    # R: G2 "Support may hold VoIP cases until it passes", as the policy allows.
    rules = VoipPolicy(holds_allowed=allowed)
    decision = hold_decision(voip_case=voip, site_ready=ready, production_down=down, policy=rules)
    assert decision.allowed is (allowed and voip and not ready and not down)
    assert decision.reason
