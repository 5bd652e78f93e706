"""One channel of counting or timing: a side (or the whole body) with its gate, rep counter or hold timer.

A channel turns its counter's and timer's changes into records (`PendingRep`, `Hold`) and events, and keeps
its own tallies (count, sets, partial, rejected and abandoned reps, holds too short).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from formcheck.engine import counter as rc
from formcheck.engine import hold as hc
from formcheck.engine.plan import ChannelPlan
from formcheck.engine.types import Event, Hold, Rep
from formcheck.specs.spec import ExerciseSpec

WAITING, READY, MOVING, PEAK, HOLDING, RESTING, STOPPED = range(7)  # indices into types.PHASES


@dataclass
class Draft:
    """A rep or hold in progress: the rules broken during it, and (holds) the best reading per condition."""

    start_s: float
    side: str | None
    violations: list[str] = field(default_factory=list)
    best_x: list[float] = field(default_factory=list)

    def add(self, rule: str) -> None:
        if rule not in self.violations:
            self.violations.append(rule)


@dataclass
class PendingRep:
    """A counted rep whose fault list may still grow while it settles (landings)."""

    n: int
    start_s: float
    end_s: float
    side: str | None
    extreme: float
    metric: str
    draft: Draft
    set_no: int

    def build(self) -> Rep:
        peak = {self.metric: round(self.extreme, 3)} if self.metric and math.isfinite(self.extreme) else {}
        tut = round(self.end_s - self.start_s, 3)
        return Rep(self.n, self.start_s, self.end_s, self.side, peak, tuple(self.draft.violations), tut, self.set_no)


def _rep_counter(spec: ExerciseSpec) -> rc.RepCounter | None:
    r = spec.rep
    if r is None:
        return None
    return rc.RepCounter(start=r.start, peak=r.peak, direction=1 if r.direction == "up" else -1,
                         hysteresis=r.hysteresis, min_phase_s=r.min_phase_s, max_rep_s=r.max_rep_s,
                         max_gap_s=r.max_gap_s)


def _hold_timer(spec: ExerciseSpec) -> hc.HoldTimer | None:
    h = spec.hold
    if h is None:
        return None
    target = spec.dose.hold_s.target if spec.dose.hold_s else math.inf
    return hc.HoldTimer(target_s=target, enter_s=h.enter_s, exit_s=h.exit_s, gap_tolerance_s=h.gap_tolerance_s,
                        min_hold_s=h.min_hold_s)


class Channel:
    """Counting or timing for one side (or the whole body)."""

    def __init__(self, index: int, plan: ChannelPlan, rep_metric: str, spec: ExerciseSpec) -> None:
        self.index = index
        self.side = plan.side
        self.rep_metric = rep_metric
        pos = spec.position
        self.gate = hc.Presence(pos.enter_s, pos.exit_s, pos.gap_s)
        self.counter = _rep_counter(spec)
        self.hold = _hold_timer(spec)
        self.hold_conditions = plan.hold
        dose = spec.dose
        self.rep_target = dose.reps.target if dose.reps else None
        self.holds_target = dose.holds.target if dose.holds else None
        self.rest_s = dose.rest_s
        # recent frames (t, normalised hold values), kept for the whole hold to find when it was settled
        self.hold_trace: deque[tuple[float, tuple[float, ...]]] = deque()
        self.trace_keep_s = (spec.hold.enter_s + spec.hold.gap_tolerance_s + 1.0) if spec.hold else 0.0
        self.settle_s = spec.rep.settle_s if spec.rep else 0.0
        self.draft: Draft | None = None  # the rep or hold in progress
        self.settling: Draft | None = None  # a counted rep still collecting landing faults
        self.settle_until = -math.inf
        self.count = 0
        self.in_set = 0
        self.sets_done = 0
        self.rest_until = -math.inf
        self.partial = 0
        self.rejected = 0
        self.abandoned = 0
        self.short_holds = 0

    # ------------------------------------------------------------------------------------ state

    def active(self, t_s: float) -> bool:
        """In a rep (or still settling after one), or holding."""
        if self.counter is not None:
            return self.counter.in_rep or t_s <= self.settle_until
        return self.hold is not None and self.hold.holding

    def phase(self, t_s: float, stopped: bool) -> int:
        """The index into PHASES of what this channel is doing."""
        if stopped:
            return STOPPED
        if self.counter is not None and self.counter.in_rep:
            return PEAK if self.counter.state == rc.TOP else MOVING
        if self.hold is not None and self.hold.holding:
            return HOLDING
        if t_s < self.rest_until:
            return RESTING
        return READY if self.gate.on else WAITING

    def drafts_at(self, t_s: float) -> list[Draft]:
        """The records a violation starting at ``t_s`` belongs to: the one in progress, a rep settling."""
        return [d for d in (self.draft, self.settling if t_s <= self.settle_until else None) if d is not None]

    # ------------------------------------------------------------------------------------ reps

    def start_rep(self, side: str | None, open_rules: list[str]) -> None:
        """A rep begins: faults already going on belong to it; a rep still settling is done; any rest is over."""
        self.settling = None
        self._start(Draft(self.counter.start_s, side), open_rules)

    def start_hold(self, side: str | None, open_rules: list[str]) -> Draft:
        """A hold begins: faults already going on belong to it; any rest is over."""
        return self._start(Draft(self.hold.start_s, side, best_x=[-math.inf] * len(self.hold_conditions)),
                           open_rules)

    def _start(self, draft: Draft, open_rules: list[str]) -> Draft:
        for rule in open_rules:
            draft.add(rule)
        self.draft = draft
        self.rest_until = -math.inf
        return draft

    def end_rep(self, result: int, t_s: float) -> PendingRep | None:
        """The counter ended a rep (counted, partial, rejected or abandoned); a counted one is returned."""
        draft, self.draft = self.draft, None
        if result == rc.COUNTED and draft is not None:
            self.count += 1
            self.in_set += 1
            rep = PendingRep(self.count, draft.start_s, self.counter.end_s, draft.side, self.counter.extreme,
                             self.rep_metric, draft, self.sets_done + 1)
            if self.settle_s > 0:
                self.settling = draft
                self.settle_until = t_s + self.settle_s
            return rep
        if result == rc.PARTIAL:
            self.partial += 1
        elif result == rc.REJECTED:
            self.rejected += 1
        elif result == rc.ABANDONED:
            self.abandoned += 1
        return None

    def set_done(self, t_s: float, side: str | None) -> Event | None:
        """After a counted rep: the set is done when it reached the rep target, and the rest begins."""
        if not self.rep_target or self.in_set < self.rep_target:
            return None
        self.sets_done += 1
        self.in_set = 0
        self.rest_until = t_s + self.rest_s
        return Event("set_done", t_s, side=side, n=self.sets_done,
                     message=f"Set {self.sets_done} done: rest {self.rest_s:g} s")

    def abandon(self, t_s: float) -> None:
        """Stop counting at ``t_s`` (pain, end of data): a rep in progress is abandoned."""
        if self.counter is not None and self.counter.abandon(t_s):
            self.abandoned += 1
            self.draft = None

    # ------------------------------------------------------------------------------------ holds

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

    def track_hold_peaks(self, values: tuple[list, ...], k: int) -> None:
        """The furthest reading of each hold condition so far in the hold in progress."""
        draft = self.draft
        if draft is None:
            return
        for j, cond in enumerate(self.hold_conditions):
            v = values[j][k]
            if v == v:
                x = (abs(v) if cond.absolute else v) * cond.sign
                if x > draft.best_x[j]:
                    draft.best_x[j] = x

    def end_hold(self, end_s: float) -> tuple[Hold | None, Event | None]:
        """The hold in progress ended at ``end_s``: the Hold (None when too short) and its event."""
        draft, self.draft = self.draft, None
        if draft is None:
            return None, None
        timer = self.hold
        start_s, end_s = hc.settled_span(self.hold_trace, draft.start_s, end_s, self.hold_conditions)
        duration = max(0.0, end_s - start_s)
        if duration < timer.min_hold_s:
            self.short_holds += 1
            return None, Event("hold_end", end_s, side=draft.side,
                               message=f"Hold too short ({duration:.1f} s): not counted")
        self.count += 1
        self.in_set += 1
        target = timer.target_s if math.isfinite(timer.target_s) else None
        met = target is not None and duration >= target
        peak = {cond.source.name: round(cond.to_units(x), 3)
                for cond, x in zip(self.hold_conditions, draft.best_x) if math.isfinite(x)}
        hold = Hold(self.count, start_s, end_s, duration, draft.side, target, met, peak, tuple(draft.violations))
        self.rest_until = end_s + self.rest_s
        if self.holds_target and self.in_set >= self.holds_target:
            self.sets_done += 1
            self.in_set = 0
        word = "target met" if met else f"target {target:g} s" if target else ""
        message = f"Hold {self.count}: {duration:.0f} s ({word})" if word else None
        return hold, Event("hold_end", end_s, side=draft.side, n=self.count, message=message)

