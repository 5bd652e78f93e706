"""Exercise-specific measures beyond reps, holds and rules (balance stances, jumps, hops).

Which one runs is declared in the spec's ``[measure]`` section (``kind``), never chosen by exercise id.
`analyze` and `live` call `measure_exercise` after the engine has run and merge what it returns into
the report: ``sections`` become extra top-level keys of report.json (e.g. ``"balance"``), ``holds``
(when not None) replace the engine's holds, ``violations`` are added to the engine's, ``not_measured`` to the
engine's where it has no reason of its own (``rep_count`` when no rep could be counted because the rep metric
was not seen, and the rules judged only during a rep: rep_view.py; ``holds`` when no hold could be timed
because a hold criterion was not seen: hold_view.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.engine.types import EngineResult, Hold, Violation
from formcheck.kinematics.metrics import MetricTable
from formcheck.measures.hold_view import holds_not_measured
from formcheck.measures.rep_view import reps_not_measured, rules_not_judged
from formcheck.specs.spec import MEASURE_SECTIONS, ExerciseSpec
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
    not_measured: dict[str, str] = field(default_factory=dict)


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
    """The measure the spec declares (``spec.measure.kind``; "none" for most exercises).

    ``unsmoothed`` is the cleaned track before smoothing (same frames as ``track``): when given and the spec
    dates events on it (``spec.measure.dates_on_unsmoothed``), the moments of fast events (lift-off, take-off,
    landing) are dated on it, free of the smoothing filter's lag."""
    reps_reason = reps_not_measured(spec, track, table, result)
    unmeasured = {"rep_count": reps_reason, **rules_not_judged(spec, reps_reason)} if reps_reason else {}
    kind = spec.measure.kind
    measure = _MEASURES.get(kind)
    if measure is None or len(track) == 0:
        return Measures(not_measured={**unmeasured, **holds_not_measured(spec, track, table, result.holds)})
    raw = _raw_table(unsmoothed, track) if spec.measure.dates_on_unsmoothed else None
    section, holds = measure(spec, track, table, positions, views, result, options, raw)
    unmeasured.update(holds_not_measured(spec, track, table, result.holds if holds is None else holds))
    return Measures(sections={MEASURE_SECTIONS[kind]: section}, holds=holds, not_measured=unmeasured)


def _raw_table(unsmoothed: PoseTrack | None, track: PoseTrack) -> MetricTable | None:
    if unsmoothed is None or len(unsmoothed) != len(track):
        return None
    from formcheck.kinematics.metrics import compute_metrics

    return compute_metrics(unsmoothed)


# Each measure gives its report section and, when it times holds itself, the holds that replace the engine's.
Section = tuple[dict[str, Any], tuple[Hold, ...] | None]


def _stance(spec, track, table, positions, views, result, options, raw) -> Section:
    from formcheck.measures.stance import measure_stance

    return measure_stance(spec, track, table, positions, views, result, options, raw)


def _squat(spec, track, table, positions, views, result, options, raw) -> Section:
    from formcheck.measures.single_leg_squat import measure_single_leg_squat

    return measure_single_leg_squat(spec, track, table, views, result), None


def _jump(spec, track, table, positions, views, result, options, raw) -> Section:
    from formcheck.measures.jump import measure_jump_landing

    return measure_jump_landing(spec, track, table, views, options, raw), None


def _hop(spec, track, table, positions, views, result, options, raw) -> Section:
    from formcheck.measures.hop import measure_single_leg_hop

    return measure_single_leg_hop(spec, track, table, views, options, raw), None


# Every measure kind a spec can declare (specs.spec.MEASURE_KINDS) but "none"; the report key of each is
# specs.spec.MEASURE_SECTIONS.
_MEASURES = {
    "stance": _stance,
    "single_leg_squat": _squat,
    "jump": _jump,
    "hop": _hop,
}
