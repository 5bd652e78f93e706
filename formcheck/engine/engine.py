"""The checker engine: one engine for every exercise spec.

Frame by frame it keeps the patient's position, counts reps or times holds, and evaluates the form and
safety rules, returning events (rep counted, hold started/ended, violation started/ended, cue)::

    engine = Engine(load_spec("bridge"), table.names)
    for i, t in enumerate(t_s):
        events = engine.step(i, t, table.values[i], table.confidence[i], positions[i], views[i])
    result = engine.finish(t_s[-1])         # reps, holds, violations, not measured, tallies

`run()` does the same for a whole `MetricTable`: `Engine.prepare` evaluates the thresholds with numpy for
all frames at once, then `Engine.advance` steps the state machines over plain numbers (well above 20,000
frames per second).

A rule whose landmarks are not visible, or that needs another camera view, is "not measured" on that frame:
never a pass and never a fault.
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.engine import counter as rc
from formcheck.engine import hold as hc
from formcheck.engine import rules as ru
from formcheck.engine.channel import Channel, PendingRep
from formcheck.engine.cues import CueLimiter
from formcheck.engine.merge import one_event_per_movement, rule_facts
from formcheck.engine.plan import VIEWS, Prepared, compile_plan, prepare
from formcheck.engine.rule_state import RuleBook, coverage, not_measured, not_measured_now
from formcheck.engine.side_motion import UNDECIDED, SideByMotion
from formcheck.engine.summary import seen_view_name
from formcheck.engine.types import (PHASES, EngineResult, EngineStats, EngineStatus, Event, FrameState, Hold,
                                    Violation)
from formcheck.errors import InputError
from formcheck.kinematics.metrics import MetricTable
from formcheck.specs.spec import ExerciseSpec

__all__ = ["Engine", "run"]

CUE_SHOW_S = 3.0  # how long a spoken cue stays on screen
PAIN_MESSAGE = "Stopped because of pain. Rest, and tell your therapist if it does not settle."


class Engine:
    """Runs one exercise spec over metric rows; see the module docstring."""

    def __init__(self, spec: ExerciseSpec, metric_names: tuple[str, ...], *, side: str = "auto",
                 min_confidence: float = 0.0, cue_gap_s: float = 3.0, cue_repeat_s: float = 12.0) -> None:
        if side not in ("auto", "left", "right"):
            raise InputError(f"side must be 'auto', 'left' or 'right', got {side!r}")
        self.spec = spec
        self.metric_names = tuple(metric_names)
        self.plan = compile_plan(spec, self.metric_names, side)
        self.min_confidence = min_confidence
        plan = self.plan
        self.channels = [Channel(i, cp, plan.rep_metric_names[i], spec) for i, cp in enumerate(plan.channels)]
        self.rules = RuleBook(plan.rules, self._say)
        self.limiter = CueLimiter(cue_gap_s, cue_repeat_s)
        self.leader: str | None = plan.forced_side  # the side being worked
        sd = plan.side_detect
        self._side_by_motion = (SideByMotion(sd.motion_window_s, sd.margin, sd.sign)
                                if sd is not None and sd.motion_window_s is not None else None)
        self._reps: list[PendingRep] = []
        self._holds: list[Hold] = []
        self._cue: tuple[str, float, bool] | None = None  # message, time, is a fault
        self._t_s = -math.inf
        self._frames = 0
        self._time_in_position_s = 0.0
        self._view_frames = [0] * len(VIEWS)
        self._pain_t_s: float | None = None
        self._result: EngineResult | None = None

    # ------------------------------------------------------------------------------------ stepping

    def step(self, i: int, t_s: float, values: np.ndarray, confidence: np.ndarray, position: int,
             view: int) -> list[Event]:
        """Advance by one frame (frame index ``i`` at ``t_s`` seconds); returns what happened."""
        values = np.asarray(values, dtype=float).reshape(1, -1)
        confidence = np.asarray(confidence, dtype=float).reshape(1, -1)
        if values.shape[1] != len(self.metric_names) or confidence.shape != values.shape:
            raise InputError(f"frame {i}: expected {len(self.metric_names)} metric values, got {values.shape[1]}")
        return self.advance(self.prepare(values, confidence, np.array([position]), np.array([view])), 0, float(t_s))

    def prepare(self, values: np.ndarray, confidence: np.ndarray, positions: np.ndarray,
                views: np.ndarray) -> Prepared:
        """Evaluate every threshold of the plan on a block of frames at once (for `advance`)."""
        return prepare(self.plan, values, confidence, positions, views, self.min_confidence)

    def advance(self, frames: Prepared, k: int, t_s: float) -> list[Event]:
        """Advance by frame ``k`` of a prepared block, at ``t_s`` seconds; returns what happened."""
        if self._pain_t_s is not None or self._result is not None:
            return []
        events: list[Event] = []
        dt = t_s - self._t_s if self._t_s > -math.inf else 0.0
        self._t_s = t_s
        self._frames += 1
        self._view_frames[frames.views[k]] += 1
        self._detect_side(frames, k, t_s)
        in_position = self._update_gates(frames, k, t_s, dt)
        for ch in self.channels:
            if ch.counter is not None:
                self._count_reps(ch, frames, k, t_s, events)
            elif ch.hold is not None:
                self._time_hold(ch, frames, k, t_s, events)
        self.rules.check(frames, k, t_s, self.channels, in_position, events)
        return events

    def _detect_side(self, frames: Prepared, k: int, t_s: float) -> None:
        """Follow the working side (by value, or by motion over a window)."""
        if frames.side_codes is None:
            return
        code = frames.side_codes[k]
        if self._side_by_motion is not None and frames.side_values is not None:
            code = self._side_by_motion.update(t_s, frames.side_values[0][k], frames.side_values[1][k])
        if code != UNDECIDED:
            self.leader = "left" if code == 0 else "right"

    def _update_gates(self, frames: Prepared, k: int, t_s: float, dt: float) -> bool:
        """Each channel's in-position gate, and the time in position; returns whether any channel is in position."""
        was_in = any([ch.gate.on for ch in self.channels])
        now_in, seen, backdate = False, False, 0.0
        for ch in self.channels:
            code = frames.position_codes[ch.index][k]
            if ch.gate.update(t_s, code) == hc.TURNED_ON and not was_in:
                backdate = max(backdate, t_s - ch.gate.since_s)  # the entry is backdated to its first frame
            if ch.gate.on:
                now_in = True
                seen = seen or code <= hc.EDGE  # in position and seen so (the exit debounce is not counted)
        if seen:
            self._time_in_position_s += (dt if was_in else 0.0) + backdate
        return now_in

    def _may_start(self, ch: Channel, frames: Prepared) -> bool:
        return ch.gate.on and (ch.side is None or frames.side_codes is None or self.leader == ch.side)

    def _count_reps(self, ch: Channel, frames: Prepared, k: int, t_s: float, events: list[Event]) -> None:
        change = ch.counter.update(t_s, frames.rep_values[ch.index][k], self._may_start(ch, frames))
        if not change:
            return
        if change == rc.STARTED:
            ch.start_rep(self._label(ch), self.rules.open_rules(ch.index))
            return
        side = ch.draft.side if ch.draft is not None else None
        rep = ch.end_rep(change, t_s)
        if rep is not None:
            self._reps.append(rep)
            events.append(Event("rep", t_s, side=rep.side, n=rep.n))
            done = ch.set_done(t_s, rep.side)
            if done is not None:
                events.append(done)
        elif change == rc.PARTIAL and self.spec.rep is not None and self.spec.rep.partial_cue:
            self._say(t_s, self.spec.rep.partial_cue, "info", events, side=side, fault=False)

    def _time_hold(self, ch: Channel, frames: Prepared, k: int, t_s: float, events: list[Event]) -> None:
        values = frames.hold_values[ch.index]
        ch.record_hold_frame(t_s, values, k)
        change = ch.hold.update(t_s, frames.hold_codes[ch.index][k], self._may_start(ch, frames))
        if change == hc.TURNED_ON:
            draft = ch.start_hold(self._label(ch), self.rules.open_rules(ch.index))
            target = ch.hold.target_s
            message = f"Hold: {target:g} s" if math.isfinite(target) else None
            events.append(Event("hold_start", t_s, side=draft.side, n=ch.count + 1, message=message))
        elif change == hc.TURNED_OFF:
            self._end_hold(ch, ch.hold.end_s, events)
        if ch.hold.holding:
            ch.track_hold_peaks(values, k)
            if ch.hold.reached_target(t_s):
                message = f"{ch.hold.target_s:g} s reached: well done, you can relax"
                events.append(Event("hold_target_reached", t_s, side=self._label(ch), n=ch.count + 1, message=message))

    def _end_hold(self, ch: Channel, end_s: float, events: list[Event]) -> None:
        hold, event = ch.end_hold(end_s)
        if hold is not None:
            self._holds.append(hold)
        if event is not None:
            events.append(event)

    def _say(self, t_s: float, message: str, severity: str, events: list[Event], *, side: str | None,
             fault: bool, rule: str | None = None) -> None:
        """A cue, unless the limiter holds it back; it then shows on screen for a while."""
        if self.limiter.allow(t_s, message, severity):
            events.append(Event("cue", t_s, rule=rule, side=side, message=message, severity=severity))
            self._cue = (message, t_s, fault)

    def _label(self, ch: Channel) -> str | None:
        """The channel's side, else the detected working side (when the spec detects one)."""
        return ch.side if ch.side is not None else self.leader if self.plan.side_detect is not None else None

    # ---------------------------------------------------------------------------------- stopping

    def stop_for_pain(self, t_s: float) -> list[Event]:
        """The patient reported pain: stop counting, close what is open, and record it in the result."""
        if self._pain_t_s is not None or self._result is not None:
            return []
        events = self._close_all(t_s)
        self._pain_t_s = t_s
        events.append(Event("pain_stop", t_s, message=PAIN_MESSAGE, severity="stop"))
        self._cue = (PAIN_MESSAGE, t_s, True)
        return events

    def _close_all(self, t_s: float) -> list[Event]:
        events: list[Event] = []
        for ch in self.channels:
            ch.abandon(t_s)
            if ch.hold is not None and ch.hold.holding:
                ch.hold.presence.close()
                self._end_hold(ch, min(t_s, ch.hold.end_s) if ch.hold.end_s >= ch.hold.start_s else t_s, events)
            ch.gate.close()
        self.rules.close(t_s, events)
        return events

    def _count_cut_off(self, t_s: float) -> None:
        """The data ends: a rep that has paused at the top for the spec's ``top_pause_s`` is counted."""
        pause = self.spec.rep.top_pause_s if self.spec.rep is not None else None
        for ch in self.channels if pause is not None else ():
            if ch.counter is not None and ch.counter.cut_off(t_s, pause) == rc.COUNTED:
                rep = ch.end_rep(rc.COUNTED, t_s)
                if rep is not None:
                    self._reps.append(rep)

    def finish(self, t_s: float | None = None) -> EngineResult:
        """Close what is still open at ``t_s`` (default: the last frame) and return the result."""
        if self._result is not None:
            return self._result
        end = self._t_s if t_s is None else t_s
        if self._pain_t_s is None:
            self._count_cut_off(end if math.isfinite(end) else 0.0)
            self._close_all(end if math.isfinite(end) else 0.0)
        seen = seen_view_name(tuple(self._view_frames))
        seen_text = "an unknown view" if seen == "unknown" else f"the {seen}"
        violations = one_event_per_movement(self.rules.violations, rule_facts(self.plan))  # both sides: one event
        self._result = EngineResult(
            exercise=self.spec.id,
            side=self._worked_side(),
            reps=tuple(sorted((p.build() for p in self._reps), key=lambda r: r.start_s)),
            holds=tuple(sorted(self._holds, key=lambda h: h.start_s)),
            violations=violations,
            not_measured=not_measured(self.rules.states, self.spec, seen_text),
            stats=self._stats(violations),
        )
        return self._result

    def _worked_side(self) -> str | None:
        if self.plan.forced_side:
            return self.plan.forced_side
        sides = {r.side for r in self._reps} | {h.side for h in self._holds}
        sides.discard(None)
        if len(sides) == 2:
            return "both"
        if sides:
            return sides.pop()
        if self.spec.sides in ("left", "right"):
            return self.spec.sides
        return self.leader if self.plan.side_detect is not None else None

    def _stats(self, violations: tuple[Violation, ...]) -> EngineStats:
        time_by_rule = {rid: 0.0 for rid in self.plan.rule_ids}
        for v in violations:
            time_by_rule[v.rule] = round(time_by_rule.get(v.rule, 0.0) + (v.end_s - v.start_s), 3)
        chans = self.channels
        return EngineStats(
            frames=self._frames,
            time_in_position_s=round(self._time_in_position_s, 3),
            sets_completed=sum(ch.sets_done for ch in chans),
            partial_reps=sum(ch.partial for ch in chans),
            rejected_reps=sum(ch.rejected for ch in chans),
            abandoned_reps=sum(ch.abandoned for ch in chans),
            holds_too_short=sum(ch.short_holds for ch in chans),
            cues_spoken=self.limiter.spoken,
            cues_held_back=self.limiter.held_back,
            pain_stop_t_s=self._pain_t_s,
            violation_time_s=time_by_rule,
            rule_frames=coverage(self.rules.states),
            view_frames=tuple(self._view_frames),
        )

    # --------------------------------------------------------------------------------------- status

    @property
    def rule_codes(self) -> list[int]:
        """Each rule instance's code on the last frame (see `rules.py`; NA when its gate was closed)."""
        return self.rules.codes

    def frame_state(self) -> FrameState:
        """The state after the last frame, as metrics.csv records it."""
        t, ch = self._t_s, self._shown_channel()
        hold = ch.hold
        elapsed = hold.elapsed_s(t) if hold is not None and hold.presence.on else None
        phase = PHASES[ch.phase(t, self._pain_t_s is not None)]
        return FrameState(ch.gate.on, phase, self._label(ch), len(self._reps), elapsed)

    @property
    def status(self) -> EngineStatus:
        """The current state, for the live panel (built on demand)."""
        t, ch, spec = self._t_s, self._shown_channel(), self.spec
        active = self.rules.active()
        cue, cue_is_fault = None, False
        if self._cue is not None and t - self._cue[1] <= CUE_SHOW_S:
            cue, cue_is_fault = self._cue[0], self._cue[2]
        elif active:
            cue, cue_is_fault = active[0].message, True
        holding = ch.hold is not None and ch.hold.holding
        resting = t < ch.rest_until and not ch.active(t)
        return EngineStatus(
            exercise=spec.id,
            side=self._label(ch),
            set_no=ch.sets_done + 1,
            side_reps=ch.count if ch.counter is not None else 0,
            rep_count=len(self._reps),
            rep_target=spec.dose.reps.target if spec.dose.reps else None,
            hold_elapsed_s=ch.hold.elapsed_s(t) if holding else None,
            hold_target_s=spec.dose.hold_s.target if spec.dose.hold_s else None,
            holds_done=ch.count if ch.hold is not None else 0,
            in_position=any(c.gate.on for c in self.channels),
            phase=PHASES[ch.phase(t, self._pain_t_s is not None)],
            resting=resting,
            rest_left_s=max(0.0, ch.rest_until - t) if resting else None,
            cue=cue,
            cue_is_fault=cue_is_fault,
            violations=tuple(active),
            not_measured=not_measured_now(self.rules.states),
            stopped_for_pain=self._pain_t_s is not None,
        )

    def _shown_channel(self) -> Channel:
        """The channel the panel shows: the one at work, else the working side's, else the likeliest."""
        if len(self.channels) == 1:
            return self.channels[0]
        t = self._t_s
        for ch in self.channels:
            if ch.active(t):
                return ch
        if self.leader is not None:
            for ch in self.channels:
                if ch.side == self.leader:
                    return ch
        return max(self.channels, key=lambda c: (c.gate.on, c.count))


# ------------------------------------------------------------------------------------------- batch


def run(spec: ExerciseSpec, table: MetricTable, positions: np.ndarray, views: np.ndarray, t_s: np.ndarray, *,
        side: str = "auto", min_confidence: float = 0.0) -> tuple[EngineResult, dict[str, np.ndarray]]:
    """Run a spec over a whole metric table; returns the result and per-frame state columns for metrics.csv.

    ``positions`` and ``views`` hold one context code per frame, ``t_s`` its time. Columns: ``in_position``
    (0/1), ``phase``, ``side``, ``rep_count`` (reps counted so far), ``hold_elapsed_s`` (NaN when not
    holding), and ``fault_<rule>`` per rule: 1 fault, 0 ok, NaN not measured or not applicable.
    """
    t_s = np.asarray(t_s, dtype=float)
    positions, views = np.asarray(positions), np.asarray(views)
    n = len(t_s)
    if len(table) != n:
        raise InputError(f"the metric table has {len(table)} rows for {n} frame times")
    if positions.shape != (n,) or views.shape != (n,):
        raise InputError(f"positions and views need one code per frame ({n})")
    engine = Engine(spec, table.names, side=side, min_confidence=min_confidence)
    frames = engine.prepare(np.asarray(table.values, dtype=float), np.asarray(table.confidence, dtype=float),
                            positions, views)
    codes = np.empty((len(engine.plan.rules), n), dtype=np.int8)
    states: list[FrameState] = []
    times = t_s.tolist()
    for k, t in enumerate(times):
        engine.advance(frames, k, t)
        codes[:, k] = engine.rule_codes
        states.append(engine.frame_state())
    result = engine.finish(times[-1] if n else 0.0)
    return result, state_columns(engine, states, codes, result, t_s)


def state_columns(engine: Engine, states: list[FrameState], codes: np.ndarray, result: EngineResult,
                  t_s: np.ndarray) -> dict[str, np.ndarray]:
    """metrics.csv's engine columns from the state after each frame and the rule codes (rules x frames)."""
    n = len(states)
    in_position, phase, side, rep_count, hold = zip(*states) if n else ((),) * 5
    columns: dict[str, np.ndarray] = {
        "in_position": np.array(in_position, dtype=np.int8),
        "phase": np.array(phase, dtype=object).astype(str),
        "side": np.array([s or "" for s in side], dtype=object).astype(str),
        "rep_count": np.array(rep_count, dtype=np.int32),
        "hold_elapsed_s": np.array([np.nan if h is None else h for h in hold], dtype=float),
    }
    for rule_id in engine.plan.rule_ids:
        rows = [ri for ri, rule in enumerate(engine.plan.rules) if rule.rule_id == rule_id]
        measured = (codes[rows] <= ru.ON).any(axis=0)
        fault = np.zeros(n, dtype=bool)
        for v in result.violations:
            if v.rule == rule_id:
                fault |= (t_s >= v.start_s) & (t_s <= v.end_s)
        columns[f"fault_{rule_id}"] = np.where(fault, 1.0, np.where(measured, 0.0, np.nan))
    return columns
