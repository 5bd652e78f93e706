"""Single-leg stance timed the way the clinical test is timed, with sway, per side and against age norms.

The timer starts when a foot leaves the floor (the other foot is the stance leg) and stops when that
foot touches down again, when the stance foot hops (leaves the floor too), when the test's maximum is
reached, or when the landmarks stay lost for longer than the gap tolerance. A lifted foot is one that rises
off its own floor level: ``foot_lift_{side}`` (this ankle above the other, from the world landmarks) minus
the feet's resting offset while both are down (contact.RestingOffset), so a foot placed behind the other,
which reads higher in the picture, is not a lifted foot. A hop is the stance foot rising off its own level
in the picture (``foot_height``, relative contact); a lift during which the pelvis travels is a step. Lift-off and touch-down are
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
from typing import Any, Iterable

import numpy as np

from formcheck.kinematics.context import POSITION_CODE
from formcheck.engine.types import EngineResult, Event, Hold
from formcheck.landmarks import BODY_SIDES
from formcheck.kinematics.metrics import MetricTable
from formcheck.specs.spec import ExerciseSpec
from formcheck.track import PoseTrack
from formcheck.measures.common import col, nan_mean, nan_peak, not_measured, other_side, r, view_of, window
from formcheck.measures.contact import ContactSettings, FootContact, RestingOffset, corner_time
from formcheck.measures.norms import stance_reference

END_REASONS = ("touch_down", "hop", "max_time", "lost_tracking", "not_standing", "end_of_video")
WALKING = "walking"  # the pelvis travelled: steps, not a stance (not timed, not reported)
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
    rest_within: float = 0.02  # frames with both feet down within this of their resting offset update it
    rest_start_within: float = 0.1  # first frame: both feet down when their lift reads within this (leg lengths)
    hop_start_below: float = 0.15  # first frame: the image height below which a foot starts on the floor
    landing_share: float = 0.1  # an unconfirmed touch-down: dated where the foot came within this share of its lift
    max_travel: float = 0.25  # pelvis travel across the picture (leg lengths) that makes a "stance" walking

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
        # Lifts above the feet's own floor levels: no perspective for the settle rule to allow for (a foot hanging
        # just clear of the floor is still up), so a foot is down only below down_below.
        world = replace(settings.contact, relative=False, settle_below=settings.contact.down_below)
        self.feet = {s: FootContact(world) for s in BODY_SIDES}
        # The stance foot hopping: its image height rising off its own level (not the floor line's).
        ground = replace(settings.contact, relative=True, start_down_below=settings.hop_start_below)
        self.ground = {s: FootContact(ground) for s in BODY_SIDES}
        self.rest = RestingOffset(settings.rest_start_within)
        self.stances: list[Stance] = []
        self._side: str | None = None
        self._start: float | None = None
        self._seen = True
        self._target_told = False
        self._blocked = False  # after a hop or the maximum: both feet must come down before the next stance
        self._last_valid: float | None = None
        self._last_duration: float | None = None
        self._count = 0
        self._columns: tuple[tuple[str, ...], tuple[int, ...]] | None = None
        self._travel = (math.inf, -math.inf)  # the pelvis's range across the picture during the stance
        self._peak = 0.0  # the lifted foot's highest lift during the stance
        self._lift_left = math.nan  # this frame's foot_lift_left as read

    def _read(self, values_row: np.ndarray, names: tuple[str, ...]) -> tuple[dict[str, float], dict[str, float]]:
        """This frame's foot lifts above their own floor levels, and the image heights above the floor line."""
        if self._columns is None or self._columns[0] is not names:
            wanted = [f"{m}_{s}" for m in ("foot_lift", "foot_height") for s in BODY_SIDES] + ["pelvis_x"]
            self._columns = (names, tuple(tuple(names).index(n) for n in wanted))
        lift_l, lift_r, image_l, image_r, pelvis_x = (float(values_row[j]) for j in self._columns[1])
        if self._side is not None and math.isfinite(pelvis_x):
            low, high = self._travel
            self._travel = (min(low, pelvis_x), max(high, pelvis_x))
        if math.isfinite(lift_l) and math.isfinite(lift_r):
            self.rest.start(lift_l)
        offset, self._lift_left = self.rest.offset, lift_l
        return {"left": lift_l - offset, "right": lift_r + offset}, {"left": image_l, "right": image_r}

    def update(self, t_s: float, values_row: np.ndarray, names: tuple[str, ...], *, standing: bool = True) -> StanceState:
        """Feed one frame of metrics (a row in the order of ``names``); ``standing`` False ends any stance."""
        events: list[Event] = []
        heights, image = self._read(values_row, names)
        if not standing:
            if self._side is not None:
                self._end(t_s, "not_standing", events)
            return self._state(t_s, events)
        changes = {s: self.feet[s].update(t_s, heights[s]) for s in BODY_SIDES}
        hops = {s: self.ground[s].update(t_s, image[s]) for s in BODY_SIDES}
        if all(f.resting for f in self.feet.values()) and all(abs(h) < self.settings.rest_within
                                                             for h in heights.values()):
            self.rest.both_down(heights["left"] + self.rest.offset)
        if self._side is not None:
            lifted = other_side(self._side)
            if math.isfinite(heights[lifted]):
                self._last_valid = t_s
            elif self._last_valid is not None and t_s - self._last_valid > self.settings.gap_tolerance_s:
                self._end(self._last_valid, "lost_tracking", events)
        if self._side is not None:
            self._peak = max(self._peak, heights[other_side(self._side)])
            self._check_end(t_s, heights, changes, hops, events)
        if self._blocked and all(f.state == "down" for f in self.feet.values()):
            self._blocked = False
        if self._side is None and not self._blocked:
            self._check_start(t_s, changes, events)
        if self._side is not None and not self._target_told and t_s - self._start >= self.settings.target_s:
            self._target_told = True
            events.append(Event("stance_target", self._start + self.settings.target_s, side=self._side,
                                n=self._count, message=f"{self.settings.target_s:g} s reached"))
        return self._state(t_s, events)

    def _check_end(self, t_s: float, heights: dict, changes: dict, hops: dict, events: list[Event]) -> None:
        lifted = other_side(self._side)
        touch, hop = changes[lifted], hops[self._side]
        if touch is not None and touch.kind == "touch":
            self._end(max(touch.t_s, self._start), "touch_down", events)
        elif self._travel[1] - self._travel[0] > self.settings.max_travel:
            self._end(t_s, WALKING, events)
        elif self._landed(t_s, heights[lifted], hop):
            margin = max(self.settings.contact.contact_margin, self.settings.landing_share * self._peak)
            foot = self.feet[lifted]
            landed_at = max(foot.landing_time(margin), self._start)
            foot.put_down(landed_at)
            self.rest.restart(self._lift_left)  # the feet's new floor levels
            self._end(landed_at, "touch_down", events)
        elif hop is not None and hop.kind == "lift":
            self._end(max(hop.t_s, self._start), "hop", events)
            self._blocked = True
        elif t_s - self._start >= self.settings.max_s:
            self._end(self._start + self.settings.max_s, "max_time", events)
            self._blocked = True

    def _landed(self, t_s: float, height: float, hop: Any) -> bool:
        """A touch-down the contact thresholds have not confirmed: the feet's resting offset drifts (MediaPipe's
        world landmarks), so a foot back on the floor may rest a little above the old level. Either the floor
        line moved as the foot landed nearer the camera (the stance foot reads higher in the picture: a "hop"
        with the lifted foot most of the way down), or the foot came down to within ``landing_share`` of its
        lift and stopped there."""
        if hop is not None and hop.kind == "lift" and height < self._peak / 2:
            return True
        return height < self.settings.landing_share * self._peak and self.feet[other_side(self._side)].settled(t_s)

    def _check_start(self, t_s: float, changes: dict, events: list[Event]) -> None:
        for side in BODY_SIDES:
            lifted = other_side(side)
            change = changes[lifted]
            if change is not None and change.kind == "lift" and self.feet[side].state == "down":
                self._count += 1
                self._side, self._start, self._seen = side, change.t_s, change.seen
                self._target_told, self._last_valid = False, t_s
                self._travel, self._peak = (math.inf, -math.inf), 0.0
                events.append(Event("stance_start", change.t_s, side=side, n=self._count,
                                    message=f"timing the {side} leg"))
                return

    def _end(self, end_s: float, reason: str, events: list[Event]) -> None:
        if reason == WALKING:
            events.append(Event("stance_end", end_s, side=self._side, n=self._count, message="walking: not timed"))
            self._count -= 1
            self._side = self._start = None
            return
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
        found = [_refined(s, t_s, (col(raw, f"foot_height_{other_side(s.side)}"),
                                   col(raw, f"foot_lift_{other_side(s.side)}")), settings) for s in found]
    kept = [s for s in found if s.duration_s >= settings.min_stance_s]
    return [replace(s, n=i + 1) for i, s in enumerate(kept)]


def stance_clock(periods: Iterable[tuple[float, float]], t_s: float) -> float:
    """The big count-up timer at ``t_s`` for stances found in a whole clip (``(start_s, end_s)`` in time order):
    the running stance's elapsed time, else the last stance's duration, else 0. The annotated video shows the
    report's stances with it, as the live screen shows ``StanceState.timer_s``."""
    shown = 0.0
    for start, end in periods:
        if t_s < start:
            break
        shown = min(t_s, end) - start
    return shown


def _refined(stance: Stance, t_s: np.ndarray, curves: tuple[np.ndarray, ...], settings: StanceSettings) -> Stance:
    """The stance with its lift-off and touch-down re-dated on the unsmoothed height curves of the lifted foot, the
    first that has frames around the event: the image height's lowest point (heel or toe: a foot hanging toes
    down leaves and meets the floor with them; a constant perspective offset does not move a corner), then the
    ankle's lift. The event only moves within ``refine_reach_s``, so which periods are stances stays the timer's."""
    reach = min(settings.refine_reach_s, stance.duration_s / 3)
    start, end = stance.start_s, stance.end_s
    if stance.lift_off_seen:
        start = _first_corner(t_s, curves, start, "lift", reach)
    if stance.end_reason == "touch_down":
        end = _first_corner(t_s, curves, end, "touch", reach)
    return replace(stance, start_s=start, end_s=end) if end > start else stance


def _first_corner(t_s: np.ndarray, curves: tuple[np.ndarray, ...], at_s: float, kind: str, reach: float) -> float:
    for curve in curves:
        found = corner_time(t_s, curve, at_s, kind, reach_s=reach)
        if found != at_s:
            return found
    return at_s


# ----------------------------------------------------------------------------------------- the report


def measure_stance(spec: ExerciseSpec, track: PoseTrack, table: MetricTable, positions: np.ndarray,
                   views: np.ndarray, result: EngineResult, options: Any,
                   raw: MetricTable | None = None) -> tuple[dict[str, Any], tuple[Hold, ...]]:
    """The "balance" report section and the stances as holds (``raw``: metrics of the unsmoothed track)."""
    settings = StanceSettings.from_spec(spec)
    t_s = np.asarray(track.t_s, dtype=float)
    stances = find_stances(table, t_s, positions, settings, raw)
    records = [_stance_record(s, t_s, table, views) for s in stances]
    feet = _feet_seen(table, positions)
    holds = tuple(_as_hold(s, rec, result) for s, rec in zip(stances, records))
    section = {
        "test": "single_leg_stance",
        "method": ("timer starts at lift-off of one foot (rising off its own floor level, from the world "
                   "landmarks) and stops at its touch-down, a hop of the stance foot, the maximum time or lost "
                   "tracking; lift-off and touch-down dated at the corners of the lifted foot's unsmoothed height "
                   "curve"),
        "variant": {"eyes_closed": bool(options.eyes_closed), "surface": options.surface},
        "target_s": settings.target_s,
        "max_s": settings.max_s,
        "stances": records,
        "touch_downs": sum(1 for s in stances if s.end_reason == "touch_down"),
        "feet_seen": feet,
        "sides": _sides_summary(stances, None if feet["measured"] else feet["reason"]),
        "reference": stance_reference(options.age, options.eyes_closed, options.surface),
    }
    return section, holds


def _feet_seen(table: MetricTable, positions: np.ndarray, min_share: float = 0.5) -> dict[str, Any]:
    """Whether both feet were measured in most frames standing: with a foot out of the picture the timer cannot
    tell a lift, so "no stance" would be a guess (the report says so instead)."""
    standing = np.array([int(p) not in NOT_STANDING for p in positions], dtype=bool) if len(positions) else None
    both = np.isfinite(col(table, "foot_lift_left")) & np.isfinite(col(table, "foot_lift_right"))
    frames = both[standing] if standing is not None and standing.any() else both
    share = float(frames.mean()) if len(frames) else 0.0
    if share >= min_share:
        return {"measured": True, "share": r(share, 3)}
    return {**not_measured(f"both feet were in the picture in only {share:.0%} of the frames: place the camera so "
                           "your whole body, feet included, is in view"), "share": r(share, 3)}


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


def _sides_summary(stances: list[Stance], unseen: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    best: dict[str, float] = {}
    for side in BODY_SIDES:
        mine = [s.duration_s for s in stances if s.side == side]
        if not mine:
            out[side] = not_measured(unseen or f"no stance on the {side} leg")
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
