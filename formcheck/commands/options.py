"""Options shared by the commands that record or follow a plan: --history, --no-history, --plan, --date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import click

from formcheck.errors import HistoryError, PlanError
from formcheck.history.db import resolve_path
from formcheck.history.record import HistoryNote, HistoryTarget
from formcheck.program.followed import Following
from formcheck.program.prescription import Prescription, load_plan, parse_day
from formcheck.program.schedule import DueExercise, due_exercise
from formcheck.specs.spec import ExerciseSpec


def history_options(command: Callable) -> Callable:
    """--history PATH and --no-history."""
    command = click.option("--no-history", is_flag=True, help="Do not record this run in the history.")(command)
    return click.option("--history", "history_path", type=click.Path(path_type=Path), default=None,
                        help="History database (default: $FORMCHECK_HISTORY, else the user data folder).")(command)


def plan_option(command: Callable) -> Callable:
    """--plan FILE."""
    return click.option("--plan", "plan_path", type=click.Path(path_type=Path), default=None,
                        help="Follow this plan (prescription TOML): its dose and limits for the exercise.")(command)


def date_option(help_text: str) -> Callable[[Callable], Callable]:
    """--date YYYY-MM-DD."""
    return click.option("--date", "day_text", default=None, metavar="YYYY-MM-DD", help=help_text)


def day_or_today(text: str | None) -> date:
    """The --date given, else today."""
    return parse_day(text) if text else date.today()


def started_at_of(text: str | None) -> str | None:
    """A --date value as the ISO 8601 start time of a recorded session (noon local time), None without one."""
    if not text:
        return None
    day = parse_day(text)
    return datetime(day.year, day.month, day.day, 12, 0).astimezone().isoformat(timespec="seconds")


def history_target(history_path: Path | None, no_history: bool, *, prescription: Prescription | None = None,
                   started_at: str | None = None, visit: str | None = None) -> HistoryTarget | None:
    """Where to record the run (None with --no-history), with the plan's patient when following one."""
    if no_history:
        return None
    return HistoryTarget(path=resolve_path(history_path),
                         patient=prescription.patient if prescription is not None else None,
                         plan=prescription.path if prescription is not None else None,
                         started_at=started_at, visit=visit)


def plan_exercise(plan_path: Path | None, exercise: str | None, day: date) -> tuple[Prescription, DueExercise] | None:
    """The plan's version of an exercise (its dose on `day`, its limits); None without --plan.

    Without an exercise id, a plan of one exercise gives that one.
    """
    if plan_path is None:
        return None
    prescription = load_plan(plan_path)
    if exercise is None:
        if len(prescription.specs) != 1:
            ids = ", ".join(spec.id for spec in prescription.specs)
            raise PlanError(f"{prescription.path}: the plan has several exercises ({ids}): choose one with -e")
        index = 0
    else:
        index = prescription.index_of(exercise)
    return prescription, due_exercise(prescription, index, day)


def run_settings(plan_path: Path | None, exercise: str | None, spec_path: Path | None, day: date,
                 history_path: Path | None, no_history: bool, started_at: str | None = None,
                 ) -> tuple[ExerciseSpec | None, HistoryTarget | None, Following | None]:
    """For analyze: the spec tailored to the plan, where to record the run, and the plan followed (None, None
    without --plan)."""
    if plan_path is not None and spec_path is not None:
        raise click.UsageError("give --plan (with -e ID) or --spec, not both")
    planned = plan_exercise(plan_path, exercise, day)
    prescription = planned[0] if planned is not None else None
    spec = planned[1].spec if planned is not None else None
    following = Following(planned[0].path, planned[0].patient, planned[1]) if planned is not None else None
    return spec, history_target(history_path, no_history, prescription=prescription, started_at=started_at), \
        following


def live_settings(plan_path: Path | None, ids: tuple[str, ...], spec_paths: tuple[Path, ...], day: date,
                  history_path: Path | None, no_history: bool
                  ) -> tuple[tuple[ExerciseSpec, ...], tuple[Following, ...], HistoryTarget | None]:
    """For `live`: the exercises tailored to the plan and the plan each follows (its sides are enforced; both
    empty without --plan), and where to record the session."""
    if plan_path is not None and spec_paths:
        raise click.UsageError("give --plan (with -e ID) or --spec, not both")
    planned = [plan_exercise(plan_path, exercise, day) for exercise in (ids or (None,))] if plan_path else []
    prescription = planned[0][0] if planned else None
    specs = tuple(item[1].spec for item in planned if item is not None)
    plans = tuple(Following(item[0].path, item[0].patient, item[1]) for item in planned if item is not None)
    return specs, plans, history_target(history_path, no_history, prescription=prescription)


def echo_history(*notes: HistoryNote | None) -> None:
    """Say where the run was recorded; a failure to record is an error (exit 2) after the outputs were written."""
    errors = []
    for note in notes:
        if note is None:
            continue
        if note.error is not None:
            errors.append(note.error)
        else:
            click.echo(note.text())
    if errors:
        raise HistoryError("\n".join(errors))
