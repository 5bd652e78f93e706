"""`formcheck history`: the sessions recorded so far: list, show, export, import earlier reports, delete."""

from __future__ import annotations

import json
from pathlib import Path

import click

from formcheck.errors import InputError
from formcheck.history.dates import recording_time
from formcheck.history.db import open_history, resolve_path
from formcheck.history.query import EXPORT_FORMATS, delete_session, export_sessions, get_session, list_sessions, \
    session_line
from formcheck.history.record import HistoryTarget, record_report
from formcheck.program.prescription import parse_day

REPORT_SCHEMA = "formcheck.report/1"
SESSION_SCHEMA = "formcheck.live-session/1"  # a live program's session.json: the reports it lists are imported


HISTORY_HELP = "History database (default: $FORMCHECK_HISTORY, else the user data folder)."


def _sub_history(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    """`history list --history PATH` works as well as `history --history PATH list`."""
    if value is not None:
        ctx.obj = resolve_path(value)


def history_path_option(command):
    """--history PATH on a subcommand (it wins over the group's)."""
    return click.option("--history", type=click.Path(path_type=Path), default=None, expose_value=False,
                        callback=_sub_history, is_eager=True, help=HISTORY_HELP)(command)


@click.group("history")
@click.option("--history", "history_path", type=click.Path(path_type=Path), default=None, help=HISTORY_HELP)
@click.pass_context
def command(ctx: click.Context, history_path: Path | None) -> None:
    """The recorded sessions: `list`, `show ID`, `export`, `import REPORT.json...`, `delete ID`."""
    ctx.obj = resolve_path(history_path)


@command.command("list")
@history_path_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per session.")
@click.option("--exercise", default=None, help="Only this exercise id.")
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="Only sessions on or after this day.")
@click.option("--patient", default=None, help="Only this patient (the plan's pseudonym).")
@click.pass_obj
def list_command(path: Path, as_json: bool, exercise: str | None, since: str | None, patient: str | None) -> None:
    """The sessions, oldest first."""
    with open_history(path, create=False) as db:
        sessions = list_sessions(db, exercise=exercise, since=parse_day(since) if since else None, patient=patient)
    if as_json:
        click.echo(json.dumps(sessions, indent=1, ensure_ascii=False))
    elif not sessions:
        click.echo(f"No sessions recorded ({path}).")
    else:
        click.echo("\n".join(session_line(s) for s in sessions))


@command.command("show")
@history_path_option
@click.argument("session_id", type=int)
@click.pass_obj
def show_command(path: Path, session_id: int) -> None:
    """One session in full (JSON): reps, holds, violations, pain."""
    with open_history(path, create=False) as db:
        click.echo(json.dumps(get_session(db, session_id), indent=1, ensure_ascii=False))


@command.command("export")
@history_path_option
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True, help="csv or json.")
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True, help="The file to write.")
@click.pass_obj
def export_command(path: Path, fmt: str, out_path: Path) -> None:
    """Every session to a file: csv (one row per session) or json (each in full)."""
    with open_history(path, create=False) as db:
        n = export_sessions(db, out_path, fmt)
    click.echo(f"{n} session{'s' if n != 1 else ''} written to {out_path}.")


@command.command("import")
@history_path_option
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--patient", default=None, help="The patient these reports belong to.")
@click.pass_obj
def import_command(path: Path, reports: tuple[Path, ...], patient: str | None) -> None:
    """Record report.json files written earlier (by `analyze` or `live`; a session.json brings its reports)."""
    target = HistoryTarget(path=path, patient=patient)
    for report_path, report in _reports(reports):
        known = _already_recorded(path, report_path, report)
        if known is not None:
            click.echo(f"{report_path}: already recorded (session {known})")
            continue
        kind = "live" if "live" in report else "analyze"
        session_id = record_report(target, report, kind=kind, report_path=report_path.resolve(),
                                   started_at=_report_time(report, report_path))
        click.echo(f"{report_path}: recorded as session {session_id}")


@command.command("delete")
@history_path_option
@click.argument("session_id", type=int)
@click.pass_obj
def delete_command(path: Path, session_id: int) -> None:
    """Delete one session and everything recorded with it."""
    with open_history(path, create=False) as db:
        delete_session(db, session_id)
    click.echo(f"Session {session_id} deleted.")


@command.command("add-score")
@click.argument("measure")
@click.argument("value", type=float)
@click.option("--date", "day_text", default=None, metavar="YYYY-MM-DD", help="The day of the score (default today).")
@click.option("--patient", default=None, help="The patient (the plan's pseudonym).")
@click.pass_obj
def add_score_command(path: Path, measure: str, value: float, day_text: str | None, patient: str | None) -> None:
    """Record a patient-reported score entered by hand, e.g. `add-score iHOT-12 72 --date 2026-12-01`."""
    from datetime import date

    from formcheck.history.scores import add_score
    from formcheck.reports.clinical import score_problem

    problem = score_problem(measure, value)
    if problem is not None:
        raise InputError(problem)
    day = parse_day(day_text) if day_text else date.today()
    add_score(path, measure, value, day=day, patient=patient)
    click.echo(f"{measure} {value:g} on {day.isoformat()} recorded.")


def _reports(paths: tuple[Path, ...]) -> list[tuple[Path, dict]]:
    """Every report to import, all read and checked before any is recorded; a session.json gives its reports."""
    found: list[tuple[Path, dict]] = []
    for path in paths:
        data = _read_json(path)
        if data.get("schema") == SESSION_SCHEMA:
            listed = [path.parent / e["report"] for e in data.get("exercises", []) if e.get("report")]
            found += [(report_path, read_report(report_path)) for report_path in listed]
        else:
            found.append((path, read_report(path, data)))
    return found


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable report.json ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a formcheck report (schema {REPORT_SCHEMA})")
    return data


def read_report(path: Path, data: dict | None = None) -> dict:
    """A report.json as a dict, checked to be one."""
    report = _read_json(path) if data is None else data
    if report.get("schema") != REPORT_SCHEMA:
        raise InputError(f"{path}: not a formcheck report (schema {REPORT_SCHEMA})")
    return report


def _report_time(report: dict, report_path: Path) -> str:
    """When the session happened: the recording's date when its file is still there, else the report's."""
    source = Path(str(report.get("source", "")))
    when = recording_time(source) if source.is_file() else recording_time(report_path)
    return when.isoformat(timespec="seconds")


def _already_recorded(path: Path, report_path: Path, report: dict) -> int | None:
    with open_history(path, create=False) as db:
        rows = db.query("SELECT id FROM sessions WHERE report_path = ? AND source = ? AND exercise = ?",
                        (str(report_path.resolve()), str(report.get("source", "")), str(report.get("exercise", ""))))
    if not rows:
        return None
    return int(rows[0]["id"])
