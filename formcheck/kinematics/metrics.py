"""Joint angles, heights and body measures for every frame of a pose track, with confidence.

``compute_metrics(track)`` returns a :class:`MetricTable` (n frames x m metrics); ``MetricsStream``
gives the same numbers one frame at a time for live use. Everything is causal: a frame's values
depend only on that frame and the frames before it.

Conventions (geometry.py has the vector conventions):

- Angles in degrees. A metric is NaN where a landmark it uses is missing or has visibility below
  ``min_visibility``; its confidence is the smallest visibility of the landmarks it uses (0 without
  a pose).
- Image angles use pixel coordinates (so non-square frames are right). Angles that are 3D by nature
  (hip flexion, knee flexion, thigh elevation, trunk inclination) blend the image angle with the
  world-landmark angle by the view: image only when the torso is seen from the side (``body_yaw``
  >= 75 deg), world only when it is seen from the front or at an angle (<= 55 deg), a smooth ramp
  between. Without world landmarks the image angle is used everywhere (then these are correct
  in side view only). Front-view metrics (hip abduction, FPPA, pelvic obliquity, lateral lean,
  separations) are image angles: meaningful in front view only.
  FPPA is not measured while the thigh points at the camera (its image shorter than
  ``formulas.FPPA_MIN_THIGH_PER_SHANK`` image shanks: deep squats and landings, the knee near hip level), where
  the angle between the projections is undefined.
- "Image-relative" metrics (thigh elevation, trunk inclination and tilt, pelvic obliquity, heights)
  assume a level camera: the image vertical is the direction of gravity. The others are
  body-relative and do not change when the image is rotated.
- ``facing``: which way the person's front points in a side view once the trunk is turned upright,
  +1 = image right, -1 = image left (equivalently: +1 = the right side of the body faces the camera).
  It is a vote, over the last second, of three cues: the nose ahead of the ears, the toes ahead of
  the heels, and which hip/shoulder is nearer the camera (MediaPipe z). Unknown (NaN) in front view.
- ``hip_flexion`` is signed: negative = extension (thigh behind the trunk line). The sign comes
  from ``facing`` in side view and from the world hip axis in front view; if neither is known the
  magnitude is returned.
- Floor line: the image height of the lowest visible foot point (ankle, heel, toe) per frame; the
  floor is its robust low quantile over the last ``floor_window_s`` seconds (a fixed camera).
  Leg length: hip-knee plus knee-ankle in pixels, the longer leg, at least 1.4 torso lengths (legs
  pointing at the camera look short), robust high quantile over the last ``scale_window_s``
  seconds. Heights and horizontal positions are in leg lengths.

- ``pelvis_depth``: how far the pelvis centre is below the person's own standing level, in leg lengths
  (>= 0), a depth measure that reads the same in every camera view (knee flexion from MediaPipe is
  foreshortened in front view, its world landmarks too). The standing level follows the pelvis's height
  in the picture (not above the floor line, which moves when the foot that sets it lifts) up at most
  ``STANDING_RISE_PER_S`` (so a one-frame glitch cannot raise it) and sinks toward it with the time constant
  ``STANDING_FALL_TAU_S`` (a held squat keeps most of its depth); it is kept in pixels with the leg length of its
  moment (the current one shrinks while a squat is held in front view), and starts again after a gap of
  ``STANDING_RESET_GAP_S`` without a pelvis or a change of scale (camera moved).

The columns, their order, units and meanings are catalog.py's entries; each entry's formula is in
formulas.py (``FORMULAS``, keyed by the entry's name).
"""

from __future__ import annotations

import difflib
import math
from collections import deque
from dataclasses import dataclass
from typing import Final, NamedTuple

import numpy as np

from formcheck import geometry as geo
from formcheck.errors import SpecError
from formcheck.landmarks import BODY_SIDES, INDEX, LEFT_HIP, LEFT_SHOULDER, NOSE, NUM_LANDMARKS, RIGHT_HIP, RIGHT_SHOULDER, side_index
from formcheck.kinematics.catalog import column_names, lookup
from formcheck.kinematics.formulas import FORMULAS, Column, Inputs, body_yaw_deg
from formcheck.track import PoseTrack

LS, RS, LH, RH = LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP
LEFT_EAR, RIGHT_EAR = INDEX["left_ear"], INDEX["right_ear"]
TORSO = (LS, RS, LH, RH)

# Lower bound of leg length (hip-knee-ankle) / torso length (shoulder centre - hip centre) in the
# image; measured medians on real clips are 1.3-1.8 (side views, MediaPipe landmarks).
MIN_LEG_PER_TORSO = 1.4
# Standing level behind pelvis_depth: how fast it may rise (leg lengths per second), its sinking time
# constant (s), and the gap without a pelvis (s) after which it starts again.
STANDING_RISE_PER_S = 0.5
STANDING_FALL_TAU_S = 30.0
STANDING_RESET_GAP_S = 2.0
# A leg length this many times longer or shorter than when the level was set is a new scene (the camera
# moved or zoomed): the level starts again. (Legs pointing at the camera shorten it by less: see
# MIN_LEG_PER_TORSO.)
STANDING_RESET_SCALE = 1.5
# Body yaw (deg) below which the facing cues are not counted (front view: no side faces the camera).
FACING_MIN_YAW_DEG = 45.0

METRIC_NAMES: Final[tuple[str, ...]] = column_names()


@dataclass(frozen=True)
class MetricSettings:
    """Thresholds and windows of the metric computation (defaults suit 5-60 fps video)."""

    min_visibility: float = 0.5
    floor_window_s: float = 3.0
    floor_quantile: float = 0.1
    scale_window_s: float = 3.0
    scale_quantile: float = 0.9
    facing_window_s: float = 1.0
    facing_min_votes: float = 1.0
    window_max_frames: int = 128

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_visibility <= 1.0:
            raise ValueError(f"min_visibility must be in [0, 1], got {self.min_visibility}")
        if self.window_max_frames < 1:
            raise ValueError(f"window_max_frames must be >= 1, got {self.window_max_frames}")


@dataclass(frozen=True)
class MetricTable:
    """Metric values per frame: ``values[i, j]`` is metric ``names[j]`` at frame i (NaN = not measured)."""

    names: tuple[str, ...]
    values: np.ndarray
    confidence: np.ndarray

    def __post_init__(self) -> None:
        shape = (self.values.shape[0], len(self.names))
        if self.values.shape != shape or self.confidence.shape != shape:
            raise ValueError(f"values {self.values.shape} and confidence {self.confidence.shape} must be {shape}")

    def __len__(self) -> int:
        return self.values.shape[0]

    def index(self, name: str) -> int:
        """Column of a metric; SpecError naming the closest known metric when it does not exist."""
        try:
            return self.names.index(name)
        except ValueError:
            close = difflib.get_close_matches(name, self.names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SpecError(f"unknown metric {name!r}{hint}") from None

    def column(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(values, confidence) of one metric over all frames."""
        j = self.index(name)
        return self.values[:, j], self.confidence[:, j]


class MetricRow(NamedTuple):
    """One frame of metrics, in the order of ``METRIC_NAMES``."""

    values: np.ndarray
    confidence: np.ndarray


@dataclass(frozen=True)
class _FrameInputs:
    """Landmarks of n frames in the up frame (see geometry.py), visibility with NaN -> 0."""

    xy: np.ndarray  # (n, 33, 2) px, y up
    z: np.ndarray  # (n, 33) px, toward the viewer, from MediaPipe's image z
    visibility: np.ndarray  # (n, 33)
    world: np.ndarray | None  # (n, 33, 3) m, camera frame x right, y up, z toward viewer
    image_size: tuple[int, int]

    @staticmethod
    def from_arrays(landmarks: np.ndarray, world: np.ndarray | None, image_size: tuple[int, int]) -> "_FrameInputs":
        width, height = image_size
        xy = geo.image_to_up(landmarks[:, :, :2] * np.array([width, height], dtype=float))
        z = -landmarks[:, :, 2] * width
        visibility = np.nan_to_num(landmarks[:, :, 3], nan=0.0)
        return _FrameInputs(xy, z, visibility, None if world is None else geo.world_to_up(world), image_size)


@dataclass(frozen=True)
class _WindowInputs:
    """Per-frame raw quantities that the causal windows aggregate."""

    lowest_foot_y: np.ndarray  # (n,) up-frame y of the lowest visible foot point
    leg_length_px: np.ndarray  # (n,) longer visible leg (hip-knee + knee-ankle), >= 1.4 torso lengths
    facing_votes: np.ndarray  # (n,) sum of facing cue signs (0 when none counted)
    facing_voters: np.ndarray  # (n,) 1 when at least one cue was counted


@dataclass(frozen=True)
class _WindowOutputs:
    floor_y: np.ndarray
    leg_length_px: np.ndarray
    facing: np.ndarray  # +1, -1 or 0 (unknown)


def compute_metrics(track: PoseTrack, *, min_visibility: float = 0.5, settings: MetricSettings | None = None) -> MetricTable:
    """All metrics of every frame of the track (vectorised; causal, so equal to :class:`MetricsStream`)."""
    settings = settings or MetricSettings(min_visibility=min_visibility)
    if len(track) == 0:
        return MetricTable(METRIC_NAMES, np.zeros((0, len(METRIC_NAMES))), np.zeros((0, len(METRIC_NAMES))))
    frames = _FrameInputs.from_arrays(track.landmarks, track.world, track.image_size)
    window_in = _window_inputs(frames, settings)
    window_out = _window_outputs(window_in, np.asarray(track.t_s, dtype=float), settings)
    values, confidence = _assemble(frames, window_out, settings)
    _fill_pelvis_depth(values, np.asarray(track.t_s, dtype=float), None, frames)
    return MetricTable(METRIC_NAMES, values, confidence)


class MetricsStream:
    """Metrics one frame at a time, equal to ``compute_metrics`` on the same frames."""

    def __init__(self, image_size: tuple[int, int], *, min_visibility: float = 0.5, settings: MetricSettings | None = None):
        self.settings = settings or MetricSettings(min_visibility=min_visibility)
        self.image_size = image_size
        self.names = METRIC_NAMES
        self._history: deque[tuple[float, _WindowInputs]] = deque(maxlen=self.settings.window_max_frames)
        self._standing: _StandingLevel | None = None

    def update(self, t_s: float, landmarks: np.ndarray, world: np.ndarray | None = None) -> MetricRow:
        """Metrics of one frame: landmarks (33, 4) as in PoseTrack (all NaN = no pose), world (33, 3) or None."""
        if landmarks.shape != (NUM_LANDMARKS, 4):
            raise ValueError(f"landmarks has shape {landmarks.shape}, expected ({NUM_LANDMARKS}, 4)")
        if self._history and t_s <= self._history[-1][0]:
            raise ValueError(f"t_s must increase: got {t_s} after {self._history[-1][0]}")
        frames = _FrameInputs.from_arrays(landmarks[None], None if world is None else world[None], self.image_size)
        self._history.append((float(t_s), _window_inputs(frames, self.settings)))
        window_out = self._window_outputs_last()
        values, confidence = _assemble(frames, window_out, self.settings)
        self._standing = _fill_pelvis_depth(values, np.array([float(t_s)]), self._standing, frames)
        return MetricRow(values[0], confidence[0])

    def _window_outputs_last(self) -> _WindowOutputs:
        width = self.settings.window_max_frames
        pad = width - len(self._history)
        t = np.concatenate([np.full(pad, -np.inf), [t for t, _ in self._history]])[None]

        def row(field: str) -> np.ndarray:
            vals = np.concatenate([getattr(w, field) for _, w in self._history])
            return np.concatenate([np.full(pad, np.nan), vals])[None]

        window_in = {f: row(f) for f in ("lowest_foot_y", "leg_length_px", "facing_votes", "facing_voters")}
        return _aggregate_windows(window_in, t, t[:, -1], self.settings)


def _window_inputs(frames: _FrameInputs, settings: MetricSettings) -> _WindowInputs:
    """The per-frame quantities that feed the causal windows."""
    xy, ok = frames.xy, frames.visibility >= settings.min_visibility
    foot_points = [side_index(s, part) for s in BODY_SIDES for part in ("ankle", "heel", "foot_index")]
    foot_y = np.where(ok[:, foot_points], xy[:, foot_points, 1], np.inf)
    lowest = foot_y.min(axis=1)
    lowest = np.where(np.isinf(lowest), np.nan, lowest)

    legs = []
    for s in BODY_SIDES:
        h, k, a = side_index(s, "hip"), side_index(s, "knee"), side_index(s, "ankle")
        length = geo.norm(xy[:, k] - xy[:, h]) + geo.norm(xy[:, a] - xy[:, k])
        legs.append(np.where(ok[:, h] & ok[:, k] & ok[:, a], length, np.nan))
    # Foreshortening only shortens: the torso gives a lower bound when the legs point at the camera.
    torso = geo.norm((xy[:, LS] + xy[:, RS]) / 2 - (xy[:, LH] + xy[:, RH]) / 2)
    torso_bound = np.where(ok[:, list(TORSO)].all(axis=1), MIN_LEG_PER_TORSO * torso, np.nan)
    leg = np.fmax(np.fmax(legs[0], legs[1]), torso_bound)

    votes, voters = _facing_votes(frames, ok)
    return _WindowInputs(lowest, leg, votes, voters)


def _facing_votes(frames: _FrameInputs, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame facing cues: +1 each for 'right side toward the camera', -1 for the left."""
    xy, z = frames.xy, frames.z
    trunk = (xy[:, LS] + xy[:, RS]) / 2 - (xy[:, LH] + xy[:, RH]) / 2
    trunk_sq = geo.dot(trunk, trunk)
    torso_ok = ok[:, list(TORSO)].all(axis=1) & (trunk_sq > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        yaw = body_yaw_deg(frames.xy, frames.world)
        counted = torso_ok & ~(yaw < FACING_MIN_YAW_DEG)
        cues = []
        # The nose is ahead of the ears: anterior = trunk rotated clockwise when the right side faces us.
        nose_rel = xy[:, NOSE] - (xy[:, LEFT_EAR] + xy[:, RIGHT_EAR]) / 2
        nose = -geo.cross_2d(trunk, nose_rel) / trunk_sq
        cues.append(np.where(ok[:, [NOSE, LEFT_EAR, RIGHT_EAR]].all(axis=1), geo.sign_or_zero(nose, 0.05), 0.0))
        # The toes point ahead of the shank (ankle angle between 0 and 180 deg in the sagittal plane).
        for s in BODY_SIDES:
            k, a, h, t = (side_index(s, p) for p in ("knee", "ankle", "heel", "foot_index"))
            foot = geo.cross_2d(xy[:, a] - xy[:, k], xy[:, t] - xy[:, h]) / trunk_sq
            cues.append(np.where(ok[:, [k, a, h, t]].all(axis=1), geo.sign_or_zero(foot, 0.08), 0.0))
        # The nearer hip and shoulder (larger z toward the viewer) is the side that faces the camera.
        depth = ((z[:, RS] + z[:, RH]) - (z[:, LS] + z[:, LH])) / 2 / np.sqrt(trunk_sq)
        cues.append(geo.sign_or_zero(depth, 0.5))
    stacked = np.where(counted[:, None], np.stack(cues, axis=1), 0.0)
    votes = stacked.sum(axis=1)
    voters = (stacked != 0).any(axis=1).astype(float)
    return votes, voters


def _window_outputs(window_in: _WindowInputs, t_s: np.ndarray, settings: MetricSettings) -> _WindowOutputs:
    """Causal windows over the whole track (row i covers the frames up to i)."""
    width = settings.window_max_frames
    t_pad = np.concatenate([np.full(width - 1, -np.inf), t_s])
    t_rows = np.lib.stride_tricks.sliding_window_view(t_pad, width)

    def rows(values: np.ndarray) -> np.ndarray:
        padded = np.concatenate([np.full(width - 1, np.nan), values])
        return np.lib.stride_tricks.sliding_window_view(padded, width)

    fields = ("lowest_foot_y", "leg_length_px", "facing_votes", "facing_voters")
    return _aggregate_windows({f: rows(getattr(window_in, f)) for f in fields}, t_rows, t_s, settings)


def _aggregate_windows(rows: dict[str, np.ndarray], t_rows: np.ndarray, t_now: np.ndarray, settings: MetricSettings) -> _WindowOutputs:
    """Floor, leg length and facing from window rows (k, width) ending at times t_now (k,)."""
    age = t_now[:, None] - t_rows
    floor = _row_quantile(np.where(age < settings.floor_window_s, rows["lowest_foot_y"], np.nan), settings.floor_quantile)
    leg = _row_quantile(np.where(age < settings.scale_window_s, rows["leg_length_px"], np.nan), settings.scale_quantile)
    in_facing = age < settings.facing_window_s
    votes = np.nansum(np.where(in_facing, rows["facing_votes"], 0.0), axis=1)
    voters = np.nansum(np.where(in_facing, rows["facing_voters"], 0.0), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_vote = np.where(voters > 0, votes / np.maximum(voters, 1.0), 0.0)
    facing = geo.sign_or_zero(mean_vote, settings.facing_min_votes - 1e-9)
    return _WindowOutputs(floor, leg, facing)


def _row_quantile(rows: np.ndarray, q: float) -> np.ndarray:
    """Quantile (lower order statistic) of each row, ignoring NaN; NaN for an all-NaN row."""
    ordered = np.sort(rows, axis=1)  # NaN sort last
    count = np.sum(~np.isnan(rows), axis=1)
    k = np.floor(q * np.maximum(count - 1, 0)).astype(int)
    picked = np.take_along_axis(ordered, k[:, None], axis=1)[:, 0]
    return np.where(count > 0, picked, np.nan)


def _assemble(frames: _FrameInputs, window: _WindowOutputs, settings: MetricSettings) -> tuple[np.ndarray, np.ndarray]:
    """Every metric of every frame: (values, confidence), each (n, m) in METRIC_NAMES order."""
    with np.errstate(invalid="ignore", divide="ignore"):
        columns = _metric_columns(frames, window)
    n = frames.xy.shape[0]
    values = np.full((n, len(METRIC_NAMES)), np.nan)
    confidence = np.zeros((n, len(METRIC_NAMES)))
    vis = frames.visibility
    has_pose = ~np.isnan(frames.xy[:, :, 0]).all(axis=1)
    for j, name in enumerate(METRIC_NAMES):
        value, used, extra_ok = columns[name]
        conf = vis[:, list(used)].min(axis=1) if used else np.ones(n)
        if extra_ok is not None:
            conf = np.where(extra_ok, conf, 0.0)
        conf = np.where(has_pose, conf, 0.0)
        confidence[:, j] = conf
        values[:, j] = np.where(conf >= settings.min_visibility, value, np.nan)
    values[~np.isfinite(values)] = np.nan
    return values, confidence


def _metric_columns(frames: _FrameInputs, window: _WindowOutputs) -> dict[str, Column]:
    """column name -> (value, landmarks used, extra validity or None), each from its catalog entry's formula."""
    inputs = Inputs.of(frames.xy, frames.world, frames.image_size, floor_y=window.floor_y,
                       leg_length_px=window.leg_length_px, facing=window.facing)
    columns: dict[str, Column] = {}
    for name in METRIC_NAMES:
        info, side = lookup(name)
        columns[name] = FORMULAS[info.name](inputs, side)
    return columns


@dataclass(frozen=True)
class _StandingLevel:
    """The running standing level of the pelvis in the picture (px, y up), the leg length (px) when it was
    last raised (legs pointing at the camera in a deep front-view squat would shrink the current one),
    and when the pelvis was last seen."""

    t_s: float
    level_px: float
    leg_px: float


def _fill_pelvis_depth(values: np.ndarray, t_s: np.ndarray, state: _StandingLevel | None,
                       frames: _FrameInputs) -> _StandingLevel | None:
    """Write ``pelvis_depth`` (standing level minus pelvis height, >= 0) into ``values`` in place.

    The pelvis height is its height in the picture (px, a fixed camera), measured where ``pelvis_height`` is:
    not above the floor line, which moves when the foot that set it lifts (the front foot of a staggered
    stance is lower in the picture; lifting it raises the floor line to the other foot's and made a standing
    pelvis read 0.08 leg lengths deep). Causal and recursive, so a stream carries ``state`` from one frame
    to the next; returns the new state.
    """
    legs = values[:, METRIC_NAMES.index("leg_length_px")]
    pelvis_y = (frames.xy[:, LH, 1] + frames.xy[:, RH, 1]) / 2
    heights = np.where(np.isfinite(values[:, METRIC_NAMES.index("pelvis_height")]), pelvis_y, np.nan).tolist()
    depth = [math.nan] * len(heights)
    last_t, level, scale = (state.t_s, state.level_px, state.leg_px) if state is not None else (-math.inf, 0.0, 1.0)
    for i, (t, h, leg) in enumerate(zip(t_s.tolist(), heights, legs.tolist())):
        if not math.isfinite(h):
            continue
        if t - last_t > STANDING_RESET_GAP_S or not 1.0 / STANDING_RESET_SCALE < leg / scale < STANDING_RESET_SCALE:
            level, scale = h, leg
        elif h >= level:
            level, scale = min(h, level + STANDING_RISE_PER_S * leg * (t - last_t)), leg
        else:
            level = h + (level - h) * math.exp(-(t - last_t) / STANDING_FALL_TAU_S)
        last_t = t
        depth[i] = max(level - h, 0.0) / scale
    values[:, METRIC_NAMES.index("pelvis_depth")] = depth
    return _StandingLevel(last_t, level, scale) if math.isfinite(last_t) else None
