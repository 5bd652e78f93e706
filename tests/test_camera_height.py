"""The camera's height estimated from a person standing tall, and the form rules withheld ("camera too low")
when it is clearly below the heights a spec is judged from."""

from __future__ import annotations

import json

import pytest

from formcheck.cli import main
from formcheck.kinematics.camera_height import MARGIN_M, camera_problem, estimate_camera_height
from formcheck.synth.scripts import find_clip
from formcheck.synth.setups import find_setup, simulate_setup
from formcheck.synth.truetrack import true_track
from formcheck.track_io import write_track

STANDING = ("single_leg_stance_left_holds_front", "single_leg_squat_right_valgus_front", "jump_landing_front",
            "hip_hike_right_step_front")


def _track(clip: str, setup: str):
    sim = simulate_setup(find_clip(clip), find_setup(setup), 0)
    return true_track(sim.landmarks, sim.t_s, sim.clip.camera), sim.clip.camera.height_m


@pytest.mark.parametrize("clip", STANDING)
@pytest.mark.parametrize("setup", ["baseline", "low_0.3m", "low_0.6m", "high_1.6m", "near_2.5m", "far_4.5m",
                                   "yaw_+30", "small_0.85", "floor_phone"])
def test_the_camera_height_is_estimated_within_a_fifth_of_a_metre(clip, setup):
    track, true_height = _track(clip, setup)
    camera = estimate_camera_height(track)
    assert camera is not None and camera.frames >= 10
    assert -0.05 <= camera.height_m - true_height <= 0.2


def test_lying_down_nothing_is_estimated():
    track, _ = _track("bridge_side", "baseline")
    assert estimate_camera_height(track) is None


def test_only_a_camera_clearly_too_low_is_a_problem():
    track, _ = _track("single_leg_stance_left_holds_front", "low_0.3m")
    camera = estimate_camera_height(track)
    reason = camera_problem(0.6, 1.6, camera)
    assert reason is not None and reason.startswith("camera too low: about 0.4 m") and "raise the camera" in reason
    assert camera_problem(camera.height_m + MARGIN_M - 0.01, 1.6, camera) is None  # within the margin
    assert camera_problem(0.6, 1.6, None) is None
    high, _ = _track("single_leg_stance_left_holds_front", "high_1.6m")
    assert camera_problem(0.6, 1.6, estimate_camera_height(high)) is None


def test_analyze_withholds_the_form_rules_from_a_camera_on_the_floor(tmp_path, capsys):
    track, _ = _track("single_leg_squat_right_valgus_front", "low_0.3m")  # knee valgus faults; judged from 0.6 m
    path = tmp_path / "low.track.csv"
    write_track(track, path)
    out = tmp_path / "out"
    assert main(["analyze", str(path), "-e", "single_leg_squat", "--out", str(out), "--no-video",
                 "--no-history"]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    assert {"knee_valgus", "pelvic_drop", "trunk_lean"} <= set(report["not_measured"])
    assert all(report["not_measured"][r].startswith("camera too low") for r in ("knee_valgus", "trunk_lean"))
    assert not [v for v in report["violations"] if v["rule"] in ("knee_valgus", "pelvic_drop", "trunk_lean")]
    assert len(report["reps"]) == 5, "the squats are still counted"
    assert "camera too low" in printed
    # the same exercise from a camera at hip height: the valgus is judged and found
    track, _ = _track("single_leg_squat_right_valgus_front", "baseline")
    write_track(track, path)
    assert main(["analyze", str(path), "-e", "single_leg_squat", "--out", str(out), "--no-video",
                 "--no-history"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert "knee_valgus" not in report["not_measured"]
    assert any(v["rule"] == "knee_valgus" for v in report["violations"])


def _guide_messages(setup: str) -> list[str]:
    import numpy as np

    from formcheck.live.setup import SetupGuide
    from formcheck.specs.spec import resolve_spec

    track, _ = _track("single_leg_stance_left_holds_front", setup)
    guide = SetupGuide(resolve_spec("single_leg_squat", None))  # judged from 0.6 to 1.6 m
    image = np.full((track.image_size[1], track.image_size[0], 3), 128, np.uint8)
    said = []
    for i in range(60):  # two seconds of standing in front of the camera, before the stance
        advice = guide.update(float(track.t_s[i]), image, track.landmarks[i], 0, False, 0.0, track.world[i])
        said.append(advice.message or "")
    return said


def test_live_set_up_guidance_asks_to_raise_a_camera_on_the_floor():
    said = _guide_messages("low_0.3m")
    assert any(m.startswith("The camera is too low (about 0.4 m from the floor): raise it") for m in said), said


def test_live_set_up_guidance_says_nothing_of_a_camera_at_a_good_height():
    assert not any("camera is too low" in m for m in _guide_messages("baseline"))
