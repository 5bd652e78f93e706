"""Single-leg stance timed the way the clinical test is timed, with sway, per side and against age norms.

The timer starts when a foot leaves the floor (the other foot is the stance leg) and stops when that
foot touches down again, when the stance foot hops (leaves the floor too), when the test's maximum is
reached, or when the landmarks stay lost for longer than the gap tolerance. Lift-off and touch-down are
dated to the frame they happen in (see contact.py); in batch (``find_stances`` with the unsmoothed track's
metrics) they are re-dated on the unsmoothed height curve (contact.corner_time), which takes out the
smoothing filter's lag and the slow read-out of a foot put down behind the body in a front view. A few
frames without landmarks neither end nor split a stance; a real touch-down always ends it, however short.

``StanceTimer`` does this frame by frame (live mode: ``state.timer_s`` is the panel's big timer, and the
``stance_start`` / ``stance_target`` / ``stance_end`` events are the moments for a tone);
``find_stances`` runs the same timer over a metric table, so batch and live agree.

    timer = StanceTimer(StanceSettings.from_spec(spec))
    for t, row in zip(track.t_s, table.values):
        state = timer.update(t, row, table.names)
        panel_big_timer_s = state.timer_s
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from formcheck.kinematics.context import POSITION_CODE
from formcheck.engine.types import EngineResult, Event, Hold
from formcheck.landmarks import BODY_SIDES
from formcheck.kinematics.metrics import MetricTable
from formcheck.specs.spec import ExerciseSpec
from formcheck.track import PoseTrack
from formcheck.measures.common import col, nan_mean, nan_peak, not_measured, other_side, r, view_of, window
from formcheck.measures.contact import ContactSettings, FootContact, corner_time
from formcheck.measures.norms import stance_reference

END_REASONS = ("touch_down", "hop", "max_time", "lost_tracking", "not_standing", "end_of_video")
# Positions in which a foot off the floor is not a single-leg stance.
NOT_STANDING = frozenset(POSITION_CODE[p] for p in ("kneeling", "sitting", "supine", "prone", "side_lying"))


@dataclass(frozen=True)
class StanceSettings:
    """How stances are found and timed."""

    contact: ContactSettings = ContactSettings()
    target_s: float = 30.0
    max_s: float = 60.0
    gap_tolerance_s: float = 1.0
    min_stance_s: float = 0.5
    refine_reach_s: float = 0.3  # lift-off / touch-down re-dated within this of the timer's (batch, unsmoothed)

    @staticmethod
    def from_spec(spec: ExerciseSpec) -> "StanceSettings":
        """Contact thresholds from the spec's ``[measure] contact``, the gap tolerance from its hold, target and
        maximum from its dose (defaults for what the spec does not give)."""
        settings = StanceSettings()
        declared = spec.measure.contact
        if declared is not None:
            contact = replace(settings.contact, up_above=declared.up_above, down_below=declared.down_below)
            settings = replace(settings, contact=contact)
        if spec.hold is not None:
            settings = replace(settings, gap_tolerance_s=spec.hold.gap_tolerance_s)
        if spec.dose.hold_s is not None:
            settings = replace(settings, target_s=spec.dose.hold_s.target, max_s=spec.dose.hold_s.max)
        return settings


@dataclass(frozen=True)
class Stance:
    """One timed single-leg stance; ``side`` is the stance leg."""

    n: int
    side: str
    start_s: float
    end_s: float
    end_reason: str
    lift_off_seen: bool
    target_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def target_met(self) -> bool:
        return self.duration_s >= self.target_s - 1e-6


@dataclass(frozen=True)
class StanceState:
    """What the timer knows after a frame: the stance going on (if any) and the events of this frame."""

    phase: str  # "waiting" (not on one leg) or "stance"
    side: str | None
    start_s: float | None
    elapsed_s: float | None
    target_s: float
    last_duration_s: float | None
    events: tuple[Event, ...]

    @property
    def timer_s(self) -> float | None:
        """The big count-up timer: the running stance, else the last one's duration."""
        return self.elapsed_s if self.phase == "stance" else self.last_duration_s

    @property
    def target_met(self) -> bool:
        return self.elapsed_s is not None and self.elapsed_s >= self.target_s


class StanceTimer:
    """Single-leg stance timer, one frame at a time (see the module docstring)."""

    def __init__(self, settings: StanceSettings = StanceSettings()) -> None:
        self.settings = settings
        self.feet = {s: FootContact(settings.contact) for s in BODY_SIDES}
        self.stances: list[Stance] = []
        self._side: str | None = None
        self._start: float | None = None
        self._seen = True
        self._target_told = False
        self._blocked = False  # after a hop or the maximum: both feet must come down before the next stance
        self._last_valid: float | None = None
        self._last_duration: float | None = None
        self._count = 0
        self._columns: tuple[tuple[str, ...], tuple[int, int]] | None = None

    def _heights(self, values_row: np.ndarray, names: tuple[str, ...]) -> tuple[float, float]:
        if self._columns is None or self._columns[0] is not names:
            names = tuple(names)
            self._columns = (names, (names.index("foot_height_left"), names.index("foot_height_right")))
        jl, jr = self._columns[1]
        return float(values_row[jl]), float(values_row[jr])

    def update(self, t_s: float, values_row: np.ndarray, names: tuple[str, ...], *, standing: bool = True) -> StanceState:
        """Feed one frame of metrics (a row in the order of ``names``); ``standing`` False ends any stance."""
        events: list[Event] = []
        heights = dict(zip(BODY_SIDES, self._heights(values_row, names)))
        if not standing:
            if self._side is not None:
                self._end(t_s, "not_standing", events)
            return self._state(t_s, events)
        changes = {s: self.feet[s].update(t_s, heights[s]) for s in BODY_SIDES}
        if self._side is not None:
            lifted = other_side(self._side)
            if math.isfinite(heights[lifted]):
                self._last_valid = t_s
            elif self._last_valid is not None and t_s - self._last_valid > self.settings.gap_tolerance_s:
                self._end(self._last_valid, "lost_tracking", events)
        if self._side is not None:
            self._check_end(t_s, changes, events)
        if self._blocked and all(f.state == "down" for f in self.feet.values()):
            self._blocked = False
        if self._side is None and not self._blocked:
            self._check_start(t_s, changes, events)
        if self._side is not None and not self._target_told and t_s - self._start >= self.settings.target_s:
            self._target_told = True
            events.append(Event("stance_target", self._start + self.settings.target_s, side=self._side,
                                n=self._count, message=f"{self.settings.target_s:g} s reached"))
        return self._state(t_s, events)

    def _check_end(self, t_s: float, changes: dict, events: list[Event]) -> None:
        lifted = other_side(self._side)
        touch, hop = changes[lifted], changes[self._side]
        if touch is not None and touch.kind == "touch":
            self._end(max(touch.t_s, self._start), "touch_down", events)
        elif hop is not None and hop.kind == "lift":
            self._end(max(hop.t_s, self._start), "hop", events)
            self._blocked = True
        elif t_s - self._start >= self.settings.max_s:
            self._end(self._start + self.settings.max_s, "max_time", events)
            self._blocked = True

    def _check_start(self, t_s: float, changes: dict, events: list[Event]) -> None:
        for side in BODY_SIDES:
            lifted = other_side(side)
            change = changes[lifted]
            if change is not None and change.kind == "lift" and self.feet[side].state == "down":
                self._count += 1
                self._side, self._start, self._seen = side, change.t_s, change.seen
                self._target_told, self._last_valid = False, t_s
                events.append(Event("stance_start", change.t_s, side=side, n=self._count,
                                    message=f"timing the {side} leg"))
                return

    def _end(self, end_s: float, reason: str, events: list[Event]) -> None:
        stance = Stance(self._count, self._side, self._start, max(end_s, self._start), reason, self._seen,
                        self.settings.target_s)
        self.stances.append(stance)
        self._last_duration = stance.duration_s
        events.append(Event("stance_end", stance.end_s, side=stance.side, n=stance.n,
                            message=f"{stance.duration_s:.1f} s ({reason.replace('_', ' ')})"))
        self._side = self._start = None

    def _state(self, t_s: float, events: list[Event]) -> StanceState:
        if self._side is None:
            return StanceState("waiting", None, None, None, self.settings.target_s, self._last_duration, tuple(events))
        elapsed = max(0.0, t_s - self._start)
        return StanceState("stance", self._side, self._start, elapsed, self.settings.target_s, self._last_duration,
                           tuple(events))

    def finish(self, t_s: float) -> list[Stance]:
        """Close a stance still going on at the end of the video; all stances found."""
        if self._side is not None:
            self._end(t_s, "end_of_video", [])
        return list(self.stances)


def find_stances(table: MetricTable, t_s: np.ndarray, positions: np.ndarray | None = None,
                 settings: StanceSettings = StanceSettings(), raw: MetricTable | None = None) -> list[Stance]:
    """Every stance of a whole clip (at least ``min_stance_s`` long), renumbered from 1.

    With ``raw`` (metrics of the unsmoothed track) the lifted foot's lift-off and touch-down are re-dated to
    the corner of its unsmoothed height curve (contact.corner_time): the smoothing filter lags, and a foot
    put down behind the body keeps reading lower in a front view for a while after it touched."""
    timer = StanceTimer(settings)
    names = tuple(table.names)
    t_s = np.asarray(t_s, dtype=float)
    for k, t in enumerate(t_s):
        standing = positions is None or int(positions[k]) not in NOT_STANDING
        timer.update(float(t), table.values[k], names, standing=standing)
    found = timer.finish(float(t_s[-1])) if len(t_s) else []
    if raw is not None:
        found = [_refined(s, t_s, col(raw, f"foot_height_{other_side(s.side)}"), settings) for s in found]
    kept = [s for s in found if s.duration_s >= settings.min_stance_s]
    return [replace(s, n=i + 1) for i, s in enumerate(kept)]


def _refined(stance: Stance, t_s: np.ndarray, lifted: np.ndarray, settings: StanceSettings) -> Stance:
    """The stance with its lift-off and touch-down re-dated on the unsmoothed height of the lifted foot."""
    reach = min(settings.refine_reach_s, stance.duration_s / 3)
    start, end = stance.start_s, stance.end_s
    if stance.lift_off_seen:
        start = corner_time(t_s, lifted, start, "lift", reach_s=reach)
    if stance.end_reason == "touch_down":
        end = corner_time(t_s, lifted, end, "touch", reach_s=reach)
    return replace(stance, start_s=start, end_s=end) if end > start else stance


# ----------------------------------------------------------------------------------------- the report


def measure_stance(spec: ExerciseSpec, track: PoseTrack, table: MetricTable, positions: np.ndarray,
                   views: np.ndarray, result: EngineResult, options: Any,
                   raw: MetricTable | None = None) -> tuple[dict[str, Any], tuple[Hold, ...]]:
    """The "balance" report section and the stances as holds (``raw``: metrics of the unsmoothed track)."""
    settings = StanceSettings.from_spec(spec)
    t_s = np.asarray(track.t_s, dtype=float)
    stances = find_stances(table, t_s, positions, settings, raw)
    records = [_stance_record(s, t_s, table, views) for s in stances]
    holds = tuple(_as_hold(s, rec, result) for s, rec in zip(stances, records))
    section = {
        "test": "single_leg_stance",
        "method": ("timer starts at lift-off of one foot and stops at its touch-down, a hop of the stance foot, "
                   "the maximum time or lost tracking; lift-off and touch-down dated at the corners of the "
                   "lifted foot's unsmoothed height curve"),
        "variant": {"eyes_closed": bool(options.eyes_closed), "surface": options.surface},
        "target_s": settings.target_s,
        "max_s": settings.max_s,
        "stances": records,
        "touch_downs": sum(1 for s in stances if s.end_reason == "touch_down"),
        "sides": _sides_summary(stances),
        "reference": stance_reference(options.age, options.eyes_closed, options.surface),
    }
    return section, holds


def _stance_record(stance: Stance, t_s: np.ndarray, table: MetricTable, views: np.ndarray) -> dict[str, Any]:
    mask = window(t_s, stance.start_s, stance.end_s)
    view = view_of(views, mask)
    record: dict[str, Any] = {
        "n": stance.n, "side": stance.side, "start_s": r(stance.start_s), "end_s": r(stance.end_s),
        "duration_s": r(stance.duration_s, 2), "target_met": stance.target_met, "end_reason": stance.end_reason,
        "touched_down": stance.end_reason == "touch_down", "lift_off_seen": stance.lift_off_seen, "view": view,
    }
    record["sway"] = _sway(table, mask, stance.duration_s, view)
    if view == "front":
        drop = col(table, f"pelvic_drop_{other_side(stance.side)}")[mask]
        lean = np.abs(col(table, "trunk_lateral_lean")[mask])
        record["pelvic_drop_deg"] = {"peak": r(nan_peak(drop), 1), "mean": r(nan_mean(drop), 1)}
        record["trunk_lean_deg"] = {"peak": r(nan_peak(lean), 1), "mean": r(nan_mean(lean), 1)}
    else:
        reason = f"needs a front view (the camera saw the stance from the {view})"
        record["pelvic_drop_deg"] = not_measured(reason)
        record["trunk_lean_deg"] = not_measured(reason)
    return record


def _sway(table: MetricTable, mask: np.ndarray, duration_s: float, view: str) -> dict[str, Any]:
    """Pelvis-centre sway in leg lengths: path length, mean velocity, and the horizontal RMS."""
    x = col(table, "pelvis_x")[mask]
    y = col(table, "pelvis_height")[mask]
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or duration_s <= 0:
        return not_measured("the pelvis was not seen during the stance")
    xs, ys = x[ok], y[ok]
    path = float(np.sum(np.hypot(np.diff(xs), np.diff(ys))))
    rms = float(np.sqrt(np.mean((xs - xs.mean()) ** 2)))
    sway: dict[str, Any] = {"unit": "leg lengths", "path_length": r(path, 4),
                            "mean_velocity_per_s": r(path / duration_s, 4)}
    if view == "front":
        sway["ml_rms"] = r(rms, 4)
    else:
        sway["ml_rms"] = not_measured(f"medio-lateral sway needs a front view (seen from the {view})")
        if view == "side":
            sway["ap_rms"] = r(rms, 4)
    return sway


def _sides_summary(stances: list[Stance]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    best: dict[str, float] = {}
    for side in BODY_SIDES:
        mine = [s.duration_s for s in stances if s.side == side]
        if not mine:
            out[side] = not_measured(f"no stance on the {side} leg")
            continue
        best[side] = max(mine)
        out[side] = {"stances": len(mine), "best_s": r(max(mine), 2), "mean_s": r(float(np.mean(mine)), 2),
                     "targets_met": sum(1 for s in stances if s.side == side and s.target_met)}
    if len(best) == 2 and min(best.values()) > 0:
        out["left_to_right_ratio"] = r(best["left"] / best["right"], 3)
        out["symmetry_pct"] = r(100.0 * min(best.values()) / max(best.values()), 1)
    else:
        out["left_to_right_ratio"] = not_measured("needs stances on both legs")
    return out


def _as_hold(stance: Stance, record: dict[str, Any], result: EngineResult) -> Hold:
    peak: dict[str, float] = {}
    for key, name in (("pelvic_drop_deg", f"pelvic_drop_{other_side(stance.side)}"),
                      ("trunk_lean_deg", "trunk_lateral_lean")):
        value = record[key].get("peak") if isinstance(record[key], dict) else None
        if value is not None:
            peak[name] = value
    rules = tuple(sorted({v.rule for v in result.violations
                          if v.start_s <= stance.end_s and v.end_s >= stance.start_s}))
    return Hold(stance.n, round(stance.start_s, 3), round(stance.end_s, 3), round(stance.duration_s, 3),
                stance.side, stance.target_s, stance.target_met, peak, rules)
