"""Landmark clean-up: sequences in, repaired landmarks and visibility out."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck.landmarks import INDEX, LEFT_HIP, LEFT_KNEE, MIRROR, NUM_LANDMARKS, RIGHT_KNEE
from formcheck.kinematics.quality import (
    LEFT_LEG,
    RIGHT_LEG,
    CleaningSettings,
    RunningMedian,
    TrackCleaner,
    clean_track,
    running_median,
    torso_scale,
)
from formcheck.pose.estimator import PoseEstimator, extract_track
from formcheck.pose.sources import open_video
from formcheck.track import PoseTrack

IMAGE_SIZE = (1280, 720)
PX_PER_M = 300.0  # a 1.7 m person about 510 px tall: torso about 145 px

# A standing person in metres, hip centre at the origin, y down, subject's left on the image right
# (facing the camera). Bone lengths as MediaPipe world landmarks have them.
_FRONT = {
    "nose": (0.0, -0.62), "left_shoulder": (0.18, -0.48), "right_shoulder": (-0.18, -0.48),
    "left_elbow": (0.22, -0.22), "right_elbow": (-0.22, -0.22), "left_wrist": (0.24, 0.02),
    "right_wrist": (-0.24, 0.02), "left_hip": (0.11, 0.0), "right_hip": (-0.11, 0.0),
    "left_knee": (0.12, 0.38), "right_knee": (-0.12, 0.38), "left_ankle": (0.12, 0.75),
    "right_ankle": (-0.12, 0.75), "left_heel": (0.12, 0.80), "right_heel": (-0.12, 0.80),
    "left_foot_index": (0.15, 0.81), "right_foot_index": (-0.15, 0.81),
}
# Side view of a split stance (a lunge): legs apart front and back, both hips in the same place.
_LUNGE = dict(_FRONT)
_LUNGE.update({
    "left_shoulder": (0.0, -0.48), "right_shoulder": (0.01, -0.48), "left_hip": (0.0, 0.0), "right_hip": (0.01, 0.0),
    "left_knee": (-0.25, 0.29), "right_knee": (0.36, 0.12), "left_ankle": (-0.50, 0.56), "right_ankle": (0.38, 0.49),
    "left_heel": (-0.54, 0.58), "right_heel": (0.33, 0.53), "left_foot_index": (-0.52, 0.62),
    "right_foot_index": (0.50, 0.54),
})
# Side view standing: the legs overlap.
_SIDE = dict(_LUNGE)
_SIDE.update({
    "left_knee": (0.0, 0.38), "right_knee": (0.01, 0.38), "left_ankle": (0.0, 0.75), "right_ankle": (0.01, 0.75),
    "left_heel": (-0.05, 0.80), "right_heel": (-0.04, 0.80), "left_foot_index": (0.12, 0.81),
    "right_foot_index": (0.13, 0.81),
})


def _pose_metres(template: dict[str, tuple[float, float]]) -> np.ndarray:
    """(33, 3) world landmarks: named joints from the template, face and hands near their joint."""
    points = np.zeros((NUM_LANDMARKS, 3))
    anchors = {"nose": "nose", "eye": "nose", "ear": "nose", "mouth": "nose", "pinky": "wrist", "index": "wrist",
               "thumb": "wrist"}
    rng = np.random.default_rng(7)
    for i, name in enumerate(INDEX):
        if name in template:
            points[i, :2] = template[name]
            continue
        part = next(key for key in anchors if key in name)
        side = "left_" if name.startswith("left") else "right_" if name.startswith("right") else ""
        anchor = anchors[part] if anchors[part] == "nose" else side + anchors[part]
        points[i, :2] = np.array(template[anchor]) + rng.uniform(-0.04, 0.04, 2) + (0, 0.05 if part != "nose" else 0)
    return points


def make_track(
    template: dict[str, tuple[float, float]] = _FRONT,
    n: int = 120,
    fps: float = 30.0,
    noise_px: float = 1.0,
    seed: int = 0,
    with_world: bool = True,
) -> PoseTrack:
    """A person swaying slowly and raising the left arm, with pixel jitter; image and world agree."""
    rng = np.random.default_rng(seed)
    t_s = np.arange(n) / fps
    base = _pose_metres(template)
    world = np.repeat(base[None], n, axis=0)
    # Raise the left forearm a little, rigidly about the elbow (lengths unchanged).
    angle = 0.6 * np.sin(2 * np.pi * t_s / 4.0)
    elbow = base[INDEX["left_elbow"]]
    for name in ("left_wrist", "left_pinky", "left_index", "left_thumb"):
        rel = base[INDEX[name]] - elbow
        world[:, INDEX[name], 0] = elbow[0] + np.cos(angle) * rel[0] - np.sin(angle) * rel[1]
        world[:, INDEX[name], 1] = elbow[1] + np.sin(angle) * rel[0] + np.cos(angle) * rel[1]
    sway_px = 30 * np.sin(2 * np.pi * t_s / 5.0)
    x_px = 640 + sway_px[:, None] + PX_PER_M * world[:, :, 0] + rng.normal(0, noise_px, (n, NUM_LANDMARKS))
    y_px = 380 + PX_PER_M * world[:, :, 1] + rng.normal(0, noise_px, (n, NUM_LANDMARKS))
    landmarks = np.stack(
        [x_px / IMAGE_SIZE[0], y_px / IMAGE_SIZE[1], world[:, :, 2], np.full((n, NUM_LANDMARKS), 0.95)], axis=-1
    )
    return PoseTrack(
        frame=np.arange(n), t_s=t_s, image_size=IMAGE_SIZE, landmarks=landmarks,
        world=world if with_world else None, source="synthetic",
    )


def with_changes(track: PoseTrack, landmarks: np.ndarray | None = None, world: np.ndarray | None = None) -> PoseTrack:
    return track.replace(
        landmarks=track.landmarks if landmarks is None else landmarks,
        world=track.world if world is None else world,
    )


def exchange_legs(track: PoseTrack, frames) -> PoseTrack:
    """MediaPipe's leg swap: the left and right leg chains trade labels in these frames."""
    landmarks, world = track.landmarks.copy(), track.world.copy()
    for array in (landmarks, world):
        left = array[frames][:, LEFT_LEG].copy()
        array[np.ix_(frames, LEFT_LEG)] = array[frames][:, RIGHT_LEG]
        array[np.ix_(frames, RIGHT_LEG)] = left
    return with_changes(track, landmarks, world)


def hidden(track: PoseTrack) -> set[tuple[int, int]]:
    """(frame, landmark) pairs at visibility 0."""
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(track.landmarks[:, :, 3] == 0))}


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", [_FRONT, _SIDE, _LUNGE], ids=["front", "side", "lunge"])
def test_clean_track_passes_unchanged_bit_identical(template):
    track = make_track(template, noise_px=1.5)
    landmarks = track.landmarks.copy()
    landmarks[50:53] = np.nan  # a gap
    world = track.world.copy()
    world[50:53] = np.nan
    track = with_changes(track, landmarks, world)
    cleaned = clean_track(track)
    assert np.array_equal(cleaned.landmarks, track.landmarks, equal_nan=True)
    assert np.array_equal(cleaned.world, track.world, equal_nan=True)
    quality = cleaned.meta["quality"]
    assert quality["frames"] == 120 and quality["frames_with_pose"] == 117
    assert quality["leg_swaps_repaired"] == quality["landmarks_hidden"] == quality["frames_changed"] == 0


@pytest.mark.parametrize(
    ("template", "frames"),
    [(_FRONT, [40]), (_FRONT, [40, 41, 42, 43, 44]), (_LUNGE, [40]), (_LUNGE, list(range(40, 55)))],
    ids=["front-1", "front-5", "lunge-1", "lunge-15"],
)
def test_injected_leg_swap_is_repaired(template, frames):
    clean = make_track(template)
    swapped = exchange_legs(clean, frames)
    repaired = clean_track(swapped)
    np.testing.assert_array_equal(repaired.landmarks, clean.landmarks)
    np.testing.assert_array_equal(repaired.world, clean.world)
    assert repaired.meta["quality"]["leg_swaps_repaired"] == len(frames)
    assert repaired.meta["quality"]["landmarks_hidden"] == 0


def _drift_into_swap(clean: PoseTrack, start: int, drift_frames: int, held_frames: int) -> PoseTrack:
    """MediaPipe slides the legs through each other over `drift_frames`, keeps them swapped, then snaps back."""
    landmarks, world = clean.landmarks.copy(), clean.world.copy()
    for step in range(drift_frames):
        i, w = start + step, (step + 1) / (drift_frames + 1)
        for array in (landmarks, world):
            left, right = array[i, list(LEFT_LEG)].copy(), array[i, list(RIGHT_LEG)].copy()
            array[i, list(LEFT_LEG)] = (1 - w) * left + w * right
            array[i, list(RIGHT_LEG)] = (1 - w) * right + w * left
    held = list(range(start + drift_frames, start + drift_frames + held_frames))
    return exchange_legs(with_changes(clean, landmarks, world), held)


def test_slow_drift_into_a_swap_does_not_flip_the_labels():
    clean = make_track(_LUNGE, n=150)
    repaired = clean_track(_drift_into_swap(clean, 60, 10, 6))
    # From the snap back on the labels are MediaPipe's own again, which were right.
    np.testing.assert_array_equal(repaired.landmarks[76:, :, :3], clean.landmarks[76:, :, :3])


@pytest.mark.parametrize("window_s", [0.3, 0.001])
def test_a_wrong_repair_ends_within_max_swap_s(window_s):
    """A drift longer than the reference window (or a window of one frame) makes the snap back look like
    a swap; the repair run is cut after max_swap_s and MediaPipe's labels are trusted again."""
    clean = make_track(_LUNGE, n=200)
    repaired = clean_track(_drift_into_swap(clean, 60, 14, 6), CleaningSettings(swap_window_s=window_s))
    snap, limit = 80, 80 + 30  # 1 s at 30 fps
    wrong = [
        i for i in range(snap, 200) if not np.array_equal(repaired.landmarks[i, :, :3], clean.landmarks[i, :, :3])
    ]
    assert wrong and max(wrong) < limit


def _slide_legs(clean: PoseTrack, slide: dict[int, float]) -> PoseTrack:
    """In frame i the leg chains slide slide[i] of the way to each other (0.5: crossed, 1: swapped)."""
    landmarks, world = clean.landmarks.copy(), clean.world.copy()
    for array in (landmarks, world):
        for i, w in slide.items():
            left, right = array[i, list(LEFT_LEG)].copy(), array[i, list(RIGHT_LEG)].copy()
            array[i, list(LEFT_LEG)] = (1 - w) * left + w * right
            array[i, list(RIGHT_LEG)] = (1 - w) * right + w * left
    return with_changes(clean, landmarks, world)


def test_flicker_through_crossed_legs_does_not_make_mediapipes_swap_the_reference():
    """safety_watch_knee_lifts_side through MediaPipe: the legs flicker between right, swapped and crossed
    for a few frames, stay swapped (squeezed a little) for 11, then MediaPipe's labels are right again.
    The crossed frames fit both labellings and must not hide the swap: it is repaired, and the frames
    after it are left alone (before, the swap became the reference and the right frames were flipped)."""
    clean = make_track(_LUNGE, n=150)
    crossed, swapped = 0.6, 0.8
    held = range(68, 79)
    track = _slide_legs(clean, {60: crossed, 61: swapped, 62: crossed, 63: swapped, 65: crossed, 66: 1 - crossed,
                                **{i: swapped for i in held}})
    repaired = clean_track(track)
    for i in held:
        np.testing.assert_array_equal(repaired.landmarks[i, list(LEFT_LEG)], track.landmarks[i, list(RIGHT_LEG)])
    np.testing.assert_array_equal(repaired.landmarks[79:], clean.landmarks[79:])
    cleaner = TrackCleaner(track.image_size)
    for i in range(len(track)):
        landmarks, _ = cleaner.update(float(track.t_s[i]), track.landmarks[i], track.world[i])
        np.testing.assert_array_equal(landmarks, repaired.landmarks[i])


def test_overlapping_legs_in_side_view_are_never_swapped():
    track = make_track(_SIDE, n=300, noise_px=3.0, seed=3)
    assert clean_track(track).meta["quality"]["leg_swaps_repaired"] == 0


def test_outlier_jump_is_flagged_for_that_frame_only_and_not_moved():
    track = make_track()
    landmarks = track.landmarks.copy()
    landmarks[70, LEFT_KNEE, :2] += (200 / IMAGE_SIZE[0], 120 / IMAGE_SIZE[1])  # 1.6 torso lengths in 1/30 s
    jumped = with_changes(track, landmarks)
    cleaned = clean_track(jumped)
    assert hidden(cleaned) == {(70, LEFT_KNEE)}
    np.testing.assert_array_equal(cleaned.landmarks[:, :, :3], jumped.landmarks[:, :, :3])
    assert cleaned.meta["quality"]["jump_flags"] == 1


def test_a_landmark_that_stays_where_it_jumped_is_trusted_again_soon():
    track = make_track()
    landmarks = track.landmarks.copy()
    landmarks[70:, LEFT_KNEE, 0] += 250 / IMAGE_SIZE[0]
    flagged = sorted(i for i, j in hidden(clean_track(with_changes(track, landmarks))) if j == LEFT_KNEE)
    # allowed distance grows at 20 torso lengths per second since the last trusted position
    assert flagged and flagged[0] == 70 and len(flagged) <= 3


def test_whole_body_moving_at_once_is_not_a_jump():
    track = make_track()
    landmarks = track.landmarks.copy()
    landmarks[60:, :, 0] -= 400 / IMAGE_SIZE[0]  # a camera cut or pan
    assert hidden(clean_track(with_changes(track, landmarks))) == set()


def test_fast_plausible_motion_is_not_a_jump():
    track = make_track(noise_px=0.0)
    landmarks = track.landmarks.copy()
    torso_px = float(np.nanmedian(torso_scale(track.xy_px)))
    # the left knee swings out at 15 torso lengths per second for 5 frames, the left hand at 35
    for k in range(5):
        landmarks[80 + k :, LEFT_KNEE, 0] += 15 * torso_px / 30 / IMAGE_SIZE[0]
        landmarks[80 + k :, INDEX["left_index"], 1] -= 35 * torso_px / 30 / IMAGE_SIZE[1]
    assert hidden(clean_track(with_changes(track, landmarks))) == set()


@pytest.mark.parametrize(("factor", "flagged"), [(0.35, True), (1.9, True), (0.75, False), (1.3, False)])
def test_implausible_thigh_length_hides_the_knee(factor, flagged):
    track = make_track()
    world = track.world.copy()
    frames = [90, 91, 92]
    hip = world[frames, LEFT_HIP]
    world[frames, LEFT_KNEE] = hip + factor * (world[frames, LEFT_KNEE] - hip)
    cleaned = clean_track(with_changes(track, world=world))
    expected = {(i, LEFT_KNEE) for i in frames} if flagged else set()
    assert hidden(cleaned) == expected
    assert cleaned.meta["quality"]["bone_length_flags"] == len(expected)


def test_a_long_stretch_of_collapsed_thighs_cannot_become_the_norm():
    track = make_track(n=200)
    world = track.world.copy()
    hip = world[:100, LEFT_HIP]
    world[:100, LEFT_KNEE] = hip + 0.3 * (world[:100, LEFT_KNEE] - hip)
    cleaned = clean_track(with_changes(track, world=world))
    knee_hidden = {i for i, j in hidden(cleaned) if j == LEFT_KNEE}
    assert knee_hidden == set(range(100))


def test_without_world_landmarks_only_a_too_long_bone_is_flagged():
    """In the image a bone pointing at the camera looks short: that is foreshortening, not an error."""
    track = make_track(with_world=False, noise_px=0.5)
    landmarks = track.landmarks.copy()
    hip = landmarks[40:45, LEFT_HIP, :2]
    shift = -0.7 * (landmarks[40:45, LEFT_KNEE, :2] - hip)  # the thigh points at the camera, the shank does not
    for name in ("left_knee", "left_ankle", "left_heel", "left_foot_index"):
        landmarks[40:45, INDEX[name], :2] += shift
    landmarks[90, RIGHT_KNEE, :2] = landmarks[90, RIGHT_KNEE, :2] + (0, 150 / IMAGE_SIZE[1])
    settings = CleaningSettings(max_speed_torso_per_s=1000)  # look at the bone rule alone
    cleaned = clean_track(with_changes(track, landmarks), settings)
    assert hidden(cleaned) == {(90, RIGHT_KNEE)}


def _messy_track(with_world: bool) -> PoseTrack:
    track = make_track(_LUNGE, n=240, noise_px=2.0, seed=5, with_world=True)
    track = exchange_legs(track, [30, 31, 100])
    landmarks, world = track.landmarks.copy(), track.world.copy()
    landmarks[60, INDEX["right_ankle"], :2] += 0.2
    world[150:153, LEFT_KNEE] *= 2.5
    landmarks[120:126] = np.nan
    world[120:126] = np.nan
    rng = np.random.default_rng(1)
    t_s = np.cumsum(rng.uniform(0.5, 1.5, len(track))) / 30.0  # variable frame rate
    return track.replace(t_s=t_s, landmarks=landmarks, world=world if with_world else None)


@pytest.mark.parametrize("with_world", [True, False])
def test_streaming_cleaner_equals_batch(with_world):
    track = _messy_track(with_world)
    batch = clean_track(track)
    cleaner = TrackCleaner(track.image_size)
    for i in range(len(track)):
        landmarks, world = cleaner.update(
            float(track.t_s[i]), track.landmarks[i], None if track.world is None else track.world[i]
        )
        np.testing.assert_array_equal(landmarks, batch.landmarks[i])
        if with_world:
            np.testing.assert_array_equal(world, batch.world[i])
        else:
            assert world is None
    assert cleaner.counts.as_dict() == batch.meta["quality"]
    assert batch.meta["quality"]["leg_swaps_repaired"] >= 3
    assert batch.meta["quality"]["landmarks_hidden"] > 0


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 90),
    with_world=st.booleans(),
    gap_rate=st.sampled_from([0.0, 0.05, 0.3]),
    glitch_rate=st.sampled_from([0.0, 0.05, 0.2]),
)
def test_streaming_equals_batch_on_random_messy_tracks(seed, n, with_world, gap_rate, glitch_rate):
    rng = np.random.default_rng(seed)
    template = (_FRONT, _SIDE, _LUNGE)[seed % 3]
    track = make_track(template, n=n, noise_px=float(rng.uniform(0, 4)), seed=seed)
    track = exchange_legs(track, list(np.flatnonzero(rng.random(n) < glitch_rate)))
    landmarks, world = track.landmarks.copy(), track.world.copy()
    glitches = rng.random((n, NUM_LANDMARKS)) < glitch_rate / 5
    landmarks[glitches, :2] += rng.normal(0, 0.2, (int(glitches.sum()), 2))
    world[glitches] *= rng.uniform(0.2, 2.5, (int(glitches.sum()), 1))
    gaps = rng.random(n) < gap_rate
    landmarks[gaps], world[gaps] = np.nan, np.nan
    t_s = np.cumsum(rng.uniform(0.2, 3.0, n)) / 30.0
    track = track.replace(t_s=t_s, landmarks=landmarks, world=world if with_world else None)
    batch = clean_track(track)
    cleaner = TrackCleaner(track.image_size)
    for i in range(n):
        landmarks_i, world_i = cleaner.update(float(t_s[i]), track.landmarks[i], None if not with_world else world[i])
        assert np.array_equal(landmarks_i, batch.landmarks[i], equal_nan=True)
        if with_world:
            assert np.array_equal(world_i, batch.world[i], equal_nan=True)
    assert cleaner.counts.as_dict() == batch.meta["quality"]


def test_clean_track_does_not_touch_its_input():
    track = _messy_track(True)
    before = track.landmarks.copy(), track.world.copy()
    clean_track(track)
    assert np.array_equal(track.landmarks, before[0], equal_nan=True)
    assert np.array_equal(track.world, before[1], equal_nan=True)
    assert "quality" not in track.meta


def test_streaming_cleaner_rejects_time_going_back():
    cleaner = TrackCleaner(IMAGE_SIZE)
    frame = make_track(n=1).landmarks[0]
    cleaner.update(1.0, frame)
    with pytest.raises(ValueError, match="t_s must increase"):
        cleaner.update(1.0, frame)


def test_empty_and_all_gap_tracks():
    assert clean_track(PoseTrack.empty(IMAGE_SIZE)).meta["quality"]["frames"] == 0
    gaps = make_track(n=5)
    gaps = with_changes(gaps, np.full_like(gaps.landmarks, np.nan), np.full_like(gaps.world, np.nan))
    cleaned = clean_track(gaps)
    assert np.isnan(cleaned.landmarks).all() and cleaned.meta["quality"]["frames_with_pose"] == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"bone_min_ratio": 1.2}, "bone_min_ratio < 1 < bone_max_ratio"),
        ({"max_speed_torso_per_s": 0}, "max_speed_torso_per_s must be > 0"),
        ({"window_frames": 0}, "window_frames must be >= 1"),
        ({"bone_reference_band": (1.2, 1.4)}, "bone_reference_band"),
    ],
)
def test_settings_are_validated(changes, message):
    with pytest.raises(ValueError, match=message):
        CleaningSettings(**changes)


def test_running_median_skips_gaps_and_matches_streaming():
    rng = np.random.default_rng(2)
    values = rng.normal(size=(50, 3))
    values[rng.random((50, 3)) < 0.2] = np.nan
    batch = running_median(values, 7)
    stream = RunningMedian(3, 7)
    for i in range(50):
        np.testing.assert_array_equal(stream.push(values[i]), batch[i])
    column = values[:, 0]
    present = column[~np.isnan(column)]
    last = np.flatnonzero(~np.isnan(column))[-1]
    assert batch[-1, 0] == np.median(present[-7:]) and batch[last, 0] == batch[-1, 0]


def test_mirror_table_agrees_with_the_leg_chains():
    assert [MIRROR[i] for i in LEFT_LEG] == list(RIGHT_LEG)


# --- real clips (skipped without the model and the shared videos) ---------------------------------

from conftest import SHARED_MODEL as MODEL, VIDEOS


def _real_track(name: str) -> PoseTrack:
    if not (VIDEOS / name).is_file() or not MODEL.is_file():
        pytest.skip("needs the shared videos and pose model")
    with open_video(VIDEOS / name) as source, PoseEstimator(MODEL) as estimator:
        return extract_track(source, estimator, progress=False)


@pytest.mark.slow
def test_real_one_frame_leg_swaps_are_repaired():
    """Seated figure-4 stretch: MediaPipe swaps the crossed legs for single frames (11 and 16)."""
    track = _real_track("stretch_figure4_seated_side.gif")
    cleaned = clean_track(track)
    legs = list(LEFT_LEG[1:] + RIGHT_LEG[1:])

    def largest_steps_px(t: PoseTrack) -> float:
        """Sum of the 4 largest frame-to-frame moves of the knees, ankles and feet in frames 5 to 25."""
        steps = np.nanmax(np.linalg.norm(np.diff(t.xy_px[5:25, legs], axis=0), axis=-1), axis=1)
        return float(np.sort(steps)[-4:].sum())

    assert cleaned.meta["quality"]["leg_swaps_repaired"] >= 1
    assert largest_steps_px(cleaned) < 0.6 * largest_steps_px(track)  # measured: 199 px -> 97 px


@pytest.mark.slow
def test_real_clean_clip_is_left_alone():
    track = _real_track("squat_fms_overhead_good_side.mov")
    quality = clean_track(track).meta["quality"]
    assert quality["leg_swaps_repaired"] == 0
    assert quality["landmarks_hidden"] <= 0.002 * quality["frames_with_pose"] * NUM_LANDMARKS
