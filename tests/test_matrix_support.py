"""The placement matrix judges a spec on the set-ups it declares: a frontal-plane rule past its body-turn limit
must be reported "not measured" (turned too far), a camera height outside the declared range is "outside"."""

from __future__ import annotations

import pytest

from formcheck.evaluate.matrix import exact_cell, report_for_track
from formcheck.evaluate.supported import TURN_MARGIN_DEG, cell_support, true_turn_deg
from formcheck.specs.spec import resolve_spec
from formcheck.synth.scripts import find_clip
from formcheck.synth.setups import find_setup, simulate_setup
from formcheck.synth.truetrack import true_track
from formcheck.synth.truth import build_truth

VALGUS = "single_leg_squat_right_valgus_front"  # knee_valgus (FPPA, true within 10 degrees of facing the camera)


def _sim(clip: str, setup: str):
    return simulate_setup(find_clip(clip), find_setup(setup), 0)


@pytest.mark.parametrize(("setup", "turn"), [("baseline", 0), ("yaw_+15", 15), ("yaw_-30", 30), ("turned_+30", 30),
                                             ("floor_phone", 20)])
def test_the_true_turn_is_the_set_ups_yaw_or_turn(setup, turn):
    assert true_turn_deg(_sim(VALGUS, setup)) == pytest.approx(turn, abs=2.5)


def test_a_side_view_clip_is_side_on():
    assert true_turn_deg(_sim("bridge_side", "baseline")) == pytest.approx(90, abs=3)


def test_within_the_limits_every_rule_must_be_measured():
    support = cell_support(resolve_spec("single_leg_squat", None), _sim(VALGUS, "baseline"))
    assert support.beyond == () and support.near == () and support.supported


def test_past_the_fppa_limit_the_valgus_rule_must_be_reported_not_measured():
    spec = resolve_spec("single_leg_squat", None)
    near = cell_support(spec, _sim(VALGUS, "yaw_+15"))
    assert "knee_valgus" in near.near and "trunk_lean" not in near.beyond + near.near  # FPPA 10, trunk 20
    support = cell_support(spec, _sim(VALGUS, "yaw_+30"))
    assert {"knee_valgus", "pelvic_drop", "trunk_lean"} <= set(support.beyond)
    report = {"not_measured": {"knee_valgus": "body turned: you were turned too far (seen 30 degrees, needs under 10)"}}
    truth = {"violations": [{"rule": "knee_valgus", "side": "right", "start_s": 8.5, "end_s": 9.7},
                            {"rule": "pelvic_drop", "side": "right", "start_s": 3, "end_s": 4}]}
    assert support.rightly_unmeasured(report) == ("knee_valgus",)
    assert [v["rule"] for v in support.truth_without(truth, report)["violations"]] == ["pelvic_drop"]
    # a rule missed for another reason is not excused, even past its limit
    other = {"not_measured": {"knee_valgus": "landmarks not visible"}}
    assert support.rightly_unmeasured(other) == ()
    assert len(support.truth_without(truth, other)["violations"]) == 2


def test_a_cell_past_the_limit_passes_only_because_the_report_says_not_measured():
    sim = _sim(VALGUS, "yaw_-15")
    cell = exact_cell(sim)
    assert cell.passed and cell.unmeasured == ("knee_valgus",), cell.failures()
    # the same report without its "not measured" would miss both valgus windows
    track = true_track(sim.landmarks, sim.t_s, sim.clip.camera)
    report = report_for_track(track, "single_leg_squat", "x")
    assert not any(v["rule"] == "knee_valgus" for v in report["violations"])
    assert "turned" in report["not_measured"]["knee_valgus"]
    assert any(v["rule"] == "knee_valgus" for v in build_truth(sim)["violations"])


def test_a_camera_below_the_declared_heights_is_outside():
    spec = resolve_spec("single_leg_squat", None)  # checked from 0.6 to 1.6 m
    low = cell_support(spec, _sim(VALGUS, "low_0.3m"))
    assert not low.supported and "0.3 m high" in low.outside[0]
    assert cell_support(spec, _sim(VALGUS, "high_1.6m")).supported


def test_the_margin_is_small():
    assert 0 < TURN_MARGIN_DEG <= 5


@pytest.mark.parametrize(("clip", "setup", "rule"), [
    ("single_leg_squat_left_pelvis_trunk_front", "shelf_far", "pelvic_drop"),  # turned 20: a false drop seen
    ("jump_landing_front", "shelf_far", "trunk_lean"),  # turned 20: the forward bend of a landing seen as a lean
    ("lateral_band_walk_front", "yaw_-15", "trunk_lean"),  # turned 14: a false lean seen
    ("lateral_band_walk_front", "yaw_+15", "trunk_lean"),  # turned 14: the true leans missed
])
def test_frontal_rules_are_not_measured_where_the_turn_made_them_wrong(clip, setup, rule):
    cell = exact_cell(_sim(clip, setup))
    assert cell.passed and rule in cell.unmeasured, cell.failures()


def test_a_hold_exercise_with_its_feet_out_of_the_picture_says_what_it_could_not_judge():
    sim = _sim("single_leg_stance_right_faults_front", "floor_phone")  # the standing ankle below the picture
    track = true_track(sim.landmarks, sim.t_s, sim.clip.camera)
    report = report_for_track(track, "single_leg_stance", "x")
    assert report["holds"] == [] and "outside the picture" in report["not_measured"]["holds"]
    assert "no hold could be timed" in report["not_measured"]["pelvic_drop"]
    assert exact_cell(sim).passed
