"""Single-leg stance with faults, short legs: the lifted foot stays clear of the floor through the pelvic drop.

With the lifted knee held at 70 degrees, the 10 degree drop of that hip lowered the foot of shorter legs 1.3 cm
below its resting height (into the floor): the mannequin stood on both feet in the middle of the stance, and
the truth, measuring touch-down from the foot's lowest height in the clip, never saw the second stance end
(hold 11.4-18.5 s, 1.23 s off). The knee now bends further while the hip drops, as a person's does.
"""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.evaluate.matrix import run_matrix
from formcheck.landmarks import INDEX
from formcheck.synth.scripts import find_clip
from formcheck.synth.setups import find_setup, simulate_setup
from formcheck.synth.simulate import simulate

CLIP = "single_leg_stance_right_faults_front"


@pytest.mark.parametrize("setup_name", ["short_legs", "baseline", "small_0.85"])
def test_lifted_foot_clears_its_resting_height_during_the_stances(setup_name):
    clip = find_clip(CLIP)
    sim = simulate_setup(clip, find_setup(setup_name), 0, simulate(clip, 0))
    points = [INDEX[f"left_{part}"] for part in ("heel", "foot_index", "ankle")]
    height = sim.landmarks[:, points, 1].min(axis=1)
    resting = float(np.median(height[sim.t_s < 1.0]))
    in_drop = (sim.t_s > 4.0) & (sim.t_s < 6.8)  # the pelvis dropped 10 degrees on the lifted side
    assert height[in_drop].min() > resting + 0.02


def test_short_legs_stances_are_timed_within_tolerance():
    matrix = run_matrix([find_clip(CLIP)], [find_setup("short_legs")], strict=True)
    (cell,) = matrix.cells
    assert [round(p.truth.end_s - p.truth.start_s, 1) for p in cell.score.holds] == [7.2, 5.6]
    assert cell.passed, cell.failures()
