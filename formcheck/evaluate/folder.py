"""Folder mode of `formcheck evaluate`: every NAME.truth.json of a folder against REPORTS/NAME/report.json,
analysing the clip (its video, or its ground-truth track) where that report is missing; a folder of real footage
with a labels.json (see `labels`) is scored against its hand labels the same way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from formcheck.errors import InputError
from formcheck.evaluate.labels import has_labels, read_labels, report_dir_name
from formcheck.evaluate.scores import (
    DEFAULT_HOLD_TOLERANCE_S,
    DEFAULT_VIOLATION_TOLERANCE_S,
    ClipScore,
    read_report,
    read_truth,
    score_clip,
)

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
TRACK_SUFFIXES = (".track.csv", ".track.npz")


@dataclass(frozen=True)
class FolderRequest:
    """Evaluate every ``NAME.truth.json`` of ``folder`` against ``REPORTS/NAME/report.json``.

    Missing reports are made by running analyze (no video written) on ``NAME.mp4`` (or another video
    suffix), or on ``NAME.track.csv`` with ``tracks``. ``reports`` defaults to `default_reports_dir`.
    ``rerun`` analyses again even where a report exists. ``only`` limits the clips by name.
    """

    folder: Path
    reports: Path | None = None
    tracks: bool = False
    rerun: bool = False
    only: tuple[str, ...] = ()
    model: Path | None = None
    progress: bool = True


def default_reports_dir(folder: Path, tracks: bool) -> Path:
    """``FOLDER/../out/evaluate/FOLDERNAME/videos`` (or ``.../tracks``): beside the folder, not inside it.

    A folder of real footage is not ours to write beside: its reports go to ``./out/evaluate/FOLDERNAME/real``."""
    folder = Path(folder).resolve()
    if has_labels(folder):
        return Path.cwd() / "out" / "evaluate" / folder.name / "real"
    return folder.parent / "out" / "evaluate" / folder.name / ("tracks" if tracks else "videos")


def truth_files(folder: Path, only: Iterable[str] = ()) -> list[tuple[str, Path]]:
    """(NAME, path) of the truth files in a folder, sorted; InputError when there are none (or unknown names)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    found = {p.name[: -len(".truth.json")]: p for p in sorted(folder.glob("*.truth.json"))}
    if not found:
        raise InputError(f"{folder}: no NAME.truth.json files in this folder")
    wanted = list(only)
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise InputError(f"{folder}: no truth file for {', '.join(unknown)} (have: {', '.join(found)})")
    return [(n, p) for n, p in found.items() if not wanted or n in wanted]


def clip_input(folder: Path, name: str, tracks: bool) -> Path:
    """The video (or with ``tracks`` the ground-truth track) of clip NAME; InputError when there is none."""
    suffixes = TRACK_SUFFIXES if tracks else VIDEO_SUFFIXES
    for suffix in suffixes:
        path = Path(folder) / f"{name}{suffix}"
        if path.is_file():
            return path
    kind = "track" if tracks else "video"
    raise InputError(f"{Path(folder) / name}: no {kind} for this truth file (looked for {', '.join(suffixes)})")


def evaluate_folder(
    request: FolderRequest,
    *,
    violation_tolerance_s: float = DEFAULT_VIOLATION_TOLERANCE_S,
    hold_tolerance_s: float = DEFAULT_HOLD_TOLERANCE_S,
    on_clip=None,
) -> tuple[list[ClipScore], dict[str, str]]:
    """Score every clip of a folder, analysing those without a report; returns scores and report paths.

    ``on_clip(name, report_path, analysed: bool)`` is called after each clip's report is ready.
    """
    reports_dir = request.reports or default_reports_dir(request.folder, request.tracks)
    if has_labels(Path(request.folder)):
        return _evaluate_labelled(request, reports_dir, on_clip)
    scores: list[ClipScore] = []
    sources: dict[str, str] = {}
    for name, truth_path in truth_files(request.folder, request.only):
        truth = read_truth(truth_path)
        report_path = reports_dir / name / "report.json"
        analysed = False
        if request.rerun or not report_path.is_file():
            report_path = _analyse(request, name, truth, reports_dir / name)
            analysed = True
        report = read_report(report_path)
        scores.append(
            score_clip(report, truth, violation_tolerance_s=violation_tolerance_s, hold_tolerance_s=hold_tolerance_s,
                       clip=name)
        )
        sources[name] = str(report_path)
        if on_clip is not None:
            on_clip(name, report_path, analysed)
    return scores, sources


def _analyse(request: FolderRequest, name: str, truth: Mapping[str, Any], out_dir: Path) -> Path:
    return _analyse_input(request, clip_input(request.folder, name, request.tracks), str(truth["exercise"]), out_dir)


def _analyse_input(request: FolderRequest, source: Path, exercise: str, out_dir: Path) -> Path:
    from formcheck.analyze import AnalyzeRequest, run_analyze  # MediaPipe only when a report must be made

    out_dir.mkdir(parents=True, exist_ok=True)
    outcome = run_analyze(
        AnalyzeRequest(
            input=source,
            out_dir=out_dir,
            exercise=exercise,
            write_video=False,
            model=request.model,
            progress=request.progress,
        )
    )
    return Path(outcome.report_path)


def _evaluate_labelled(request: FolderRequest, reports_dir: Path, on_clip) -> tuple[list[ClipScore], dict[str, str]]:
    """Real footage: each labelled clip's video analysed with its exercise, scored within its own tolerance."""
    if request.tracks:
        raise InputError(f"{request.folder}: real footage has no ground-truth tracks (drop --tracks)")
    scores: list[ClipScore] = []
    sources: dict[str, str] = {}
    for clip in read_labels(Path(request.folder), request.only):
        report_path = reports_dir / report_dir_name(clip) / "report.json"
        analysed = request.rerun or not report_path.is_file()
        if analysed:
            report_path = _analyse_input(request, clip.video, clip.truth["exercise"], report_path.parent)
        scores.append(score_clip(read_report(report_path), clip.truth, violation_tolerance_s=clip.tolerance_s,
                                 hold_tolerance_s=clip.hold_tolerance_s, clip=clip.name))
        sources[clip.name] = str(report_path)
        if on_clip is not None:
            on_clip(clip.name, report_path, analysed)
    return scores, sources
