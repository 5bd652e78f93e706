"""The rules over a run: one `RuleState` per rule instance (a rule on one side), and the `RuleBook` of them all.

A `RuleState` keeps its debounce tracker, the violation going on and how often the rule applied and was
measured; the `RuleBook` gates each rule by the position or the rep/hold in progress, debounces it, and
records the violations. `coverage` and `not_measured` read the states by rule id.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from formcheck.engine import rules as ru
from formcheck.engine.channel import Channel
from formcheck.engine.plan import Prepared, RuleInstance
from formcheck.engine.types import ActiveViolation, Event, Violation
from formcheck.kinematics.context import IDEAL_TURN_DEG, POSITIONS
from formcheck.specs.spec import ExerciseSpec

NOT_MEASURED_BELOW = 0.5  # a rule measured less than this fraction of the time it applied is "not measured"
_SEVERITY_RANK = {"info": 0, "warning": 1, "stop": 2}


class RuleState:
    """One rule instance: the tracker, the side and view of the violation going on, and frame tallies."""

    __slots__ = ("rule", "tracker", "side", "start_view", "applicable", "measured", "causes", "last_code",
                 "not_applicable", "turn_sum")

    def __init__(self, rule: RuleInstance) -> None:
        self.rule = rule
        self.tracker = ru.RuleTracker(rule.min_duration_s, rule.clear_s)
        self.side = rule.side  # of the violation going on (an unsided rule takes the side being worked)
        self.start_view = 0  # view code when the violation started (gives its units)
        self.applicable = 0  # frames the rule applied in
        self.measured = 0  # ...and was measured in
        # frames not measured for want of a value, the view, the position, the body turned too far
        self.causes = [0, 0, 0, 0]
        self.last_code = ru.NA
        self.not_applicable = 0  # frames the rule did not apply in (its gate closed, or another position)
        self.turn_sum = 0.0  # the body turn summed over the frames it was turned too far

    def observe(self, code: int, turn_deg: float = math.nan) -> None:
        """Count this frame's (gated) code; ``turn_deg`` is the body turn in it (for the reason)."""
        self.last_code = code
        if code == ru.NA:
            self.not_applicable += 1
            return
        self.applicable += 1
        if code <= ru.ON:
            self.measured += 1
            return
        self.causes[code - ru.NM_VALUE] += 1
        if code == ru.NM_TURN and math.isfinite(turn_deg):
            self.turn_sum += turn_deg

    def start(self, side: str | None, view: int) -> None:
        """The tracker reported a violation starting, on ``side`` and seen in ``view``."""
        self.side = side
        self.start_view = view

    def end(self) -> Violation:
        """The tracker reported the violation ended: its record."""
        rule, tracker = self.rule, self.tracker
        side, self.side = self.side, rule.side
        check = rule.by_view[self.start_view] or next((c for c in rule.by_view if c is not None), None)
        peak = check.to_units(tracker.peak_x) if check is not None and math.isfinite(tracker.peak_x) else None
        metric = check.source.name if check is not None else ""
        return Violation(rule.rule_id, tracker.start_s, tracker.end_s, side, None if peak is None else round(peak, 3),
                         rule.message, rule.severity, metric)

    def active_violation(self) -> ActiveViolation | None:
        """The violation going on now, if any."""
        if not self.tracker.active:
            return None
        r = self.rule
        return ActiveViolation(r.rule_id, self.side, r.message, r.segments, r.severity)


class RuleBook:
    """Every rule instance of a plan, and the violations found so far.

    ``say(t_s, message, severity, events, side=..., fault=True, rule=...)`` is called to cue a violation.
    """

    def __init__(self, rules: tuple[RuleInstance, ...], say: Callable[..., None]) -> None:
        self.states = [RuleState(r) for r in rules]
        self.violations: list[Violation] = []
        self._say = say

    @property
    def codes(self) -> list[int]:
        """Each instance's code on the last frame (NA when its gate was closed)."""
        return [st.last_code for st in self.states]

    def check(self, frames: Prepared, k: int, t_s: float, channels: list[Channel], in_position: bool,
              events: list[Event]) -> None:
        """Gate each rule by the position (``in_position``: any channel is) or the rep/hold in progress,
        then debounce it."""
        for ri, st in enumerate(self.states):
            code = frames.rule_codes[ri][k]
            if code != ru.NA and st.rule.when != "always" and not _applies(st.rule, channels, in_position, t_s):
                code = ru.NA
            st.observe(code, frames.turn[k] if frames.turn is not None else math.nan)
            tracker = st.tracker
            if code == ru.OFF and tracker.cand_s is None and not tracker.active:
                continue
            change = tracker.update(t_s, code, frames.rule_x[ri][k])
            if change == ru.STARTED:
                self._start(st, t_s, frames.views[k], channels, events)
            elif change == ru.ENDED:
                self._end(st, events)

    def close(self, t_s: float, events: list[Event]) -> None:
        """End every violation going on at ``t_s`` (end of data, pain stop)."""
        for st in self.states:
            if st.tracker.close(t_s):
                self._end(st, events)

    def open_rules(self, channel: int) -> list[str]:
        """Rule ids with a violation going on that concern ``channel``."""
        return [st.rule.rule_id for st in self.states
                if st.tracker.active and (st.rule.channel is None or st.rule.channel == channel)]

    def active(self) -> list[ActiveViolation]:
        """The violations going on, the most severe first."""
        found = [a for a in (st.active_violation() for st in self.states) if a is not None]
        return sorted(found, key=lambda a: -_SEVERITY_RANK[a.severity])

    def _start(self, st: RuleState, t_s: float, view: int, channels: list[Channel], events: list[Event]) -> None:
        rule = st.rule
        targets = channels if rule.channel is None else [channels[rule.channel]]
        drafts = [d for ch in targets for d in ch.drafts_at(t_s)]
        for draft in drafts:
            draft.add(rule.rule_id)
        side = rule.side
        if side is None:  # an unsided rule: the side being exercised, when that is clear
            sides = {d.side for d in drafts}
            side = sides.pop() if len(sides) == 1 else None
        st.start(side, view)
        if self._other_side_active(st):
            return  # the same movement seen on the other side: one event, announced once (see merge.py)
        events.append(Event("violation_start", t_s, rule=rule.rule_id, side=side, message=rule.message,
                            severity=rule.severity))
        self._say(t_s, rule.message, rule.severity, events, side=side, fault=True, rule=rule.rule_id)

    def _other_side_active(self, st: RuleState) -> bool:
        """Whether another instance of the same rule has a violation going on (it was announced then)."""
        return any(o is not st and o.rule.rule_id == st.rule.rule_id and o.tracker.active for o in self.states)

    def _end(self, st: RuleState, events: list[Event]) -> None:
        violation = st.end()
        self.violations.append(violation)
        events.append(Event("violation_end", violation.end_s, rule=violation.rule, side=violation.side,
                            severity=violation.severity))


def _applies(rule: RuleInstance, channels: list[Channel], in_position: bool, t_s: float) -> bool:
    """Whether a rule's gate ("in_position" or "in_rep") is open."""
    if rule.channel is not None:
        ch = channels[rule.channel]
        return ch.gate.on if rule.when == "in_position" else ch.active(t_s)
    if rule.when == "in_position":
        return in_position
    return any(ch.active(t_s) for ch in channels)


def by_rule_id(states: list[RuleState]) -> dict[str, list[RuleState]]:
    """The states grouped by rule id, in plan order."""
    out: dict[str, list[RuleState]] = {}
    for st in states:
        out.setdefault(st.rule.rule_id, []).append(st)
    return out


def coverage(states: list[RuleState]) -> dict[str, tuple[int, int]]:
    """Per rule id: (frames it applied in, frames it was measured in), every side together."""
    return {rid: (sum(s.applicable for s in group), sum(s.measured for s in group))
            for rid, group in by_rule_id(states).items()}


def not_measured(states: list[RuleState], spec: ExerciseSpec, seen_view: str) -> dict[str, str]:
    """Rule id -> why it was not measured, for the rules measured too little of the time they applied."""
    out: dict[str, str] = {}
    for rule_id, group in by_rule_id(states).items():
        applicable = sum(s.applicable for s in group)
        measured = sum(s.measured for s in group)
        if applicable == 0 or measured / applicable >= NOT_MEASURED_BELOW:
            continue
        out[rule_id] = _reason(group, spec, measured / applicable, seen_view)
    for item in spec.not_measured:
        out.setdefault(item.id, item.reason)
    return out


def not_measured_now(states: list[RuleState]) -> tuple[str, ...]:
    """Rule ids that apply but cannot be measured on the last frame (on every side that applies)."""
    out: list[str] = []
    for rule_id, group in by_rule_id(states).items():
        codes = [s.last_code for s in group]
        if any(c >= ru.NM_VALUE for c in codes) and all(c >= ru.NM_VALUE or c == ru.NA for c in codes):
            out.append(rule_id)
    return tuple(out)


def _reason(group: list[RuleState], spec: ExerciseSpec, fraction: float, seen_view: str) -> str:
    """The true cause of a rule not measured, in words: not applicable in this position; landmarks not visible;
    wrong view or body turned; camera outside the spec's range."""
    rule = group[0].rule
    share = f"measured {fraction:.0%} of the time"
    causes = [sum(s.causes[c] for s in group) for c in range(len(group[0].causes))]
    cause = int(np.argmax(causes))
    if cause == ru.NM_TURN - ru.NM_VALUE:
        return _turn_reason(rule, sum(s.turn_sum for s in group) / max(causes[cause], 1), spec, share)
    if cause == ru.NM_VIEW - ru.NM_VALUE:
        return f"wrong view: needs a {' or '.join(rule.view_names)} view; the camera showed {seen_view} ({share})"
    if cause == ru.NM_POSITION - ru.NM_VALUE:
        if sum(s.not_applicable for s in group) > sum(s.applicable for s in group):
            return (f"not applicable in this position: it applies only {_positions_words(rule)}, and the body was "
                    f"in another position (in the frames left, the position was not recognised)")
        return f"body position not recognised ({share})"
    missing = [c.source.name for c in rule.by_view if c is not None and not c.source.columns]
    if missing:
        return f"metric {missing[0]} is not computed"
    names = sorted({c.source.name for c in rule.by_view if c is not None})
    return f"landmarks for {', '.join(names)} not visible ({share})"


def _turn_reason(rule: RuleInstance, seen_deg: float, spec: ExerciseSpec, share: str) -> str:
    """Turned too far: from facing the camera for a frontal-plane measure, or from the spec's ideal view."""
    frontal = rule.frontal_max_turn_deg
    if frontal is not None and seen_deg > frontal:
        return (f"body turned: you were turned too far from the camera for an angle seen from the front (seen "
                f"{seen_deg:.0f} degrees, needs under {frontal:g}); face the camera squarely ({share})")
    limit = rule.view_max_turn_deg or 0.0
    away, view = min((abs(seen_deg - IDEAL_TURN_DEG[v]), v) for v in spec.setup_views)
    return (f"camera outside the exercise's set-up: you were turned {away:.0f} degrees from the {view} view, "
            f"or the camera was off to one side (needs under {limit:g}) ({share})")


def _positions_words(rule: RuleInstance) -> str:
    names = [p.replace("_", " ") for p, ok in zip(POSITIONS, rule.positions_ok or ()) if ok]
    if not names:
        return "in no position"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
