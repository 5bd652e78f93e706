"""`formcheck evaluate`: score reports against ground truth (rep count, hold durations, violation detection)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from tqdm import tqdm

from formcheck.errors import InputError
from formcheck.evaluate.folder import FolderRequest, evaluate_folder
from formcheck.evaluate.scores import (
    DEFAULT_HOLD_TOLERANCE_S,
    DEFAULT_VIOLATION_TOLERANCE_S,
    evaluation_json,
    format_table,
    read_report,
    read_truth,
    score_clip,
)


@click.command("evaluate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder mode: where NAME/report.json are looked for and written "
                   "[default: DIR/../out/evaluate/DIRNAME/videos, or .../tracks with --tracks].")
@click.option("--tracks", is_flag=True,
              help="Folder mode: analyse the ground-truth NAME.track.csv instead of the video (fast, no model).")
@click.option("--rerun", is_flag=True, help="Folder mode: analyse again even where a report exists.")
@click.option("--only", multiple=True, metavar="NAME", help="Folder mode: only this clip (repeatable).")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Pose model for the analyses (default: $FORMCHECK_MODEL or the cached model).")
@click.option("--tolerance", "violation_tolerance_s", type=click.FloatRange(min=0), show_default=True,
              default=DEFAULT_VIOLATION_TOLERANCE_S,
              help="Seconds a detected violation may lie outside a true window and still match it.")
@click.option("--hold-tolerance", "hold_tolerance_s", type=click.FloatRange(min=0), show_default=True,
              default=DEFAULT_HOLD_TOLERANCE_S, help="Largest hold duration error (seconds) that passes.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the scores as JSON (schema formcheck.evaluation/1, with --matrix "
                   "formcheck.matrix/1) to this file ('-': stdout).")
@click.option("--strict", is_flag=True,
              help="Exit 1 when any clip misses the acceptance thresholds (reps exact, holds within the hold "
                   "tolerance, violation precision and recall 1.0).")
@click.option("--no-progress", is_flag=True, help="No progress bars while analysing.")
@click.option("--matrix", is_flag=True,
              help="The placement matrix: every exercise clip from every home set-up, on exact landmark tracks.")
@click.option("--exercise", "exercises", multiple=True, metavar="ID",
              help="Matrix: only the clips of this exercise (repeatable).")
@click.option("--setup", "setups", multiple=True, metavar="NAME",
              help="Matrix: only this set-up (repeatable; `formcheck synth --list-setups` lists them).")
@click.option("--render", "render_count", type=click.IntRange(min=0), default=0, metavar="N",
              help="Matrix: also render N cells spread over the grid and judge them through the pose model (slow).")
def command(paths: tuple[Path, ...], reports_dir: Path | None, tracks: bool, rerun: bool, only: tuple[str, ...],
            model_path: Path | None, violation_tolerance_s: float, hold_tolerance_s: float, json_path: Path | None,
            strict: bool, no_progress: bool, matrix: bool, exercises: tuple[str, ...], setups: tuple[str, ...],
            render_count: int) -> None:
    """Score analysis reports against ground truth.

    \b
    formcheck evaluate REPORT.json TRUTH.json
    formcheck evaluate DIR        every DIR/NAME.truth.json against REPORTS/NAME/report.json,
                                  running analyze (no video) where that report is missing
    formcheck evaluate REAL_DIR   a folder of real clips with a labels.json (hand labels):
                                  each clip scored against its labels within their tolerance
    formcheck evaluate --matrix [--exercise ID] [--setup NAME] [--render N]
                                  every exercise clip x home set-up (camera height, distance,
                                  yaw, body turned, size, feet staggered) on exact tracks

    Prints a table per clip, per exercise and overall: rep count error, hold duration error, and
    violation detection precision and recall (a detection matches a true window of the same rule and
    side when they overlap after widening by --tolerance).
    """
    tolerances = dict(violation_tolerance_s=violation_tolerance_s, hold_tolerance_s=hold_tolerance_s)
    if matrix or exercises or setups or render_count:
        if paths or not matrix:
            raise InputError("--exercise, --setup and --render go with --matrix, which takes no paths")
        _matrix(exercises, setups, render_count, model_path, json_path, strict, no_progress, **tolerances)
        return
    if len(paths) == 2:
        report_path, truth_path = paths
        score = score_clip(read_report(report_path), read_truth(truth_path), **tolerances,
                           clip=_clip_name(truth_path))
        scores, sources = [score], {score.clip: str(report_path)}
    elif len(paths) == 1:
        folder = paths[0]
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder (give a folder, or a report and a truth file)")
        request = FolderRequest(folder=folder, reports=reports_dir, tracks=tracks, rerun=rerun, only=only,
                                model=model_path, progress=not no_progress)

        def announce(name: str, report_path: Path, analysed: bool) -> None:
            if analysed and not no_progress:
                click.echo(f"analysed {name} -> {report_path}", err=True)

        scores, sources = evaluate_folder(request, **tolerances, on_clip=announce)
    else:
        raise InputError(f"evaluate takes a folder, or a report and a truth file (or --matrix); "
                         f"got {len(paths)} paths")

    click.echo(format_table(scores))
    if json_path is not None:
        _write_json(json_path, evaluation_json(scores, sources=sources))
    if strict and not all(s.passed for s in scores):
        raise click.exceptions.Exit(1)


def _write_json(json_path: Path, data: dict) -> None:
    text = json.dumps(data, indent=2)
    if str(json_path) == "-":
        click.echo(text)
        return
    try:
        json_path.write_text(text + "\n")
    except OSError as exc:
        raise InputError(f"{json_path}: cannot write ({exc.strerror or exc})") from None


def _matrix(exercises: tuple[str, ...], setup_names: tuple[str, ...], render_count: int, model_path: Path | None,
            json_path: Path | None, strict: bool, no_progress: bool, *, violation_tolerance_s: float,
            hold_tolerance_s: float) -> None:
    """`evaluate --matrix`: the exact-track matrix, then (``--render N``) N rendered cells through the model."""
    from formcheck.evaluate.matrix import Tolerances, matrix_clips, render_subset, run_matrix, run_rendered
    from formcheck.evaluate.matrix_table import format_matrix, matrix_json
    from formcheck.synth.setups import select_setups

    clips = matrix_clips(exercises)
    tol = Tolerances(violation_s=violation_tolerance_s, hold_s=hold_tolerance_s)
    exact_setups = select_setups(setup_names, exact=True)
    if not exact_setups and not render_count:
        raise InputError(f"set-up {', '.join(setup_names)} changes only the clothes, which exact tracks do not see; "
                         "add --render N")
    with tqdm(total=len(clips) * len(exact_setups), unit="cell", disable=no_progress, desc="matrix") as bar:
        exact = run_matrix(clips, exact_setups, tol=tol, on_cell=lambda _: bar.update(1))
    click.echo(format_matrix(exact))
    data = matrix_json(exact)
    results = [exact]
    if render_count:
        pairs = render_subset(clips, select_setups(setup_names), render_count)
        with tqdm(total=len(pairs), unit="clip", disable=no_progress, desc="rendered") as bar:
            rendered = run_rendered(pairs, model=model_path, tol=tol, on_cell=lambda _: bar.update(1))
        click.echo("")
        click.echo(format_matrix(rendered))
        data["rendered"] = matrix_json(rendered)
        results.append(rendered)
    if json_path is not None:
        _write_json(json_path, data)
    if strict and not all(m.passed for m in results):
        raise click.exceptions.Exit(1)


def _clip_name(truth_path: Path) -> str:
    name = truth_path.name
    return name[: -len(".truth.json")] if name.endswith(".truth.json") else truth_path.stem
