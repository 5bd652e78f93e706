"""One event per movement: the same rule broken on both sides at overlapping times is one violation.

The engine keeps one rule instance per side (the left knee, the right knee), so a bilateral deep squat
breaks the knee-above-hip rule on both legs at once and the instances record two windows for one squat.
`one_event_per_movement` joins, rule by rule, windows of the two sides that overlap in time into one
`Violation` with ``side="both"``: ``start_s``/``end_s`` the union, ``peak`` and ``metric`` those of the
worse side, and ``sides`` each side's own window and peak. Windows one after the other (the left knee, then
the right, without overlap) stay two events; so do windows of an unsided rule.

The engine applies it when it finishes (`Engine.finish`), so the report, the summary's counts, the
printed line, the session page and the history all count events, not rule instances.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from formcheck.engine.plan import Plan
from formcheck.engine.types import SideWindow, Violation
from formcheck.kinematics import safety
from formcheck.landmarks import BODY_SIDES

BOTH = "both"


@dataclass(frozen=True)
class RuleFacts:
    """What merging needs to know of a rule: which way is worse, and its cue without a side word."""

    sign: float  # +1: a larger peak is worse; -1: a smaller one
    message: str | None  # the cue for both sides (None: keep the worse side's)


def rule_facts(plan: Plan) -> dict[str, RuleFacts]:
    """Per rule id of ``plan``: the direction of its peaks and its both-sides cue."""
    templates = {safety.RULE_ID: plan.spec.safety.knee_above_hip.cue, **{r.id: r.cue for r in plan.spec.rules}}
    out: dict[str, RuleFacts] = {}
    for rule in plan.rules:
        check = next((c for c in rule.by_view if c is not None), None)
        sign = check.parts[0].sign if check is not None else 1.0
        template = templates.get(rule.rule_id)
        out.setdefault(rule.rule_id, RuleFacts(sign, _without_side(template) if template else None))
    return out


def one_event_per_movement(violations: Iterable[Violation], facts: Mapping[str, RuleFacts]
                           ) -> tuple[Violation, ...]:
    """The violations with overlapping left and right windows of a rule joined, in time order."""
    by_rule: dict[str, list[Violation]] = {}
    for v in violations:
        by_rule.setdefault(v.rule, []).append(v)
    out: list[Violation] = []
    for rule, group in by_rule.items():
        for cluster in _clusters(sorted(group, key=lambda v: (v.start_s, v.end_s))):
            out.append(_joined(cluster, facts.get(rule)) if _two_sided(cluster) else cluster[0])
    return tuple(sorted(out, key=lambda v: (v.start_s, v.rule)))


def _clusters(ordered: list[Violation]) -> list[list[Violation]]:
    """Runs of sided windows that overlap in time (each unsided window is a run of its own)."""
    runs: list[list[Violation]] = []
    end = float("-inf")
    for v in ordered:
        sided = v.side in BODY_SIDES
        if runs and sided and runs[-1][-1].side in BODY_SIDES and v.start_s <= end:
            runs[-1].append(v)
            end = max(end, v.end_s)
        else:
            runs.append([v])
            end = v.end_s
    return [run for part in runs for run in _split_same_side(part)]


def _split_same_side(run: list[Violation]) -> list[list[Violation]]:
    """A run with one side only is left as separate windows; a run with both sides is one movement."""
    return [run] if _two_sided(run) else [[v] for v in run]


def _two_sided(cluster: list[Violation]) -> bool:
    return {v.side for v in cluster} == set(BODY_SIDES)


def _joined(cluster: list[Violation], facts: RuleFacts | None) -> Violation:
    """One violation for a movement: the union window, the worse side's peak, each side's own window."""
    sign = facts.sign if facts is not None else 1.0
    sides = {side: _side_window([v for v in cluster if v.side == side], sign) for side in BODY_SIDES}
    worst = max(sides, key=lambda s: _badness(sides[s].peak, sign))
    first = min(cluster, key=lambda v: v.start_s)
    message = facts.message if facts is not None and facts.message else first.message
    return Violation(first.rule, first.start_s, max(v.end_s for v in cluster), BOTH, sides[worst].peak, message,
                     first.severity, sides[worst].metric, sides=sides)


def _side_window(windows: list[Violation], sign: float) -> SideWindow:
    worst = max(windows, key=lambda v: _badness(v.peak, sign))
    return SideWindow(min(v.start_s for v in windows), max(v.end_s for v in windows), worst.peak, worst.metric)


def _badness(peak: float | None, sign: float) -> float:
    return float("-inf") if peak is None else peak * sign


def _without_side(template: str) -> str:
    """A cue template with its ``{side}`` word taken out ("Keep your {side} knee ..." -> "Keep your knee ...")."""
    return template.replace("{side} ", "").replace("{side}", "")
