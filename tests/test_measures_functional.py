"""Jump landing, single-leg squat and hop measures against sequences with known values, and "not measured"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formcheck.analyze import analyse_track
import formcheck.measures as measures_package
from formcheck.measures import MeasureOptions, Measures
from formcheck.measures import hop
from formcheck.measures.jump import jump_height_m
from formcheck.specs.spec import MEASURE_KINDS, bundled_specs_dir, load_spec, load_spec_file
from formcheck.synth.scripts import find_clip
from formcheck.synth.scripts.common import SIDE_FROM_LEFT, SIDE_FROM_RIGHT
from formcheck.synth.scripts.standing import single_leg_squat_valgus
from formcheck.synth.simulate import simulate
from formcheck.synth.truetrack import true_track
from measures_synth import FRONT, build, hop_script, hop_truth, jump_truth, lifted_spans, model_track

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def clip_track(name: str):
    clip = find_clip(name)
    sim = simulate(clip)
    return sim, true_track(sim.landmarks, sim.t_s, clip.camera)


@pytest.fixture(scope="module")
def jump_clip():
    return clip_track("jump_landing_front")


@pytest.fixture(scope="module")
def jump(jump_clip):
    sim, track = jump_clip
    return sim, analyse_track(track, load_spec("jump_landing")).measures.sections["jump_landing"]


def test_a_custom_spec_with_another_id_that_declares_jump_gets_jump_measures(jump_clip, jump, tmp_path):
    """The measure comes from the spec's [measure] section, not from the exercise id: a copy of the bundled
    spec under another id measures the same, and a watch-only spec that declares it gets it too."""
    _, track = jump_clip
    _, bundled = jump
    copy = tmp_path / "my_jump.toml"
    copy.write_text((bundled_specs_dir() / "jump_landing.toml").read_text().replace('id = "jump_landing"',
                                                                                   'id = "clinic_jump"'))
    measures = analyse_track(track, load_spec_file(copy)).measures
    assert load_spec_file(copy).id == "clinic_jump" and measures.sections == {"jump_landing": bundled}
    watch = tmp_path / "watch_and_jump.toml"
    watch.write_text((bundled_specs_dir() / "safety_watch.toml").read_text().replace('id = "safety_watch"',
                                                                                    'id = "watch_and_jump"')
                     + '\n[measure]\nkind = "jump"\n')
    section = analyse_track(track, load_spec_file(watch)).measures.sections["jump_landing"]
    assert [j["flight_time_s"] for j in section["jumps"]] == [j["flight_time_s"] for j in bundled["jumps"]]
    assert analyse_track(track, load_spec("safety_watch")).measures == Measures()


def test_every_declarable_measure_kind_has_a_measure():
    assert set(measures_package._MEASURES) == set(MEASURE_KINDS) - {"none"}


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


# ------------------------------------------------------------------------------------------------ jumps, MediaPipe


@pytest.fixture(scope="session")
def sample_jump_model_track(pose_model):
    """The bundled jump_landing_front sample video through MediaPipe (once per session), with its truth."""
    from formcheck.pose.estimator import PoseEstimator, extract_track
    from formcheck.pose.sources import open_video

    with open_video(SAMPLES / "jump_landing_front.mp4") as source, PoseEstimator(pose_model) as estimator:
        track = extract_track(source, estimator, progress=False)
    sim = simulate(find_clip("jump_landing_front"))
    return sim, track


def test_jump_flight_time_through_mediapipe_within_0_07_s(sample_jump_model_track):
    """Take-off and landing are dated on the unsmoothed track (no filter lag): MediaPipe's flight times match."""
    sim, track = sample_jump_model_track
    truth = jump_truth(sim)
    jumps = analyse_track(track, load_spec("jump_landing")).measures.sections["jump_landing"]["jumps"]
    assert len(jumps) == len(truth) == 4
    for (t0, t1), j in zip(truth, jumps):
        assert j["flight_time_s"] == pytest.approx(t1 - t0, abs=0.07)
        assert j["takeoff_s"] == pytest.approx(t0, abs=0.07) and j["landing_s"] == pytest.approx(t1, abs=0.07)


# ---------------------------------------------------------------------------------------------------- single-leg hop

RIGHT_HOPS = (("right", 0.8), ("right", 0.7))  # anchor travel (m); the second landing is not held
LEFT_HOPS = (("left", 0.6),)
HEIGHT_CM = 175.0  # 0.491 x 175 = 85.9 cm, the synthetic body's hip-to-ankle length (86.0 cm)
DIST_TOL_LEGS = 0.08  # toe-to-heel distance, leg lengths (about 7 cm)


def leg_m(sim) -> float:
    return float(np.linalg.norm(sim.point("right_hip")[0] - sim.point("right_ankle")[0]))


def hop_section(track, **options):
    return analyse_track(track, load_spec("single_leg_hop"), options=MeasureOptions(**options)).measures.sections[
        "single_leg_hop"]


def joined(first, second):
    """Two tracks one after the other (the second starts a frame after the first ends)."""
    return first.replace(landmarks=np.concatenate([first.landmarks, second.landmarks]),
                         world=np.concatenate([first.world, second.world]),
                         t_s=np.concatenate([first.t_s, second.t_s + first.t_s[-1] + 1 / 30]),
                         frame=np.arange(len(first) + len(second)))


@pytest.fixture(scope="module")
def side_hops():
    """Right-leg hops filmed from the right, then left-leg hops filmed from the left (each leg on the near
    side, as the test is filmed): the simulations and the joined exact track."""
    sim_r, right = build(hop_script(RIGHT_HOPS, touch_after=2), camera=SIDE_FROM_RIGHT, view="side", name="hops_r")
    sim_l, left = build(hop_script(LEFT_HOPS), camera=SIDE_FROM_LEFT, view="side", name="hops_l")
    return sim_r, sim_l, joined(right, left)


def test_hop_distance_timing_and_sides_from_the_side(side_hops):
    sim, sim_l, track = side_hops
    section = hop_section(track, height_cm=HEIGHT_CM, involved_side="left")
    offset = sim.t_s[-1] + 1 / 30
    truth = [("right", *h) for h in hop_truth(sim, "right")] + \
        [("left", t0 + offset, t1 + offset, d) for t0, t1, d in hop_truth(sim_l, "left")]
    hops = section["hops"]
    assert [h["side"] for h in hops] == [side for side, *_ in truth] == ["right", "right", "left"]
    leg = leg_m(sim)
    for (side, t0, t1, dist_m), hop in zip(truth, hops):
        assert hop["view"] == "side"
        assert hop["takeoff_s"] == pytest.approx(t0, abs=0.07) and hop["landing_s"] == pytest.approx(t1, abs=0.07)
        assert hop["distance_leg_lengths"] == pytest.approx(dist_m / leg, abs=DIST_TOL_LEGS)
        assert hop["distance_cm"] == pytest.approx(100 * dist_m, abs=100 * DIST_TOL_LEGS * leg)
        assert hop["distance_cm"] == pytest.approx(hop["distance_leg_lengths"] * 0.491 * HEIGHT_CM, abs=0.2)
    assert section["view"] == "side" and section["distance"]["measured"] is True
    assert section["leg_length_cm"]["value"] == pytest.approx(0.491 * HEIGHT_CM, abs=0.1)
    sides = section["sides"]
    lsi = sides["lsi_pct"]
    assert lsi["involved"] == "left" and lsi["flag"] is True
    assert lsi["value"] == pytest.approx(100 * sides["left"]["best_leg_lengths"] / sides["right"]["best_leg_lengths"],
                                         abs=0.2)
    assert lsi["value"] == pytest.approx(100 * truth[2][3] / max(truth[0][3], truth[1][3]), abs=12)


def test_hop_held_landing_is_broken_by_the_other_foot(side_hops):
    sim, _, track = side_hops
    hops = hop_section(track)["hops"]
    assert hops[0]["held_landing"] == {"held": True, "required_s": 2.0}
    assert hops[2]["held_landing"]["held"] is True
    broken = hops[1]["held_landing"]
    assert broken["held"] is False and broken["by"] == "the other foot touched down"
    landing = hop_truth(sim, "right")[1][1]
    touch = next(t1 for t0, t1 in lifted_spans(sim, "left") if t0 < landing < t1)  # the held foot comes down
    assert broken["broken_after_s"] == pytest.approx(touch - landing, abs=0.2)


def test_hop_centimetres_need_the_leg_length_or_height(side_hops):
    sim, _, track = side_hops
    given = hop_section(track, leg_length_cm=100 * leg_m(sim))
    assert given["leg_length_cm"]["source"] == "given"
    for hop in given["hops"]:
        assert hop["distance_cm"] == pytest.approx(hop["distance_leg_lengths"] * 100 * leg_m(sim), abs=0.2)
    bare = hop_section(track)
    assert bare["leg_length_cm"]["measured"] is False
    assert all(h["distance_cm"]["measured"] is False and isinstance(h["distance_leg_lengths"], float)
               for h in bare["hops"])


def test_hop_from_the_front_is_not_measured():
    sim, track = build(hop_script(RIGHT_HOPS), camera=FRONT, view="front", name="hops_front")
    section = hop_section(track, height_cm=HEIGHT_CM)
    assert len(hop_truth(sim, "right")) == 2
    assert section["view"] == "front"
    assert section["distance"]["measured"] is False and "film from the side" in section["distance"]["reason"]
    for hop in section["hops"]:  # hops toward the camera are hard to see at all; none may carry a distance
        assert hop["distance_leg_lengths"]["measured"] is False and "side" in hop["distance_leg_lengths"]["reason"]
        assert hop["distance_cm"]["measured"] is False
    assert section["sides"]["lsi_pct"]["measured"] is False


@pytest.fixture(scope="session")
def rendered_hops(pose_model):
    """Two right-leg hops filmed from the right, rendered and run through MediaPipe (once per session)."""
    sim, _ = build(hop_script((("right", 0.8), ("right", 0.6))), camera=SIDE_FROM_RIGHT, view="side",
                   name="hops_rendered", seed=3)
    return sim, model_track(sim, pose_model)


def test_rendered_hops_with_mediapipe(rendered_hops):
    sim, track = rendered_hops
    section = hop_section(track, height_cm=HEIGHT_CM)
    truth = hop_truth(sim, "right")
    hops = section["hops"]
    assert [h["side"] for h in hops] == ["right"] * len(truth) == ["right", "right"]
    for (t0, t1, dist_m), hop in zip(truth, hops):
        assert hop["takeoff_s"] == pytest.approx(t0, abs=0.1) and hop["landing_s"] == pytest.approx(t1, abs=0.1)
        assert hop["distance_leg_lengths"] == pytest.approx(dist_m / leg_m(sim), abs=0.1)
        assert hop["held_landing"]["held"] is True


# ------------------------------------------------------------------ jumps from any reasonable camera (issue 12)


def _far_foot_higher(track, side: str = "right", legs: float = 0.2):
    """The track with one foot drawn ``legs`` leg lengths higher in the picture throughout, as the far foot of a
    three-quarter view reads (the knee-tuck clip's far foot rests about 0.19 leg lengths above the near one)."""
    from formcheck.landmarks import side_index

    lm = track.landmarks.copy()
    xy = track.xy_px
    leg = np.nanmedian(np.linalg.norm(xy[:, side_index(side, "hip")] - xy[:, side_index(side, "knee")], axis=1)
                       + np.linalg.norm(xy[:, side_index(side, "knee")] - xy[:, side_index(side, "ankle")], axis=1))
    for part in ("ankle", "heel", "foot_index"):
        lm[:, side_index(side, part), 1] -= legs * leg / track.image_size[1]
    return track.replace(landmarks=lm)


def test_jumps_are_counted_when_perspective_puts_one_foot_higher(jump_clip):
    """Knee-tuck jumps at three-quarters: 0 of 6 counted, because the two feet were averaged and the far foot
    never reads as resting on the floor. The lower foot leaves the floor line only in flight: every jump counts,
    and the flights are found and dated as on the original track."""
    sim, track = jump_clip
    plain = analyse_track(track, load_spec("jump_landing"))
    shifted = analyse_track(_far_foot_higher(track), load_spec("jump_landing"))
    truth = jump_truth(sim)
    assert len(shifted.result.reps) == len(plain.result.reps) == len(truth)
    jumps = shifted.measures.sections["jump_landing"]["jumps"]
    assert len(jumps) == len(truth)
    for got, (takeoff, landing) in zip(jumps, truth):
        assert abs(got["takeoff_s"] - takeoff) <= 0.05 and abs(got["landing_s"] - landing) <= 0.05


def test_a_foot_drifting_up_while_standing_is_not_a_flight():
    """Standing between jumps, a foot that creeps a few centimetres up the picture is no jump (the knee-tuck clip
    read two extra flights so): a flight must lift the lower foot MIN_CLEARANCE and last at most MAX_FLIGHT_S."""
    from formcheck.kinematics.metrics import MetricTable
    from formcheck.measures.flight import MAX_FLIGHT_S, MIN_CLEARANCE, find_flights

    t = np.arange(0, 6, 1 / 30)
    lower = np.zeros_like(t)
    lower[(t > 1.0) & (t < 1.4)] = 0.5  # a jump
    lower[(t > 2.5) & (t < 3.4)] = MIN_CLEARANCE * 0.75  # drift, not a flight
    lower[(t > 4.0) & (t < 4.0 + MAX_FLIGHT_S + 0.3)] = 0.5  # too long for a flight
    names = ("lower_foot_height", "foot_height_left", "foot_height_right")
    table = MetricTable(names, np.column_stack([lower, lower, lower]), np.ones((len(t), 3)))
    flights = find_flights(table, t)
    assert [(round(f.takeoff_s, 1), round(f.landing_s, 1)) for f in flights] == [(1.0, 1.4)]


def test_jumps_with_the_feet_out_of_the_picture_are_not_measured_with_the_reason():
    """A camera 2.5 m away cuts the feet off: no jump can be seen, and the report says so and how to fix it."""
    from formcheck.synth.setups import find_setup, simulate_setup

    clip = find_clip("jump_landing_front")
    sim = simulate_setup(clip, find_setup("near_2.5m"), 0)
    track = true_track(sim.landmarks, sim.t_s, sim.clip.camera)
    summary = analyse_track(track, load_spec("jump_landing")).measures.sections["jump_landing"]["summary"]
    assert summary["measured"] is False
    assert "feet" in summary["reason"] and "out of the picture" in summary["reason"]


def test_knee_valgus_is_not_judged_with_the_body_turned_from_the_camera():
    """Turned 15 degrees, a knee bent 60 degrees shows about 18 degrees of false valgus on one knee and varus on
    the other: the landing's FPPA is "not measured" with the turn as the reason; facing the camera it is read."""
    from formcheck.measures.jump import MAX_FPPA_TURN_ERROR_DEG, fppa_turn_error_deg
    from formcheck.synth.setups import find_setup, simulate_setup

    assert fppa_turn_error_deg(62, 15) == pytest.approx(17.7, abs=0.5)
    assert fppa_turn_error_deg(62, 2) < MAX_FPPA_TURN_ERROR_DEG < fppa_turn_error_deg(62, 10)
    clip = find_clip("jump_landing_front")
    readings = {}
    for name in ("baseline", "yaw_-15"):
        sim = simulate_setup(clip, find_setup(name), 0)
        track = true_track(sim.landmarks, sim.t_s, sim.clip.camera)
        jumps = analyse_track(track, load_spec("jump_landing")).measures.sections["jump_landing"]["jumps"]
        readings[name] = [j["peak_knee_flexion"]["knee_fppa_left_deg"] for j in jumps[:3]]
        items = [j["less"]["items"]["knee_valgus_displacement"] for j in jumps[:3]]
        if name == "baseline":
            assert all(isinstance(v, float) for v in readings[name])
            assert [i["score"] for i in items] == [0, 0, 1]  # the third landing caves in
        else:
            assert all(v["measured"] is False and "turned" in v["reason"] for v in readings[name])
            assert all(i["measured"] is False and "turned" in i["reason"] for i in items)
