"""Lateral band walk and balance board: step counts and hold times right from every set-up their specs declare.

The failures these pin down, on exact synthetic tracks of the placement matrix (both exercises read the feet's
spacing as ``ankle_separation``, in hip widths, which depends on the body's proportions and the camera):
- lateral band walk with long legs or the right foot 20 cm ahead: 7 of 8 steps, since the walking width between
  two steps read 1.56 hip widths and a step ended only below 1.55 (start - hysteresis);
- balance board with long legs: the hold cut 4.4 s short, since bending the knees on the board spreads the
  ankles to 2.5 hip widths in the picture, past the "stepping off" limit of 2.2;
- balance board with the right foot ahead: the hold 0.50 s too long, since its start and end were the feet
  barely apart (0.6 hip widths; staggered feet read 0.5 together).
"""

from __future__ import annotations

import pytest

from formcheck.evaluate.matrix import run_matrix
from formcheck.specs.spec import load_spec
from formcheck.synth.scripts import find_clip
from formcheck.synth.setups import find_setup


def _cell(clip_name: str, setup_name: str):
    matrix = run_matrix([find_clip(clip_name)], [find_setup(setup_name)], strict=True)
    (cell,) = matrix.cells
    return cell


@pytest.mark.parametrize("setup_name", ["long_legs", "staggered_right", "low_0.6m", "short_legs", "high_1.6m"])
def test_band_walk_counts_every_step(setup_name):
    cell = _cell("lateral_band_walk_front", setup_name)
    assert cell.score.reps_truth == 8
    assert cell.score.reps_detected == 8, cell.failures()


@pytest.mark.parametrize("setup_name", ["long_legs", "staggered_right", "low_0.6m", "high_1.6m"])
def test_balance_board_hold_is_timed_within_tolerance(setup_name):
    cell = _cell("balance_board_front", setup_name)
    (pair,) = cell.score.holds
    assert pair.detected is not None
    truth_s = pair.truth.end_s - pair.truth.start_s
    detected_s = pair.detected.end_s - pair.detected.start_s
    assert abs(detected_s - truth_s) < 0.45, (setup_name, truth_s, detected_s)
    assert cell.passed, cell.failures()


def test_band_walk_rest_limit_lies_between_the_walking_width_and_a_step():
    """The rest limit (start - hysteresis) above the widest walking width seen (1.56), the peak below the
    narrowest step (1.83)."""
    rep = load_spec("lateral_band_walk").rep
    assert 1.56 < rep.start - rep.hysteresis and rep.peak < 1.83
