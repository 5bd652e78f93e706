"""Reps that cannot be counted are reported "not measured" with the true cause, not as 0 reps: a camera 2.5 m
from a standing adult at hip height cuts the feet off at the bottom of the picture, so no take-off or landing of
a jump is ever seen (measures/rep_view.py)."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.evaluate.matrix import report_for_track
from formcheck.evaluate.scores import score_clip
from formcheck.landmarks import INDEX
from formcheck.synth.scripts import CLIPS
from formcheck.synth.setups import find_setup, simulate_setup
from formcheck.synth.simulate import simulate
from formcheck.synth.truetrack import true_track
from formcheck.synth.truth import build_truth

JUMP = next(c for c in CLIPS if c.name == "jump_landing_front")
FEET = [INDEX[f"{s}_{p}"] for s in ("left", "right") for p in ("ankle", "heel", "foot_index")]


@pytest.fixture(scope="module")
def base():
    return simulate(JUMP, 0)


def _track(sim):
    return true_track(sim.landmarks, sim.t_s, sim.clip.camera, source="test")


def test_feet_below_the_picture_reps_not_measured_with_the_reason(base):
    sim = simulate_setup(JUMP, find_setup("near_2.5m"), 0, base)
    report = report_for_track(_track(sim), JUMP.exercise, "near.track.csv")
    assert report["reps"] == []
    reason = report["not_measured"]["rep_count"]
    assert "left the picture" in reason and "below the bottom of the picture" in reason
    assert "heel" in reason and "aim the camera lower or move it back" in reason
    # the landing rules are judged only during a jump: not judged, and saying why
    assert "no rep could be counted" in report["not_measured"]["knee_valgus"]
    score = score_clip(report, build_truth(sim))
    assert score.reps_not_measured == reason and score.rep_error == 0


def test_feet_in_the_picture_jumps_counted_and_no_claim(base):
    report = report_for_track(_track(base), JUMP.exercise, "base.track.csv")
    assert len(report["reps"]) == build_truth(base)["rep_count"] == 4
    assert "rep_count" not in report["not_measured"]


def test_feet_hidden_inside_the_picture_say_hidden(base):
    track = _track(base)
    landmarks = np.array(track.landmarks, copy=True)
    landmarks[:, FEET, 3] = 0.0  # in the picture, but not visible to the pose model
    report = report_for_track(track.replace(landmarks=landmarks), JUMP.exercise, "hidden.track.csv")
    assert report["reps"] == []
    reason = report["not_measured"]["rep_count"]
    assert "hidden" in reason and "left the picture" not in reason
