"""Exercise-specific measures beyond reps, holds and rules (balance stances, jumps, hops).

`analyze` and `live` call `measure_exercise` after the engine has run and merge what it returns into
the report: ``sections`` become extra top-level keys of report.json (e.g. ``"balance"``), ``holds``
(when not None) replace the engine's holds, ``violations`` are added to the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.engine.types import EngineResult, Hold, Violation
from formcheck.kinematics.metrics import MetricTable
from formcheck.specs.spec import ExerciseSpec
from formcheck.track import PoseTrack


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
    *,
    unsmoothed: PoseTrack | None = None,
) -> Measures:
    """The measures this exercise has (none for most exercises), by ``spec.id``.

    ``unsmoothed`` is the cleaned track before smoothing (same frames as ``track``): when given, the moments
    of fast events (take-off, landing) are dated on it, free of the smoothing filter's lag."""
    measure = _MEASURES.get(spec.id)
    if measure is None or len(track) == 0:
        return Measures()
    raw = _raw_table(unsmoothed, track) if spec.id in _USE_RAW else None
    return measure(spec, track, table, positions, views, result, options, raw)


def _raw_table(unsmoothed: PoseTrack | None, track: PoseTrack) -> MetricTable | None:
    if unsmoothed is None or len(unsmoothed) != len(track):
        return None
    from formcheck.kinematics.metrics import compute_metrics

    return compute_metrics(unsmoothed)


def _stance(spec, track, table, positions, views, result, options, raw) -> Measures:
    from formcheck.measures.stance import measure_stance

    section, holds = measure_stance(spec, track, table, positions, views, result, options, raw)
    return Measures(sections={"balance": section}, holds=holds)


def _squat(spec, track, table, positions, views, result, options, raw) -> Measures:
    from formcheck.measures.single_leg_squat import measure_single_leg_squat

    return Measures(sections={"single_leg_squat": measure_single_leg_squat(spec, track, table, views, result)})


def _jump(spec, track, table, positions, views, result, options, raw) -> Measures:
    from formcheck.measures.jump import measure_jump_landing

    return Measures(sections={"jump_landing": measure_jump_landing(spec, track, table, views, options, raw)})


def _hop(spec, track, table, positions, views, result, options, raw) -> Measures:
    from formcheck.measures.hop import measure_single_leg_hop

    return Measures(sections={"single_leg_hop": measure_single_leg_hop(spec, track, table, views, options, raw)})


_USE_RAW = frozenset({"single_leg_stance", "jump_landing", "single_leg_hop"})
_MEASURES = {
    "single_leg_stance": _stance,
    "single_leg_squat": _squat,
    "jump_landing": _jump,
    "single_leg_hop": _hop,
}
