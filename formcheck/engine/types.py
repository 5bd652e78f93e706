"""What the engine reports: events as they happen, reps, holds and violations, the live status, the result.

The report fields of the foundation issue are the first fields of Rep, Hold and Violation; report.py writes
any further fields after them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

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


@dataclass(frozen=True)
class Event:
    """Something that happened at ``t_s``; live mode plays sounds and speech on these."""

    kind: str
    t_s: float
    rule: str | None = None
    side: str | None = None
    message: str | None = None
    n: int | None = None
    severity: str | None = None


@dataclass(frozen=True)
class Rep:
    """A counted rep (report.json "reps")."""

    n: int
    start_s: float
    end_s: float
    side: str | None
    peak: dict[str, float]
    violations: tuple[str, ...]
    time_under_tension_s: float
    set_no: int


@dataclass(frozen=True)
class Hold:
    """A hold (report.json "holds"); ``met`` when it lasted ``target_s``."""

    n: int
    start_s: float
    end_s: float
    duration_s: float
    side: str | None
    target_s: float | None
    met: bool
    peak: dict[str, float]
    violations: tuple[str, ...]


@dataclass(frozen=True)
class SideWindow:
    """One side's part of a violation on both sides: its own window, worst value and metric."""

    start_s: float
    end_s: float
    peak: float | None
    metric: str


@dataclass(frozen=True)
class Violation:
    """A rule broken from ``start_s`` to ``end_s`` (report.json "violations").

    ``side`` is "left", "right", None (an unsided rule) or "both": one movement that broke the rule on both
    sides at overlapping times (see `engine/merge.py`); ``sides`` then holds each side's window and peak,
    and ``peak``/``metric`` are the worse side's. ``sides`` is None for a one-sided violation.
    """

    rule: str
    start_s: float
    end_s: float
    side: str | None
    peak: float | None
    message: str
    severity: str
    metric: str
    sides: dict[str, SideWindow] | None = None


class ActiveViolation(NamedTuple):
    """A violation going on now, with the skeleton segments (landmark index pairs) to draw red."""

    rule: str
    side: str | None
    message: str
    segments: tuple[tuple[int, int], ...]
    severity: str


class FrameState(NamedTuple):
    """The engine's state after one frame, as metrics.csv records it (analyze and live alike)."""

    in_position: bool  # the shown channel is in the starting position
    phase: str  # one of PHASES
    side: str | None  # the side shown (being worked, or detected)
    rep_count: int  # reps counted so far, every side together
    hold_elapsed_s: float | None  # None when not holding


@dataclass(frozen=True)
class EngineStatus:
    """What the live panel shows."""

    exercise: str
    side: str | None
    set_no: int
    side_reps: int  # reps counted on the side shown (the panel's count)
    rep_count: int  # reps counted so far, every side together (as metrics.csv's rep_count)
    rep_target: int | None
    hold_elapsed_s: float | None
    hold_target_s: float | None
    holds_done: int
    in_position: bool
    phase: str
    resting: bool
    rest_left_s: float | None
    cue: str | None
    cue_is_fault: bool
    violations: tuple[ActiveViolation, ...]
    not_measured: tuple[str, ...]
    stopped_for_pain: bool


@dataclass(frozen=True)
class EngineStats:
    """The engine's tallies over a run, beside its records (summed when runs are merged)."""

    frames: int
    time_in_position_s: float
    sets_completed: int
    partial_reps: int
    rejected_reps: int
    abandoned_reps: int
    holds_too_short: int
    cues_spoken: int
    cues_held_back: int
    pain_stop_t_s: float | None  # None: no pain stop
    violation_time_s: dict[str, float]  # per rule id, every rule of the plan
    rule_frames: dict[str, tuple[int, int]]  # per rule id: (frames it applied, frames it was measured)
    view_frames: tuple[int, ...]  # frames per view code (kinematics.context.VIEWS)

    @property
    def pain_stop(self) -> bool:
        return self.pain_stop_t_s is not None

    @property
    def measured_fraction(self) -> dict[str, float | None]:
        """Per rule id: the share of the frames it applied in that it was measured (None: never applied)."""
        return {rid: round(m / a, 3) if a else None for rid, (a, m) in self.rule_frames.items()}


@dataclass(frozen=True)
class EngineResult:
    """Everything the report needs from the engine: reps, holds, violations, what was not measured, tallies."""

    exercise: str
    side: str | None
    reps: tuple[Rep, ...]
    holds: tuple[Hold, ...]
    violations: tuple[Violation, ...]
    not_measured: dict[str, str]
    stats: EngineStats
