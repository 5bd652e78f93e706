"""`formcheck progress`: progress.html and progress.json from the history (and the plan, for adherence)."""

from __future__ import annotations

from pathlib import Path

import click

from formcheck.reports.progress_run import ProgressRequest, run_progress


@click.command("progress")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), default=None,
              help="The patient's plan (default: $FORMCHECK_PLAN); without one, adherence is not judged.")
@click.option("--history", "history_path", type=click.Path(path_type=Path), default=None,
              help="History database (default: $FORMCHECK_HISTORY, else the user data folder).")
@click.option("--patient", default=None, help="Only this patient (default: the plan's patient, else everyone).")
@click.option("--since", default=None, metavar="YYYY-MM-DD",
              help="First day of the report (default: the plan's start, else the first session).")
@click.option("--age", type=click.IntRange(5, 110), default=None,
              help="The patient's age, for the single-leg stance norm when the reports do not carry one.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for progress.html and progress.json (created if needed).")
def command(plan_path: Path | None, history_path: Path | None, patient: str | None, since: str | None,
            age: int | None, out_dir: Path) -> None:
    """Write progress.html (charts, self-contained) and progress.json (schema formcheck.progress/1)."""
    outcome = run_progress(ProgressRequest(out_dir=out_dir, plan=plan_path, history=history_path,
                                           patient=patient, since=since, age=age))
    click.echo(outcome)
