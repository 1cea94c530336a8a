"""The hazard ratio in whole people, checked against a calculation done by hand."""

from __future__ import annotations

import pytest

from analysis.retention.absolute import reference_hazard, stops_per_100


def test_stops_per_100_matches_a_hand_calculation():
    # h = 0.05 a month, HR = 1.65, three months. By hand: 0.95^3 = 0.857375, so 14.2625 of 100 stop at h;
    # with the ratio each month's stay probability is 0.95^1.65 = exp(1.65 * ln 0.95) = exp(-0.0846338)
    # = 0.918849, and 0.918849^3 = 0.775768, so 22.4232 of 100 stop.
    result = stops_per_100(0.05, 1.65)
    assert result.during == pytest.approx(14.2625, abs=1e-4)
    assert result.after == pytest.approx(22.4232, abs=1e-3)


def test_a_ratio_of_one_changes_nothing_and_a_ratio_below_one_means_fewer_stops():
    same = stops_per_100(0.1, 1.0, months=2)
    assert same.during == same.after == pytest.approx(19.0)  # 1 - 0.9^2
    assert stops_per_100(0.1, 0.5).after < stops_per_100(0.1, 0.5).during


def test_small_hazards_approach_months_times_hazard_times_ratio():
    # For a rare event the cloglog change is close to multiplying the rate: 3 * 0.001 * 2 = 0.6 %.
    assert stops_per_100(0.001, 2.0).after == pytest.approx(0.6, rel=0.01)


@pytest.mark.parametrize(("hazard", "ratio"), [(1.0, 1.5), (-0.1, 1.5), (0.1, 0.0)])
def test_impossible_inputs_are_refused(hazard, ratio):
    with pytest.raises(ValueError):
        stops_per_100(hazard, ratio)


def test_reference_hazard_reads_the_last_three_subsidised_months():
    info = {"bins": {"-3..-1": {"events": 155, "person_months": 3797}, "0..2": {"events": 1, "person_months": 2}}}
    assert reference_hazard(info) == (pytest.approx(155 / 3797), 155)
    assert reference_hazard({"bins": {}}) is None
