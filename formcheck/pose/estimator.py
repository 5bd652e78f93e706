"""Pose estimation: MediaPipe PoseLandmarker over frames, and whole videos to a `PoseTrack`.

The only module that imports mediapipe. One person per frame: when the model returns several,
the most prominent one (the longest trunk in the picture) is kept (see `choose_person`). Frames without a person become NaN rows.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from formcheck.errors import InputError, ModelError
from formcheck.landmarks import LEFT_HIP, LEFT_SHOULDER, NUM_LANDMARKS, RIGHT_HIP, RIGHT_SHOULDER
from formcheck.pose.native_log import captured_stderr
from formcheck.pose.sources import Frame, iter_frames_prefetched
from formcheck.track import PoseTrack

log = logging.getLogger(__name__)

RUNNING_MODES: tuple[str, ...] = ("video", "image")
ROTATIONS_DEG: tuple[int, ...] = (0, 90, 270)  # clockwise turns of the frame before the model
PROMINENCE_MIN_VISIBILITY: float = 0.5
LYING_MIN_TILT_DEG: float = 60.0  # body axis at least this far from vertical: lying
UPRIGHT_MAX_TILT_DEG: float = 45.0  # body axis within this of vertical (or of upside down): not lying
UPSIDE_DOWN_MIN_TILT_DEG: float = 150.0  # trunk this far from upright: a wrong fit, the tracker is reset
# Stay with the same person unless another is 1/0.78 = 1.3x larger (trunk length; 1.7x in box area).
KEEP_PERSON_SIZE_RATIO: float = 0.78
ROTATION_SWITCH_FRAMES: int = 3  # detections in a row that must agree before the frame turn changes
SHOW_NATIVE_LOGS_ENV: str = "FORMCHECK_NATIVE_LOGS"
_NATIVE_NOISE = re.compile(r"^(INFO:|WARNING:|[IW]\d{4} |\s*$)")
_ROTATE_CODES: dict[int, int] = {90: cv2.ROTATE_90_CLOCKWISE, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


@dataclass(frozen=True)
class DetectedPose:
    """The landmarks of one person in one frame.

    Attributes:
        landmarks: (33, 4) x, y normalised to the frame as given (0..1 inside it; points out of view may lie
            beyond), z (MediaPipe's depth, scaled like x), visibility in [0, 1].
        world: (33, 3) metres, origin between the hips, axes of the frame as given (x right, y down).
        people_found: how many people the model returned for this frame (the others were dropped).
        rotation_deg: clockwise turn applied to the frame before the model (0 unless `rotate_lying` or `turn_deg`).
    """

    landmarks: np.ndarray
    world: np.ndarray
    people_found: int = 1
    rotation_deg: int = 0


class PoseEstimator:
    """MediaPipe PoseLandmarker for one person per frame; a context manager.

    Args:
        model_path: a MediaPipe pose landmarker bundle (``.task``).
        running_mode: "video" (frames of one clip or camera in order, with tracking between frames;
            times must increase) or "image" (each frame on its own).
        num_poses: how many people to look for when choosing the most prominent one (see `choose_person`).
            In video mode with 2 or more, one person is tracked at the speed of ``num_poses=1`` while
            a check for more people runs once per `people_check_interval_ms`; while several are in view,
            every frame is searched for all of them in image mode (MediaPipe's video tracker keeps only one)
            and `choose_person` keeps the same person.
        min_pose_detection_confidence, min_pose_presence_confidence, min_tracking_confidence: MediaPipe's
            thresholds in [0, 1].
        rotate_lying: when the last detections show a lying body (trunk near horizontal), turn the frame
            by 90 degrees so that the head is up before the model, and map the landmarks back. Off by
            default: on the shared lying clips MediaPipe already finds everyone (it turns its own crop to
            the body) and turning changed leg visibility by 0.02 at most.
        turn_deg: a fixed clockwise turn of every frame before the model, one of `ROTATIONS_DEG` (for
            measuring how the model sees a lying body stood up; not with `rotate_lying`). The landmarks
            come back in the frame's own coordinates either way.
        people_check_interval_ms: video time between checks for a second person while tracking one.
    """

    def __init__(
        self,
        model_path: str | os.PathLike,
        *,
        running_mode: str = "video",
        num_poses: int = 2,
        min_pose_detection_confidence: float = 0.5,
        min_pose_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        rotate_lying: bool = False,
        people_check_interval_ms: int = 2000,
        turn_deg: int = 0,
    ) -> None:
        _check_options(running_mode, num_poses, min_pose_detection_confidence, min_pose_presence_confidence,
                       min_tracking_confidence)
        _check_turn(turn_deg, rotate_lying)
        self.model_path = Path(model_path)
        self.running_mode = running_mode
        self.num_poses = num_poses
        self.rotate_lying = rotate_lying
        self.turn_deg = turn_deg
        self.people_check_interval_ms = people_check_interval_ms
        self._confidences = (min_pose_detection_confidence, min_pose_presence_confidence, min_tracking_confidence)
        self._closed = False
        self._last_t_ms: int | None = None
        self._calls = 0
        self._rotation = _RotationPolicy() if rotate_lying else None
        self._previous_box: np.ndarray | None = None
        self._adaptive = running_mode == "video" and num_poses > 1
        self._tracking_all = not self._adaptive  # True: the tracker follows up to num_poses people
        self._tracker = self._new_landmarker(running_mode, num_poses if self._tracking_all else 1)
        self._probe = None  # image-mode landmarker that looks for further people, made when first needed
        self._next_check_ms: int | None = None
        self._several_seen_ms = 0
        self.tracker_resets = 0

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Free the model (safe to call twice)."""
        self._closed = True
        for landmarker in (self._tracker, self._probe):
            if landmarker is not None:
                with _quiet_native_logs():
                    landmarker.close()
        self._tracker = self._probe = None

    def detect(self, image_bgr: np.ndarray, t_ms: int) -> DetectedPose | None:
        """The most prominent person in a BGR frame, or None when nobody is found.

        In video mode `t_ms` must increase strictly from call to call (the source's frame time).
        """
        if self._closed:
            raise RuntimeError("PoseEstimator is closed")
        t_ms = int(t_ms)
        if self.running_mode == "video":
            if self._last_t_ms is not None and t_ms <= self._last_t_ms:
                raise ValueError(f"t_ms must increase strictly in video mode: got {t_ms} after {self._last_t_ms}")
            self._last_t_ms = t_ms
        height, width = image_bgr.shape[:2]
        rotation_deg = self._rotation.rotation_deg if self._rotation is not None else self.turn_deg
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        if rotation_deg:
            rgb = cv2.rotate(rgb, _ROTATE_CODES[rotation_deg])
        image = _mp_image(rgb)
        if self._adaptive and self._tracking_all:
            poses = self._every_person(image, t_ms)
        else:
            poses = self._poses(self._tracker, image, t_ms)
            if self._adaptive:
                poses = self._follow_people(image, t_ms, poses)
        detected = self._choose(poses, rotation_deg, (width, height))
        if self._rotation is not None and self._rotation.update(detected, (width, height)):
            self._reset_tracker()
        elif self.running_mode == "video" and _upside_down(detected, (width, height)):
            self._reset_tracker()  # a tracked upside-down body stays upside down: detect afresh next frame
        return detected

    def _follow_people(self, image, t_ms: int, poses: list) -> list:
        """Tracking one person: once per `people_check_interval_ms`, look for more; with several, see them all."""
        if self._next_check_ms is not None and t_ms < self._next_check_ms:
            return poses
        self._next_check_ms = t_ms + self.people_check_interval_ms
        people = self._poses(self._people_finder(), image, t_ms)
        if len(people) < 2:
            return poses
        self._tracking_all = True
        self._several_seen_ms = t_ms
        return people

    def _every_person(self, image, t_ms: int) -> list:
        """Several people in view: everyone, detected afresh in every frame, so that `choose_person` can keep one.

        MediaPipe's video tracker returns a single person here even with ``num_poses`` 2 (on
        slr_supine_side_clinic_edit.mp4 it jumps between the patient on the bed and a fit of the nurse behind
        him), so the image-mode landmarker, which returns both, is used until one person is left for
        2 x `people_check_interval_ms`; tracking then starts afresh.
        """
        people = self._poses(self._people_finder(), image, t_ms)
        if len(people) > 1:
            self._several_seen_ms = t_ms
        elif t_ms - self._several_seen_ms >= 2 * self.people_check_interval_ms:
            self._tracking_all = False
            self._reset_tracker()
            self._next_check_ms = t_ms + self.people_check_interval_ms
        return people

    def _people_finder(self):
        """The image-mode landmarker that finds every person in a frame (made when first needed)."""
        if self._probe is None:
            self._probe = self._new_landmarker("image", self.num_poses)
        return self._probe

    def _choose(self, poses: list, rotation_deg: int, size: tuple[int, int]) -> DetectedPose | None:
        if not poses:
            return None
        if rotation_deg:
            poses = [unrotate(landmarks, world, rotation_deg, size) for landmarks, world in poses]
        best = choose_person([landmarks for landmarks, _ in poses], size, self._previous_box)
        landmarks, world = poses[best]
        self._previous_box = person_box(landmarks, size)
        return DetectedPose(landmarks=landmarks, world=world, people_found=len(poses), rotation_deg=rotation_deg)

    def _poses(self, landmarker, image, t_ms: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Run one landmarker; (landmarks (33, 4), world (33, 3)) per person found."""
        self._calls += 1
        with _quiet_native_logs() if self._calls == 1 else contextlib.nullcontext():  # one-time warnings
            if landmarker is self._tracker and self.running_mode == "video":
                result = landmarker.detect_for_video(image, t_ms)
            else:
                result = landmarker.detect(image)
        worlds = result.pose_world_landmarks or []
        people = []
        for i, pose in enumerate(result.pose_landmarks or []):
            world = _as_array(worlds[i], with_visibility=False) if i < len(worlds) else np.full((NUM_LANDMARKS, 3), np.nan)
            people.append((_as_array(pose, with_visibility=True), world))
        return people

    def _reset_tracker(self) -> None:
        """Replace the video tracker by a fresh one (no stale tracking region from another view)."""
        if self.running_mode != "video":
            return
        with _quiet_native_logs():
            self._tracker.close()
        self._tracker = self._new_landmarker("video", 1 if self._adaptive else self.num_poses)
        self.tracker_resets += 1

    def _new_landmarker(self, running_mode: str, num_poses: int):
        return _create_landmarker(self.model_path, running_mode, num_poses, *self._confidences)


def _mp_image(rgb: np.ndarray):
    import mediapipe as mp

    return mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)


def _check_options(running_mode: str, num_poses: int, *confidences: float) -> None:
    if running_mode not in RUNNING_MODES:
        raise ValueError(f"running_mode must be one of {', '.join(RUNNING_MODES)}; got {running_mode!r}")
    if not isinstance(num_poses, int) or num_poses < 1:
        raise ValueError(f"num_poses must be a whole number >= 1; got {num_poses!r}")
    for value in confidences:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"confidence thresholds must lie in [0, 1]; got {value!r}")


def _check_turn(turn_deg: int, rotate_lying: bool) -> None:
    if turn_deg not in ROTATIONS_DEG:
        raise ValueError(f"turn_deg must be one of {', '.join(map(str, ROTATIONS_DEG))}; got {turn_deg!r}")
    if turn_deg and rotate_lying:
        raise ValueError("turn_deg and rotate_lying exclude each other: choose a fixed turn or the automatic one")


def _create_landmarker(path: Path, running_mode: str, num_poses: int, detection: float, presence: float,
                       tracking: float):
    if not path.is_file():
        raise ModelError(f"{path}: no such pose model file")
    from mediapipe.tasks.python import BaseOptions, vision

    mode = vision.RunningMode.VIDEO if running_mode == "video" else vision.RunningMode.IMAGE
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(path)),
        running_mode=mode,
        num_poses=num_poses,
        min_pose_detection_confidence=detection,
        min_pose_presence_confidence=presence,
        min_tracking_confidence=tracking,
        output_segmentation_masks=False,
    )
    try:
        with _quiet_native_logs():
            return vision.PoseLandmarker.create_from_options(options)
    except (RuntimeError, ValueError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelError(f"{path}: not a usable MediaPipe pose landmarker model ({reason})") from None


@contextlib.contextmanager
def _quiet_native_logs() -> Iterator[None]:
    """Hide MediaPipe's INFO/WARNING chatter on fd 2; pass anything else (errors) on through `logging`.

    Set FORMCHECK_NATIVE_LOGS=1 to see MediaPipe's output unfiltered.
    """
    if os.environ.get(SHOW_NATIVE_LOGS_ENV):
        yield
        return
    captured = None
    try:
        with captured_stderr() as captured:
            yield
    finally:
        for line in captured.text.splitlines() if captured is not None else ():
            if _NATIVE_NOISE.match(line):
                log.debug("mediapipe: %s", line)
            else:
                log.error("mediapipe: %s", line)


def _as_array(landmarks, *, with_visibility: bool) -> np.ndarray:
    if with_visibility:
        rows = [(p.x, p.y, p.z, p.visibility if p.visibility is not None else math.nan) for p in landmarks]
    else:
        rows = [(p.x, p.y, p.z) for p in landmarks]
    return np.asarray(rows, dtype=float)


def person_box(landmarks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bounding box (x0, y0, x1, y1) in pixels of a person's visible landmarks, clipped to the frame.

    Visible means visibility >= 0.5; a person with fewer than 4 visible landmarks is boxed on all of them.
    """
    width, height = size
    visible = landmarks[:, 3] >= PROMINENCE_MIN_VISIBILITY
    points = landmarks[visible, :2] if visible.sum() >= 4 else landmarks[:, :2]
    points = np.clip(points, 0.0, 1.0) * (width, height)
    return np.concatenate([points.min(axis=0), points.max(axis=0)])


def _area(box: np.ndarray) -> float:
    return float(max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1]))


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boxes."""
    inter = _area(np.concatenate([np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])]))
    union = _area(a) + _area(b) - inter
    return inter / union if union > 0 else 0.0


def trunk_length_px(landmarks: np.ndarray, size: tuple[int, int]) -> float:
    """Pixels from the shoulder midpoint to the hip midpoint; NaN unless all four are visible (>= 0.5).

    How near the camera a person is, whatever their posture: a lying body's box is thin, and the box of
    someone standing behind furniture grows with the legs MediaPipe guesses behind it (the nurse behind the
    bed in slr_supine_side_clinic_edit.mp4 gets a box twice the patient's), but a trunk keeps its length.
    """
    joints = landmarks[[LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP]]
    if not np.all(joints[:, 3] >= PROMINENCE_MIN_VISIBILITY):
        return math.nan
    px = joints[:, :2] * size
    return float(np.hypot(*((px[0] + px[1]) / 2 - (px[2] + px[3]) / 2)))


def _prominence(candidates: list[np.ndarray], boxes: list[np.ndarray], size: tuple[int, int]) -> list[float]:
    """Each person's size: trunk length when every trunk is visible, else sqrt(box area) for all (one scale)."""
    trunks = [trunk_length_px(landmarks, size) for landmarks in candidates]
    if all(math.isfinite(t) for t in trunks):
        return trunks
    return [math.sqrt(_area(box)) for box in boxes]


def choose_person(candidates: list[np.ndarray], size: tuple[int, int], previous_box: np.ndarray | None = None) -> int:
    """Index of the most prominent person: the longest trunk in pixels (see `trunk_length_px`).

    When some trunk is not visible, the largest `person_box` is taken instead (compared by the square root of
    its area, a length too). To keep one identity through a clip, the person overlapping the previous frame's
    choice (IoU >= 0.3) is kept while their size is at least `KEEP_PERSON_SIZE_RATIO` of the largest one.
    Ties go to the first.
    """
    boxes = [person_box(landmarks, size) for landmarks in candidates]
    sizes = _prominence(candidates, boxes, size)
    best = int(np.argmax(sizes))
    if previous_box is not None and len(boxes) > 1:
        overlaps = [_overlap(box, previous_box) for box in boxes]
        same = int(np.argmax(overlaps))
        if overlaps[same] >= 0.3 and sizes[same] >= KEEP_PERSON_SIZE_RATIO * sizes[best]:
            return same
    return best


def unrotate(landmarks: np.ndarray, world: np.ndarray, rotation_deg: int, size: tuple[int, int]):
    """Map landmarks found on a frame turned clockwise by `rotation_deg` back to the frame as given.

    `size` is the (width, height) of the frame as given. x, y are normalised coordinates; z is scaled
    like x, so it is rescaled from the turned frame's width (the original height) to the original width;
    world x, y turn with the image.
    """
    width, height = size
    x, y = landmarks[:, 0], landmarks[:, 1]
    wx, wy = world[:, 0], world[:, 1]
    if rotation_deg == 90:  # turned clockwise: x' = 1 - y, y' = x
        xy = np.stack([y, 1.0 - x], axis=1)
        wxy = np.stack([wy, -wx], axis=1)
    elif rotation_deg == 270:  # turned counter-clockwise: x' = y, y' = 1 - x
        xy = np.stack([1.0 - y, x], axis=1)
        wxy = np.stack([-wy, wx], axis=1)
    elif rotation_deg == 0:
        return landmarks, world
    else:
        raise ValueError(f"rotation_deg must be one of {ROTATIONS_DEG}; got {rotation_deg!r}")
    z = landmarks[:, 2:3] * (height / width)
    return np.hstack([xy, z, landmarks[:, 3:4]]), np.hstack([wxy, world[:, 2:3]])


def body_tilt_deg(landmarks: np.ndarray, size: tuple[int, int]) -> tuple[float, float] | None:
    """The trunk's angle from upright (0 standing, 90 lying, 180 upside down) and its horizontal direction.

    Measured in pixels from the hip midpoint to the shoulder midpoint; the direction is +1 when the head
    is to the right of the hips, -1 to the left. None when the shoulders or hips are not visible.
    """
    joints = landmarks[[LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP]]
    if not np.all(joints[:, 3] >= PROMINENCE_MIN_VISIBILITY):
        return None
    width, height = size
    px = joints[:, :2] * (width, height)
    dx, dy = (px[0] + px[1]) / 2 - (px[2] + px[3]) / 2
    if dx == 0 and dy == 0:
        return None
    return math.degrees(math.atan2(abs(dx), -dy)), 1.0 if dx > 0 else -1.0


def _upside_down(detected: DetectedPose | None, size: tuple[int, int]) -> bool:
    """The shoulders well below the hips: on the shared clips, a wrong fit when the head starts out of view.

    No exercise of the program is done head-down, and in video mode MediaPipe's tracker keeps such a fit
    frame after frame (squat_deep_front_replabels.mp4: 95 frames), so the tracker is reset to detect afresh.
    """
    if detected is None or detected.rotation_deg:
        return False
    tilt = body_tilt_deg(detected.landmarks, size)
    return tilt is not None and tilt[0] >= UPSIDE_DOWN_MIN_TILT_DEG


class _RotationPolicy:
    """Which way to turn the next frame: head up for a lying body, as the last few detections show it."""

    def __init__(self) -> None:
        self.rotation_deg = 0
        self._wanted = 0
        self._agreeing = 0

    def update(self, detected: DetectedPose | None, size: tuple[int, int]) -> bool:
        """Take this frame's detection (in the frame's own coordinates) into account; True when the turn changes."""
        tilt = body_tilt_deg(detected.landmarks, size) if detected is not None else None
        if tilt is None:
            return False
        tilt_deg, head_side = tilt
        if LYING_MIN_TILT_DEG <= tilt_deg <= 180.0 - LYING_MIN_TILT_DEG:
            wanted = 270 if head_side > 0 else 90  # head right: turn counter-clockwise to bring it up
        elif tilt_deg <= UPRIGHT_MAX_TILT_DEG or tilt_deg >= 180.0 - UPRIGHT_MAX_TILT_DEG:
            wanted = 0
        else:
            wanted = self.rotation_deg
        self._agreeing = self._agreeing + 1 if wanted == self._wanted else 1
        self._wanted = wanted
        if wanted != self.rotation_deg and self._agreeing >= ROTATION_SWITCH_FRAMES:
            self.rotation_deg = wanted
            return True
        return False


def extract_track(
    source: Iterable[Frame],
    estimator: PoseEstimator,
    *,
    progress: bool = True,
    on_frame: Callable[[Frame, DetectedPose | None], None] | None = None,
    prefetch: int = 4,
) -> PoseTrack:
    """Run the estimator over every frame of a source; frames without a person are NaN rows.

    `source` is a `VideoSource` (or any iterable of frames with ``path``, ``size`` and optionally
    ``frame_count`` and ``warnings``). `on_frame(frame, detected)` is called for every frame in order.
    A tqdm progress bar goes to stderr when `progress`. Decoding runs `prefetch` frames ahead on a
    background thread (0 to decode in line). Raises InputError when no frame has a person.
    """
    from tqdm import tqdm

    label = str(getattr(source, "path", ""))
    total = getattr(source, "frame_count", 0) or None
    frames = iter_frames_prefetched(iter(source), prefetch) if prefetch > 0 else iter(source)
    rows = _TrackRows(getattr(source, "size", None))
    started = time.perf_counter()
    bar = tqdm(total=total, unit="frame", desc=Path(label).name or "pose", file=sys.stderr, disable=not progress,
               leave=False, dynamic_ncols=True)
    try:
        for frame in frames:
            detected = estimator.detect(frame.image, frame.t_ms)
            rows.add(frame, detected)
            if on_frame is not None:
                on_frame(frame, detected)
            bar.update(1)
    finally:
        bar.close()
        if hasattr(frames, "close"):
            frames.close()
    elapsed_s = time.perf_counter() - started
    n = len(rows.indices)
    if n == 0:
        raise InputError(f"{label}: no frames to analyse")
    if rows.counts["detected"] == 0:
        raise InputError(f"{label}: no person found in any of {n} frames")
    return rows.track(label, _track_meta(source, estimator, rows.counts, n, elapsed_s))


class _TrackRows:
    """The rows of a track as frames come: landmarks and world per frame (NaN rows without a person)."""

    def __init__(self, size: tuple[int, int] | None) -> None:
        self.size = size
        self.indices: list[int] = []
        self.times_ms: list[int] = []
        self.landmarks: list[np.ndarray] = []
        self.world: list[np.ndarray] = []
        self.counts = {"detected": 0, "several_people": 0, "rotated": 0}
        self._missing_landmarks = np.full((NUM_LANDMARKS, 4), np.nan)
        self._missing_world = np.full((NUM_LANDMARKS, 3), np.nan)

    def add(self, frame: Frame, detected: DetectedPose | None) -> None:
        """Append one frame's row (a NaN row when nobody was found) and count what was seen."""
        if self.size is None:
            self.size = (frame.image.shape[1], frame.image.shape[0])
        self.indices.append(frame.index)
        self.times_ms.append(frame.t_ms)
        if detected is None:
            self.landmarks.append(self._missing_landmarks)
            self.world.append(self._missing_world)
            return
        self.landmarks.append(detected.landmarks)
        self.world.append(detected.world)
        self.counts["detected"] += 1
        self.counts["several_people"] += detected.people_found > 1
        self.counts["rotated"] += detected.rotation_deg != 0

    def track(self, label: str, meta: dict) -> PoseTrack:
        """The rows so far as a `PoseTrack`."""
        return PoseTrack(
            frame=np.asarray(self.indices, dtype=np.int64),
            t_s=np.asarray(self.times_ms, dtype=float) / 1000.0,
            image_size=tuple(self.size),
            landmarks=np.stack(self.landmarks),
            world=np.stack(self.world),
            source=label,
            meta=meta,
        )


def _track_meta(source: object, estimator: PoseEstimator, counts: dict[str, int], n: int, elapsed_s: float) -> dict:
    """The track's ``meta``: pose-detection counts and settings, the source's warnings and replaced times."""
    return {
        "pose": {
            "frames": n,
            "frames_with_person": counts["detected"],
            "frames_with_several_people": counts["several_people"],
            "frames_turned_upright": counts["rotated"],
            "ms_per_frame": round(1000.0 * elapsed_s / n, 2),
            "model": estimator.model_path.name,
            "num_poses": estimator.num_poses,
            "rotate_lying": estimator.rotate_lying,
        },
        "source_warnings": list(getattr(source, "warnings", ())),
        "timestamps_replaced": int(getattr(source, "timestamps_replaced", 0)),
    }
