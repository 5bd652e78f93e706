"""Jump landing, single-leg squat and hop measures against sequences with known values, and "not measured"."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analyze import analyse_track
from formcheck.measures import hop
from formcheck.measures.jump import jump_height_m
from formcheck.specs import load_spec
from formcheck.synth.scripts import find_clip
from formcheck.synth.scripts.common import SIDE_FROM_RIGHT
from formcheck.synth.scripts.standing import single_leg_squat_valgus
from formcheck.synth.simulate import simulate
from formcheck.synth.truetrack import true_track
from measures_synth import build, jump_truth


def clip_track(name: str):
    clip = find_clip(name)
    sim = simulate(clip)
    return sim, true_track(sim.landmarks, sim.t_s, clip.camera)


@pytest.fixture(scope="module")
def jump():
    sim, track = clip_track("jump_landing_front")
    return sim, analyse_track(track, load_spec("jump_landing")).measures.sections["jump_landing"]


def test_jump_flight_time_within_0_05_s(jump):
    sim, section = jump
    truth = jump_truth(sim)
    assert len(section["jumps"]) == len(truth) == 4
    for (t0, t1), j in zip(truth, section["jumps"]):
        assert j["flight_time_s"] == pytest.approx(t1 - t0, abs=0.05)
        assert j["landing_s"] == pytest.approx(t1, abs=0.05)
        assert j["jump_height_cm"] == pytest.approx(100 * jump_height_m(j["flight_time_s"]), abs=0.1)
        assert j["landing_symmetry"]["symmetric"] is True


def test_jump_height_formula():
    assert jump_height_m(0.5) == pytest.approx(9.81 * 0.25 / 8)


def test_jump_front_view_scores_only_what_it_sees(jump):
    _, section = jump
    first, valgus = section["jumps"][0], section["jumps"][2]
    less = first["less"]["items"]
    assert less["knee_flexion_at_ic"] == {"measured": False, "reason": "needs a side view"}
    assert first["initial_contact"]["trunk_flexion_deg"]["measured"] is False
    assert less["knee_valgus_at_ic"]["score"] == 0 and less["foot_position_toe_in"]["measured"] is False
    # the third jump lands with both knees caving in: FPPA at peak knee flexion is large
    assert valgus["peak_knee_flexion"]["knee_fppa_left_deg"] > 10
    assert valgus["less"]["items"]["knee_valgus_displacement"]["score"] == 1
    assert first["peak_knee_flexion"]["knee_fppa_left_deg"] < 5


def frontal_angle_deg(sim, side: str, k: int) -> float:
    """Hip-knee-ankle angle projected onto the camera's image plane (front camera: world x, y)."""
    hip, knee, ankle = (sim.point(f"{side}_{p}")[k, :2] for p in ("hip", "knee", "ankle"))
    a, b = knee - hip, ankle - knee
    return float(np.degrees(np.arctan2(abs(a[0] * b[1] - a[1] * b[0]), a @ b)))


def test_single_leg_squat_fppa_at_peak_depth_within_3_deg():
    sim, track = clip_track("single_leg_squat_right_valgus_front")
    section = analyse_track(track, load_spec("single_leg_squat")).measures.sections["single_leg_squat"]
    reps = section["reps"]
    assert len(reps) == 5 and {r["side"] for r in reps} == {"right"}
    for rep in reps:
        k = int(np.argmin(np.abs(sim.t_s - rep["peak_depth_s"])))
        assert abs(rep["knee_fppa_at_peak_deg"]) == pytest.approx(frontal_angle_deg(sim, "right", k), abs=3.0)
    assert [r["flags"]["knee_valgus"] for r in reps] == [False, False, True, True, False]
    assert all(40 < r["depth_deg"] < 90 for r in reps)


def test_single_leg_squat_from_the_side_is_not_measured():
    _, track = build(single_leg_squat_valgus, camera=SIDE_FROM_RIGHT, view="side", name="squat_side")
    section = analyse_track(track, load_spec("single_leg_squat")).measures.sections["single_leg_squat"]
    assert section["reps"], "the reps are still counted from the side"
    for rep in section["reps"]:
        assert rep["knee_fppa_at_peak_deg"]["measured"] is False
        assert "front view" in rep["knee_fppa_at_peak_deg"]["reason"]
        assert rep["flags"]["knee_valgus"] is None


def test_hop_lsi_flags_below_90_percent():
    records = [{"side": "left", "distance_leg_lengths": 1.2}, {"side": "right", "distance_leg_lengths": 1.0},
               {"side": "right", "distance_leg_lengths": 0.9}]
    sides = hop._sides(records, "right")
    assert sides["lsi_pct"]["value"] == pytest.approx(100 * 1.0 / 1.2, abs=0.1) and sides["lsi_pct"]["flag"] is True
    assert hop._sides(records[:2] + [{"side": "left", "distance_leg_lengths": {"measured": False}}], None)[
        "lsi_pct"]["involved"] is None
    only_front = [{"side": "left", "distance_leg_lengths": {"measured": False, "reason": "front"}}]
    assert hop._sides(only_front, None)["lsi_pct"]["measured"] is False
