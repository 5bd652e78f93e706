"""`formcheck analyze`: a recorded video (or a pose track) in; report.json, metrics.csv and an annotated video out.

The pipeline, each step its own module::

    video --pose.extract_track--> raw track --quality.clean_track--> --smoothing.smooth_track-->
    --metrics.compute_metrics--> table --context--> views, positions --engine.run--> reps, holds, violations
    --measures.measure_exercise--> extra report sections --report / annotated video

Outputs are staged in a hidden folder inside DIR and moved into place only when all are written,
report.json last, so a failed run never leaves a report that looks finished (and never half-replaces an
earlier run's outputs).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from formcheck import __version__
from formcheck.outputs.annotate import FrameAnnotator
from formcheck.measures.stance import stance_clock
from formcheck.kinematics.camera_height import CameraHeight, camera_problem, estimate_camera_height
from formcheck.kinematics.coverage import pose_lost_spans
from formcheck.kinematics.context import POSITIONS, VIEWS, detect_position, detect_view
from formcheck.engine.engine import Engine, run as run_engine
from formcheck.engine.summary import Summary
from formcheck.engine.types import PHASES, EngineResult
from formcheck.errors import InputError
from formcheck.history.record import HistoryNote, HistoryTarget, record_run
from formcheck.landmarks import SIDE_CHOICES
from formcheck.measures import MeasureOptions, Measures, measure_exercise
from formcheck.kinematics.metrics import MetricTable, compute_metrics
from formcheck.outputs.overlay import Annotator
from formcheck.kinematics.quality import clean_track
from formcheck.outputs.report import build_report, write_metrics_csv, write_report
from formcheck.program.followed import Following, analysis_plan, plan_line
from formcheck.kinematics.smoothing import smooth_track
from formcheck.specs.spec import ExerciseSpec, resolve_spec
from formcheck.track import PoseTrack
from formcheck.track_io import is_track_path, read_track, write_track

REPORT_NAME = "report.json"
METRICS_NAME = "metrics.csv"
VIDEO_NAME = "annotated.mp4"
TRACK_SUFFIXES = (".csv", ".npz")
CANVAS_BGR = (48, 44, 40)


@dataclass(frozen=True)
class Analysis:
    """Everything measured on one track."""

    raw: PoseTrack
    track: PoseTrack
    table: MetricTable
    positions: np.ndarray
    views: np.ndarray
    view: str
    spec: ExerciseSpec
    result: EngineResult
    columns: dict[str, np.ndarray]
    measures: Measures
    side: str = "auto"


@dataclass(frozen=True)
class AnalyzeRequest:
    """The inputs of one `formcheck analyze` run."""

    input: Path
    out_dir: Path
    exercise: str | None = None
    spec_path: Path | None = None
    side: str = "auto"
    write_video: bool = True
    save_track: Path | None = None
    model: Path | None = None
    model_variant: str | None = None  # lite, full or heavy; None: full, or the file in $FORMCHECK_MODEL
    progress: bool = True
    measure_options: MeasureOptions = field(default_factory=MeasureOptions)
    spec: ExerciseSpec | None = None  # a spec made in code (e.g. tailored to a plan), instead of exercise/spec_path
    history: HistoryTarget | None = None  # record the run there once its outputs are written (None: do not)
    skeleton_only: bool = False  # annotated video and report.html thumbnails: the skeleton on a plain background
    view: str = "therapist"  # annotated.mp4: "therapist" (angles, thresholds, confidence) or "patient"
    plan: Following | None = None  # the plan followed (--plan): report.json's "plan" compares its sides


@dataclass(frozen=True)
class AnalyzeOutcome:
    """Where the outputs went, the report and the summary paragraph."""

    out_dir: Path
    report_path: Path
    report: dict
    summary: str
    history: HistoryNote | None = None  # the recorded session, or why it was not recorded


def analyse_track(
    track: PoseTrack, spec: ExerciseSpec, *, side: str = "auto", options: MeasureOptions = MeasureOptions()
) -> Analysis:
    """Clean, smooth and measure a track, then judge it against the spec."""
    if side not in SIDE_CHOICES:
        raise InputError(f"side must be one of {', '.join(SIDE_CHOICES)}, not {side!r}")
    unsmoothed = clean_track(track)
    cleaned = smooth_track(unsmoothed)
    table = compute_metrics(cleaned)
    views, view = detect_view(cleaned, table)
    positions = detect_position(cleaned, table)
    result, columns = run_engine(spec, table, positions, views, cleaned.t_s, side=side)
    result = withhold_for_camera(spec, result, estimate_camera_height(cleaned))
    measures = measure_exercise(spec, cleaned, table, positions, views, result, options, unsmoothed=unsmoothed)
    return Analysis(track, cleaned, table, positions, views, view, spec, result, columns, measures, side)


def withhold_for_camera(spec: ExerciseSpec, result: EngineResult, camera: CameraHeight | None) -> EngineResult:
    """The form rules not measured, with the reason, when the camera stands clearly outside the heights the spec
    is judged from (the safety rule is still watched; reps and holds are still counted)."""
    heights = spec.setup.camera_height_m
    reason = camera_problem(heights.min, heights.max, camera) if heights is not None else None
    if reason is None:
        return result
    withheld = {rule.id for rule in spec.rules}
    return replace(result, violations=tuple(v for v in result.violations if v.rule not in withheld),
                   not_measured={**result.not_measured, **{r: reason for r in sorted(withheld)}})


def _most_common(codes: np.ndarray, names: tuple[str, ...], seen: np.ndarray) -> str:
    if not seen.any():
        return "unknown"
    counts = np.bincount(np.asarray(codes)[seen].astype(int), minlength=len(names))
    return names[int(np.argmax(counts))]


def make_summary(analysis: Analysis) -> Summary:
    """The report's summary of an analysis (the measures' holds and violations included)."""
    raw, result, measures = analysis.raw, analysis.result, analysis.measures
    return Summary.build(
        analysis.spec, result, holds=_holds(analysis), violations=_violations(analysis),
        pose_coverage=round(float(raw.has_pose.mean()), 4) if len(raw) else 0.0,
        position=_most_common(analysis.positions, POSITIONS, analysis.track.has_pose),
    )


def _holds(analysis: Analysis) -> tuple:
    measures = analysis.measures
    return tuple(measures.holds if measures.holds is not None else analysis.result.holds)


def _violations(analysis: Analysis) -> list:
    return sorted((*analysis.result.violations, *analysis.measures.violations), key=lambda v: (v.start_s, v.rule))


def make_report(analysis: Analysis, *, source: str, fps: float | None = None, extra: dict | None = None) -> dict:
    """The `formcheck.report/1` dict for an analysis."""
    raw, result, measures = analysis.raw, analysis.result, analysis.measures
    sections: dict[str, Any] = {
        "side": result.side,
        "spec": {"id": analysis.spec.id, "name": analysis.spec.name, "path": analysis.spec.path or None,
                 "view": analysis.spec.view, "mode": analysis.spec.mode},
        "not_measured": {**measures.not_measured, **result.not_measured},
        "pose_lost": pose_lost_spans(raw.t_s, raw.has_pose),
        "track": {"quality": raw.meta.get("quality") or analysis.track.meta.get("quality"),
                  "pose": raw.meta.get("pose"), "source_warnings": raw.meta.get("source_warnings", [])},
        "formcheck_version": __version__,
        **measures.sections,
        **(extra or {}),
    }
    return build_report(
        exercise=analysis.spec.id,
        source=source,
        fps=fps if fps else raw.fps,
        duration_s=raw.duration_s,
        frames=len(raw),
        frames_with_pose=int(raw.has_pose.sum()),
        view=analysis.view,
        reps=result.reps,
        holds=_holds(analysis),
        violations=_violations(analysis),
        summary=make_summary(analysis),
        extra=sections,
    )


def summary_text(report: dict, out_dir: Path | None = None) -> str:
    """The one paragraph printed at the end of a run."""
    s = report["summary"]
    parts = [
        f"{report['exercise'].replace('_', ' ')} on {Path(report['source']).name}: "
        f"{report['duration_s'] or 0:.1f} s, {report['view']} view, "
        f"a person found in {report['frames_with_pose']} of {report['frames']} frames."
    ]
    if report["reps"] or report["spec"]["mode"] == "reps":
        sides = {r["side"] for r in report["reps"] if r["side"]}
        side_text = f" ({', '.join(sorted(sides))})" if sides else ""
        parts.append(f"{len(report['reps'])} reps counted{side_text}.")
    if report["holds"] or report["spec"]["mode"] == "hold":
        met = sum(1 for h in report["holds"] if h["met"])
        longest = max((h["duration_s"] or 0 for h in report["holds"]), default=0.0)
        parts.append(f"{len(report['holds'])} holds, {met} reached the target, longest {longest:.1f} s.")
    violations = report["violations"]
    if violations:
        by_rule = ", ".join(_rule_count_text(rule, n, violations) for rule, n in s["violations_by_rule"].items())
        first = violations[0]
        parts.append(f"Form faults: {by_rule} (first at {first['start_s']:.1f} s: {first['message']}).")
    else:
        parts.append("No form faults found.")
    if report["not_measured"]:
        parts.append("Not measured: " + "; ".join(f"{k.replace('_', ' ')} ({v})"
                                                  for k, v in report["not_measured"].items()) + ".")
    if report.get("pose_lost"):
        spans = ", ".join(f"{p['start_s']:.1f}-{p['end_s']:.1f} s" for p in report["pose_lost"])
        parts.append(f"Not measured while the person was lost from view ({spans}): reps or holds there are not "
                     "counted.")
    if (line := plan_line(report)) is not None:
        parts.append(line)
    if out_dir is not None:
        parts.append(f"Outputs in {out_dir}.")
    return " ".join(parts)


def _rule_count_text(rule: str, n: int, violations: list[dict]) -> str:
    """"knee above hip x2 (1 of them on both sides)": a rule's events, those on both sides at once said so."""
    both = sum(1 for v in violations if v["rule"] == rule and v["side"] == "both")
    note = "" if not both else " (both sides)" if both == n else f" ({both} of them on both sides)"
    return f"{rule.replace('_', ' ')} x{n}{note}"


# --- the command ------------------------------------------------------------------------------------


def run_analyze(request: AnalyzeRequest) -> AnalyzeOutcome:
    """Run `formcheck analyze`: check inputs first, measure, then write all outputs safely."""
    source_path = Path(request.input)
    if not source_path.exists():
        raise InputError(f"{source_path}: no such file")
    if source_path.is_dir():
        raise InputError(f"{source_path}: is a folder, not a video or a track file")
    spec = request.spec or resolve_spec(request.exercise, request.spec_path)
    if request.side not in SIDE_CHOICES:
        raise InputError(f"side must be one of {', '.join(SIDE_CHOICES)}, not {request.side!r}")
    out_dir = _prepare_out_dir(Path(request.out_dir))
    if request.save_track is not None:
        _check_track_target(Path(request.save_track))

    is_track = is_track_path(source_path)
    if is_track:
        if request.save_track is not None:
            raise InputError(f"{source_path}: --save-track needs a video input (this is already a track)")
        raw = read_track(source_path)
        fps = raw.fps
    else:
        raw, fps = _extract(source_path, request)
        if request.save_track is not None:
            write_track(raw, request.save_track)
    if not raw.has_pose.any():
        raise InputError(f"{source_path}: no person found in any of {len(raw)} frames")

    analysis = analyse_track(raw, spec, side=request.side, options=request.measure_options)
    outputs = [METRICS_NAME] + ([VIDEO_NAME] if request.write_video else [])
    plan = {"plan": analysis_plan(request.plan, analysis)} if request.plan is not None else {}
    report = make_report(analysis, source=str(source_path), fps=fps,
                         extra={"outputs": outputs + [REPORT_NAME], **plan})
    staging = Path(tempfile.mkdtemp(prefix=".formcheck-", dir=out_dir))
    try:
        write_metrics_csv(staging / METRICS_NAME, frame=analysis.track.frame, t_s=analysis.track.t_s,
                          columns=metric_columns(analysis))
        if request.write_video:
            frames = (_canvas_frames(analysis.track) if is_track or request.skeleton_only
                      else _video_frames(source_path, analysis.track))
            write_annotated_video(analysis, frames, staging / VIDEO_NAME, fps=fps, progress=request.progress,
                                  view=request.view)
        write_report(staging / REPORT_NAME, report)
        for name in outputs + [REPORT_NAME]:
            os.replace(staging / name, out_dir / name)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write the outputs ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    from formcheck.reports.session_page import save_session_page  # imported here: the reports stage reads analyze

    save_session_page(out_dir, report, analysis, video=None if is_track or request.skeleton_only else source_path)
    outcome = AnalyzeOutcome(out_dir, out_dir / REPORT_NAME, report, summary_text(report, out_dir))
    if request.history is None:
        return outcome
    return replace(outcome, history=record_run(request.history, report, kind="analyze",
                                               report_path=outcome.report_path, source=source_path))


def _prepare_out_dir(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create the output folder ({exc.strerror or exc})") from None
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: not a folder")
    try:
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write to the output folder ({exc.strerror or exc})") from None
    return out_dir


def _check_track_target(path: Path) -> None:
    if path.suffix.lower() not in TRACK_SUFFIXES:
        raise InputError(f"{path}: a track file must end in .csv or .npz")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise InputError(f"{path}: cannot write to the folder {folder}")


def _extract(path: Path, request: AnalyzeRequest) -> tuple[PoseTrack, float]:
    """Run MediaPipe over the video (imported here so that track inputs never load it)."""
    from formcheck.pose.model_store import find_model
    from formcheck.pose.estimator import PoseEstimator, extract_track
    from formcheck.pose.sources import open_video

    with open_video(path) as source:  # check the video before looking for a model
        model = find_model(request.model, variant=request.model_variant, progress=request.progress)
        with PoseEstimator(model.path) as estimator:
            track = extract_track(source, estimator, progress=request.progress)
        track.meta["pose"].update(model.report_fields())  # the report's track.pose section
        return track, float(source.fps)


def metric_columns(analysis: Analysis) -> dict[str, np.ndarray]:
    """metrics.csv columns: context, every metric with its confidence, then the engine's states."""
    table = analysis.table
    columns: dict[str, np.ndarray] = {
        "pose": analysis.raw.has_pose.astype(np.int8),
        "view": np.asarray(VIEWS, dtype=object)[np.asarray(analysis.views, dtype=int)],
        "position": np.asarray(POSITIONS, dtype=object)[np.asarray(analysis.positions, dtype=int)],
    }
    for j, name in enumerate(table.names):
        columns[name] = table.values[:, j]
        columns[f"{name}_conf"] = table.confidence[:, j]
    for name, values in analysis.columns.items():
        if name == "side" and np.issubdtype(np.asarray(values).dtype, np.integer):
            values = np.asarray(("", "left", "right"), dtype=object)[np.asarray(values, dtype=int)]
        elif name == "phase" and np.issubdtype(np.asarray(values).dtype, np.integer):
            values = np.asarray(PHASES, dtype=object)[np.asarray(values, dtype=int)]
        columns[name] = values
    return columns


# --- the annotated video ----------------------------------------------------------------------------


def _video_frames(path: Path, track: PoseTrack) -> Iterator[tuple[int, np.ndarray]]:
    """(track row, image) for the video's frames, decoded again (a second pass, ahead on a thread)."""
    from formcheck.pose.sources import iter_frames_prefetched, open_video

    row_of = {int(f): k for k, f in enumerate(track.frame)}
    with open_video(path) as source:
        for frame in iter_frames_prefetched(iter(source), 4):
            k = row_of.get(frame.index)
            if k is not None:
                yield k, frame.image


def _canvas_frames(track: PoseTrack) -> Iterator[tuple[int, np.ndarray]]:
    """A plain canvas per row, for tracks that come without their video."""
    width, height = (int(v) for v in track.image_size)
    blank = np.empty((height, width, 3), dtype=np.uint8)
    blank[:] = CANVAS_BGR
    for k in range(len(track)):
        yield k, blank.copy()


def write_annotated_video(
    analysis: Analysis, frames: Iterator[tuple[int, np.ndarray]], path: Path, *, fps: float, progress: bool = True,
    view: str = "therapist",
) -> Path:
    """Draw skeleton, angles, faults and the status panel on each frame; the engine is replayed frame by frame."""
    from tqdm import tqdm

    from formcheck.outputs.video_writer import ThreadedVideoWriter

    track, table = analysis.track, analysis.table
    engine = Engine(analysis.spec, table.names, side=analysis.side)
    annotator_parts = FrameAnnotator(engine.plan)
    # The stance measure's timer, on the report's stances (the live screen shows the same timer, streamed).
    stances = ([(h.start_s, h.end_s) for h in analysis.measures.holds or ()]
               if analysis.spec.measure.kind == "stance" else None)
    width, height = (int(v) for v in track.image_size)
    drawer = Annotator(width, height)
    xy_px, visibility = track.xy_px, track.visibility
    values, confidence = table.values, table.confidence
    positions, views, t_s = analysis.positions, analysis.views, track.t_s
    next_row = 0
    bar = tqdm(total=len(track), unit="frame", desc="annotating", file=sys.stderr, disable=not progress,
               leave=False, dynamic_ncols=True)
    try:
        with ThreadedVideoWriter(path, fps, (width, height)) as writer:
            for k, image in frames:
                while next_row <= k:  # rows without a decoded frame still advance the engine
                    engine.step(next_row, float(t_s[next_row]), values[next_row], confidence[next_row],
                                int(positions[next_row]), int(views[next_row]))
                    next_row += 1
                big_timer = None if stances is None else stance_clock(stances, float(t_s[k]))
                parts = annotator_parts.annotation(engine.status, values[k], big_timer_s=big_timer, view=view,
                                                   confidence=confidence[k])
                drawer.annotate(image, xy_px[k], visibility[k], red_segments=parts.red_segments,
                                labels=parts.labels, panel=parts.panel)
                writer.write(image)
                bar.update(1)
    finally:
        bar.close()
    return path
