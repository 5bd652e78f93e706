"""`formcheck plan`: check a prescription (plan) file, and show what it says is due on a day and over its week."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from formcheck.commands.options import date_option, day_or_today
from formcheck.history.db import open_history, resolve_path
from formcheck.history.query import done_days
from formcheck.program.prescription import Prescription, load_plan
from formcheck.program.schedule import due_on, week_of, week_start, week_text


@click.group("plan")
def command() -> None:
    """A patient's plan: `validate FILE` checks it, `show FILE` says what is due today and this week."""


@command.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
def validate_command(path: Path) -> None:
    """Check a plan file: every problem on its own line (file:line: key: problem), exit status 2 if any."""
    prescription = load_plan(path)
    n = len(prescription.specs)
    click.echo(f"{path}: ok (patient {prescription.patient}, {n} exercise{'s' if n != 1 else ''})")


@command.command("show")
@click.argument("path", type=click.Path(path_type=Path))
@date_option("The day to show (default today).")
@click.option("--history", "history_path", type=click.Path(path_type=Path), default=None,
              help="History database, to mark what is done (default: $FORMCHECK_HISTORY, else the user data folder).")
def show_command(path: Path, day_text: str | None, history_path: Path | None) -> None:
    """What the plan says is due on the day (with its doses and limits) and over that week, done or not."""
    prescription = load_plan(path)
    day = day_or_today(day_text)
    with open_history(resolve_path(history_path), create=False) as db:
        done = done_days(db, prescription.patient, week_start(day))
    click.echo(plan_text(prescription, day, done))


def plan_text(prescription: Prescription, day: date, done: dict[str, set[date]] | None = None) -> str:
    """The plan on `day`: header, the exercises due that day with their doses, then the week."""
    plan = prescription.plan
    head = f"Plan for {plan.patient}" + (f" ({plan.therapist})" if plan.therapist else "")
    span = f"from {plan.start}" + (f" to {plan.end}" if plan.end else "")
    lines = [f"{head}, {span}." + (f" {plan.notes}" if plan.notes else "")]
    due = due_on(prescription, day)
    lines.append(f"Due on {day:%a %d %b %Y}:" if due else f"Nothing is due on {day:%a %d %b %Y}.")
    lines += [f"  {n}. {item.spec.name} ({item.spec.id}): {item.dose_text()}" for n, item in enumerate(due, 1)]
    lines.append("This week:")
    lines += [f"  {text}" for text in week_text(week_of(prescription, day, done), day)]
    return "\n".join(lines)
