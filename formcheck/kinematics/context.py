"""Camera view, body position and facing per frame, from the metric table; smoothed and causal.

- View: ``front`` (the camera sees the chest or the back: shoulders and hips wide in the image)
  or ``side`` (narrow), from ``body_turn`` (the hip and shoulder lines in metres, at least the image
  estimate ``body_yaw``) with hysteresis; plus the majority over the clip.
- Turn: how far the body is turned from a spec's ideal view (``turn_from_view``), and the frontal-plane
  measures that are true only while the body faces the camera (``FRONTAL_PLANE_MAX_TURN_DEG``).
  A person lying on their side filmed from the front is a ``front`` view.
- Position: standing, kneeling, sitting, supine, prone, side_lying or unknown, from the trunk
  angle, the heights above the floor line (in leg lengths), the thighs and the facing; a new
  position is taken only after it has held for ``position_hold_s`` (no flicker).
- Facing: which way the front of the body points in a side view, with the trunk turned upright
  (see metrics.py); ``right`` also means the right side of the body faces the camera.

Codes are small ints indexing the name tuples ``VIEWS``, ``POSITIONS``, ``FACINGS``. ``ContextStream``
gives the same codes frame by frame as the batch functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from formcheck.kinematics.catalog import context_columns
from formcheck.kinematics.floor import combine_heights, world_heights
from formcheck.kinematics.metrics import MetricTable
from formcheck.track import PoseTrack

VIEWS: Final[tuple[str, ...]] = ("unknown", "front", "side")
POSITIONS: Final[tuple[str, ...]] = ("unknown", "standing", "kneeling", "sitting", "supine", "prone", "side_lying")
FACINGS: Final[tuple[str, ...]] = ("unknown", "right", "left")
VIEW_CODE: Final[dict[str, int]] = {name: i for i, name in enumerate(VIEWS)}
POSITION_CODE: Final[dict[str, int]] = {name: i for i, name in enumerate(POSITIONS)}

# The frontal-plane measures: angles and widths in the body's frontal plane read off the picture, true only
# while the body faces the camera. Turned further than this (degrees from facing it) they are not measured;
# a spec's [setup] section may set its own limit per measure. FPPA is the most sensitive: a bent knee seen
# turned projects as a knee caving in; a trunk bent forward projects as a sideways lean.
FRONTAL_PLANE_MAX_TURN_DEG: Final[dict[str, float]] = {
    "knee_fppa": 10.0,
    "trunk_lateral_lean": 20.0,
    "pelvic_drop": 20.0,
    "pelvic_obliquity": 20.0,
    "hip_abduction": 20.0,
    "knee_separation": 25.0,
    "ankle_separation": 25.0,
}
# The body turn (body_turn, degrees) of each ideal view: facing the camera, or side-on.
IDEAL_TURN_DEG: Final[dict[str, float]] = {"front": 0.0, "side": 90.0}

_UNKNOWN, _STANDING, _KNEELING, _SITTING, _SUPINE, _PRONE, _SIDE_LYING = range(len(POSITIONS))


@dataclass(frozen=True)
class ContextSettings:
    """Thresholds of view and position detection (angles in degrees, heights in leg lengths)."""

    front_below_yaw_deg: float = 40.0
    side_above_yaw_deg: float = 55.0
    position_hold_s: float = 0.4
    lying_inclination_deg: tuple[float, float] = (50.0, 135.0)
    lying_max_shoulder_height: float = 0.35
    lying_flat_inclination_deg: tuple[float, float] = (65.0, 115.0)
    lying_max_pelvis_height: float = 0.3
    side_lying_max_yaw_deg: float = 45.0
    side_lying_min_hip_line_deg: float = 50.0
    kneeling_max_knee_height: float = 0.15
    kneeling_min_hip_above_knee: float = 0.25
    sitting_max_inclination_deg: float = 60.0
    floor_sitting_max_pelvis_height: float = 0.2
    # sitting on the floor with folded legs (butterfly, cross-legged) seen from the front: the feet in front of
    # the pelvis read lower (perspective in the image, the camera's pitch in the world landmarks), so the pelvis
    # reads higher than floor_sitting_max_pelvis_height: 0.09 to 0.35 leg lengths from the world landmarks with
    # the camera 0.3 to 1.6 m high (heights are the lower of the image's and the world's, see floor.py)
    folded_max_pelvis_height: float = 0.45
    folded_min_thigh_deg: float = -30.0
    folded_min_knee_separation: float = 2.5
    folded_max_ankle_separation: float = 1.2
    chair_max_pelvis_height: float = 0.8
    chair_max_thigh_angle_deg: float = 30.0
    chair_max_shank_inclination_deg: float = 15.0
    standing_min_pelvis_height: float = 0.2
    standing_max_inclination_deg: float = 110.0
    thigh_down_deg: float = -60.0


_COLUMNS: Final[tuple[str, ...]] = context_columns()  # the catalog entries marked `context`


def detect_view(track: PoseTrack, table: MetricTable, settings: ContextSettings | None = None) -> tuple[np.ndarray, str]:
    """Per-frame view codes (see VIEWS) and the overall view: 'front', 'side' or 'unknown'."""
    settings = settings or ContextSettings()
    _check_lengths(track, table)
    yaw = table.column("body_turn")[0]
    state = _ViewState(settings)
    codes = np.array([state.step(float(y)) for y in yaw], dtype=np.int8)
    return codes, overall_view(codes)


def overall_view(codes: np.ndarray) -> str:
    """The view held in most frames with a known view ('unknown' when there is none)."""
    front, side = int(np.sum(codes == VIEW_CODE["front"])), int(np.sum(codes == VIEW_CODE["side"]))
    if front == side == 0:
        return "unknown"
    return "front" if front >= side else "side"


def turn_from_view(turn_deg: np.ndarray, view: str) -> np.ndarray:
    """How far (degrees) a body turn (the ``body_turn`` column) is from the ideal ``view``'s: 0 = exactly it."""
    return np.abs(np.asarray(turn_deg, dtype=float) - IDEAL_TURN_DEG[view])


def detect_position(track: PoseTrack, table: MetricTable, settings: ContextSettings | None = None) -> np.ndarray:
    """Per-frame position codes (see POSITIONS), debounced over ``position_hold_s``."""
    settings = settings or ContextSettings()
    _check_lengths(track, table)
    raw = raw_positions(table, settings, world=track.world)
    state = _PositionState(settings)
    return np.array([state.step(float(t), int(r)) for t, r in zip(track.t_s, raw)], dtype=np.int8)


def detect_facing(table: MetricTable) -> np.ndarray:
    """Per-frame facing codes (see FACINGS) from the ``facing`` metric (already smoothed over 1 s)."""
    facing = table.column("facing")[0]
    return np.where(facing > 0, 1, np.where(facing < 0, 2, 0)).astype(np.int8)


def raw_positions(
    table: MetricTable, settings: ContextSettings | None = None, *, world: np.ndarray | None = None
) -> np.ndarray:
    """Per-frame position codes before debouncing (vectorised).

    ``world``: the track's (n, 33, 3) world landmarks; the heights above the floor are then the lower of the
    image's and the world's (floor.py), so a camera above or below the body does not lift a seated pelvis.
    """
    settings = settings or ContextSettings()
    c = {name: table.column(name)[0] for name in _COLUMNS}
    return _classify(combine_heights(c, world_heights(world, len(table))), settings)


class ContextStream:
    """View and position one frame at a time, equal to the batch functions on the same rows."""

    def __init__(self, names: tuple[str, ...], settings: ContextSettings | None = None):
        self.settings = settings or ContextSettings()
        self._index = {name: names.index(name) for name in _COLUMNS}
        self._view = _ViewState(self.settings)
        self._position = _PositionState(self.settings)

    def update(self, t_s: float, values: np.ndarray, world: np.ndarray | None = None) -> tuple[int, int]:
        """(view code, position code) of one frame given its metric row and its (33, 3) world landmarks."""
        c = {name: np.asarray([values[j]], dtype=float) for name, j in self._index.items()}
        heights = world_heights(None if world is None else np.asarray(world, dtype=float)[None], 1)
        raw = int(_classify(combine_heights(c, heights), self.settings)[0])
        return self._view.step(float(values[self._index["body_turn"]])), self._position.step(float(t_s), raw)


class _ViewState:
    """Hysteresis between front and side on the body turn; NaN keeps the last view."""

    def __init__(self, settings: ContextSettings):
        self.settings = settings
        self.code = VIEW_CODE["unknown"]

    def step(self, yaw_deg: float) -> int:
        s = self.settings
        if np.isnan(yaw_deg):
            return self.code
        if self.code == VIEW_CODE["unknown"]:
            middle = (s.front_below_yaw_deg + s.side_above_yaw_deg) / 2
            self.code = VIEW_CODE["side"] if yaw_deg >= middle else VIEW_CODE["front"]
        elif yaw_deg > s.side_above_yaw_deg:
            self.code = VIEW_CODE["side"]
        elif yaw_deg < s.front_below_yaw_deg:
            self.code = VIEW_CODE["front"]
        return self.code


class _PositionState:
    """Debounce: a new position (the first one too) is taken once it has held for position_hold_s."""

    def __init__(self, settings: ContextSettings):
        self.hold_s = settings.position_hold_s
        self.code = _UNKNOWN
        self._candidate = _UNKNOWN
        self._since_s = -np.inf

    def step(self, t_s: float, raw: int) -> int:
        if raw == self.code:
            self._candidate = raw
            return self.code
        if raw != self._candidate:
            self._candidate, self._since_s = raw, t_s
        if t_s - self._since_s >= self.hold_s - 1e-6:  # tolerate rounding in frame times
            self.code = raw
        return self.code


def _classify(c: dict[str, np.ndarray], s: ContextSettings) -> np.ndarray:
    """Position codes per frame from metric columns (NaN-aware: a comparison with NaN is False)."""
    with np.errstate(invalid="ignore"):
        lying, lying_code = _lying(c, s)
        standing, sitting, kneeling = _upright(c, s)
    code = np.full(len(c["trunk_inclination"]), _UNKNOWN, dtype=np.int8)
    code = np.where(standing, _STANDING, code)
    code = np.where(sitting, _SITTING, code)
    code = np.where(kneeling, _KNEELING, code)
    code = np.where(lying, lying_code, code)
    return np.where(np.isnan(c["trunk_inclination"]), _UNKNOWN, code).astype(np.int8)


def _lying(c: dict[str, np.ndarray], s: ContextSettings) -> tuple[np.ndarray, np.ndarray]:
    """(lying, which lying position) per frame.

    Lying: the trunk roughly horizontal with the shoulders near the floor, or flat with the pelvis
    near the floor, or (front view) the hips stacked one above the other. Side-lying when the torso
    is seen wide (front view); otherwise supine or prone by whether the front of the body (the
    trunk turned by ``facing``, see metrics.py) points up or down.
    """
    incl, yaw, pelvis_h = c["trunk_inclination"], c["body_turn"], c["pelvis_height"]
    thigh = np.stack([c["thigh_elevation_left"], c["thigh_elevation_right"]], axis=1)
    lo, hi = s.lying_flat_inclination_deg
    flat = (incl >= lo) & (incl <= hi)
    trunk_down = (incl >= s.lying_inclination_deg[0]) & (incl <= s.lying_inclination_deg[1])
    hips_stacked = (yaw < s.side_lying_max_yaw_deg) & (np.abs(c["pelvic_obliquity"]) > s.side_lying_min_hip_line_deg)
    near_floor = (trunk_down & (c["shoulder_height"] < s.lying_max_shoulder_height)) | (flat & (pelvis_h < s.lying_max_pelvis_height))
    # Without a floor line: a flat trunk, unless a thigh hangs down (bent over while standing).
    leg_hanging = np.any(thigh < s.thigh_down_deg, axis=1)
    lying = np.where(~np.isnan(pelvis_h), near_floor, flat & ~leg_hanging) | (hips_stacked & trunk_down)
    anterior_up = -c["facing"] * np.sin(np.radians(c["trunk_tilt"]))
    face_up_or_down = np.where(anterior_up > 0, _SUPINE, np.where(anterior_up < 0, _PRONE, _UNKNOWN))
    return lying, np.where(yaw < s.side_lying_max_yaw_deg, _SIDE_LYING, face_up_or_down)


def _upright(c: dict[str, np.ndarray], s: ContextSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(standing, sitting, kneeling) per frame; lying is decided separately and wins.

    Kneeling: a knee at the floor line with the pelvis well above it. Sitting: trunk upright and
    either the pelvis at the floor line, or thighs level with a shin near vertical (a squat at the
    same depth has its shins inclined forward), or the legs folded on the floor: pelvis low, both
    thighs level or raised, knees out wide and feet together (butterfly, cross-legged; no squat or
    single-leg stance has knees wider than twice the hip width over feet together). Standing: the
    pelvis above the floor-sitting height.
    Without a floor line (feet out of view): thighs hanging down = standing, level = sitting.
    """
    incl, pelvis_h = c["trunk_inclination"], c["pelvis_height"]
    knee_h = np.stack([c["knee_height_left"], c["knee_height_right"]], axis=1)
    thigh = np.stack([c["thigh_elevation_left"], c["thigh_elevation_right"]], axis=1)
    shank = np.stack([c["shank_inclination_left"], c["shank_inclination_right"]], axis=1)
    heights_known = ~np.isnan(pelvis_h)
    upright = incl < s.sitting_max_inclination_deg

    knee_down = (knee_h < s.kneeling_max_knee_height) & (pelvis_h[:, None] - knee_h > s.kneeling_min_hip_above_knee)
    kneeling = np.any(knee_down, axis=1)

    thigh_level = np.abs(thigh) < s.chair_max_thigh_angle_deg
    thighs_level = np.all(thigh_level | np.isnan(thigh), axis=1) & np.any(thigh_level, axis=1)
    shin_vertical = np.any(shank < s.chair_max_shank_inclination_deg, axis=1)
    on_chair = (pelvis_h < s.chair_max_pelvis_height) & thighs_level & shin_vertical
    on_floor = pelvis_h < s.floor_sitting_max_pelvis_height
    legs_folded = (
        (pelvis_h < s.folded_max_pelvis_height)
        & np.all(thigh > s.folded_min_thigh_deg, axis=1)
        & (c["knee_separation"] > s.folded_min_knee_separation)
        & (c["ankle_separation"] < s.folded_max_ankle_separation)
    )
    thighs_down = np.all((thigh < s.thigh_down_deg) | np.isnan(thigh), axis=1) & ~np.isnan(thigh).all(axis=1)

    sitting = np.where(
        heights_known, upright & (on_floor | on_chair | legs_folded), upright & thighs_level & shin_vertical
    )
    standing = np.where(
        heights_known,
        (pelvis_h >= s.standing_min_pelvis_height) & (incl < s.standing_max_inclination_deg),
        upright & thighs_down,
    )
    return standing, sitting, kneeling


def _check_lengths(track: PoseTrack, table: MetricTable) -> None:
    if len(track) != len(table):
        raise ValueError(f"track has {len(track)} frames but the metric table has {len(table)}")
