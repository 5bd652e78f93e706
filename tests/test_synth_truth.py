"""Synthetic truth: metric definitions on the exact body, violation windows, reps and holds, the truth file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from formcheck.errors import InputError
from formcheck.synth.body import Pose
from formcheck.synth.clip import Clip
from formcheck.synth.motion import NoiseLevels, Timeline
from formcheck.synth.scripts.common import FRONT, SIDE_FROM_RIGHT, leg, pelvis_tilt_sideways
from formcheck.synth.simulate import simulate
from formcheck.synth.truth import (
    SCHEMA,
    build_truth,
    check_faults,
    read_truth,
    true_metrics,
    windows,
    write_truth,
)

STILL = NoiseLevels(sway_m=0, trunk_deg=0, head_deg=0, legs_deg=0, arms_deg=0, tremor_deg=0)


def held(pose: Pose, **kw) -> Clip:
    """A one-second clip holding ``pose`` (no noise)."""
    def script(rng):
        return Timeline(pose, rng, jitter=0.0).stay(1.0)

    defaults = dict(name="held", exercise="single_leg_squat", side="right", view="front", position="standing",
                    camera=FRONT, script=script, description="test", noise=STILL)
    defaults.update(kw)
    return Clip(**defaults)


def metrics_of(pose: Pose) -> dict[str, float]:
    values = true_metrics(simulate(held(pose)))
    return {k: float(v[0]) for k, v in values.items()}


# --- metric definitions ---------------------------------------------------------------------------------------

def test_standing_is_neutral():
    m = metrics_of(Pose())
    for name in ("hip_flexion_left", "knee_flexion_right", "trunk_inclination", "trunk_lateral_lean",
                 "pelvic_obliquity", "knee_fppa_left", "knee_fppa_right"):
        assert m[name] == pytest.approx(0.0, abs=1e-6), name
    assert m["thigh_elevation_left"] == pytest.approx(-90.0)


@pytest.mark.parametrize("heading", [0.0, 90.0, -135.0])
def test_angles_do_not_depend_on_the_heading(heading):
    m = metrics_of(Pose(heading_deg=heading, hip_flexion_right_deg=110, knee_flexion_right_deg=80,
                        trunk_lean_deg=12))
    assert m["hip_flexion_right"] == pytest.approx(110.0, abs=0.5)
    assert m["thigh_elevation_right"] == pytest.approx(20.0, abs=0.5)  # the knee 20 degrees above the hip
    assert m["knee_flexion_right"] == pytest.approx(80.0, abs=1e-6)
    assert m["trunk_lateral_lean"] == pytest.approx(12.0, abs=1e-6)  # + toward the subject's right
    m = metrics_of(Pose(heading_deg=heading, **pelvis_tilt_sideways(-7)))
    assert m["pelvic_obliquity"] == pytest.approx(-7.0, abs=1e-6)  # + = left hip lower
    assert m["pelvic_drop_right"] == pytest.approx(7.0, abs=1e-6)
    assert m["pelvic_drop_left"] == 0.0


def test_hip_extension_is_negative():
    assert metrics_of(Pose(hip_flexion_left_deg=-15))["hip_flexion_left"] == pytest.approx(-15.0, abs=1e-6)


@pytest.mark.parametrize("side", ["left", "right"])
def test_knee_caving_in_is_positive_fppa_and_bowing_out_negative(side):
    squat = dict(**leg(side, hip=45, knee=60))
    valgus = metrics_of(Pose(**squat, **leg(side, rot=12, abd=-4, valgus=6)))[f"knee_fppa_{side}"]
    varus = metrics_of(Pose(**squat, **leg(side, rot=-12, abd=4, valgus=-6)))[f"knee_fppa_{side}"]
    plain = metrics_of(Pose(**squat))[f"knee_fppa_{side}"]
    assert valgus > 10
    assert varus < -10
    assert abs(plain) < 1


def test_fppa_is_undefined_when_the_thigh_points_at_the_camera():
    assert np.isnan(metrics_of(Pose(**leg("left", hip=95, knee=100)))["knee_fppa_left"])


# --- windows ----------------------------------------------------------------------------------------------------

def test_windows_merge_short_gaps_and_drop_short_runs():
    t = np.arange(40) / 10.0
    active = np.zeros(40, bool)
    active[5:12] = True  # 0.7 s
    active[13:20] = True  # after a one-frame gap: merged
    active[30:33] = True  # 0.3 s: too short for 0.5 s
    assert windows(t, active, 0.5) == [(5, 19)]
    assert windows(t, active, 0.3) == [(5, 19), (30, 32)]
    assert windows(t, np.zeros(40, bool), 0.1) == []


# --- whole truth ------------------------------------------------------------------------------------------------

def knee_lift(rng: np.random.Generator) -> Timeline:
    tl = Timeline(Pose(), rng, jitter=0.0, anchor="ankles")
    tl.stay(0.5).anchor("left_ankle")
    tl.move(0.5, **leg("right", hip=115, knee=100, flat=0)).stay(1.0)
    tl.move(0.5, **leg("right", hip=0, knee=0, flat=1)).anchor("ankles").stay(0.5)
    return tl


def test_a_knee_held_above_the_hip_gives_one_window_on_that_side():
    clip = Clip("lift", "safety_watch", None, "side", "standing", SIDE_FROM_RIGHT, knee_lift, "test",
                faults=("knee_above_hip",), noise=STILL)
    truth = build_truth(simulate(clip))
    assert truth["schema"] == SCHEMA
    assert [(v["rule"], v["side"]) for v in truth["violations"]] == [("knee_above_hip", "right")]
    v = truth["violations"][0]
    # the thigh passes horizontal (hip flexion 90 of 115) 80 % into the half-second lift, by minimum jerk easing
    assert 0.5 + 0.25 < v["start_s"] < 0.5 + 0.45
    assert 2.0 + 0.05 < v["end_s"] < 2.0 + 0.3
    assert v["peak"] == pytest.approx(25.0, abs=0.1)
    assert check_faults(truth) == []
    assert truth["frames"] == len(clip.script(np.random.default_rng(0)).sample(30.0))


def test_rules_follow_the_spec_and_view():
    clip = held(Pose(trunk_lean_deg=18, **leg("right", hip=50, knee=70)), name="lean", faults=("trunk_lean",))
    truth = build_truth(simulate(clip))
    assert [v["rule"] for v in truth["violations"]] == ["trunk_lean"]
    assert truth["violations"][0]["side"] is None
    checked = {(c["rule"], c["metric"]) for c in truth["rules_checked"]}
    # single_leg_squat on the right leg: the other side's hip drop, the right knee, the trunk; safety on both knees
    assert checked == {("knee_valgus", "knee_fppa_right"), ("pelvic_drop", "pelvic_drop_left"),
                       ("trunk_lean", "trunk_lateral_lean"), ("knee_above_hip", "thigh_elevation_left"),
                       ("knee_above_hip", "thigh_elevation_right")}
    side_view = build_truth(simulate(held(Pose(trunk_lean_deg=18), name="lean_side", view="side")))
    assert side_view["violations"] == []  # the spec checks trunk lean only from the front


def test_check_faults_reports_missing_and_unintended():
    truth = {"clip": "c", "faults_shown": ["knee_valgus"], "violations": [{"rule": "trunk_lean"}]}
    problems = check_faults(truth)
    assert any("knee_valgus is meant to show" in p for p in problems)
    assert any("unintended trunk_lean" in p for p in problems)


def reps_and_hold(rng):
    tl = Timeline(Pose(), rng, jitter=0.0)
    tl.mark("rep", "start", "right").move(1.0, knee_flexion_right_deg=40).move(1.0, knee_flexion_right_deg=0)
    tl.mark("rep", "end", "right").mark("rep", "start", "right", full=False)
    tl.move(0.5, knee_flexion_right_deg=15).move(0.5, knee_flexion_right_deg=0).mark("rep", "end", "right")
    tl.mark("hold", "start", "right").stay(2.0).mark("hold", "end", "right")
    return tl


def test_marks_become_reps_and_holds(tmp_path):
    clip = held(Pose(), name="marks", script=reps_and_hold)
    truth = build_truth(simulate(clip))
    assert [(r["start_s"], r["end_s"], r["full"]) for r in truth["reps"]] == [(0.0, 2.0, True), (2.0, 3.0, False)]
    assert truth["rep_count"] == 1 and truth["partial_reps"] == 1
    assert truth["holds"] == [{"n": 1, "start_s": 3.0, "end_s": 5.0, "duration_s": 2.0, "side": "right"}]
    path = write_truth(truth, tmp_path / "marks.truth.json")
    assert read_truth(path) == json.loads(json.dumps(truth))


def test_unbalanced_marks_are_refused():
    def dangling(rng):
        return Timeline(Pose(), rng).mark("hold", "start").stay(1.0)

    with pytest.raises(ValueError, match="hold started at 0.00 s never ends"):
        build_truth(simulate(held(Pose(), name="dangling", script=dangling)))


def test_read_truth_names_the_file_and_problem(tmp_path):
    with pytest.raises(InputError, match="nope.truth.json: no such truth file"):
        read_truth(tmp_path / "nope.truth.json")
    bad = tmp_path / "bad.truth.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="bad.truth.json: not a JSON truth file"):
        read_truth(bad)
    other = tmp_path / "other.truth.json"
    other.write_text('{"schema": "something/1"}')
    with pytest.raises(InputError, match="not a formcheck.truth/1 document"):
        read_truth(other)


def test_knee_above_hip_truth_is_thigh_above_level_or_hip_flexed_past_the_limit():
    """The half-kneeling sample: the front hip at about 94 degrees by design is no fault (its spec allows 105);
    leaning the trunk 26 degrees forward bends it to about 120, which is, though the thigh stays near level."""
    from formcheck.synth.scripts import CLIPS

    clip = next(c for c in CLIPS if c.name == "hip_flexor_stretch_left_side")
    sim = simulate(clip, 0)
    truth = build_truth(sim)
    kah = [v for v in truth["violations"] if v["rule"] == "knee_above_hip"]
    lean = [v for v in truth["violations"] if v["rule"] == "trunk_lean"]
    assert [v["side"] for v in kah] == ["right"] and len(lean) == 1
    assert abs(kah[0]["start_s"] - lean[0]["start_s"]) < 0.3 and abs(kah[0]["end_s"] - lean[0]["end_s"]) < 0.3
    assert np.nanmax(true_metrics(sim)["thigh_elevation_right"]) < 15  # the thigh alone would not say so
    checked = [c for c in truth["rules_checked"] if c["rule"] == "knee_above_hip"]
    assert {c["or"]["metric"] for c in checked} == {"hip_flexion_left", "hip_flexion_right"}
    assert {c["or"]["threshold"] for c in checked} == {105.0}
    assert check_faults(truth) == []


def test_truth_only_rewrites_the_truth_files_without_rendering(tmp_path):
    from formcheck.synth.generate import generate_truths

    [result] = generate_truths(tmp_path, ["safety_watch_knee_lifts_side"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "safety_watch_knee_lifts_side.truth.json"]
    assert read_truth(result.truth)["violations"] == json.loads(
        (Path(__file__).resolve().parents[1] / "sample_videos" / result.truth.name).read_text())["violations"]
    with pytest.raises(InputError, match="no such folder"):
        generate_truths(tmp_path / "missing", ["safety_watch_knee_lifts_side"])
