"""Single-leg stance and ball toss with the feet out of the picture: "not measured" with the reason, not "no hold".

From a phone on the floor 2.5 m away (placement matrix ``floor_phone``) the standing foot's ankle is below the
bottom of the picture in every frame, so ``foot_lift`` (which needs both ankles in the picture) is never
measured and no stance can be told from two feet down. The report used to list no holds and say nothing; it now
says why in ``not_measured["holds"]`` (measures/hold_view.py).
"""

from __future__ import annotations

import pytest

from formcheck.evaluate.matrix import report_for_track
from formcheck.synth.scripts import find_clip
from formcheck.synth.setups import find_setup, simulate_setup
from formcheck.synth.simulate import simulate
from formcheck.synth.truetrack import true_track


def _report(clip_name: str, setup_name: str) -> dict:
    clip = find_clip(clip_name)
    sim = simulate_setup(clip, find_setup(setup_name), 0, simulate(clip, 0))
    track = true_track(sim.landmarks, sim.t_s, sim.clip.camera, source="test")
    return report_for_track(track, clip.exercise, "test.track.csv")


@pytest.mark.parametrize("clip_name, ankle", [
    ("single_leg_stance_left_holds_front", "left ankle"),
    ("single_leg_ball_toss_right_front", "right ankle"),
])
def test_feet_out_of_the_picture_say_holds_not_measured(clip_name, ankle):
    report = _report(clip_name, "floor_phone")
    assert report["holds"] == []
    reason = report["not_measured"]["holds"]
    assert reason.startswith("holds not timed: ")
    assert f"the {ankle} was outside the picture in 100%" in reason
    assert "move it back" in reason


def test_feet_in_the_picture_time_the_holds_without_a_reason():
    report = _report("single_leg_stance_left_holds_front", "baseline")
    assert len(report["holds"]) == 3
    assert "holds" not in report["not_measured"]
