"""Turn the engine's status and one frame's metric values into what the overlay draws, for one of two views.

The patient view (live's default) shows only what helps now: the count against its target, the hold timer,
the one cue that matters with the body part marked, set-up advice. The therapist view adds every value that
matters, named from the metric catalog ("left hip flexion 19°"), beside the body and, with its threshold and
confidence, in the panel. `analyze`'s annotated video uses the therapist view unless asked otherwise.

Shared by `analyze` (annotated video) and `live` (the window). Build a `FrameAnnotator` once per
exercise and call it per frame::

    annotator = FrameAnnotator(engine.plan)
    parts = annotator.annotation(engine.status, values_row)
    overlay.Annotator(w, h).annotate(image, xy_px, vis, red_segments=parts.red_segments,
                                     labels=parts.labels, panel=parts.panel)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.engine.types import EngineStatus
from formcheck.kinematics.catalog import lookup
from formcheck.outputs.overlay import AngleLabel, Panel, format_value, metric_label, metric_name, metric_text
from formcheck.engine.plan import Plan, compile_plan
from formcheck.specs.spec import ExerciseSpec

MAX_LABELS = 4
PATIENT, THERAPIST = "patient", "therapist"
VIEWS = (PATIENT, THERAPIST)


@dataclass(frozen=True)
class FrameAnnotation:
    """The red segments, the angle labels and the status panel for one frame."""

    red_segments: tuple[tuple[int, int], ...]
    labels: tuple[AngleLabel, ...]
    panel: Panel


def _columns_of(plan: Plan, side: str | None) -> tuple[int, ...]:
    """Metric columns that matter for ``side`` (None: every side): rep metric, hold and rule conditions."""
    ordered: list[int] = []

    def add(columns: tuple[int, ...]) -> None:
        for c in columns:
            if c not in ordered:
                ordered.append(c)

    for channel in plan.channels:
        if side is not None and channel.side not in (None, side):
            continue
        if channel.rep is not None:
            add(channel.rep.columns)
        for cond in channel.hold:
            add(cond.source.columns)
    for rule in plan.rules:
        if side is not None and rule.side not in (None, side):
            continue
        for cond in rule.by_view:
            if cond is not None:
                add(cond.source.columns)
    return tuple(ordered)


def _rule_columns(plan: Plan) -> dict[tuple[str, str | None], tuple[int, ...]]:
    out: dict[tuple[str, str | None], list[int]] = {}
    for rule in plan.rules:
        cols = out.setdefault((rule.rule_id, rule.side), [])
        for cond in rule.by_view:
            if cond is not None:
                cols.extend(c for c in cond.source.columns if c not in cols)
    return {key: tuple(cols) for key, cols in out.items()}


def _limits(plan: Plan) -> dict[int, str]:
    """Per metric column, the first rule threshold on it in words: "max 10°", "min 80°", "at most ±10°"."""
    out: dict[int, str] = {}
    for rule in plan.rules:
        for check in rule.by_view:
            for cond in (check.parts if check is not None else ()):
                if len(cond.source.columns) != 1 or cond.source.columns[0] in out:
                    continue
                found = lookup(plan.metric_names[cond.source.columns[0]])
                unit = found[0].unit if found else ""
                limit = cond.on * cond.sign
                word = "at most \u00b1" if cond.absolute else "max " if cond.sign > 0 else "min "
                out[cond.source.columns[0]] = word + format_value(unit, abs(limit) if cond.absolute else limit)
    return out


class FrameAnnotator:
    """Per-exercise annotation builder: which angles to show, which to mark as faulty."""

    def __init__(self, plan: Plan, *, program_step: str | None = None) -> None:
        self.plan = plan
        self.program_step = program_step  # live programs: "exercise 2 of 3" under the name
        self.names = plan.metric_names
        self._by_side = {side: _columns_of(plan, side) for side in (None, "left", "right")}
        self._rule_columns = _rule_columns(plan)
        self._limits = _limits(plan)

    def annotation(
        self,
        status: EngineStatus,
        values_row: np.ndarray,
        *,
        fps: float | None = None,
        latency_ms: float | None = None,
        note: str | None = None,
        big_timer_s: float | None = None,
        view: str = THERAPIST,
        confidence: np.ndarray | None = None,
    ) -> FrameAnnotation:
        """What to draw for this frame, in the patient or the therapist view."""
        side = status.side if status.side in ("left", "right") else None
        faulty: set[int] = set()
        red: list[tuple[int, int]] = []
        for violation in status.violations:
            red.extend(violation.segments)
            faulty.update(self._rule_columns.get((violation.rule, violation.side), ()))
            faulty.update(self._rule_columns.get((violation.rule, None), ()))
        therapist = view == THERAPIST
        columns = sorted(self._by_side[side], key=lambda c: c not in faulty)
        labels = self._labels(columns, values_row, faulty) if therapist else ()
        details = self._details(columns, values_row, confidence) if therapist else ()
        if note is None and status.stopped_for_pain:
            note = "stopped: pain reported"
        elif note is None and not status.in_position:
            note = "get into the starting position"
        elif note is None and status.not_measured:
            note = "not measured: " + ", ".join(r.replace("_", " ") for r in status.not_measured[:2])
        spec = self.plan.spec
        if note is None and spec.mode == "watch":
            note = "checking: " + ", ".join(r.replace("_", " ") for r in self.plan.rule_ids[:2])
        panel = Panel(
            exercise=spec.name,
            side=status.side,
            reps=status.side_reps if spec.mode == "reps" else None,
            rep_target=status.rep_target,
            set_no=status.set_no if spec.mode != "watch" else None,
            # One stance timer: with the big (stance) timer, the engine's hold timer is not shown beside it.
            hold_elapsed_s=status.hold_elapsed_s if spec.mode == "hold" and big_timer_s is None else None,
            hold_target_s=status.hold_target_s,
            rest_left_s=status.rest_left_s,
            cue=status.cue,
            cue_is_fault=status.cue_is_fault,
            note=note,
            fps=fps if therapist else None,
            latency_ms=latency_ms if therapist else None,
            big_timer_s=big_timer_s,
            program_step=self.program_step,
            details=details,
            view=view,
        )
        return FrameAnnotation(red_segments=tuple(red), labels=tuple(labels), panel=panel)

    def _labels(self, columns, values_row: np.ndarray, faulty: set[int]) -> tuple[AngleLabel, ...]:
        """The values beside the body: faults first, one per landmark, at most MAX_LABELS."""
        labels: list[AngleLabel] = []
        anchors: set[int] = set()
        for column in columns:
            label = metric_label(self.names[column], float(values_row[column]), fault=column in faulty)
            if label is None or label.anchor in anchors:
                continue
            anchors.add(label.anchor)
            labels.append(label)
            if len(labels) == MAX_LABELS:
                break
        return tuple(labels)

    def _details(self, columns, values_row: np.ndarray, confidence: np.ndarray | None) -> tuple[str, ...]:
        """The therapist's lines: each value with its threshold and the landmarks' confidence."""
        lines = []
        for column in columns[:MAX_LABELS]:
            value = float(values_row[column])
            name = self.names[column]
            text = metric_text(name, value) if np.isfinite(value) else f"{metric_name(name)} not measured"
            extra = [self._limits[column]] if column in self._limits else []
            if confidence is not None and np.isfinite(confidence[column]):
                extra.append(f"conf {float(confidence[column]):.0%}")
            lines.append(text + (f" ({', '.join(extra)})" if extra else ""))
        return tuple(lines)


def frame_annotation(
    spec: ExerciseSpec,
    status: EngineStatus,
    metric_names: tuple[str, ...],
    values_row: np.ndarray,
    *,
    fps: float | None = None,
    latency_ms: float | None = None,
) -> FrameAnnotation:
    """One-off convenience; per-frame callers should keep a `FrameAnnotator`."""
    plan = compile_plan(spec, tuple(metric_names))
    return FrameAnnotator(plan).annotation(status, values_row, fps=fps, latency_ms=latency_ms)
