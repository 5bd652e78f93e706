"""A finished run's report.json dict turned into history rows, all in one transaction.

    target = HistoryTarget(path=resolve_path(None), patient="P-0042", plan="plan.toml")
    session_id = record_report(target, report, kind="analyze", report_path=out / "report.json",
                               started_at="2026-12-03T10:00:00+01:00")

Only a completed run is recorded, after its report.json is written; any failure raises HistoryError saying
the session was not recorded (the database is left as it was).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.errors import HistoryError
from formcheck.history.dates import recording_time
from formcheck.history.db import now_iso, open_history

KINDS = ("analyze", "live")
PAIN_MOMENTS = ("before", "after")
NOT_RECORDED = "the session was not recorded"
_VARIANT = re.compile(r"pose_landmarker_(lite|full|heavy)")


@dataclass(frozen=True)
class HistoryTarget:
    """Where and how to record a run: the database, and who and what it was for."""

    path: Path
    patient: str | None = None
    plan: str | None = None  # the plan file, when the run followed one
    started_at: str | None = None  # ISO 8601; default: the recording's date (analyze) or the run's start (live)
    visit: str | None = None  # groups the sessions (and pain ratings) of one `formcheck today`


def record_report(target: HistoryTarget, report: dict, *, kind: str, report_path: Path | None,
                  started_at: str | None = None) -> int:
    """Record one report as a session with its reps, holds, violations and pain stops; returns the session id."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    when = target.started_at or started_at or now_iso()
    try:
        with open_history(target.path) as db, db.transaction() as conn:
            visit_id = _visit_id(conn, target, when) if target.visit else None
            session_id = _insert_session(conn, target, report, kind, report_path, when, visit_id)
            _insert_details(conn, session_id, report)
    except HistoryError as exc:
        raise HistoryError(f"{exc}: {NOT_RECORDED}") from None
    except OSError as exc:
        raise HistoryError(f"{target.path}: {exc.strerror or exc}: {NOT_RECORDED}") from None
    return session_id


def record_pain(target: HistoryTarget, moment: str, rating: int, *, started_at: str | None = None) -> None:
    """Record a pain rating (0 to 10) taken before or after the exercises of a visit (`target.visit`)."""
    if moment not in PAIN_MOMENTS:
        raise ValueError(f"moment must be one of {PAIN_MOMENTS}, not {moment!r}")
    if not 0 <= int(rating) <= 10:
        raise ValueError(f"a pain rating is 0 to 10, not {rating!r}")
    if target.visit is None:
        raise ValueError("a pain rating belongs to a visit: give HistoryTarget(visit=...)")
    when = target.started_at or started_at or now_iso()
    try:
        with open_history(target.path) as db, db.transaction() as conn:
            visit_id = _visit_id(conn, target, when)
            conn.execute("INSERT OR REPLACE INTO pain_ratings (visit_id, moment, rating, recorded_at) "
                         "VALUES (?, ?, ?, ?)", (visit_id, moment, int(rating), now_iso()))
    except HistoryError as exc:
        raise HistoryError(f"{exc}: the pain rating was not recorded") from None


def _visit_id(conn: sqlite3.Connection, target: HistoryTarget, when: str) -> int:
    row = conn.execute("SELECT id FROM visits WHERE uid = ?", (target.visit,)).fetchone()
    if row is not None:
        return int(row[0])
    cursor = conn.execute("INSERT INTO visits (uid, started_at, patient, plan) VALUES (?, ?, ?, ?)",
                          (target.visit, when, target.patient, target.plan))
    return int(cursor.lastrowid)


def model_identity(report: dict) -> tuple[str | None, str | None]:
    """(variant, sha256) of the pose model behind a report, as far as the report says."""
    pose = (report.get("track") or {}).get("pose") or {}
    variant = pose.get("model_variant") or pose.get("variant")
    name = pose.get("model")
    if variant is None and isinstance(name, str):
        found = _VARIANT.search(name)
        variant = found.group(1) if found else None
    sha = pose.get("model_sha256") or pose.get("sha256")
    return variant, sha


def _insert_session(conn: sqlite3.Connection, target: HistoryTarget, report: dict, kind: str,
                    report_path: Path | None, when: str, visit_id: int | None) -> int:
    summary = report.get("summary") or {}
    spec = report.get("spec") or {}
    frames = report.get("frames")
    coverage = summary.get("pose_coverage")
    if coverage is None and frames:
        coverage = round((report.get("frames_with_pose") or 0) / frames, 4)
    variant, sha = model_identity(report)
    live = report.get("live") or {}
    cursor = conn.execute(
        "INSERT INTO sessions (visit_id, started_at, recorded_at, kind, source, patient, plan, exercise, "
        "exercise_name, side, duration_s, frames, pose_coverage, model_variant, model_sha256, formcheck_version, "
        "report_path, ended_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (visit_id, when, now_iso(), kind, str(report.get("source", "")), target.patient, target.plan,
         str(report.get("exercise", "")), spec.get("name") or summary.get("name"), _side(report),
         report.get("duration_s"), frames, coverage, variant, sha, report.get("formcheck_version"),
         str(report_path) if report_path is not None else None, live.get("ended_by")),
    )
    return int(cursor.lastrowid)


def _side(report: dict) -> str | None:
    side = report.get("side")
    if side is None:
        side = (report.get("summary") or {}).get("side")
    return str(side) if side is not None else None


def _insert_details(conn: sqlite3.Connection, session_id: int, report: dict) -> None:
    conn.executemany(
        "INSERT INTO reps (session_id, n, side, start_s, end_s, peak, faults) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(session_id, r.get("n"), r.get("side"), r.get("start_s"), r.get("end_s"), _json(r.get("peak") or {}),
          _json(r.get("violations") or [])) for r in report.get("reps") or []],
    )
    conn.executemany(
        "INSERT INTO holds (session_id, n, side, start_s, end_s, duration_s, target_s, met) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(session_id, h.get("n"), h.get("side"), h.get("start_s"), h.get("end_s"), h.get("duration_s"),
          h.get("target_s"), None if h.get("met") is None else int(bool(h.get("met"))))
         for h in report.get("holds") or []],
    )
    conn.executemany(
        "INSERT INTO violations (session_id, rule, side, start_s, end_s, peak, metric, severity, message) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(session_id, str(v.get("rule", "")), v.get("side"), v.get("start_s"), v.get("end_s"), _number(v.get("peak")),
          v.get("metric"), v.get("severity"), v.get("message")) for v in report.get("violations") or []],
    )
    summary = report.get("summary") or {}
    if summary.get("pain_stop"):
        conn.execute("INSERT INTO pain_stops (session_id, t_s) VALUES (?, ?)",
                     (session_id, _number(summary.get("pain_stop_t_s"))))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class HistoryNote:
    """What became of recording a run: the new session's id, or why it was not recorded."""

    path: Path
    session_id: int | None = None
    error: str | None = None

    def text(self) -> str:
        """One line for the end of a command."""
        if self.error is not None:
            return self.error
        return f"Recorded in the history as session {self.session_id} ({self.path})."


def record_run(target: HistoryTarget, report: dict, *, kind: str, report_path: Path,
               source: Path | None = None) -> HistoryNote:
    """Record a finished run, never raising: a failure comes back as the note's error (outputs stay as written).

    The session's date: `target.started_at`, else the recording's (a video's creation time, else the file's
    date) for `source`, else now.
    """
    started_at = None
    if target.started_at is None and source is not None and Path(source).is_file():
        started_at = recording_time(Path(source)).isoformat(timespec="seconds")
    try:
        session_id = record_report(target, report, kind=kind, report_path=Path(report_path).resolve(),
                                   started_at=started_at)
    except HistoryError as exc:
        return HistoryNote(target.path, error=str(exc))
    return HistoryNote(target.path, session_id=session_id)
