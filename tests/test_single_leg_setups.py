"""Standing single-leg exercises (single-leg squat, hip hike) judged right from the home set-ups their specs declare.

The failures these pin down, on exact synthetic tracks of the placement matrix:
- single-leg squat with the feet staggered: 0 reps, since lifting the front foot (the lower one in the picture)
  raised the floor line and a standing pelvis read 0.08 leg lengths "deep" for good (pelvis_depth now follows
  the pelvis's height in the picture);
- single-leg squat from 2.5 m: 0 reps and no standing leg, since the heels and toes were cut off at the
  picture's edge (the standing leg is now told from the ankles);
- hip hike with the feet level at rest (a turned body, an off-axis camera): the first rep lost, since the
  hanging foot dipping below the step moved the floor line and the foot on the step seemed to move as much
  (the working side is now told from ``ankle_level``, the height in the picture).
"""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.evaluate.matrix import run_matrix
from formcheck.kinematics.metrics import compute_metrics
from formcheck.synth.scripts import find_clip
from formcheck.synth.setups import find_setup, simulate_setup
from formcheck.synth.simulate import simulate
from formcheck.synth.truetrack import true_track


def _cell(clip_name: str, setup_name: str):
    matrix = run_matrix([find_clip(clip_name)], [find_setup(setup_name)], strict=True)
    (cell,) = matrix.cells
    return cell


@pytest.mark.parametrize("clip_name, setup_name", [
    ("single_leg_squat_right_valgus_front", "staggered_left"),
    ("single_leg_squat_left_pelvis_trunk_front", "staggered_right"),
    ("single_leg_squat_right_valgus_front", "near_2.5m"),
    ("single_leg_squat_left_pelvis_trunk_front", "near_2.5m"),
    ("single_leg_squat_right_valgus_front", "yaw_+30"),
    ("single_leg_squat_left_pelvis_trunk_front", "turned_+30"),
])
def test_single_leg_squat_counts_every_rep_from_these_set_ups(clip_name, setup_name):
    cell = _cell(clip_name, setup_name)
    assert cell.score is not None and cell.score.reps_detected == cell.score.reps_truth
    assert cell.passed, cell.failures


@pytest.mark.parametrize("setup_name", ["yaw_+15", "yaw_+30", "turned_-30", "staggered_left"])
def test_hip_hike_counts_the_first_rep_with_the_feet_level_at_rest(setup_name):
    cell = _cell("hip_hike_right_step_front", setup_name)
    assert cell.score is not None and cell.score.reps_detected == cell.score.reps_truth == 5
    assert cell.passed, cell.failures


def test_ankle_level_of_the_foot_on_the_step_stays_still_while_the_other_dips():
    clip = find_clip("hip_hike_right_step_front")
    sim = simulate_setup(clip, find_setup("yaw_+15"), 0, simulate(clip, 0))
    track = true_track(sim.landmarks, sim.t_s, sim.clip.camera)
    table = compute_metrics(track)
    first_dip = np.asarray(track.t_s) < 3.0
    level_right = table.column("ankle_level_right")[0][first_dip]
    level_left = table.column("ankle_level_left")[0][first_dip]
    height_right = table.column("ankle_height_right")[0][first_dip]
    assert np.ptp(level_right) < 0.005  # the foot on the step: still in the picture
    assert np.ptp(level_left) > 0.03  # the hanging foot drops with the pelvis
    assert np.ptp(height_right) > 0.015  # above the floor line it seemed to move, as the floor followed the dip


def test_single_leg_squat_says_why_with_the_standing_foot_out_of_the_picture():
    """Phone on the floor 2.5 m away: the standing ankle is below the bottom edge in every frame, so the standing
    leg cannot be told and no squat is counted; the report's section says so instead of a bare "none counted"."""
    from formcheck.evaluate.matrix import report_for_track

    clip = find_clip("single_leg_squat_right_valgus_front")
    sim = simulate_setup(clip, find_setup("floor_phone"), 0, simulate(clip, 0))
    report = report_for_track(true_track(sim.landmarks, sim.t_s, sim.clip.camera), clip.exercise, "x.track.csv")
    summary = report["single_leg_squat"]["summary"]
    assert report["reps"] == [] and summary["measured"] is False
    assert "standing leg could not be told" in summary["reason"]
    assert "ankle_height_right 0%" in summary["reason"]
