"""Running `formcheck progress`: read the plan and the history, write progress.json and progress.html.

    text = run_progress(ProgressRequest(out_dir=Path("out/progress"), plan=Path("plan.toml")))

progress.json is written first, then the page made from exactly that dict, each atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from formcheck.errors import InputError
from formcheck.history.db import open_history, resolve_path
from formcheck.outputs.atomic import atomic_path
from formcheck.program.prescription import default_plan_path, load_plan, parse_day
from formcheck.reports.progress_data import build_progress
from formcheck.reports.progress_page import render_progress

JSON_NAME = "progress.json"
PAGE_NAME = "progress.html"


@dataclass(frozen=True)
class ProgressRequest:
    """The inputs of one `formcheck progress` run."""

    out_dir: Path
    plan: Path | None = None
    history: Path | None = None
    patient: str | None = None
    since: str | None = None  # YYYY-MM-DD
    age: int | None = None
    today: date | None = None  # for tests: the report's last day


def run_progress(request: ProgressRequest) -> str:
    """Write both files; returns the line printed at the end."""
    plan_path = default_plan_path(request.plan)
    prescription = load_plan(plan_path) if plan_path is not None else None
    since = parse_day(request.since) if request.since else None
    out_dir = Path(request.out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create the output folder ({exc.strerror or exc})") from None
    path = resolve_path(request.history)
    with open_history(path, create=False) as db:
        progress = build_progress(db, prescription, patient=request.patient, since=since, today=request.today,
                                  age=request.age)
    with atomic_path(out_dir / JSON_NAME) as tmp:
        tmp.write_text(json.dumps(progress, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    with atomic_path(out_dir / PAGE_NAME) as tmp:
        tmp.write_text(render_progress(progress), encoding="utf-8")
    period = progress["period"]
    return (f"Progress of {progress['patient'] or 'all patients'}, {period['from']} to {period['to']}: "
            f"{progress['session_count']} sessions. Written {out_dir / PAGE_NAME} and {out_dir / JSON_NAME}.")
