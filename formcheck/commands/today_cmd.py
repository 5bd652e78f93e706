"""`formcheck today`: do what the plan says is due today, live, with the plan's doses and limits."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from formcheck.commands.options import date_option, day_or_today, echo_history, history_options
from formcheck.errors import HistoryError, PlanError
from formcheck.history.db import resolve_path
from formcheck.live.today import TodayRequest, run_today
from formcheck.program.prescription import ENV_PLAN, default_plan_path

PAIN = click.IntRange(0, 10)


@click.command("today")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), default=None,
              help=f"The plan (prescription TOML); default ${ENV_PLAN}.")
@date_option("Do the program of this day (default today).")
@click.option("--camera", default="0", show_default=True,
              help="Camera index, stream URL, or a video file played as if it were the camera.")
@click.option("--no-window", is_flag=True, help="Run without a window (pain ratings from --pain-before/--pain-after).")
@click.option("--voice/--no-voice", default=True, show_default=True, help="Speak cues and questions.")
@click.option("--mirror", is_flag=True, help="Show the picture mirrored.")
@click.option("--record", "record_dir", type=click.Path(path_type=Path), default=None,
              help="Also save the annotated video in this folder.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for the reports (default: the --record folder, else ./out).")
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Pose model .task file.")
@click.option("--max-seconds", type=click.FloatRange(min=0.1), default=None, help="End the program after this long.")
@click.option("--pain-before", type=PAIN, default=None, help="Pain 0-10 before the exercises (not asked then).")
@click.option("--pain-after", type=PAIN, default=None, help="Pain 0-10 after the exercises (not asked then).")
@history_options
def command(plan_path: Path | None, day_text: str | None, camera: str, no_window: bool, voice: bool, mirror: bool,
            record_dir: Path | None, out_dir: Path | None, model: Path | None, max_seconds: float | None,
            pain_before: int | None, pain_after: int | None, history_path: Path | None, no_history: bool) -> None:
    """Today's exercises from the plan, in order, live: `n` moves on to the next one.

    The plan's sides are kept: each side it names in turn with the whole dose (on to the next side by itself
    when the dose is done), never a side it does not name; the screen and the voice say which leg.

    Asks for your pain from 0 to 10 before the first exercise and after the last: press 0 to 9, or t for 10
    (q skips). Each exercise is recorded in the history; at the end, what is still due this week.
    """
    path = default_plan_path(plan_path)
    if path is None:
        raise PlanError(f"no plan: give --plan FILE or set {ENV_PLAN}")
    request = TodayRequest(
        plan=path, day=day_or_today(day_text), camera=camera, window=not no_window, voice=voice, mirror=mirror,
        out_dir=out_dir, record_dir=record_dir, model=model, max_seconds=max_seconds, pain_before=pain_before,
        pain_after=pain_after, history=None if no_history else resolve_path(history_path),
    )
    outcome = run_today(request, ask=_ask_terminal if sys.stdin.isatty() else None)
    click.echo(outcome.summary)
    try:
        echo_history(*outcome.history)
    except HistoryError as exc:
        raise HistoryError("\n".join([str(exc), *outcome.pain_errors])) from None
    if outcome.pain_errors:
        raise HistoryError("\n".join(outcome.pain_errors))


def _ask_terminal(moment: str) -> int | None:
    """The pain question on the terminal (no window)."""
    word = "before you start" if moment == "before" else "now that you are done"
    return click.prompt(f"Pain {word}, 0 (none) to 10 (worst)", type=PAIN, default=None, show_default=False)
