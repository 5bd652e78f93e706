"""Pose estimation: person choice, frame turning, the model on real clips, gaps and bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from formcheck.errors import InputError, ModelError
from formcheck.landmarks import LEFT_ANKLE, LEFT_HIP, LEFT_SHOULDER, RIGHT_ANKLE, RIGHT_HIP, RIGHT_SHOULDER
from formcheck.pose.estimator import (
    DetectedPose,
    PoseEstimator,
    _RotationPolicy,
    body_tilt_deg,
    choose_person,
    extract_track,
    person_box,
    unrotate,
)
from formcheck.pose.sources import Frame, open_video

from conftest import VIDEOS
LEGS = [23, 24, 25, 26, 27, 28]


def person(x0: float, y0: float, x1: float, y1: float, visibility: float = 0.9) -> np.ndarray:
    """33 landmarks spread over a box (normalised coordinates), all with the same visibility."""
    rng = np.random.default_rng(int(1000 * (x0 + y0 + x1 + y1)))
    xy = rng.uniform([x0, y0], [x1, y1], size=(33, 2))
    xy[0], xy[1] = (x0, y0), (x1, y1)  # make the box exact
    w, h = x1 - x0, y1 - y0  # an upright trunk: shoulders a fifth of the way down, hips a little past half
    xy[[11, 12, 23, 24]] = [(x0 + 0.3 * w, y0 + 0.2 * h), (x0 + 0.7 * w, y0 + 0.2 * h),
                            (x0 + 0.35 * w, y0 + 0.55 * h), (x0 + 0.65 * w, y0 + 0.55 * h)]
    return np.column_stack([xy, np.zeros(33), np.full(33, visibility)])


def standing(head_xy=(0.5, 0.2), hips_xy=(0.5, 0.5)) -> np.ndarray:
    lm = person(0.4, 0.1, 0.6, 0.9)
    lm[[LEFT_SHOULDER, RIGHT_SHOULDER], :2] = head_xy
    lm[[LEFT_HIP, RIGHT_HIP], :2] = hips_xy
    return lm


# --- mapping landmarks of a turned frame back -------------------------------------------------------


@pytest.mark.parametrize("rotation_deg, code", [(90, cv2.ROTATE_90_CLOCKWISE), (270, cv2.ROTATE_90_COUNTERCLOCKWISE)])
@given(points=st.lists(st.tuples(st.integers(0, 159), st.integers(0, 89)), min_size=1, max_size=5, unique=True))
def test_unrotate_finds_the_pixels_cv2_rotate_moved(rotation_deg, code, points):
    width, height = 160, 90
    for x, y in points:
        image = np.zeros((height, width), np.uint8)
        image[y, x] = 255
        turned = cv2.rotate(image, code)
        ty, tx = np.argwhere(turned == 255)[0]
        # landmark at the pixel centre, normalised to the turned frame
        found = np.array([[(tx + 0.5) / turned.shape[1], (ty + 0.5) / turned.shape[0], 0.0, 1.0]])
        back, _ = unrotate(found, np.zeros((1, 3)), rotation_deg, (width, height))
        assert back[0, 0] * width == pytest.approx(x + 0.5, abs=1e-6)
        assert back[0, 1] * height == pytest.approx(y + 0.5, abs=1e-6)


def test_unrotate_turns_world_axes_and_rescales_depth():
    up_in_turned_frame = {90: [1.0, 0.0, 0.2], 270: [-1.0, 0.0, 0.2]}  # the head points right / left
    for rotation_deg, world in up_in_turned_frame.items():
        landmarks = np.array([[0.5, 0.5, 0.3, 0.8]])
        back, world_back = unrotate(landmarks, np.array([world]), rotation_deg, (200, 100))
        assert world_back[0] == pytest.approx([0.0, -1.0, 0.2])  # up again, depth unchanged
        assert back[0, 2] == pytest.approx(0.3 * 100 / 200)  # z was in turned-frame widths (100 px)
        assert back[0, 3] == 0.8
    with pytest.raises(ValueError, match="rotation_deg"):
        unrotate(landmarks, np.zeros((1, 3)), 45, (200, 100))


# --- choosing the person ---------------------------------------------------------------------------


def test_the_largest_visible_person_is_chosen():
    small, large = person(0.1, 0.3, 0.3, 0.6), person(0.5, 0.1, 0.9, 0.9)
    assert choose_person([small, large], (640, 480)) == 1
    assert choose_person([large, small], (640, 480)) == 0


def test_invisible_landmarks_do_not_make_a_person_large():
    stray = person(0.1, 0.3, 0.3, 0.6)
    stray[5:9, :2] = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]
    stray[5:9, 3] = 0.1  # far-flung guesses MediaPipe itself does not trust
    assert choose_person([stray, person(0.5, 0.2, 0.8, 0.8)], (640, 480)) == 1
    assert person_box(stray, (100, 100)) == pytest.approx([10, 30, 30, 60])


def test_box_is_clipped_to_the_frame_and_measured_in_pixels():
    box = person_box(person(-0.5, 0.2, 0.5, 1.4), (200, 100))
    assert box == pytest.approx([0, 20, 100, 100])


def test_the_chosen_person_is_kept_unless_another_is_much_larger():
    size = (640, 480)
    tracked = person(0.1, 0.2, 0.4, 0.8)
    previous = person_box(tracked, size)
    somewhat_larger = person(0.5, 0.1, 0.85, 0.85)  # 1.46x the area
    much_larger = person(0.45, 0.0, 1.0, 1.0)  # 3x the area
    assert choose_person([tracked, somewhat_larger], size) == 1
    assert choose_person([tracked, somewhat_larger], size, previous) == 0
    assert choose_person([tracked, much_larger], size, previous) == 1


# --- lying bodies and the frame turn ---------------------------------------------------------------


def test_body_tilt_measures_the_trunk_from_upright():
    assert body_tilt_deg(standing(), (100, 100)) == pytest.approx((0.0, -1.0))
    tilt, head_side = body_tilt_deg(standing(head_xy=(0.8, 0.5), hips_xy=(0.5, 0.5)), (100, 100))
    assert (tilt, head_side) == (pytest.approx(90.0), 1.0)
    # on a wide frame, normalised coordinates would understate the horizontal part
    tilt, _ = body_tilt_deg(standing(head_xy=(0.6, 0.4), hips_xy=(0.5, 0.5)), (400, 100))
    assert tilt == pytest.approx(np.degrees(np.arctan2(40, 10)))
    hidden = standing()
    hidden[LEFT_SHOULDER, 3] = 0.2
    assert body_tilt_deg(hidden, (100, 100)) is None


def test_rotation_policy_turns_only_after_agreeing_detections():
    def seen(head_xy, hips_xy=(0.5, 0.5)):
        return DetectedPose(standing(head_xy, hips_xy), np.zeros((33, 3)))

    policy = _RotationPolicy()
    lying_head_right, upright = seen((0.8, 0.52)), seen((0.5, 0.2))
    assert [policy.update(d, (100, 100)) for d in (lying_head_right, upright, lying_head_right, upright)] == [False] * 4
    assert policy.rotation_deg == 0
    assert [policy.update(lying_head_right, (100, 100)) for _ in range(3)] == [False, False, True]
    assert policy.rotation_deg == 270  # counter-clockwise brings a head on the right to the top
    assert policy.update(None, (100, 100)) is False and policy.rotation_deg == 270
    assert [policy.update(upright, (100, 100)) for _ in range(3)] == [False, False, True]
    assert policy.rotation_deg == 0
    lying_head_left = seen((0.2, 0.45))
    for _ in range(3):
        policy.update(lying_head_left, (100, 100))
    assert policy.rotation_deg == 90


# --- options and model errors (no model needed) -----------------------------------------------------


@pytest.mark.parametrize(
    "options, message",
    [
        ({"running_mode": "live"}, "running_mode must be one of video, image"),
        ({"num_poses": 0}, "num_poses must be a whole number >= 1"),
        ({"min_pose_detection_confidence": 1.5}, r"confidence thresholds must lie in \[0, 1\]"),
        ({"turn_deg": 45}, "turn_deg must be one of 0, 90, 270; got 45"),
        ({"turn_deg": 90, "rotate_lying": True}, "turn_deg and rotate_lying exclude each other"),
    ],
)
def test_bad_options_are_refused_by_name(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        PoseEstimator(tmp_path / "model.task", **options)


def test_missing_model_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match=r"nope\.task: no such pose model file"):
        PoseEstimator(tmp_path / "nope.task")


def test_a_file_that_is_not_a_model_is_a_model_error(tmp_path):
    junk = tmp_path / "junk.task"
    junk.write_text("not a model")
    with pytest.raises(ModelError, match=r"junk\.task: not a usable MediaPipe pose landmarker model \(.+\)"):
        PoseEstimator(junk)


# --- with the model ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model(pose_model) -> Path:
    return pose_model


def shared_clip(name: str) -> Path:
    path = VIDEOS / name
    if not path.is_file():
        pytest.skip(f"needs the shared clip {name}")
    return path


class FrameList:
    """Frames in memory with the attributes `extract_track` reads from a source."""

    def __init__(self, frames: list[Frame], path: str = "frames") -> None:
        self.frames, self.path = frames, path
        self.size = (frames[0].image.shape[1], frames[0].image.shape[0])
        self.frame_count = len(frames)

    def __iter__(self):
        return iter(self.frames)


def clip_frames(name: str, limit: int | None = None) -> list[Frame]:
    with open_video(shared_clip(name)) as source:
        return [f for f in source if limit is None or f.index < limit]


def test_plain_background_video_has_no_person(model, tmp_path):
    path = tmp_path / "empty_room.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 15, (320, 240))
    gradient = np.tile(np.linspace(60, 200, 320, dtype=np.uint8), (240, 1))
    for i in range(15):
        writer.write(cv2.merge([gradient, np.roll(gradient, 10 * i, axis=1), np.full_like(gradient, 120)]))
    writer.release()
    with open_video(path) as source, PoseEstimator(model) as estimator:
        with pytest.raises(InputError, match=rf"^{path}: no person found in any of 15 frames$"):
            extract_track(source, estimator, progress=False)


def test_bridge_clip_person_found_in_nearly_every_frame(model):
    path = shared_clip("glute_bridge_side_1rep.mp4")
    with open_video(path) as source, PoseEstimator(model) as estimator:
        track = extract_track(source, estimator, progress=False)
    assert len(track) == 91 and track.image_size == (640, 480) and track.source == str(path)
    assert track.has_pose.mean() > 0.95
    assert np.allclose(np.diff(track.t_s), 1 / 30, atol=0.001)
    assert track.world is not None and np.isfinite(track.world[track.has_pose]).all()
    assert np.nanmean(track.visibility[:, LEGS]) > 0.7
    pose_meta = track.meta["pose"]
    assert pose_meta["frames_with_person"] == int(track.has_pose.sum())
    print(f"bridge: {pose_meta['ms_per_frame']} ms/frame")  # shown with pytest -s


def test_landmarks_match_the_published_reference_within_a_few_pixels(model):
    """tfjs-models' expected BlazePose-full landmarks for this clip, fed at 33.33 ms steps as they were."""
    frames = [Frame(f.index, round(f.index * 100 / 3), f.image) for f in clip_frames("squat_banded_front_gt.mp4")]
    reference = np.array(json.loads((VIDEOS / "squat_banded_front_gt.landmarks2d_px.json").read_text()))
    with PoseEstimator(model, num_poses=1) as estimator:
        track = extract_track(FrameList(frames), estimator, progress=False)
    assert track.has_pose.all()
    error_px = np.linalg.norm(track.xy_px - reference[:, :, :2], axis=-1)
    assert error_px.mean() < 8.0  # measured 4.9 px
    assert error_px[:, LEGS].mean() < 10.0
    assert np.median(error_px) < 6.0


def test_frames_without_a_person_become_gaps_not_dropped(model):
    frames = clip_frames("glute_bridge_side_1rep.mp4", limit=24)
    blank = np.full_like(frames[0].image, 90)
    frames = [Frame(f.index, f.t_ms, blank if 8 <= f.index < 12 else f.image) for f in frames]
    seen: list[tuple[int, bool]] = []
    with PoseEstimator(model) as estimator:
        track = extract_track(FrameList(frames), estimator, progress=False,
                              on_frame=lambda frame, detected: seen.append((frame.index, detected is not None)))
    assert len(track) == 24 and track.frame.tolist() == list(range(24))
    assert track.has_pose.tolist() == [not 8 <= i < 12 for i in range(24)]
    assert np.isnan(track.landmarks[8:12]).all() and np.isnan(track.world[8:12]).all()
    assert seen == [(i, not 8 <= i < 12) for i in range(24)]


def test_a_much_larger_person_who_enters_is_followed(model):
    """A squat clip small on the right; for frames 30-79 a larger copy of it stands on the left."""
    frames = clip_frames("squat_bodyweight_side_replabels.mp4")
    composed = []
    for f in frames:
        canvas = np.full((720, 1280, 3), 128, np.uint8)
        canvas[252:720, 800:1216] = cv2.resize(f.image[:, 240:880], (416, 468))
        if 30 <= f.index < 80:
            canvas[:, :640] = frames[(f.index + 40) % len(frames)].image[:, 240:880]
        composed.append(Frame(f.index, f.t_ms, canvas))
    with PoseEstimator(model, num_poses=2, people_check_interval_ms=200) as estimator:
        track = extract_track(FrameList(composed), estimator, progress=False)
    assert track.has_pose.all()
    on_left = np.nanmean(track.landmarks[:, [LEFT_HIP, RIGHT_HIP], 0], axis=1) < 0.5
    assert not on_left[:30].any()
    assert on_left[36:80].all()  # found at the next check (every 200 ms = 5 frames), then followed
    assert not on_left[85:].any()
    assert track.meta["pose"]["frames_with_several_people"] >= 44
    with PoseEstimator(model, num_poses=1) as estimator:
        single = extract_track(FrameList(composed), estimator, progress=False)
    assert single.meta["pose"]["frames_with_several_people"] == 0


def test_turning_a_lying_body_upright_maps_landmarks_back(model):
    """A standing person filmed sideways looks lying; turned back, the landmarks land where they belong."""
    frames = clip_frames("squat_bodyweight_side_replabels.mp4", limit=40)
    turned = [Frame(f.index, f.t_ms, cv2.rotate(f.image, cv2.ROTATE_90_CLOCKWISE)) for f in frames]
    with PoseEstimator(model, num_poses=1) as estimator:
        upright = extract_track(FrameList(frames), estimator, progress=False)
    with PoseEstimator(model, num_poses=1, rotate_lying=True) as estimator:
        lying = extract_track(FrameList(turned), estimator, progress=False)
    assert lying.image_size == (720, 1280)
    assert lying.meta["pose"]["frames_turned_upright"] >= 30
    expected_xy = np.stack([1 - upright.landmarks[:, :, 1], upright.landmarks[:, :, 0]], axis=-1) * (720, 1280)
    error_px = np.linalg.norm(lying.xy_px - expected_xy, axis=-1)
    assert np.nanmedian(error_px[5:]) < 3.0
    head_above_feet = lying.xy_px[:, [LEFT_SHOULDER, RIGHT_SHOULDER]].mean(1)[:, 0] > lying.xy_px[
        :, [LEFT_ANKLE, RIGHT_ANKLE]].mean(1)[:, 0]
    assert head_above_feet.all()  # in the turned frame the head is on the right, as it should be


def test_a_fixed_turn_stands_a_sideways_body_up_and_maps_landmarks_back(model):
    """The same sideways frames as above, turned back by a fixed 270 degrees (as synth.verify does)."""
    frames = clip_frames("squat_bodyweight_side_replabels.mp4", limit=20)
    turned = [Frame(f.index, f.t_ms, cv2.rotate(f.image, cv2.ROTATE_90_CLOCKWISE)) for f in frames]
    with PoseEstimator(model, num_poses=1) as estimator:
        upright = extract_track(FrameList(frames), estimator, progress=False)
    with PoseEstimator(model, num_poses=1, turn_deg=270) as estimator:
        lying = extract_track(FrameList(turned), estimator, progress=False)
    assert lying.meta["pose"]["frames_turned_upright"] == int(lying.has_pose.sum()) >= 18
    expected_xy = np.stack([1 - upright.landmarks[:, :, 1], upright.landmarks[:, :, 0]], axis=-1) * (720, 1280)
    assert np.nanmedian(np.linalg.norm(lying.xy_px - expected_xy, axis=-1)) < 3.0


def test_video_mode_needs_increasing_times(model):
    image = np.full((120, 160, 3), 100, np.uint8)
    with PoseEstimator(model) as estimator:
        estimator.detect(image, 100)
        with pytest.raises(ValueError, match="t_ms must increase strictly in video mode: got 100 after 100"):
            estimator.detect(image, 100)


def test_image_mode_takes_frames_in_any_order(model):
    frame = clip_frames("glute_bridge_side_1rep.mp4", limit=1)[0]
    with PoseEstimator(model, running_mode="image") as estimator:
        first, again = estimator.detect(frame.image, 50), estimator.detect(frame.image, 10)
    assert first is not None and again is not None
    assert first.landmarks.shape == (33, 4) and first.world.shape == (33, 3)
    assert np.allclose(first.landmarks, again.landmarks)


def test_mediapipe_chatter_stays_off_stderr(model, capfd):
    with PoseEstimator(model) as estimator:
        estimator.detect(np.full((120, 160, 3), 100, np.uint8), 0)
    err = capfd.readouterr().err
    assert "INFO:" not in err and "W0000" not in err and "Sparsity" not in err


def test_a_closed_estimator_refuses_frames(model):
    estimator = PoseEstimator(model)
    estimator.close()
    estimator.close()
    with pytest.raises(RuntimeError, match="closed"):
        estimator.detect(np.zeros((10, 10, 3), np.uint8), 0)
