"""View, position and facing on constructed poses in every orientation; the knee-above-hip test."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from formcheck.kinematics import context as cx
from formcheck.kinematics import safety
from formcheck.landmarks import INDEX, NUM_LANDMARKS
from formcheck.kinematics.metrics import MetricTable, compute_metrics
from formcheck.track import PoseTrack
from test_metrics import (
    PRONE_HEAD_LEFT,
    PRONE_HEAD_RIGHT,
    SIDE_LYING,
    SUPINE_HEAD_LEFT,
    SUPINE_HEAD_RIGHT,
    Posture,
    make_track,
    pose_frame,
    pose_track,
    turned,
)

from formcheck.analyze import analyse_track, make_report
from formcheck.kinematics.floor import combine_heights, world_heights
from formcheck.specs.spec import load_spec
from formcheck.synth.scripts import CLIPS as SYNTH_CLIPS
from formcheck.synth.setups import Setup, find_setup, simulate_setup
from formcheck.synth.simulate import simulate
from formcheck.synth.truetrack import true_track
from formcheck.synth.truth import build_truth
from formcheck.track_io import read_track

from conftest import SAMPLES, VIDEOS
HOLD_FRAMES = 20  # 0.67 s at 30 fps: longer than the position debounce


def contexts(track: PoseTrack) -> tuple[str, str, str]:
    """(overall view, last position, last facing) of a track."""
    table = compute_metrics(track)
    _, overall = cx.detect_view(track, table)
    position = cx.POSITIONS[cx.detect_position(track, table)[-1]]
    facing = cx.FACINGS[cx.detect_facing(table)[-1]]
    return overall, position, facing


# ----------------------------------------------------------------------------------------------
# View and facing


@pytest.mark.parametrize("yaw", [0.0, 20.0, -30.0, 180.0, 160.0, -150.0])
@pytest.mark.parametrize("with_world", [True, False])
def test_front_view_at_any_turn_toward_or_away(yaw, with_world):
    view, position, facing = contexts(pose_track(Posture(), turned(yaw), n=HOLD_FRAMES, with_world=with_world))
    assert (view, position, facing) == ("front", "standing", "unknown")


@pytest.mark.parametrize(("yaw", "expected_facing"), [(90.0, "right"), (70.0, "right"), (-90.0, "left"), (-110.0, "left")])
@pytest.mark.parametrize("with_world", [True, False])
def test_side_view_and_facing(yaw, expected_facing, with_world):
    view, position, facing = contexts(pose_track(Posture(), turned(yaw), n=HOLD_FRAMES, with_world=with_world))
    assert (view, position, facing) == ("side", "standing", expected_facing)


@pytest.mark.parametrize("cue", ["nose", "feet", "depth", "none"])
@pytest.mark.parametrize(("yaw", "expected"), [(90.0, "right"), (-90.0, "left")])
def test_each_facing_cue_decides_alone(cue, yaw, expected):
    visibility = np.full(NUM_LANDMARKS, 0.9)
    feet = [INDEX[f"{side}_{part}"] for side in ("left", "right") for part in ("heel", "foot_index")]
    if cue != "nose":
        visibility[INDEX["nose"]] = 0.1
    if cue != "feet":
        visibility[feet] = 0.1
    track = pose_track(Posture(), turned(yaw), n=HOLD_FRAMES, visibility=visibility)
    if cue != "depth":
        track.landmarks[:, :, 2] = 0.0  # MediaPipe z says nothing
    facing = cx.FACINGS[cx.detect_facing(compute_metrics(track))[-1]]
    assert facing == ("unknown" if cue == "none" else expected)


@pytest.mark.parametrize("roll", [0.0, 90.0, 180.0, 270.0, 33.0])
def test_view_and_facing_do_not_depend_on_image_rotation(roll):
    table = compute_metrics(pose_track(Posture(hip_flexion=(30.0, 0.0)), turned(90.0), n=HOLD_FRAMES, roll_deg=roll))
    track = pose_track(Posture(), turned(90.0), n=HOLD_FRAMES, roll_deg=roll)
    assert cx.detect_view(track, table)[1] == "side"
    assert cx.FACINGS[cx.detect_facing(table)[-1]] == "right"


def test_view_hysteresis_and_majority():
    yaws = [30.0] * 5 + [50.0, 44.0, 52.0] + [60.0] * 5 + [50.0, 42.0] + [35.0] * 3
    frames = [pose_frame(Posture(), turned(y)) for y in yaws]
    track = make_track(frames)
    codes, overall = cx.detect_view(track, compute_metrics(track))
    names = [cx.VIEWS[c] for c in codes]
    # Between 40 and 55 deg the last view holds; it changes only past a threshold.
    assert names == ["front"] * 8 + ["side"] * 7 + ["front"] * 3
    assert overall == "front"


def test_unknown_view_without_a_torso():
    frames = [pose_frame(Posture(), turned(0.0)) for _ in range(5)]
    for landmarks, _ in frames:
        landmarks[INDEX["left_shoulder"], 3] = 0.1
    track = make_track(frames)
    codes, overall = cx.detect_view(track, compute_metrics(track))
    assert overall == "unknown" and set(codes) == {cx.VIEW_CODE["unknown"]}


# ----------------------------------------------------------------------------------------------
# Position

CHAIR = Posture(hip_flexion=(90.0, 90.0), knee_flexion=(90.0, 90.0))
LONG_SITTING = Posture(hip_flexion=(90.0, 90.0))
FIGURE_FOUR = Posture(hip_flexion=(90.0, 100.0), knee_flexion=(90.0, 120.0), hip_abduction=(0.0, 30.0), trunk_flexion=20.0)
TALL_KNEELING = Posture(knee_flexion=(90.0, 90.0), ankle_plantarflexion=(90.0, 90.0))
HALF_KNEELING = Posture(hip_flexion=(90.0, -10.0), knee_flexion=(90.0, 80.0), ankle_plantarflexion=(0.0, 90.0))
SQUAT_PARALLEL = Posture(hip_flexion=(85.0, 85.0), knee_flexion=(120.0, 120.0), trunk_flexion=35.0)
DEEP_SQUAT = Posture(hip_flexion=(110.0, 110.0), knee_flexion=(145.0, 145.0), trunk_flexion=40.0)
SINGLE_LEG = Posture(hip_flexion=(0.0, 45.0), knee_flexion=(0.0, 90.0))


@pytest.mark.parametrize(
    ("posture", "placement", "with_world", "expected"),
    [
        (Posture(), turned(90.0), False, "standing"),
        (SINGLE_LEG, turned(-90.0), False, "standing"),
        (SINGLE_LEG, turned(0.0), True, "standing"),
        (SQUAT_PARALLEL, turned(90.0), False, "standing"),
        (SQUAT_PARALLEL, turned(0.0), True, "standing"),
        (DEEP_SQUAT, turned(-90.0), False, "standing"),
        (CHAIR, turned(90.0), False, "sitting"),
        (CHAIR, turned(-90.0), True, "sitting"),
        (CHAIR, turned(0.0), True, "sitting"),
        (CHAIR, turned(180.0), True, "sitting"),
        (FIGURE_FOUR, turned(-90.0), False, "sitting"),
        (LONG_SITTING, turned(90.0), False, "sitting"),
        (LONG_SITTING, turned(0.0), True, "sitting"),
        (TALL_KNEELING, turned(90.0), False, "kneeling"),
        (TALL_KNEELING, turned(0.0), True, "kneeling"),
        (HALF_KNEELING, turned(-90.0), False, "kneeling"),
        (HALF_KNEELING, turned(0.0), False, "kneeling"),
    ],
    ids=lambda v: v if isinstance(v, (str, bool)) else None,
)
def test_upright_positions(posture, placement, with_world, expected):
    assert contexts(pose_track(posture, placement, n=HOLD_FRAMES, with_world=with_world))[1] == expected


@pytest.mark.parametrize(
    ("placement", "expected"),
    [
        (SUPINE_HEAD_LEFT, "supine"),
        (SUPINE_HEAD_RIGHT, "supine"),
        (PRONE_HEAD_LEFT, "prone"),
        (PRONE_HEAD_RIGHT, "prone"),
        *[(placement, "side_lying") for placement in SIDE_LYING.values()],
    ],
)
@pytest.mark.parametrize(
    "posture",
    ["straight", "leg_raise", "knees_bent"],
)
@pytest.mark.parametrize("with_world", [True, False])
def test_lying_positions(placement, expected, posture, with_world):
    if posture == "leg_raise":  # a leg lifted off the floor: hip flexion on the back or side, extension face down
        posture = Posture(hip_flexion=(-15.0 if expected == "prone" else 60.0, 0.0))
    elif posture == "knees_bent":
        posture = Posture(knee_flexion=(90.0, 90.0)) if expected == "prone" else Posture(hip_flexion=(45.0, 45.0), knee_flexion=(90.0, 90.0))
    else:
        posture = Posture()
    view, position, _ = contexts(pose_track(posture, placement, n=HOLD_FRAMES, with_world=with_world))
    assert position == expected
    assert view == ("front" if expected == "side_lying" else "side")


@pytest.mark.parametrize("head", ["left", "right"])
def test_bridge_is_supine(head):
    a = np.radians(25.0)
    sign = -1.0 if head == "left" else 1.0
    placement = {"up": (sign * np.cos(a), -np.sin(a), 0.0), "anterior": (sign * np.sin(a), np.cos(a), 0.0)}
    posture = Posture(knee_flexion=(90.0, 90.0))
    assert contexts(pose_track(posture, placement, n=HOLD_FRAMES, with_world=False))[1] == "supine"


def test_butterfly_sitting_seen_from_the_front_is_sitting(samples_dir):
    # the feet in front of the pelvis look lower by perspective: the pelvis reads 0.3 leg lengths above them
    from formcheck.track_io import read_track

    track = read_track(samples_dir / "groin_stretch_front.track.csv")
    table = compute_metrics(track)
    assert np.nanmin(table.column("pelvis_height")[0]) > cx.ContextSettings().floor_sitting_max_pelvis_height
    codes = cx.detect_position(track, table)
    assert {cx.POSITIONS[c] for c in codes[HOLD_FRAMES:]} == {"sitting"}


def _rows(**columns: float) -> MetricTable:
    names = tuple(columns)
    values = np.array([[columns[n] for n in names]] * 3, dtype=float)
    return MetricTable(names, values, np.ones_like(values))


@pytest.mark.parametrize(
    ("knees", "ankles", "thigh", "expected"),
    [
        (4.5, 0.7, 10.0, "sitting"),  # butterfly: soles together, knees out, thighs near level
        (2.2, 1.4, -10.0, "standing"),  # deep squat at the same pelvis height: feet apart
        (3.0, 1.8, -5.0, "standing"),  # wide sumo squat
        (3.5, 0.6, -80.0, "standing"),  # tree pose: one thigh hangs down
    ],
)
def test_folded_legs_on_the_floor_against_squats(knees, ankles, thigh, expected):
    table = _rows(
        body_yaw=0.0, body_turn=0.0, trunk_inclination=8.0, trunk_tilt=0.0, facing=0.0, shoulder_height=0.9,
        pelvis_height=0.3, pelvic_obliquity=0.0, knee_height_left=0.4, knee_height_right=0.4, thigh_elevation_left=thigh,
        thigh_elevation_right=10.0, shank_inclination_left=50.0, shank_inclination_right=50.0,
        knee_separation=knees, ankle_separation=ankles,
    )
    assert {cx.POSITIONS[c] for c in cx.raw_positions(table)} == {expected}


def test_position_changes_only_after_holding():
    stand, chair = (pose_frame(p, turned(90.0), floor_y_px=650.0) for p in (Posture(), CHAIR))
    frames = [stand] * 20 + [chair] * 5 + [stand] * 20 + [chair] * 30
    track = make_track(frames)
    names = [cx.POSITIONS[c] for c in cx.detect_position(track, compute_metrics(track))]
    hold = int(np.ceil(cx.ContextSettings().position_hold_s * 30))  # frames at 30 fps
    assert names[:hold] == ["unknown"] * hold  # even the first position must hold
    assert set(names[hold:45]) == {"standing"}  # a 5-frame blip is ignored
    assert names[45 : 45 + hold] == ["standing"] * hold
    assert set(names[45 + hold :]) == {"sitting"}


def test_stream_gives_the_batch_codes():
    floor = {"floor_y_px": 650.0}
    frames = [pose_frame(Posture(), turned(90.0), **floor)] * 15 + [pose_frame(CHAIR, turned(60.0), **floor)] * 15
    frames += [pose_frame(Posture(), SUPINE_HEAD_LEFT, **floor)] * 15 + [pose_frame(Posture(), turned(10.0), **floor)] * 15
    track = make_track(frames)
    table = compute_metrics(track)
    views, _ = cx.detect_view(track, table)
    positions = cx.detect_position(track, table)
    stream = cx.ContextStream(table.names)
    streamed = [stream.update(track.t_s[i], table.values[i], track.world[i]) for i in range(len(track))]
    assert [v for v, _ in streamed] == views.tolist()
    assert [p for _, p in streamed] == positions.tolist()
    assert len(set(positions.tolist())) >= 3


# ----------------------------------------------------------------------------------------------
# The knee-above-hip safety test (its one definition: kinematics/safety.py)


@pytest.mark.parametrize("with_world", [True, False])
def test_knee_above_hip_while_upright(with_world):
    frames = [pose_frame(Posture(hip_flexion=(f, 0.0)), turned(90.0)) for f in [0.0] * 15 + [80.0] * 5 + [100.0] * 5]
    track = make_track(frames, with_world=with_world)
    table = compute_metrics(track)
    positions = cx.detect_position(track, table)
    flags = safety.knee_above_hip(table, positions)
    assert np.isnan(flags[:12]).all()  # position not settled yet: not measured
    assert (flags[12:20] == 0.0).all()
    assert (flags[20:] == 1.0).all()
    left_only = safety.knee_above_hip(table, positions, side="right")
    assert (left_only[12:] == 0.0).all()
    # From the front only hip flexion counts; a stricter limit flags 80 degrees.
    front = np.full(len(track), cx.VIEW_CODE["front"])
    strict = safety.knee_above_hip(table, positions, front, limits=safety.Limits(hip_flexion_deg=75.0))
    assert (strict[15:] == 1.0).all() and (strict[12:15] == 0.0).all()


def test_knee_above_hip_front_view_reads_hip_flexion_only():
    # A knee lifted to 97 degrees of hip flexion: the thigh 7 degrees above level.
    frames = [pose_frame(Posture(hip_flexion=(97.0, 0.0)), turned(90.0))] * HOLD_FRAMES
    track = make_track(frames)
    table = compute_metrics(track)
    standing = np.full(len(track), cx.POSITION_CODE["standing"])
    side = safety.knee_above_hip(table, standing, np.full(len(track), cx.VIEW_CODE["side"]))
    front = safety.knee_above_hip(table, standing, np.full(len(track), cx.VIEW_CODE["front"]))
    high = safety.Limits(hip_flexion_deg=100.0)
    assert (side == 1.0).all() and (front == 1.0).all()  # 97 > 95, and the thigh is above level
    assert (safety.knee_above_hip(table, standing, np.full(len(track), cx.VIEW_CODE["side"]), limits=high) == 1.0).all()
    assert (safety.knee_above_hip(table, standing, np.full(len(track), cx.VIEW_CODE["front"]), limits=high) == 0.0).all()


def test_knee_above_hip_does_not_apply_lying_or_unseen():
    supine = pose_track(Posture(hip_flexion=(90.0, 0.0)), SUPINE_HEAD_LEFT, n=HOLD_FRAMES)
    table = compute_metrics(supine)
    assert np.isnan(safety.knee_above_hip(table, cx.detect_position(supine, table))).all()
    visibility = np.full(NUM_LANDMARKS, 0.9)
    visibility[[INDEX["left_knee"], INDEX["right_knee"]]] = 0.1
    hidden = pose_track(Posture(hip_flexion=(110.0, 0.0)), turned(90.0), n=HOLD_FRAMES, visibility=visibility)
    table = compute_metrics(hidden)
    positions = np.full(len(hidden), cx.POSITION_CODE["standing"])
    assert np.isnan(safety.knee_above_hip(table, positions)).all()


def test_knee_above_hip_checks_its_arguments():
    table = compute_metrics(pose_track(Posture()))
    with pytest.raises(ValueError, match="side must be"):
        safety.knee_above_hip(table, np.zeros(1), side="both")


# ----------------------------------------------------------------------------------------------
# A real clip with reference landmarks (skipped when the shared clips are absent)


@pytest.mark.parametrize("with_world", [True, False])
def test_real_front_squat_reference_landmarks(with_world):
    pixels_path = VIDEOS / "squat_banded_front_gt.landmarks2d_px.json"
    world_path = VIDEOS / "squat_banded_front_gt.world3d_m.json"
    if not pixels_path.exists() or not world_path.exists():
        pytest.skip(f"{VIDEOS} has no reference landmarks")
    pixels = np.array(json.loads(pixels_path.read_text()), dtype=float)  # (n, 33, 3): x, y, z in pixels
    width, height = 720, 1280
    n = len(pixels)
    landmarks = np.concatenate(
        [pixels[:, :, :1] / width, pixels[:, :, 1:2] / height, pixels[:, :, 2:3] / width, np.ones((n, NUM_LANDMARKS, 1))],
        axis=2,
    )
    world = np.array(json.loads(world_path.read_text()), dtype=float) if with_world else None
    track = PoseTrack(frame=np.arange(n), t_s=np.arange(n) / 5.0, image_size=(width, height), landmarks=landmarks, world=world)
    table = compute_metrics(track)
    codes, overall = cx.detect_view(track, table)
    positions = cx.detect_position(track, table)
    assert overall == "front"
    assert np.mean(codes == cx.VIEW_CODE["front"]) > 0.9
    assert np.mean(positions == cx.POSITION_CODE["standing"]) > 0.9
    # Half squats: the knees bend and the thighs stay below level ...
    assert 60.0 < np.nanmax(table.column("knee_flexion_left")[0]) < 120.0
    assert max(np.nanmax(table.column(f"thigh_elevation_{s}")[0]) for s in ("left", "right")) < 0.0
    # ... but from the front the rule reads hip flexion, past 95 degrees at the bottom of some squats (the engine
    # flags three on this clip's video, at 2.0, 6.6 and 11.4 s), and only there.
    flags = safety.knee_above_hip(table, positions, codes)
    hip = np.fmax(table.column("hip_flexion_left")[0], table.column("hip_flexion_right")[0])
    assert np.array_equal(flags == 1.0, hip > safety.DEFAULT_LIMITS.hip_flexion_deg)
    assert 0 < np.nansum(flags) < 0.25 * n


# ----------------------------------------------------------------------------------------------
# Position from the world landmarks, the same from any camera (issue 12; kinematics/floor.py)


def _butterfly(setup: Setup) -> tuple[PoseTrack, dict]:
    """The synthetic seated butterfly stretch filmed from a set-up: its exact track and its truth."""
    clip = next(c for c in SYNTH_CLIPS if c.exercise == "groin_stretch")
    sim = simulate_setup(clip, setup, 0, simulate(clip, 0))
    return true_track(sim.landmarks, sim.t_s, sim.clip.camera), build_truth(sim)


CHAIR_HEIGHT = Setup("chair_1.0m", "camera height", "camera at chair height, aimed at the body", height_m=1.0)
FRONT_OBLIQUE = Setup("front_oblique", "combined", "a high camera 30 degrees to one side", height_m=1.3, yaw_deg=30.0)


@pytest.mark.parametrize(
    "setup", [find_setup("high_1.3m"), find_setup("high_1.6m"), find_setup("low_0.3m"), find_setup("yaw_+30"),
              CHAIR_HEIGHT, FRONT_OBLIQUE], ids=lambda s: s.name)
def test_seated_butterfly_is_sitting_from_any_camera(setup):
    """Finding: a seated butterfly seen from a front-oblique camera was classified as standing the whole time, so no
    hold was timed and knee-above-hip fired with the standing limits."""
    track, truth = _butterfly(setup)
    analysis = analyse_track(track, load_spec("groin_stretch"))
    seen = analysis.positions[track.has_pose]
    assert np.mean(seen == cx.POSITION_CODE["sitting"]) > 0.95
    assert len(analysis.result.holds) == len(truth["holds"]) == 2
    assert not [v for v in analysis.result.violations if v.rule == safety.RULE_ID]


def test_world_heights_keep_a_seated_pelvis_low_when_the_image_lifts_it():
    """From a 1.6 m shelf the feet in front of the seated body look lower: the image puts the pelvis above the old
    folded-legs limit (0.45 leg lengths), the world landmarks near the floor; standing stays near one leg length."""
    track, _ = _butterfly(find_setup("high_1.6m"))
    image = compute_metrics(track).column("pelvis_height")[0]
    world = world_heights(track.world, len(track))["pelvis_height"]
    assert np.nanmedian(image) > 0.45
    assert np.nanmedian(world) < 0.4
    standing = pose_track(Posture(), turned(0.0), n=HOLD_FRAMES)
    assert 0.85 < np.nanmedian(world_heights(standing.world, len(standing))["pelvis_height"]) < 1.1


def test_world_heights_are_nan_without_a_believable_skeleton():
    track = pose_track(Posture(), turned(0.0), n=3)
    assert all(np.isnan(v).all() for v in world_heights(None, 3).values())
    giant = world_heights(track.world * 3.0, 3)  # a leg of about 2.7 m: not a person's
    assert all(np.isnan(v).all() for v in giant.values())
    # the lower of the two readings wins; a NaN gives way to the other
    both = combine_heights({"pelvis_height": np.array([0.5, np.nan]), "body_yaw": np.array([1.0, 2.0])},
                           {"pelvis_height": np.array([0.3, 0.2])})
    assert both["pelvis_height"].tolist() == [0.3, 0.2] and both["body_yaw"].tolist() == [1.0, 2.0]


@pytest.mark.parametrize("height_m", [0.3, 1.0, 1.6])
def test_butterfly_holds_timed_right_from_any_camera_height(height_m):
    """Finding: a seated butterfly filmed from chair height (1.0 m, aimed at the body) timed each hold about 1.5 s
    short. The hold reads the hip angle, an angle of the body, instead of the thigh's pitch-dependent elevation."""
    track, truth = _butterfly(Setup(f"h{height_m}", "camera height", "camera height", height_m=height_m))
    holds = analyse_track(track, load_spec("groin_stretch")).result.holds
    assert len(holds) == len(truth["holds"])
    for hold, true in zip(holds, truth["holds"]):
        assert abs(hold.duration_s - true["duration_s"]) < 0.5


def test_safety_watch_lying_down_says_the_rule_does_not_apply():
    """Finding: on the bundled bridge sample (supine in 98% of frames) safety watch said "body position not
    recognised"; the position was recognised and the rule does not apply lying down."""
    analysis = analyse_track(read_track(SAMPLES / "bridge_side.track.csv"), load_spec("safety_watch"))
    assert np.mean(analysis.positions == cx.POSITION_CODE["supine"]) > 0.9
    reason = make_report(analysis, source="bridge_side.track.csv")["not_measured"][safety.RULE_ID]
    assert reason.startswith("not applicable in this position")
    assert "not recognised" not in reason.split(":")[0]
