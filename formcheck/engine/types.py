"""What the engine reports: events as they happen, reps, holds and violations, the live status, the result.

The report fields of the foundation issue are the first fields of Rep, Hold and Violation; report.py writes
any further fields after them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple


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
class Violation:
    """A rule broken from ``start_s`` to ``end_s`` (report.json "violations")."""

    rule: str
    start_s: float
    end_s: float
    side: str | None
    peak: float | None
    message: str
    severity: str
    metric: str


class ActiveViolation(NamedTuple):
    """A violation going on now, with the skeleton segments (landmark index pairs) to draw red."""

    rule: str
    side: str | None
    message: str
    segments: tuple[tuple[int, int], ...]
    severity: str


@dataclass(frozen=True)
class EngineStatus:
    """What the live panel shows."""

    exercise: str
    side: str | None
    set_no: int
    reps: int
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
class EngineResult:
    """Everything the report needs: reps, holds, violations, what was not measured and a summary."""

    exercise: str
    side: str | None
    reps: tuple[Rep, ...]
    holds: tuple[Hold, ...]
    violations: tuple[Violation, ...]
    not_measured: dict[str, str]
    summary: dict[str, Any]
