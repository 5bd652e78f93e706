"""report.json's "summary": one typed record, built once from the engine's result and the report's lists.

`Summary.build` is the only place the summary is put together (for `analyze` and `live` alike);
`merge_results` joins several engine runs of one live session into one result first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from formcheck.engine.types import EngineResult, EngineStats, Hold, Violation
from formcheck.kinematics.context import VIEWS
from formcheck.specs.spec import ExerciseSpec


@dataclass(frozen=True)
class Summary:
    """The summary of one analysis; `to_dict()` is report.json's "summary" (the contract's keys first)."""

    rep_count: int
    violation_count: int
    pose_coverage: float
    exercise: str
    name: str
    mode: str
    side: str | None
    reps_by_side: dict[str, int]
    rep_target: int | None
    sets_target: int | None
    sets_completed: int
    partial_reps: int
    rejected_reps: int
    abandoned_reps: int
    holds: int
    holds_met: int
    holds_too_short: int
    hold_target_s: float | None
    longest_hold_s: float
    time_in_position_s: float
    violations_by_rule: dict[str, int]
    violation_time_s: dict[str, float]
    measured_fraction: dict[str, float | None]
    cues_spoken: int
    cues_held_back: int
    pain_stop: bool
    pain_stop_t_s: float | None
    not_checked: tuple[str, ...]
    view_expected: str
    view_seen: str
    frames: int
    position: str

    @classmethod
    def build(cls, spec: ExerciseSpec, result: EngineResult, *, holds: Iterable[Hold],
              violations: Iterable[Violation], pose_coverage: float, position: str) -> "Summary":
        """The summary of ``result``, with the report's final holds and violations (measures' included)."""
        holds, violations, stats = tuple(holds), tuple(violations), result.stats
        dose = spec.dose
        return cls(
            rep_count=len(result.reps),
            violation_count=len(violations),
            pose_coverage=pose_coverage,
            exercise=spec.id,
            name=spec.name,
            mode=spec.mode,
            side=result.side,
            reps_by_side=_count(r.side or "both" for r in result.reps),
            rep_target=dose.reps.target if dose.reps else None,
            sets_target=dose.sets,
            sets_completed=stats.sets_completed,
            partial_reps=stats.partial_reps,
            rejected_reps=stats.rejected_reps,
            abandoned_reps=stats.abandoned_reps,
            holds=len(holds),
            holds_met=sum(1 for h in holds if h.met),
            holds_too_short=stats.holds_too_short,
            hold_target_s=dose.hold_s.target if dose.hold_s else None,
            longest_hold_s=round(max((h.duration_s for h in result.holds), default=0.0), 3),
            time_in_position_s=stats.time_in_position_s,
            violations_by_rule=_count(v.rule for v in violations),
            violation_time_s=dict(stats.violation_time_s),
            measured_fraction=stats.measured_fraction,
            cues_spoken=stats.cues_spoken,
            cues_held_back=stats.cues_held_back,
            pain_stop=stats.pain_stop,
            pain_stop_t_s=stats.pain_stop_t_s,
            not_checked=tuple(item.id for item in spec.not_measured),
            view_expected=spec.view,
            view_seen=seen_view_name(stats.view_frames),
            frames=stats.frames,
            position=position,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, in field order."""
        return {f.name: _copy(getattr(self, f.name)) for f in dataclasses.fields(self)}


def seen_view_name(view_frames: tuple[int, ...]) -> str:
    """The known view seen most often ("unknown" when none was)."""
    known = view_frames[1:]
    return VIEWS[1 + known.index(max(known))] if any(known) else "unknown"


def merge_results(results: list[EngineResult]) -> EngineResult:
    """One result from several engine runs in time order: reps and holds numbered on, tallies added up."""
    if len(results) == 1:
        return results[0]
    reps = tuple(dataclasses.replace(r, n=i + 1) for i, r in enumerate(r for res in results for r in res.reps))
    holds = tuple(dataclasses.replace(h, n=i + 1) for i, h in enumerate(h for res in results for h in res.holds))
    violations = tuple(v for res in results for v in res.violations)
    not_measured: dict[str, str] = {}
    for res in results:
        not_measured.update(res.not_measured)
    sides = {res.side for res in results if res.side}
    side = sides.pop() if len(sides) == 1 else ("both" if sides else None)
    stats = merge_stats([res.stats for res in results])
    return EngineResult(results[0].exercise, side, reps, holds, violations, not_measured, stats)


def merge_stats(stats: list[EngineStats]) -> EngineStats:
    """The tallies of several runs of one spec added up (the first pain stop kept)."""
    def total(name: str) -> int:
        return sum(getattr(s, name) for s in stats)

    time_s: dict[str, float] = {}
    frames: dict[str, tuple[int, int]] = {}
    for s in stats:
        for rid, t in s.violation_time_s.items():
            time_s[rid] = round(time_s.get(rid, 0.0) + t, 3)
        for rid, (a, m) in s.rule_frames.items():
            a0, m0 = frames.get(rid, (0, 0))
            frames[rid] = (a0 + a, m0 + m)
    pain = [s.pain_stop_t_s for s in stats if s.pain_stop_t_s is not None]
    return EngineStats(
        frames=total("frames"),
        time_in_position_s=round(sum(s.time_in_position_s for s in stats), 3),
        sets_completed=total("sets_completed"),
        partial_reps=total("partial_reps"),
        rejected_reps=total("rejected_reps"),
        abandoned_reps=total("abandoned_reps"),
        holds_too_short=total("holds_too_short"),
        cues_spoken=total("cues_spoken"),
        cues_held_back=total("cues_held_back"),
        pain_stop_t_s=pain[0] if pain else None,
        violation_time_s=time_s,
        rule_frames=frames,
        view_frames=tuple(sum(v) for v in zip(*(s.view_frames for s in stats))),
    )


def _count(keys: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key in keys:
        out[key] = out.get(key, 0) + 1
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value
