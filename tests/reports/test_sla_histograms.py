"""The service-level p90 from summed per-day histograms (ADR 0008): a p90 does not add
across days, a histogram does, and the nearest rank over it is the nearest rank over the
values (I1, C3)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from casedesk.reports.periods import mean, p90
from casedesk.reports.slcells import hist_mean, hist_p90

values = st.lists(st.integers(min_value=0, max_value=40), max_size=60)


@given(values, values)
def test_p90_of_summed_histograms_is_the_p90_of_all_values(day1, day2):
    summed = Counter(day1) + Counter(day2)
    assert hist_p90(summed) == p90(day1 + day2)
    assert hist_mean(summed) == mean(day1 + day2)  # same integer sum over the same count


def test_empty_histogram_has_no_figures():
    assert hist_p90(Counter()) is None
    assert hist_mean(Counter()) is None
