"""The checker engine: one engine for every exercise spec.

Frame by frame it keeps the patient's position, counts reps or times holds, and evaluates the form and
safety rules, returning events (rep counted, hold started/ended, violation started/ended, cue)::

    engine = Engine(load_spec("bridge"), table.names)
    for i, t in enumerate(t_s):
        events = engine.step(i, t, table.values[i], table.confidence[i], positions[i], views[i])
    result = engine.finish(t_s[-1])         # reps, holds, violations, not measured, summary

`run()` does the same for a whole stored table: the thresholds are evaluated with numpy for all frames at
once, then the state machines step over plain numbers (well above 20,000 frames per second).

A rule whose landmarks are not visible, or that needs another camera view, is "not measured" on that frame:
never a pass and never a fault.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.engine import counter as rc
from formcheck.engine import hold as hc
from formcheck.engine import rules as ru
from formcheck.engine.cues import CueLimiter
from formcheck.engine.types import ActiveViolation, EngineResult, EngineStatus, Event, Hold, Rep, Violation
from formcheck.errors import InputError
from formcheck.engine.plan import VIEWS, Plan, Prepared, compile_plan, prepare
from formcheck.engine.side_motion import SideByMotion
from formcheck.specs.spec import ExerciseSpec

__all__ = [
    "Engine",
    "run",
    "Event",
    "Rep",
    "Hold",
    "Violation",
    "ActiveViolation",
    "EngineStatus",
    "EngineResult",
    "EVENT_KINDS",
    "PHASES",
]

CUE_SHOW_S = 3.0  # how long a spoken cue stays on screen
NOT_MEASURED_BELOW = 0.5  # a rule measured less than this fraction of the time it applied is "not measured"
SETTLE_FRACTION = 0.25  # a recorded hold starts once the position is within this share of its reach (see settled_span)
EVENT_KINDS = (
    "rep",
    "hold_start",
    "hold_end",
    "hold_target_reached",
    "violation_start",
    "violation_end",
    "cue",
    "set_done",
    "pain_stop",
)
PHASES = ("waiting", "ready", "moving", "peak", "holding", "resting", "stopped")
_WAITING, _READY, _MOVING, _PEAK, _HOLDING, _RESTING, _STOPPED = range(len(PHASES))
_SEVERITY_RANK = {"info": 0, "warning": 1, "stop": 2}


# ------------------------------------------------------------------------------------------ internals


@dataclass
class _Draft:
    """A rep or hold in progress: the rules broken during it."""

    start_s: float
    side: str | None
    violations: list[str] = field(default_factory=list)
    best_x: list[float] = field(default_factory=list)

    def add(self, rule: str) -> None:
        if rule not in self.violations:
            self.violations.append(rule)


@dataclass
class _RepPending:
    """A counted rep whose fault list may still grow while it settles (landings)."""

    n: int
    start_s: float
    end_s: float
    side: str | None
    extreme: float
    metric: str
    draft: _Draft
    set_no: int

    def build(self) -> Rep:
        peak = {self.metric: round(self.extreme, 3)} if self.metric and math.isfinite(self.extreme) else {}
        return Rep(
            self.n,
            self.start_s,
            self.end_s,
            self.side,
            peak,
            tuple(self.draft.violations),
            round(self.end_s - self.start_s, 3),
            self.set_no,
        )


class _Channel:
    """Counting or timing for one side (or the whole body)."""

    def __init__(self, index: int, plan: Plan, spec: ExerciseSpec) -> None:
        cp = plan.channels[index]
        self.index = index
        self.side = cp.side
        self.rep_metric = plan.rep_metric_names[index]
        pos = spec.position
        self.gate = hc.Presence(pos.enter_s, pos.exit_s, pos.gap_s)
        self.counter: rc.RepCounter | None = None
        self.hold: hc.HoldTimer | None = None
        if spec.rep is not None:
            r = spec.rep
            self.counter = rc.RepCounter(
                start=r.start,
                peak=r.peak,
                direction=1 if r.direction == "up" else -1,
                hysteresis=r.hysteresis,
                min_phase_s=r.min_phase_s,
                max_rep_s=r.max_rep_s,
                max_gap_s=r.max_gap_s,
            )
        if spec.hold is not None:
            h = spec.hold
            target = spec.dose.hold_s.target if spec.dose.hold_s else math.inf
            self.hold = hc.HoldTimer(
                target_s=target,
                enter_s=h.enter_s,
                exit_s=h.exit_s,
                gap_tolerance_s=h.gap_tolerance_s,
                min_hold_s=h.min_hold_s,
            )
        self.hold_conditions = cp.hold
        # recent frames (t, normalised hold values), kept for the whole hold to find when it was settled
        self.hold_trace: deque[tuple[float, tuple[float, ...]]] = deque()
        self.trace_keep_s = (spec.hold.enter_s + spec.hold.gap_tolerance_s + 1.0) if spec.hold else 0.0
        self.settle_s = spec.rep.settle_s if spec.rep else 0.0
        self.draft: _Draft | None = None  # the rep or hold in progress
        self.settling: _Draft | None = None  # a counted rep still collecting landing faults
        self.settle_until = -math.inf
        self.count = 0
        self.in_set = 0
        self.sets_done = 0
        self.rest_until = -math.inf
        self.partial = 0
        self.rejected = 0
        self.abandoned = 0
        self.short_holds = 0

    def record_hold_frame(self, t_s: float, values: tuple[list, ...], k: int) -> None:
        """Keep this frame's hold values (normalised: larger = further into the position)."""
        xs = tuple(
            ((abs(v) if c.absolute else v) * c.sign) if v == v else math.nan
            for c, v in zip(self.hold_conditions, (col[k] for col in values))
        )
        trace = self.hold_trace
        trace.append((t_s, xs))
        if not self.hold.holding:  # only what a hold starting now could be backdated to
            cut = t_s - self.trace_keep_s
            while trace and trace[0][0] < cut:
                trace.popleft()

    def active(self, t_s: float) -> bool:
        if self.counter is not None:
            return self.counter.in_rep or t_s <= self.settle_until
        return self.hold is not None and self.hold.holding


class Engine:
    """Runs one exercise spec over metric rows; see the module docstring."""

    def __init__(
        self,
        spec: ExerciseSpec,
        metric_names: tuple[str, ...],
        *,
        side: str = "auto",
        min_confidence: float = 0.0,
        cue_gap_s: float = 3.0,
        cue_repeat_s: float = 12.0,
    ) -> None:
        if side not in ("auto", "left", "right"):
            raise InputError(f"side must be 'auto', 'left' or 'right', got {side!r}")
        self.spec = spec
        self.metric_names = tuple(metric_names)
        self.plan = compile_plan(spec, self.metric_names, side)
        self.min_confidence = min_confidence
        self.channels = [_Channel(i, self.plan, spec) for i in range(len(self.plan.channels))]
        self.trackers = [ru.RuleTracker(r.min_duration_s, r.clear_s) for r in self.plan.rules]
        self.limiter = CueLimiter(cue_gap_s, cue_repeat_s)
        n_rules = len(self.plan.rules)
        self._open: list[tuple[str | None, list[_Draft]] | None] = [None] * n_rules  # side, drafts
        self._x_of_start: list[int] = [0] * n_rules  # view code when the violation started (for its units)
        self._applicable = [0] * n_rules
        self._measured = [0] * n_rules
        self._causes = [[0, 0, 0] for _ in range(n_rules)]  # NM_VALUE, NM_VIEW, NM_POSITION frames
        self._last_codes = [ru.NA] * n_rules
        self._pending_reps: list[_RepPending] = []
        self.holds: list[Hold] = []
        self.violations: list[Violation] = []
        self.leader: str | None = self.plan.forced_side
        sd = self.plan.side_detect
        self._side_by_motion = (
            SideByMotion(sd.motion_window_s, sd.margin, sd.sign)
            if sd is not None and sd.motion_window_s is not None
            else None
        )
        self._cue: tuple[str, float, bool] | None = None
        self._t_s = -math.inf
        self._time_in_position_s = 0.0
        self._view_counts = [0] * len(VIEWS)
        self._pain_t_s: float | None = None
        self._result: EngineResult | None = None
        self._frames = 0

    # ------------------------------------------------------------------------------------ stepping

    def step(
        self, i: int, t_s: float, values: np.ndarray, confidence: np.ndarray, position: int, view: int
    ) -> list[Event]:
        """Advance by one frame (frame index ``i`` at ``t_s`` seconds); returns what happened."""
        values = np.asarray(values, dtype=float).reshape(1, -1)
        confidence = np.asarray(confidence, dtype=float).reshape(1, -1)
        if values.shape[1] != len(self.metric_names) or confidence.shape != values.shape:
            raise InputError(f"frame {i}: expected {len(self.metric_names)} metric values, got {values.shape[1]}")
        prep = prepare(self.plan, values, confidence, np.array([position]), np.array([view]), self.min_confidence)
        return self._advance(prep, 0, float(t_s))

    def _advance(self, prep: Prepared, k: int, t: float) -> list[Event]:
        if self._pain_t_s is not None or self._result is not None:
            return []
        events: list[Event] = []
        dt = t - self._t_s if self._t_s > -math.inf else 0.0
        self._t_s = t
        self._frames += 1
        self._view_counts[prep.views[k]] += 1
        if prep.side_codes is not None:
            code = prep.side_codes[k]
            if self._side_by_motion is not None and prep.side_values is not None:
                code = self._side_by_motion.update(t, prep.side_values[0][k], prep.side_values[1][k])
            if code != 2:
                self.leader = "left" if code == 0 else "right"

        any_in_position = False
        seen_in_position = False  # in position and seen so this frame (the exit debounce is not counted)
        was_in_position = any(c.gate.on for c in self.channels)
        backdate = 0.0
        for ch in self.channels:
            ci = ch.index
            pcode = prep.position_codes[ci][k]
            if ch.gate.update(t, pcode) == hc.TURNED_ON and not was_in_position:
                backdate = max(backdate, t - ch.gate.since_s)
            if ch.gate.on:
                any_in_position = True
                if pcode <= hc.EDGE:
                    seen_in_position = True
            can_start = ch.gate.on and (ch.side is None or prep.side_codes is None or self.leader == ch.side)
            if ch.counter is not None:
                result = ch.counter.update(t, prep.rep_values[ci][k], can_start)
                if result:
                    self._on_rep(ch, result, t, events)
            elif ch.hold is not None:
                ch.record_hold_frame(t, prep.hold_values[ci], k)
                result = ch.hold.update(t, prep.hold_codes[ci][k], can_start)
                if result == hc.TURNED_ON:
                    self._on_hold_start(ch, t, events)
                elif result == hc.TURNED_OFF:
                    self._on_hold_end(ch, ch.hold.end_s, events)
                if ch.hold.holding:
                    self._track_hold_peaks(ch, prep, k)
                    if ch.hold.reached_target(t):
                        events.append(
                            Event(
                                "hold_target_reached",
                                t,
                                side=self._label(ch),
                                n=ch.count + 1,
                                message=f"{ch.hold.target_s:g} s reached: well done, you can relax",
                            )
                        )
        if seen_in_position:
            self._time_in_position_s += (dt if was_in_position else 0.0) + backdate

        chans = self.channels
        for ri, inst in enumerate(self.plan.rules):
            code = prep.rule_codes[ri][k]
            when = inst.when
            if when != "always" and code != ru.NA:
                if inst.channel is not None:
                    ch = chans[inst.channel]
                    gate = ch.gate.on if when == "in_position" else ch.active(t)
                elif when == "in_position":
                    gate = any_in_position
                else:
                    gate = any(c.active(t) for c in chans)
                if not gate:
                    code = ru.NA
            self._last_codes[ri] = code
            if code != ru.NA:
                self._applicable[ri] += 1
                if code <= ru.ON:
                    self._measured[ri] += 1
                else:
                    self._causes[ri][code - ru.NM_VALUE] += 1
            tracker = self.trackers[ri]
            if code == ru.OFF and tracker.cand_s is None and not tracker.active:
                continue
            change = tracker.update(t, code, prep.rule_x[ri][k])
            if change == ru.STARTED:
                self._on_violation_start(ri, t, prep.views[k], events)
            elif change == ru.ENDED:
                self._on_violation_end(ri, events)
        return events

    # ------------------------------------------------------------------------------- rep and hold

    def _label(self, ch: _Channel) -> str | None:
        return ch.side if ch.side is not None else self.leader if self.plan.side_detect is not None else None

    def _open_violations_for(self, ch: _Channel) -> list[str]:
        found = []
        for ri, inst in enumerate(self.plan.rules):
            if self.trackers[ri].active and (inst.channel is None or inst.channel == ch.index):
                found.append(inst.rule_id)
        return found

    def _on_rep(self, ch: _Channel, result: int, t: float, events: list[Event]) -> None:
        counter = ch.counter
        if result == rc.STARTED:
            if ch.settling is not None:
                ch.settling = None
            ch.draft = _Draft(counter.start_s, self._label(ch))
            for rule in self._open_violations_for(ch):
                ch.draft.add(rule)
            ch.rest_until = -math.inf
            return
        draft = ch.draft
        ch.draft = None
        if result == rc.COUNTED and draft is not None:
            ch.count += 1
            ch.in_set += 1
            set_no = ch.sets_done + 1
            rep_target = self.spec.dose.reps.target if self.spec.dose.reps else None
            rep = _RepPending(
                n=ch.count,
                start_s=draft.start_s,
                end_s=counter.end_s,
                side=draft.side,
                extreme=counter.extreme,
                metric=ch.rep_metric,
                draft=draft,
                set_no=set_no,
            )
            self._pending_reps.append(rep)
            events.append(Event("rep", t, side=draft.side, n=ch.count))
            if ch.settle_s > 0:
                ch.settling = draft
                ch.settle_until = t + ch.settle_s
            if rep_target and ch.in_set >= rep_target:
                ch.sets_done += 1
                ch.in_set = 0
                ch.rest_until = t + self.spec.dose.rest_s
                events.append(
                    Event(
                        "set_done",
                        t,
                        side=draft.side,
                        n=ch.sets_done,
                        message=f"Set {ch.sets_done} done: rest {self.spec.dose.rest_s:g} s",
                    )
                )
        elif result == rc.PARTIAL:
            ch.partial += 1
            cue = self.spec.rep.partial_cue if self.spec.rep else None
            if cue and self.limiter.allow(t, cue, "info"):
                events.append(Event("cue", t, side=draft.side if draft else None, message=cue, severity="info"))
                self._cue = (cue, t, False)
        elif result == rc.REJECTED:
            ch.rejected += 1
        elif result == rc.ABANDONED:
            ch.abandoned += 1

    def _on_hold_start(self, ch: _Channel, t: float, events: list[Event]) -> None:
        ch.draft = _Draft(ch.hold.start_s, self._label(ch), best_x=[-math.inf] * len(ch.hold_conditions))
        for rule in self._open_violations_for(ch):
            ch.draft.add(rule)
        ch.rest_until = -math.inf
        events.append(
            Event(
                "hold_start",
                t,
                side=ch.draft.side,
                n=ch.count + 1,
                message=f"Hold: {ch.hold.target_s:g} s" if math.isfinite(ch.hold.target_s) else None,
            )
        )

    def _track_hold_peaks(self, ch: _Channel, prep: Prepared, k: int) -> None:
        draft = ch.draft
        if draft is None:
            return
        values = prep.hold_values[ch.index]
        for j, cond in enumerate(ch.hold_conditions):
            v = values[j][k]
            if v == v:
                x = (abs(v) if cond.absolute else v) * cond.sign
                if x > draft.best_x[j]:
                    draft.best_x[j] = x

    def _on_hold_end(self, ch: _Channel, end_s: float, events: list[Event]) -> None:
        draft = ch.draft
        ch.draft = None
        if draft is None:
            return
        timer = ch.hold
        start_s, end_s = settled_span(ch.hold_trace, draft.start_s, end_s, ch.hold_conditions)
        duration = max(0.0, end_s - start_s)
        if duration < timer.min_hold_s:
            ch.short_holds += 1
            events.append(
                Event("hold_end", end_s, side=draft.side, message=f"Hold too short ({duration:.1f} s): not counted")
            )
            return
        ch.count += 1
        ch.in_set += 1
        target = timer.target_s if math.isfinite(timer.target_s) else None
        met = target is not None and duration >= target
        peak = {}
        for j, cond in enumerate(ch.hold_conditions):
            if math.isfinite(draft.best_x[j]):
                peak[cond.source.name] = round(cond.to_units(draft.best_x[j]), 3)
        self.holds.append(
            Hold(ch.count, start_s, end_s, duration, draft.side, target, met, peak, tuple(draft.violations))
        )
        ch.rest_until = end_s + self.spec.dose.rest_s
        holds_target = self.spec.dose.holds.target if self.spec.dose.holds else None
        if holds_target and ch.in_set >= holds_target:
            ch.sets_done += 1
            ch.in_set = 0
        word = "target met" if met else f"target {target:g} s" if target else ""
        events.append(
            Event(
                "hold_end",
                end_s,
                side=draft.side,
                n=ch.count,
                message=f"Hold {ch.count}: {duration:.0f} s ({word})" if word else None,
            )
        )

    # ------------------------------------------------------------------------------------ violations

    def _on_violation_start(self, ri: int, t: float, view: int, events: list[Event]) -> None:
        inst = self.plan.rules[ri]
        side = inst.side
        targets = self.channels if inst.channel is None else [self.channels[inst.channel]]
        drafts: list[_Draft] = []
        for ch in targets:
            for draft in (ch.draft, ch.settling if t <= ch.settle_until else None):
                if draft is not None:
                    draft.add(inst.rule_id)
                    drafts.append(draft)
        if side is None:  # an unsided rule: the side being exercised, when that is clear
            sides = {d.side for d in drafts}
            side = sides.pop() if len(sides) == 1 else None
        self._open[ri] = (side, drafts)
        self._x_of_start[ri] = view
        events.append(
            Event("violation_start", t, rule=inst.rule_id, side=side, message=inst.message, severity=inst.severity)
        )
        if self.limiter.allow(t, inst.message, inst.severity):
            events.append(Event("cue", t, rule=inst.rule_id, side=side, message=inst.message, severity=inst.severity))
            self._cue = (inst.message, t, True)

    def _on_violation_end(self, ri: int, events: list[Event]) -> None:
        inst = self.plan.rules[ri]
        tracker = self.trackers[ri]
        opened = self._open[ri]
        self._open[ri] = None
        side = opened[0] if opened else inst.side
        check = inst.by_view[self._x_of_start[ri]] or next((c for c in inst.by_view if c is not None), None)
        peak = check.to_units(tracker.peak_x) if check is not None and math.isfinite(tracker.peak_x) else None
        metric = check.source.name if check is not None else ""
        self.violations.append(
            Violation(
                inst.rule_id,
                tracker.start_s,
                tracker.end_s,
                side,
                None if peak is None else round(peak, 3),
                inst.message,
                inst.severity,
                metric,
            )
        )
        events.append(Event("violation_end", tracker.end_s, rule=inst.rule_id, side=side, severity=inst.severity))

    # ---------------------------------------------------------------------------------- stopping

    def stop_for_pain(self, t_s: float) -> list[Event]:
        """The patient reported pain: stop counting, close what is open, and record it in the result."""
        if self._pain_t_s is not None or self._result is not None:
            return []
        events = self._close_all(t_s)
        self._pain_t_s = t_s
        message = "Stopped because of pain. Rest, and tell your therapist if it does not settle."
        events.append(Event("pain_stop", t_s, message=message, severity="stop"))
        self._cue = (message, t_s, True)
        return events

    def _close_all(self, t_s: float) -> list[Event]:
        events: list[Event] = []
        for ch in self.channels:
            if ch.counter is not None and ch.counter.abandon(t_s):
                ch.abandoned += 1
                ch.draft = None
            if ch.hold is not None and ch.hold.holding:
                ch.hold.presence.close()
                self._on_hold_end(ch, min(t_s, ch.hold.end_s) if ch.hold.end_s >= ch.hold.start_s else t_s, events)
            ch.gate.close()
        for ri, tracker in enumerate(self.trackers):
            if tracker.close(t_s):
                self._on_violation_end(ri, events)
        return events

    def finish(self, t_s: float | None = None) -> EngineResult:
        """Close what is still open at ``t_s`` (default: the last frame) and return the result."""
        if self._result is not None:
            return self._result
        end = self._t_s if t_s is None else t_s
        if self._pain_t_s is None:
            self._close_all(end if math.isfinite(end) else 0.0)
        reps = tuple(sorted((p.build() for p in self._pending_reps), key=lambda r: r.start_s))
        self._result = EngineResult(
            exercise=self.spec.id,
            side=self._side_summary(),
            reps=reps,
            holds=tuple(sorted(self.holds, key=lambda h: h.start_s)),
            violations=tuple(sorted(self.violations, key=lambda v: (v.start_s, v.rule))),
            not_measured=self._not_measured(),
            summary=self._summary(reps),
        )
        return self._result

    # ---------------------------------------------------------------------------------- reporting

    def _side_summary(self) -> str | None:
        if self.plan.forced_side:
            return self.plan.forced_side
        sides = {r.side for r in self._pending_reps} | {h.side for h in self.holds}
        sides.discard(None)
        if len(sides) == 2:
            return "both"
        if sides:
            return sides.pop()
        if self.spec.sides in ("left", "right"):
            return self.spec.sides
        return self.leader if self.plan.side_detect is not None else None

    def _not_measured(self) -> dict[str, str]:
        out: dict[str, str] = {}
        by_rule: dict[str, list[int]] = {}
        for ri, inst in enumerate(self.plan.rules):
            by_rule.setdefault(inst.rule_id, []).append(ri)
        for rule_id, indices in by_rule.items():
            applicable = sum(self._applicable[ri] for ri in indices)
            measured = sum(self._measured[ri] for ri in indices)
            if applicable == 0 or measured / applicable >= NOT_MEASURED_BELOW:
                continue
            causes = [sum(self._causes[ri][c] for ri in indices) for c in range(3)]
            inst = self.plan.rules[indices[0]]
            out[rule_id] = self._reason(inst, causes, measured / applicable)
        for item in self.spec.not_measured:
            out.setdefault(item.id, item.reason)
        return out

    def _reason(self, inst, causes: list[int], fraction: float) -> str:
        share = f"measured {fraction:.0%} of the time"
        cause = int(np.argmax(causes))
        if cause == 1:
            seen = self._seen_view()
            need = " or ".join(inst.view_names)
            return f"needs a {need} view; the camera showed {seen} ({share})"
        if cause == 2:
            return f"body position not recognised ({share})"
        missing = [c.source.name for c in inst.by_view if c is not None and not c.source.columns]
        if missing:
            return f"metric {missing[0]} is not computed"
        names = sorted({c.source.name for c in inst.by_view if c is not None})
        return f"landmarks for {', '.join(names)} not visible ({share})"

    def _seen_view(self) -> str:
        known = self._view_counts[1:]
        if not any(known):
            return "an unknown view"
        return f"the {VIEWS[1 + int(np.argmax(known))]}"

    def _summary(self, reps: tuple[Rep, ...]) -> dict[str, Any]:
        spec = self.spec
        by_rule = {rid: 0 for rid in self.plan.rule_ids}
        time_by_rule = {rid: 0.0 for rid in self.plan.rule_ids}
        for v in self.violations:
            by_rule[v.rule] = by_rule.get(v.rule, 0) + 1
            time_by_rule[v.rule] = round(time_by_rule.get(v.rule, 0.0) + (v.end_s - v.start_s), 3)
        fraction: dict[str, float | None] = {}
        for rid in self.plan.rule_ids:
            idx = [ri for ri, inst in enumerate(self.plan.rules) if inst.rule_id == rid]
            applicable = sum(self._applicable[ri] for ri in idx)
            fraction[rid] = round(sum(self._measured[ri] for ri in idx) / applicable, 3) if applicable else None
        reps_by_side: dict[str, int] = {}
        for r in reps:
            key = r.side or "both"
            reps_by_side[key] = reps_by_side.get(key, 0) + 1
        seen = self._view_counts[1:]
        return {
            "exercise": spec.id,
            "name": spec.name,
            "mode": spec.mode,
            "side": self._side_summary(),
            "reps_counted": len(reps),
            "reps_by_side": reps_by_side,
            "rep_target": spec.dose.reps.target if spec.dose.reps else None,
            "sets_target": spec.dose.sets,
            "sets_completed": sum(ch.sets_done for ch in self.channels),
            "partial_reps": sum(ch.partial for ch in self.channels),
            "rejected_reps": sum(ch.rejected for ch in self.channels),
            "abandoned_reps": sum(ch.abandoned for ch in self.channels),
            "holds_counted": len(self.holds),
            "holds_met": sum(1 for h in self.holds if h.met),
            "holds_too_short": sum(ch.short_holds for ch in self.channels),
            "hold_target_s": spec.dose.hold_s.target if spec.dose.hold_s else None,
            "longest_hold_s": round(max((h.duration_s for h in self.holds), default=0.0), 3),
            "time_in_position_s": round(self._time_in_position_s, 3),
            "violations_by_rule": by_rule,
            "violation_time_s": time_by_rule,
            "measured_fraction": fraction,
            "cues_spoken": self.limiter.spoken,
            "cues_held_back": self.limiter.held_back,
            "pain_stop": self._pain_t_s is not None,
            "pain_stop_t_s": self._pain_t_s,
            "not_checked": [item.id for item in spec.not_measured],
            "view_expected": spec.view,
            "view_seen": VIEWS[1 + int(np.argmax(seen))] if any(seen) else "unknown",
            "frames": self._frames,
        }

    # --------------------------------------------------------------------------------------- status

    @property
    def status(self) -> EngineStatus:
        """The current state, for the live panel (built on demand)."""
        t = self._t_s
        ch = self._status_channel()
        active = []
        for ri, inst in enumerate(self.plan.rules):
            if self.trackers[ri].active:
                opened = self._open[ri]
                active.append(
                    ActiveViolation(
                        inst.rule_id, opened[0] if opened else inst.side, inst.message, inst.segments, inst.severity
                    )
                )
        active.sort(key=lambda a: -_SEVERITY_RANK[a.severity])
        not_measured = []
        for ri, inst in enumerate(self.plan.rules):
            if self._last_codes[ri] >= ru.NM_VALUE and inst.rule_id not in not_measured:
                others = [r for r, i in enumerate(self.plan.rules) if i.rule_id == inst.rule_id]
                if all(self._last_codes[r] >= ru.NM_VALUE or self._last_codes[r] == ru.NA for r in others):
                    not_measured.append(inst.rule_id)
        cue, cue_is_fault = None, False
        if self._cue is not None and t - self._cue[1] <= CUE_SHOW_S:
            cue, cue_is_fault = self._cue[0], self._cue[2]
        elif active:
            cue, cue_is_fault = active[0].message, True
        holding = ch.hold is not None and ch.hold.holding
        resting = t < ch.rest_until and not ch.active(t)
        return EngineStatus(
            exercise=self.spec.id,
            side=self._label(ch) if ch.side is None else ch.side,
            set_no=ch.sets_done + 1,
            reps=ch.count if ch.counter is not None else 0,
            rep_target=self.spec.dose.reps.target if self.spec.dose.reps else None,
            hold_elapsed_s=ch.hold.elapsed_s(t) if holding else None,
            hold_target_s=self.spec.dose.hold_s.target if self.spec.dose.hold_s else None,
            holds_done=ch.count if ch.hold is not None else 0,
            in_position=any(c.gate.on for c in self.channels),
            phase=PHASES[self._phase(ch, t)],
            resting=resting,
            rest_left_s=max(0.0, ch.rest_until - t) if resting else None,
            cue=cue,
            cue_is_fault=cue_is_fault,
            violations=tuple(active),
            not_measured=tuple(not_measured),
            stopped_for_pain=self._pain_t_s is not None,
        )

    def _status_channel(self) -> _Channel:
        t = self._t_s
        for ch in self.channels:
            if ch.active(t):
                return ch
        if self.leader is not None:
            for ch in self.channels:
                if ch.side == self.leader:
                    return ch
        return max(self.channels, key=lambda c: (c.gate.on, c.count))

    def _phase(self, ch: _Channel, t: float) -> int:
        if self._pain_t_s is not None:
            return _STOPPED
        if ch.counter is not None and ch.counter.in_rep:
            return _PEAK if ch.counter.state == rc.TOP else _MOVING
        if ch.hold is not None and ch.hold.holding:
            return _HOLDING
        if t < ch.rest_until:
            return _RESTING
        return _READY if ch.gate.on else _WAITING


# ----------------------------------------------------------------------------------------- holds


def settled_span(trace, start_s: float, end_s: float, conditions) -> tuple[float, float]:
    """The part of a hold [start_s, end_s] spent settled in the position, as (start, end) seconds.

    A hold is entered as soon as its conditions are met, which is part way through the movement into the
    position; the patient holds the position once it is reached, and leaves it when the movement back
    begins. For each condition the position's own level is the median over the hold; a frame is settled
    when every condition is within ``max(hysteresis, SETTLE_FRACTION * reach)`` of that level (reach: how
    far the level lies beyond the threshold). The recorded hold runs from the first to the last settled
    frame; it never grows, and is left as it is when no frame qualifies.
    """
    frames = [(t, xs) for t, xs in trace if start_s <= t <= end_s]
    if len(frames) < 3 or not conditions:
        return start_s, end_s
    settled = np.ones(len(frames), dtype=bool)
    for j, cond in enumerate(conditions):
        xs = np.array([f[1][j] for f in frames], dtype=float)
        finite = np.isfinite(xs)
        if finite.sum() < 3:
            continue
        level = float(np.median(xs[finite]))
        reach = level - cond.on
        if reach <= 0:
            continue
        band = max(cond.hysteresis, SETTLE_FRACTION * reach)
        settled &= ~finite | (xs >= level - band)
    idx = np.flatnonzero(settled)
    if idx.size == 0:
        return start_s, end_s
    return frames[int(idx[0])][0], frames[int(idx[-1])][0]


# ------------------------------------------------------------------------------------------- batch


def run(
    spec: ExerciseSpec,
    metric_names,
    *arrays,
    side: str = "auto",
    min_confidence: float = 0.0,
) -> tuple[EngineResult, dict[str, np.ndarray]]:
    """Run a spec over a whole table; returns the result and per-frame state columns for metrics.csv.

    Call as ``run(spec, names, values, confidence, positions, views, t_s)`` or with a MetricTable
    ``run(spec, table, positions, views, t_s)``. Columns: ``in_position`` (0/1), ``phase``, ``side``,
    ``rep_count``, ``hold_elapsed_s`` (NaN when not holding), and ``fault_<rule>`` per rule: 1 fault,
    0 ok, NaN not measured or not applicable.
    """
    if hasattr(metric_names, "names") and hasattr(metric_names, "values"):
        if len(arrays) == 4 and isinstance(arrays[3], str):  # run(spec, table, positions, views, t_s, side)
            *arrays, side = arrays
        if len(arrays) != 3:
            raise InputError("run(spec, table, positions, views, t_s) needs positions, views and t_s")
        table = metric_names
        names, values, confidence = tuple(table.names), table.values, table.confidence
        positions, views, t_s = arrays
    else:
        if len(arrays) != 5:
            raise InputError("run(spec, names, values, confidence, positions, views, t_s) needs five arrays")
        names = tuple(metric_names)
        values, confidence, positions, views, t_s = arrays
    values = np.asarray(values, dtype=float)
    confidence = np.asarray(confidence, dtype=float)
    t_s = np.asarray(t_s, dtype=float)
    n = len(t_s)
    if values.shape != (n, len(names)) or confidence.shape != values.shape:
        raise InputError(f"metric values have shape {values.shape}, expected ({n}, {len(names)})")
    positions = np.asarray(positions)
    views = np.asarray(views)
    if positions.shape != (n,) or views.shape != (n,):
        raise InputError(f"positions and views need one code per frame ({n})")

    engine = Engine(spec, names, side=side, min_confidence=min_confidence)
    prep = prepare(engine.plan, values, confidence, positions, views, min_confidence)
    n_rules = len(engine.plan.rules)
    codes = np.empty((n_rules, n), dtype=np.int8)
    in_position = np.zeros(n, dtype=np.int8)
    phase = np.zeros(n, dtype=np.int8)
    side_code = np.zeros(n, dtype=np.int8)
    rep_count = np.zeros(n, dtype=np.int32)
    hold_elapsed = np.full(n, np.nan)
    channels = engine.channels
    single = channels[0] if len(channels) == 1 else None
    times = t_s.tolist()
    last = engine._last_codes
    for k in range(n):
        t = times[k]
        engine._advance(prep, k, t)
        codes[:, k] = last
        ch = single or engine._status_channel()
        in_position[k] = ch.gate.on
        phase[k] = engine._phase(ch, t)
        label = engine._label(ch) if ch.side is None else ch.side
        side_code[k] = 1 if label == "left" else 2 if label == "right" else 0
        rep_count[k] = len(engine._pending_reps)
        if ch.hold is not None and ch.hold.holding:
            hold_elapsed[k] = ch.hold.elapsed_s(t)
    result = engine.finish(times[-1] if n else 0.0)

    columns: dict[str, np.ndarray] = {
        "in_position": in_position,
        "phase": np.array(PHASES, dtype=object)[phase].astype(str),
        "side": np.array(["", "left", "right"], dtype=object)[side_code].astype(str),
        "rep_count": rep_count,
        "hold_elapsed_s": hold_elapsed,
    }
    for rule_id in engine.plan.rule_ids:
        idx = [ri for ri, inst in enumerate(engine.plan.rules) if inst.rule_id == rule_id]
        measured = (codes[idx] <= ru.ON).any(axis=0)
        fault = np.zeros(n, dtype=bool)
        for v in result.violations:
            if v.rule == rule_id:
                fault |= (t_s >= v.start_s) & (t_s <= v.end_s)
        col = np.where(fault, 1.0, np.where(measured, 0.0, np.nan))
        columns[f"fault_{rule_id}"] = col
    return result, columns
