"""Exercise-specific measures beyond reps, holds and rules (balance stances, jumps, hops).

`analyze` and `live` call `measure_exercise` after the engine has run and merge what it returns into
the report: ``sections`` become extra top-level keys of report.json (e.g. ``"balance"``), ``holds``
(when not None) replace the engine's holds, ``violations`` are added to the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine_types import EngineResult, Hold, Violation
from ..metrics import MetricTable
from ..specs import ExerciseSpec
from ..track import PoseTrack


@dataclass(frozen=True)
class MeasureOptions:
    """What the patient or therapist tells formcheck beyond the video (all optional)."""

    eyes_closed: bool = False
    surface: str = "firm"
    age: int | None = None
    height_cm: float | None = None
    leg_length_cm: float | None = None
    involved_side: str | None = None


@dataclass(frozen=True)
class Measures:
    """Report additions for one analysed exercise."""

    sections: dict[str, Any] = field(default_factory=dict)
    holds: tuple[Hold, ...] | None = None
    violations: tuple[Violation, ...] = ()


def measure_exercise(
    spec: ExerciseSpec,
    track: PoseTrack,
    table: MetricTable,
    positions: np.ndarray,
    views: np.ndarray,
    result: EngineResult,
    options: MeasureOptions = MeasureOptions(),
) -> Measures:
    """The measures this exercise has (none yet for most exercises)."""
    return Measures()
