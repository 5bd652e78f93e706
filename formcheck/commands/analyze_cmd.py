"""`formcheck analyze`: check a recorded exercise video (or a pose track) and write the report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from formcheck.analyze import AnalyzeRequest, run_analyze
from formcheck.commands.options import date_option, echo_history, history_options, plan_option, run_settings, \
    started_at_of
from formcheck.history.dates import recording_time
from formcheck.program.prescription import parse_day
from formcheck.landmarks import SIDE_CHOICES
from formcheck.measures import MeasureOptions
from formcheck.outputs.annotate import THERAPIST, VIEWS
from formcheck.pose.model_store import VARIANTS


@click.command("analyze")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--exercise", "-e", default=None, help="Exercise id (see `formcheck exercises`); default safety_watch.")
@click.option("--spec", "spec_path", type=click.Path(path_type=Path), default=None,
              help="Use this exercise spec TOML file instead of a bundled exercise.")
@click.option("--side", type=click.Choice(SIDE_CHOICES), default="auto", show_default=True,
              help="The side being exercised (for one-sided exercises); auto finds it.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="Folder for annotated.mp4, metrics.csv and report.json (created if needed).")
@click.option("--no-video", is_flag=True, help="Skip the annotated video (faster).")
@click.option("--save-track", type=click.Path(path_type=Path), default=None,
              help="Also save the raw pose track (.csv or .npz) for later re-analysis.")
@click.option("--model", type=click.Path(path_type=Path), default=None,
              help="Pose model .task file (default: $FORMCHECK_MODEL, then the cache; see `formcheck model`).")
@click.option("--model-variant", type=click.Choice(VARIANTS), default=None,
              help="Pose model variant: lite (fastest), full (the default) or heavy (most accurate, about "
                   "3.5x slower); obtained like `formcheck model --variant`.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--skeleton-only", is_flag=True,
              help="Draw annotated.mp4 and report.html's thumbnails as the skeleton on a plain background "
                   "(no face, no room: safe to send).")
@click.option("--view", type=click.Choice(VIEWS), default=THERAPIST, show_default=True,
              help="annotated.mp4 for the therapist (every angle with its plain name, threshold and confidence) "
                   "or for the patient (the count, the timer and the one cue that matters).")
@click.option("--eyes-closed", is_flag=True, help="Balance test done with eyes closed (recorded in the report).")
@click.option("--surface", type=click.Choice(["firm", "foam", "pillow", "wobble_board"]), default="firm",
              show_default=True, help="What the patient stands on (balance tests).")
@click.option("--age", type=click.IntRange(5, 110), default=None, help="Patient's age, for balance norms.")
@click.option("--height-cm", type=click.FloatRange(80, 250), default=None, help="Patient's height, for hop distance in cm.")
@click.option("--leg-length-cm", type=click.FloatRange(40, 140), default=None, help="Patient's leg length, for hop distance in cm.")
@click.option("--involved", type=click.Choice(["left", "right"]), default=None,
              help="The injured side, for the limb symmetry index.")
@plan_option
@date_option("The day of the session, for the history and the plan's progression (default: the video's date).")
@history_options
def command(input_path: Path, exercise: str | None, spec_path: Path | None, side: str, out_dir: Path,
            no_video: bool, save_track: Path | None, model: Path | None, model_variant: str | None,
            no_progress: bool, skeleton_only: bool, view: str, eyes_closed: bool,
            surface: str, age: int | None, height_cm: float | None, leg_length_cm: float | None,
            involved: str | None, plan_path: Path | None, day_text: str | None, history_path: Path | None,
            no_history: bool) -> None:
    """Analyse INPUT, a video (mp4, mov, avi, webm, mkv) or a pose track (.csv, .npz).

    Writes DIR/annotated.mp4 (unless --no-video), DIR/metrics.csv (one row per frame) and
    DIR/report.json (schema formcheck.report/1), then prints a one-paragraph summary and records the
    session in the history (unless --no-history). With --plan, the plan's dose and limits for the exercise apply;
    a plan of one side analyses that side, and report.json's "plan" says whether that leg did the work.
    """
    if exercise is not None and spec_path is not None:
        raise click.UsageError("give --exercise or --spec, not both")
    options = MeasureOptions(eyes_closed=eyes_closed, surface=surface, age=age, height_cm=height_cm,
                             leg_length_cm=leg_length_cm, involved_side=involved)
    day = parse_day(day_text) if day_text else (recording_time(input_path).date() if input_path.is_file() else None)
    spec, history, following = run_settings(plan_path, exercise, spec_path, day or date.today(), history_path, no_history,
                                 started_at_of(day_text))
    outcome = run_analyze(AnalyzeRequest(
        input=input_path, out_dir=out_dir, exercise=exercise, spec_path=spec_path, side=side,
        write_video=not no_video, save_track=save_track, model=model, model_variant=model_variant,
        progress=not no_progress, skeleton_only=skeleton_only, view=view,
        measure_options=options, spec=spec, history=history, plan=following,
    ))
    click.echo(outcome.summary)
    echo_history(outcome.history)
