"""Landmark clean-up: distrust what MediaPipe reports before anything is measured on it.

MediaPipe can read visibility 0.99 for a joint nobody can see, swap the left and right legs for a
few frames, or squash an out-of-frame body into the picture. Three causal checks run per frame:

1. Leg swap repair: when the left and right leg chains (hip, knee, ankle, heel, foot) of a frame fit
   the (repaired) frames of the last 0.3 s much better exchanged, they are exchanged back, as a unit, in
   the image and world landmarks; a repair lasts at most 1 s. Reference frames in which MediaPipe's legs
   flicker into a crossing (far closer together than in the frame judged, and in or out of it faster
   than a leg moves) fit either labelling and are left out of the comparison.
   This is the only change that moves a position.
2. Bone lengths: each bone (trunk side, thigh, shank, upper arm, forearm) is compared with its own
   running median length; when it is wildly off, the landmarks at its far end get visibility 0 (when
   two bones meeting at a joint are both off, only that joint).
   World landmarks (metres, 3D) are used when present, so foreshortening is not mistaken for an error;
   image-only tracks check only bones that grew too long (a 2D bone legitimately looks shorter).
3. Jumps: a landmark that moved farther than a plausible speed allows since its last trusted position
   gets visibility 0 for that frame; when most of the body moves at once (a camera cut, a re-detection)
   nothing is flagged.

Distances are measured in torso lengths (shoulder centre to hip centre, estimated robustly per frame
and as a running median), so the thresholds mean the same for a person near or far from the camera.
`clean_track` (whole track, vectorised) and `TrackCleaner` (one frame at a time, for live use) give
identical results. What was changed is counted in ``track.meta["quality"]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from formcheck.landmarks import (
    INDEX,
    LEFT_ANKLE,
    LEFT_ELBOW,
    LEFT_FOOT_INDEX,
    LEFT_HEEL,
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    LEFT_WRIST,
    NUM_LANDMARKS,
    RIGHT_ANKLE,
    RIGHT_ELBOW,
    RIGHT_FOOT_INDEX,
    RIGHT_HEEL,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
    RIGHT_WRIST,
)
from formcheck.track import PoseTrack

LEFT_LEG: tuple[int, ...] = (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE, LEFT_HEEL, LEFT_FOOT_INDEX)
RIGHT_LEG: tuple[int, ...] = (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE, RIGHT_HEEL, RIGHT_FOOT_INDEX)

# Thigh and shank are each about 0.8 torso lengths (MediaPipe world landmarks of 17 real clips:
# torso 0.47 m, thigh 0.38 m, shank 0.37 m), so 1.25 x the longest leg bone estimates the torso
# when the torso itself is foreshortened or out of the picture.
LEG_BONE_TO_TORSO = 1.25
MAX_SWAP_REFERENCES = 30  # caps the swap reference window at high frame rates


_HAND = ("pinky", "index", "thumb")


@dataclass(frozen=True)
class Bone:
    """A bone checked for plausible length; `hides` are the landmarks distrusted when it is not."""

    name: str
    proximal: int
    distal: int
    hides: tuple[int, ...]
    typical_m: float  # typical length in MediaPipe world landmarks


BONES: tuple[Bone, ...] = (
    Bone("trunk_left", LEFT_HIP, LEFT_SHOULDER, (LEFT_SHOULDER,), 0.48),
    Bone("trunk_right", RIGHT_HIP, RIGHT_SHOULDER, (RIGHT_SHOULDER,), 0.48),
    Bone("thigh_left", LEFT_HIP, LEFT_KNEE, (LEFT_KNEE,), 0.38),
    Bone("thigh_right", RIGHT_HIP, RIGHT_KNEE, (RIGHT_KNEE,), 0.38),
    Bone("shank_left", LEFT_KNEE, LEFT_ANKLE, (LEFT_ANKLE, LEFT_HEEL, LEFT_FOOT_INDEX), 0.37),
    Bone("shank_right", RIGHT_KNEE, RIGHT_ANKLE, (RIGHT_ANKLE, RIGHT_HEEL, RIGHT_FOOT_INDEX), 0.37),
    Bone("upper_arm_left", LEFT_SHOULDER, LEFT_ELBOW, (LEFT_ELBOW,), 0.25),
    Bone("upper_arm_right", RIGHT_SHOULDER, RIGHT_ELBOW, (RIGHT_ELBOW,), 0.25),
    Bone("forearm_left", LEFT_ELBOW, LEFT_WRIST, (LEFT_WRIST, *(INDEX[f"left_{p}"] for p in _HAND)), 0.23),
    Bone("forearm_right", RIGHT_ELBOW, RIGHT_WRIST, (RIGHT_WRIST, *(INDEX[f"right_{p}"] for p in _HAND)), 0.23),
)
# A bone whose proximal joint is the distal joint of another ("parent") bone: when both are off,
# the shared joint is the one misplaced, so only it is distrusted (a misplaced knee makes both the
# thigh and the shank wrong, yet the ankle is fine).
_BONE_PARENT = np.array(
    [next((k for k, other in enumerate(BONES) if other.distal == b.proximal), -1) for b in BONES]
)
_BONE_PROXIMAL = np.array([b.proximal for b in BONES])
_BONE_DISTAL = np.array([b.distal for b in BONES])
_BONE_TYPICAL_M = np.array([b.typical_m for b in BONES])
_HAND_LANDMARKS = [INDEX[f"{side}_{part}"] for side in ("left", "right") for part in _HAND]
_ARM_LANDMARKS = np.array([LEFT_ELBOW, RIGHT_ELBOW, LEFT_WRIST, RIGHT_WRIST, *_HAND_LANDMARKS])
_BONE_HIDES = np.zeros((len(BONES), NUM_LANDMARKS), dtype=bool)
for _k, _bone in enumerate(BONES):
    _BONE_HIDES[_k, list(_bone.hides)] = True


@dataclass(frozen=True)
class CleaningSettings:
    """Thresholds of the three checks. Distances are in torso lengths, times in seconds.

    Attributes:
        swap_cost_ratio: exchange the legs when the exchanged fit costs less than this fraction of the kept fit.
        min_swap_gain_torso: ... and saves at least this RMS distance per leg landmark.
        swap_window_s: a frame is compared with the repaired frames of this last stretch of time (not the
            previous frame alone, so that a swap MediaPipe drifts into slowly cannot become the reference) ...
        swap_max_gap_s: ... or at least with the previous frame with a pose, when it is no older than this.
        swap_min_reference_spread: a reference frame whose leg spread (RMS distance between the left and
            right leg landmarks) is below this fraction of the judged frame's is ambiguous (the legs
            crossing) ...
        swap_flicker_torso_per_s: ... and is left out when its spread changed faster than this from the
            previous pose frame or to the next one (MediaPipe flickering, not legs moving through each
            other): it fits both labellings alike and would only dilute the comparison.
        max_swap_s: longest run of repaired frames; then MediaPipe's labels are trusted again.
        bone_min_ratio, bone_max_ratio: plausible bone length as a fraction of its running median.
        bone_reference_band: the running median itself is held within this band around the typical
            world length (world landmarks only), so a long stretch of bad frames cannot teach a wrong length.
        max_speed_torso_per_s: fastest plausible speed of a landmark (about 10 m/s for a 0.5 m torso) ...
        max_arm_speed_torso_per_s: ... and of an elbow, wrist or hand landmark (an arm swing is faster).
        min_jump_torso: displacements below this are never jumps (keeps high frame rates free of noise flags).
        whole_body_fraction: when at least this fraction of the landmarks jump together, the whole body moved
            (camera cut or re-detection) and nothing is flagged.
        window_frames: number of frames with a pose in the running medians.
    """

    swap_cost_ratio: float = 0.25
    min_swap_gain_torso: float = 0.1
    swap_window_s: float = 0.3
    swap_max_gap_s: float = 0.5
    swap_min_reference_spread: float = 0.5
    swap_flicker_torso_per_s: float = 12.0
    max_swap_s: float = 1.0
    bone_min_ratio: float = 0.5
    bone_max_ratio: float = 1.6
    bone_reference_band: tuple[float, float] = (0.7, 1.4)
    max_speed_torso_per_s: float = 20.0
    max_arm_speed_torso_per_s: float = 40.0
    min_jump_torso: float = 0.25
    whole_body_fraction: float = 0.5
    window_frames: int = 61

    def __post_init__(self) -> None:
        positive = {
            "swap_cost_ratio": self.swap_cost_ratio,
            "swap_window_s": self.swap_window_s,
            "swap_max_gap_s": self.swap_max_gap_s,
            "swap_flicker_torso_per_s": self.swap_flicker_torso_per_s,
            "max_swap_s": self.max_swap_s,
            "bone_min_ratio": self.bone_min_ratio,
            "max_speed_torso_per_s": self.max_speed_torso_per_s,
            "max_arm_speed_torso_per_s": self.max_arm_speed_torso_per_s,
            "whole_body_fraction": self.whole_body_fraction,
        }
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"{name} must be > 0, got {value}")
        if self.min_swap_gain_torso < 0 or self.min_jump_torso < 0 or self.swap_min_reference_spread < 0:
            raise ValueError("min_swap_gain_torso, min_jump_torso and swap_min_reference_spread must be >= 0")
        if not self.bone_min_ratio < 1 < self.bone_max_ratio:
            raise ValueError(
                f"bone ratios must satisfy bone_min_ratio < 1 < bone_max_ratio, got {self.bone_min_ratio}, "
                f"{self.bone_max_ratio}"
            )
        low, high = self.bone_reference_band
        if not 0 < low <= 1 <= high:
            raise ValueError(f"bone_reference_band must satisfy 0 < low <= 1 <= high, got {self.bone_reference_band}")
        if self.window_frames < 1:
            raise ValueError(f"window_frames must be >= 1, got {self.window_frames}")


# ---------------------------------------------------------------------------------------------
# Running medians and the torso scale (shared with smoothing)
# ---------------------------------------------------------------------------------------------


def _median_of_windows(windows: np.ndarray) -> np.ndarray:
    """Median of each row of `windows` (..., w), ignoring NaN; NaN for an all-NaN row.

    One formula for the batch and the streaming paths, so that both give the same floats.
    """
    ordered = np.sort(windows, axis=-1)  # NaN sort last
    count = np.sum(~np.isnan(windows), axis=-1)
    low = np.take_along_axis(ordered, np.maximum((count - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    high = np.take_along_axis(ordered, np.maximum(count // 2, 0)[..., None], axis=-1)[..., 0]
    return np.where(count > 0, (low + high) / 2, np.nan)


def running_median(values: np.ndarray, window: int) -> np.ndarray:
    """Causal running median of each column of `values` (n, k) over its last `window` non-NaN values.

    A NaN input leaves the median unchanged (it is skipped); before the first value the result is NaN.
    """
    values = np.asarray(values, dtype=float)
    n, k = values.shape
    out = np.full((n, k), np.nan)
    for col in range(k):
        column = values[:, col]
        present = np.flatnonzero(~np.isnan(column))
        if present.size == 0:
            continue
        padded = np.concatenate([np.full(window - 1, np.nan), column[present]])
        medians = _median_of_windows(sliding_window_view(padded, window))
        # Each frame takes the median as of its latest value (or stays NaN before the first one).
        latest = np.searchsorted(present, np.arange(n), side="right") - 1
        has = latest >= 0
        out[has, col] = medians[latest[has]]
    return out


class RunningMedian:
    """Streaming twin of `running_median`: push one row of k values, get the k medians."""

    def __init__(self, k: int, window: int) -> None:
        self._buffer = np.full((k, window), np.nan)
        self._next = np.zeros(k, dtype=int)
        self._window = window
        self._rows = np.arange(k)

    def push(self, row: np.ndarray) -> np.ndarray:
        row = np.asarray(row, dtype=float)
        present = ~np.isnan(row)
        rows = self._rows[present]
        self._buffer[rows, self._next[present]] = row[present]
        self._next[present] = (self._next[present] + 1) % self._window
        return _median_of_windows(self._buffer)

    def reset(self) -> None:
        self._buffer[:] = np.nan
        self._next[:] = 0


def _distance(points: np.ndarray, a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """Euclidean distance between landmarks a and b of points (..., 33, d)."""
    diff = points[..., a, :] - points[..., b, :]
    return np.sqrt(np.sum(diff * diff, axis=-1))


def torso_length_estimate(points: np.ndarray) -> np.ndarray:
    """Per-frame torso length (shoulder centre to hip centre) of points (..., 33, d), robust to foreshortening.

    The larger of the torso itself and 1.25 x the longest thigh or shank, in the units of `points`.
    """
    shoulders = (points[..., LEFT_SHOULDER, :] + points[..., RIGHT_SHOULDER, :]) / 2
    hips = (points[..., LEFT_HIP, :] + points[..., RIGHT_HIP, :]) / 2
    torso = np.sqrt(np.sum((shoulders - hips) ** 2, axis=-1))
    legs = np.stack(
        [
            _distance(points, LEFT_HIP, LEFT_KNEE),
            _distance(points, RIGHT_HIP, RIGHT_KNEE),
            _distance(points, LEFT_KNEE, LEFT_ANKLE),
            _distance(points, RIGHT_KNEE, RIGHT_ANKLE),
        ],
        axis=-1,
    )
    longest_leg_bone = np.fmax.reduce(legs, axis=-1)  # ignores a NaN bone unless all are NaN
    estimate = np.fmax(torso, LEG_BONE_TO_TORSO * longest_leg_bone)
    return np.where(estimate > 0, estimate, np.nan)


def torso_scale(points: np.ndarray, window: int = 61) -> np.ndarray:
    """(n,) causal running-median torso length of points (n, 33, d); NaN before the first pose."""
    return running_median(torso_length_estimate(points)[:, None], window)[:, 0]


class TorsoScale:
    """Streaming twin of `torso_scale`: `update(points (33, d)) -> torso length`."""

    def __init__(self, window: int = 61) -> None:
        self._median = RunningMedian(1, window)

    def update(self, points: np.ndarray) -> float:
        return float(self._median.push(torso_length_estimate(points[None])[0:1])[0])

    def reset(self) -> None:
        self._median.reset()


# ---------------------------------------------------------------------------------------------
# The three checks, written once on arrays of frames (batch: all frames, streaming: one frame)
# ---------------------------------------------------------------------------------------------


def _leg_fit_costs(current: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of squared leg-landmark displacements (..., 33, 2) kept as labelled and exchanged."""
    left, right = current[..., LEFT_LEG, :], current[..., RIGHT_LEG, :]
    ref_left, ref_right = reference[..., LEFT_LEG, :], reference[..., RIGHT_LEG, :]
    kept = np.sum((left - ref_left) ** 2, axis=(-1, -2)) + np.sum((right - ref_right) ** 2, axis=(-1, -2))
    exchanged = np.sum((left - ref_right) ** 2, axis=(-1, -2)) + np.sum((right - ref_left) ** 2, axis=(-1, -2))
    return kept, exchanged


def _leg_spread(points: np.ndarray) -> np.ndarray:
    """(...,) RMS distance between the left and right leg landmarks of points (..., 33, 2)."""
    diff = points[..., LEFT_LEG, :] - points[..., RIGHT_LEG, :]
    return np.sqrt(np.mean(np.sum(diff * diff, axis=-1), axis=-1))


def _flickers(fastest_rate: np.ndarray, torso_px: np.ndarray, settings: CleaningSettings) -> np.ndarray:
    """Frames whose leg spread changed faster than a leg moves, in or out of them (px/s; torso px)."""
    with np.errstate(invalid="ignore"):
        return fastest_rate > settings.swap_flicker_torso_per_s * torso_px


def _unambiguous(
    reference_spread: np.ndarray, reference_flicker: np.ndarray, spread: np.ndarray | float,
    settings: CleaningSettings,
) -> np.ndarray:
    """Which reference frames can tell the labellings of a frame apart: all but MediaPipe's flicker
    into a crossing (`reference_flicker`: spread changing faster than a leg moves) with the legs far
    closer together than in the frame judged."""
    with np.errstate(invalid="ignore"):
        crossing = reference_spread < settings.swap_min_reference_spread * spread
    return ~(crossing & reference_flicker)


def _should_exchange(
    kept: np.ndarray, exchanged: np.ndarray, reference_exchanged: np.ndarray, usable: np.ndarray,
    torso_px: float, settings: CleaningSettings,
) -> bool:
    """The swap rule, against the repaired reference frames (oldest first).

    `kept` and `exchanged` are the raw costs against each raw reference frame; a reference frame that
    was itself repaired (`reference_exchanged`) swaps the two. Only `usable` (unambiguous) reference
    frames count. Exchange when, on average, the exchanged labelling fits much better, by a margin
    larger than jitter.
    """
    if not np.any(usable):
        return False
    same = np.mean(np.where(reference_exchanged, exchanged, kept)[usable])
    other = np.mean(np.where(reference_exchanged, kept, exchanged)[usable])
    if not (np.isfinite(same) and np.isfinite(other) and np.isfinite(torso_px)):
        return False
    gain_rms = np.sqrt(max(same - other, 0.0) / (2 * len(LEFT_LEG)))
    return bool(other < settings.swap_cost_ratio * same and gain_rms > settings.min_swap_gain_torso * torso_px)


def _reference_count(t_s: float, earlier_t_s: np.ndarray, settings: CleaningSettings) -> int:
    """How many of the latest earlier pose frames (times ascending) serve as the swap reference."""
    if earlier_t_s.size == 0 or t_s - earlier_t_s[-1] > settings.swap_max_gap_s:
        return 0
    in_window = int(np.count_nonzero(t_s - earlier_t_s <= settings.swap_window_s))
    return min(max(in_window, 1), MAX_SWAP_REFERENCES)


class _RepairRun:
    """Caps a run of repaired frames at `max_swap_s`, then trusts MediaPipe's labels again.

    MediaPipe's swaps last a fraction of a second. A longer run more likely means the repair itself
    went wrong (a swap MediaPipe drifted into unnoticed, then left abruptly), which would otherwise
    keep the legs mislabelled for the rest of the video. After a capped run no repair starts for
    `swap_window_s`, so that the reference window refills with MediaPipe's labels.
    """

    def __init__(self, settings: CleaningSettings) -> None:
        self._settings = settings
        self._run_start_s: float | None = None
        self._quiet_until_s = -np.inf

    def allow(self, t_s: float, wants: bool) -> bool:
        if wants and t_s < self._quiet_until_s:
            wants = False
        if wants and self._run_start_s is not None and t_s - self._run_start_s >= self._settings.max_swap_s:
            wants = False
            self._quiet_until_s = t_s + self._settings.swap_window_s
        if not wants:
            self._run_start_s = None
        elif self._run_start_s is None:
            self._run_start_s = t_s
        return wants


def _exchange_legs(array: np.ndarray) -> np.ndarray:
    """Copy of array (..., 33, c) with the left and right leg chains exchanged."""
    out = array.copy()
    out[..., LEFT_LEG, :] = array[..., RIGHT_LEG, :]
    out[..., RIGHT_LEG, :] = array[..., LEFT_LEG, :]
    return out


def _bone_lengths(landmarks: np.ndarray, world: np.ndarray | None, image_size: tuple[int, int]) -> np.ndarray:
    """(..., bones) lengths: world metres when there are world landmarks, else image pixels."""
    if world is not None:
        return _distance(world, _BONE_PROXIMAL, _BONE_DISTAL)
    return _distance(_to_px(landmarks, image_size), _BONE_PROXIMAL, _BONE_DISTAL)


def _bone_flags(
    lengths: np.ndarray, medians: np.ndarray, use_world: bool, settings: CleaningSettings
) -> np.ndarray:
    """(..., 33) landmarks to distrust because a bone ending in them is implausibly long or short."""
    if use_world:
        low, high = settings.bone_reference_band
        reference = np.clip(medians, low * _BONE_TYPICAL_M, high * _BONE_TYPICAL_M)
    else:
        reference = medians
    with np.errstate(invalid="ignore"):
        too_long = lengths > settings.bone_max_ratio * reference
        # A 2D bone looks shorter whenever it points at the camera: only world lengths can be too short.
        too_short = lengths < settings.bone_min_ratio * reference if use_world else np.zeros_like(too_long)
    bad = too_long | too_short
    parent_bad = np.where(_BONE_PARENT >= 0, bad[..., np.maximum(_BONE_PARENT, 0)], False)
    return np.any((bad & ~parent_bad)[..., :, None] & _BONE_HIDES, axis=-2)


def _to_px(landmarks: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    width, height = image_size
    return landmarks[..., :2] * np.array([width, height], dtype=float)


@dataclass
class _JumpState:
    """Last trusted position and time of every landmark (NaN: none yet)."""

    position: np.ndarray  # (33, 2) pixels
    t_s: np.ndarray  # (33,)

    @staticmethod
    def empty() -> "_JumpState":
        return _JumpState(np.full((NUM_LANDMARKS, 2), np.nan), np.full(NUM_LANDMARKS, np.nan))


def _speed_limits(settings: CleaningSettings) -> np.ndarray:
    """(33,) fastest plausible speed of each landmark, torso lengths per second."""
    limits = np.full(NUM_LANDMARKS, settings.max_speed_torso_per_s)
    limits[_ARM_LANDMARKS] = settings.max_arm_speed_torso_per_s
    return limits


def _jump_step(
    state: _JumpState, t_s: float, xy_px: np.ndarray, torso_px: float, settings: CleaningSettings
) -> np.ndarray:
    """Flags (33,) for one frame and update of `state`: moved farther than plausible since last trusted."""
    present = ~np.isnan(xy_px[:, 0])
    moved = np.sqrt(np.sum((xy_px - state.position) ** 2, axis=1))
    allowed = np.maximum(settings.min_jump_torso, _speed_limits(settings) * (t_s - state.t_s)) * torso_px
    with np.errstate(invalid="ignore"):
        jumped = present & (moved > allowed)
    if np.count_nonzero(jumped) >= settings.whole_body_fraction * max(np.count_nonzero(present), 1):
        jumped[:] = False  # the whole body moved: a cut or a re-detection, not a bad landmark
    trusted = present & ~jumped
    state.position[trusted] = xy_px[trusted]
    state.t_s[trusted] = t_s
    return jumped


# ---------------------------------------------------------------------------------------------
# Batch and streaming entry points
# ---------------------------------------------------------------------------------------------


@dataclass
class QualityCounts:
    """What the clean-up changed, for reports."""

    frames: int = 0
    frames_with_pose: int = 0
    leg_swaps_repaired: int = 0
    bone_length_flags: int = 0
    jump_flags: int = 0
    landmarks_hidden: int = 0
    frames_changed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))

    def add_frame(self, has_pose: bool, swapped: bool, bone: np.ndarray, jump: np.ndarray) -> None:
        self.frames += 1
        self.frames_with_pose += int(has_pose)
        self.leg_swaps_repaired += int(swapped)
        self.bone_length_flags += int(np.count_nonzero(bone))
        self.jump_flags += int(np.count_nonzero(jump & ~bone))
        hidden = int(np.count_nonzero(bone | jump))
        self.landmarks_hidden += hidden
        self.frames_changed += int(swapped or hidden > 0)


def clean_track(track: PoseTrack, settings: CleaningSettings | None = None) -> PoseTrack:
    """The track with leg swaps repaired and untrustworthy landmarks at visibility 0.

    Positions are never moved except by a swap repair; gaps stay gaps. The counts of what changed
    are in ``meta["quality"]``. Causal: frame i depends only on frames up to i, exactly like
    `TrackCleaner` fed the same frames.
    """
    settings = settings or CleaningSettings()
    n = len(track)
    landmarks = track.landmarks.copy()
    world = None if track.world is None else track.world.copy()
    has_pose = track.has_pose
    xy_px = _to_px(landmarks, track.image_size)
    torso_px = torso_scale(xy_px, settings.window_frames)

    swapped = _repair_swaps(track.t_s, xy_px, has_pose, torso_px, settings)
    if swapped.any():
        landmarks[swapped] = _exchange_legs(landmarks[swapped])
        xy_px[swapped] = _exchange_legs(xy_px[swapped])
        if world is not None:
            world[swapped] = _exchange_legs(world[swapped])

    lengths = _bone_lengths(landmarks, world, track.image_size)
    bone = _bone_flags(lengths, running_median(lengths, settings.window_frames), world is not None, settings)
    bone &= has_pose[:, None]
    jump = _jump_flags(track.t_s, xy_px, has_pose, torso_px, settings)
    hide = bone | jump
    landmarks[:, :, 3][hide] = 0.0
    counts = QualityCounts(
        frames=n,
        frames_with_pose=int(np.count_nonzero(has_pose)),
        leg_swaps_repaired=int(np.count_nonzero(swapped)),
        bone_length_flags=int(np.count_nonzero(bone)),
        jump_flags=int(np.count_nonzero(jump & ~bone)),
        landmarks_hidden=int(np.count_nonzero(hide)),
        frames_changed=int(np.count_nonzero(swapped | hide.any(axis=1))),
    )
    return track.replace(landmarks=landmarks, world=world, meta={**track.meta, "quality": counts.as_dict()})


def _repair_swaps(
    t_s: np.ndarray, xy_px: np.ndarray, has_pose: np.ndarray, torso_px: np.ndarray, settings: CleaningSettings
) -> np.ndarray:
    """(n,) bool: frames whose legs must be exchanged, each judged against the repaired reference frames.

    Same decisions as `TrackCleaner`; frames that are clearly no swap (judged with a margin, against
    references none of which was repaired) skip the exact frame-by-frame rule.
    """
    swapped = np.zeros(len(t_s), dtype=bool)
    posed = np.flatnonzero(has_pose)
    m = posed.size
    if m < 2:
        return swapped
    times = t_s[posed]
    lags = np.arange(1, min(MAX_SWAP_REFERENCES, m - 1) + 1)
    earlier = np.arange(m)[:, None] - lags[None, :]
    with np.errstate(invalid="ignore"):
        age = np.where(earlier >= 0, times[:, None] - times[np.maximum(earlier, 0)], np.nan)
        in_window = np.count_nonzero(age <= settings.swap_window_s, axis=1)
        previous_close = age[:, 0] <= settings.swap_max_gap_s
    counts = np.where(previous_close, np.minimum(np.maximum(in_window, 1), MAX_SWAP_REFERENCES), 0)
    if counts.max() == 0:
        return swapped
    width = int(counts.max())
    # Raw costs of pose frame j against pose frame j - lag, for every lag in use, and which of
    # those reference frames are unambiguous for frame j.
    kept = np.full((m, width + 1), np.nan)
    exchanged = np.full((m, width + 1), np.nan)
    usable = np.zeros((m, width + 1), dtype=bool)
    spread = _leg_spread(xy_px[posed])
    rate_in = np.zeros(m)
    with np.errstate(invalid="ignore"):
        rate_in[1:] = np.abs(spread[1:] - spread[:-1]) / (times[1:] - times[:-1])
    # A reference frame flickers when its spread changed fast from its predecessor or to its successor
    # (which is never later than the frame judged).
    fastest = np.concatenate([np.fmax(rate_in[:-1], rate_in[1:]), rate_in[-1:]])
    flicker = _flickers(fastest, torso_px[posed], settings)
    for lag in range(1, width + 1):
        kept[lag:, lag], exchanged[lag:, lag] = _leg_fit_costs(xy_px[posed[lag:]], xy_px[posed[:-lag]])
        usable[lag:, lag] = _unambiguous(spread[:-lag], flicker[:-lag], spread[lag:], settings)
    # A quick look, with a margin, assuming no reference frame was repaired.
    used = np.arange(width + 1)[None, :] <= counts[:, None]
    used[:, 0] = False
    used &= usable
    n_used = np.count_nonzero(used, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        same = np.sum(np.where(used, kept, 0.0), axis=1) / n_used
        other = np.sum(np.where(used, exchanged, 0.0), axis=1) / n_used
        gain_rms = np.sqrt(np.maximum(same - other, 0.0) / (2 * len(LEFT_LEG)))
        maybe = (other < 1.01 * settings.swap_cost_ratio * same) & (
            gain_rms > 0.99 * settings.min_swap_gain_torso * torso_px[posed]
        )
    posed_swapped = np.zeros(m, dtype=bool)
    run = _RepairRun(settings)
    last_swapped = -(10**9)
    for j in range(m):
        wants = False
        if counts[j] and (maybe[j] or last_swapped >= j - counts[j]):
            order = np.arange(counts[j], 0, -1)  # lags of the reference frames, oldest first
            wants = _should_exchange(
                kept[j, order], exchanged[j, order], posed_swapped[j - order], usable[j, order],
                float(torso_px[posed[j]]), settings,
            )
        posed_swapped[j] = run.allow(float(times[j]), wants)
        if posed_swapped[j]:
            last_swapped = j
    swapped[posed] = posed_swapped
    return swapped


def _jump_flags(
    t_s: np.ndarray, xy_px: np.ndarray, has_pose: np.ndarray, torso_px: np.ndarray, settings: CleaningSettings
) -> np.ndarray:
    """(n, 33) jump flags, the same as `_jump_step` frame by frame.

    While every landmark was trusted in the previous pose frame and none moved close to its limit,
    a frame needs no step of its own.
    """
    jump = np.zeros(xy_px.shape[:2], dtype=bool)
    posed = np.flatnonzero(has_pose)
    if posed.size == 0:
        return jump
    current, previous = posed[1:], posed[:-1]
    moved = np.sqrt(np.sum((xy_px[current] - xy_px[previous]) ** 2, axis=-1))
    elapsed = t_s[current] - t_s[previous]
    limits = _speed_limits(settings)[None, :]
    allowed = np.maximum(settings.min_jump_torso, limits * elapsed[:, None]) * torso_px[current][:, None]
    with np.errstate(invalid="ignore"):
        clear = np.all(moved < 0.999 * allowed, axis=1)
    complete = np.all(~np.isnan(xy_px[posed, :, 0]), axis=1)
    state = _JumpState.empty()
    synced_at = -1  # a frame in which every landmark was trusted, and nothing since needed a step
    for j, i in enumerate(posed):
        if synced_at >= 0 and clear[j - 1]:
            synced_at = i
            continue
        if synced_at >= 0:
            state.position[:] = xy_px[synced_at]
            state.t_s[:] = t_s[synced_at]
        jump[i] = _jump_step(state, float(t_s[i]), xy_px[i], float(torso_px[i]), settings)
        synced_at = i if complete[j] and not jump[i].any() else -1
    return jump


class TrackCleaner:
    """Streaming twin of `clean_track` for live use: feed frames in time order.

    ``update(t_s, landmarks (33, 4), world (33, 3) | None) -> (landmarks, world)``; a frame without a pose
    is all NaN and is passed through. `counts` holds what was changed so far.
    """

    def __init__(self, image_size: tuple[int, int], settings: CleaningSettings | None = None) -> None:
        self.image_size = image_size
        self.settings = settings or CleaningSettings()
        self.counts = QualityCounts()
        window = self.settings.window_frames
        self._torso = TorsoScale(window)
        self._bones = RunningMedian(len(BONES), window)
        self._jumps = _JumpState.empty()
        # The latest pose frames (oldest first): time, raw pixels and whether their legs were exchanged.
        self._recent_t_s: list[float] = []
        self._recent_xy: list[np.ndarray] = []
        self._recent_exchanged: list[bool] = []
        self._recent_torso_px: list[float] = []
        self._recent_spread: list[float] = []
        self._recent_rate_in: list[float] = []  # how fast the spread changed into each frame, px/s
        self._repair_run = _RepairRun(self.settings)
        self._last_t_s = -np.inf

    def update(
        self, t_s: float, landmarks: np.ndarray, world: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        if not t_s > self._last_t_s:
            raise ValueError(f"t_s must increase: got {t_s} after {self._last_t_s}")
        self._last_t_s = t_s
        landmarks = np.array(landmarks, dtype=float)
        world = None if world is None else np.array(world, dtype=float)
        has_pose = not np.isnan(landmarks[:, 0]).all()
        xy_px = _to_px(landmarks, self.image_size)
        torso_px = self._torso.update(xy_px)
        no_flags = np.zeros(NUM_LANDMARKS, dtype=bool)
        if not has_pose:
            self.counts.add_frame(False, False, no_flags, no_flags)
            return landmarks, world

        swapped = self._judge_swap(t_s, xy_px, torso_px)
        if swapped:
            landmarks, xy_px = _exchange_legs(landmarks), _exchange_legs(xy_px)
            world = None if world is None else _exchange_legs(world)

        lengths = _bone_lengths(landmarks, world, self.image_size)
        medians = self._bones.push(lengths)
        bone = _bone_flags(lengths, medians, world is not None, self.settings)
        jump = _jump_step(self._jumps, t_s, xy_px, torso_px, self.settings)
        landmarks[:, 3][bone | jump] = 0.0
        self.counts.add_frame(True, swapped, bone, jump)
        return landmarks, world

    def _judge_swap(self, t_s: float, xy_px: np.ndarray, torso_px: float) -> bool:
        count = _reference_count(t_s, np.array(self._recent_t_s), self.settings)
        spread = float(_leg_spread(xy_px[None])[0])
        rate_in = 0.0
        if self._recent_t_s:
            rate_in = float(np.abs(spread - self._recent_spread[-1]) / (t_s - self._recent_t_s[-1]))
        wants = False
        if count:
            kept, exchanged = _leg_fit_costs(xy_px[None], np.stack(self._recent_xy[-count:]))
            rates = np.array([*self._recent_rate_in[-count:], rate_in])
            flicker = _flickers(np.fmax(rates[:-1], rates[1:]), np.array(self._recent_torso_px[-count:]), self.settings)
            usable = _unambiguous(np.array(self._recent_spread[-count:]), flicker, spread, self.settings)
            wants = _should_exchange(
                kept, exchanged, np.array(self._recent_exchanged[-count:]), usable, torso_px, self.settings
            )
        swapped = self._repair_run.allow(t_s, wants)
        recent = (self._recent_t_s, self._recent_xy, self._recent_exchanged, self._recent_torso_px,
                  self._recent_spread, self._recent_rate_in)
        for values, value in zip(recent, (t_s, xy_px, swapped, torso_px, spread, rate_in)):
            values.append(value)
            if len(values) > MAX_SWAP_REFERENCES:
                del values[0]
        return swapped
