"""Reading the history: sessions as plain dicts (the `history list --json` objects), one in full, export, delete.

A listed session is ``{"id", "started_at", "kind", "source", "patient", "plan", "exercise", "side", "reps",
"holds", "violations", "pain", ...}``: `reps` the count, `holds` the durations in seconds, `violations` rule id
to count, `pain` ``{"before": n, "after": n}`` when ratings were taken (else null).
"""

from __future__ import annotations

import contextlib
import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

from formcheck.errors import HistoryError
from formcheck.history.db import History

SESSION_COLUMNS = ("id", "started_at", "kind", "source", "patient", "plan", "exercise", "exercise_name", "side",
                   "duration_s", "frames", "pose_coverage", "model_variant", "model_sha256", "formcheck_version",
                   "report_path", "ended_by", "recorded_at")
CSV_COLUMNS = (*SESSION_COLUMNS, "reps", "holds", "holds_met", "violations", "pain_stops", "pain_before",
               "pain_after")
EXPORT_FORMATS = ("csv", "json")


def list_sessions(db: History, *, exercise: str | None = None, since: date | None = None,
                  patient: str | None = None) -> list[dict[str, Any]]:
    """Sessions, oldest first, filtered by exercise id, first day and patient."""
    where, params = [], []
    if exercise is not None:
        where.append("exercise = ?")
        params.append(exercise)
    if patient is not None:
        where.append("patient = ?")
        params.append(patient)
    if since is not None:
        where.append("substr(started_at, 1, 10) >= ?")
        params.append(since.isoformat())
    sql = f"SELECT {', '.join(SESSION_COLUMNS)}, visit_id FROM sessions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = db.query(sql + " ORDER BY started_at, id", tuple(params))
    return [_summary(db, row) for row in rows]


def _summary(db: History, row) -> dict[str, Any]:
    session = {name: row[name] for name in SESSION_COLUMNS}
    sid = row["id"]
    session["reps"] = db.query("SELECT count(*) FROM reps WHERE session_id = ?", (sid,))[0][0]
    holds = db.query("SELECT duration_s, met FROM holds WHERE session_id = ? ORDER BY id", (sid,))
    session["holds"] = [h["duration_s"] for h in holds]
    session["holds_met"] = sum(1 for h in holds if h["met"])
    counts = db.query("SELECT rule, count(*) AS n FROM violations WHERE session_id = ? GROUP BY rule ORDER BY rule",
                      (sid,))
    session["violations"] = {c["rule"]: c["n"] for c in counts}
    session["pain_stops"] = db.query("SELECT count(*) FROM pain_stops WHERE session_id = ?", (sid,))[0][0]
    session["pain"] = _pain(db, row["visit_id"])
    return session


def _pain(db: History, visit_id: int | None) -> dict[str, int | None] | None:
    if visit_id is None:
        return None
    rows = db.query("SELECT moment, rating FROM pain_ratings WHERE visit_id = ?", (visit_id,))
    if not rows:
        return None
    ratings = {r["moment"]: r["rating"] for r in rows}
    return {"before": ratings.get("before"), "after": ratings.get("after")}


def get_session(db: History, session_id: int) -> dict[str, Any]:
    """One session in full: its summary plus every rep, hold, violation and pain stop."""
    rows = db.query(f"SELECT {', '.join(SESSION_COLUMNS)}, visit_id FROM sessions WHERE id = ?", (session_id,))
    if not rows:
        raise HistoryError(f"no session {session_id} in the history ({db.path})")
    session = _summary(db, rows[0])
    reps = db.query("SELECT n, side, start_s, end_s, peak, faults FROM reps WHERE session_id = ? ORDER BY id",
                    (session_id,))
    session["rep_list"] = [{**dict(r), "peak": json.loads(r["peak"]), "faults": json.loads(r["faults"])} for r in reps]
    holds = db.query("SELECT n, side, start_s, end_s, duration_s, target_s, met FROM holds WHERE session_id = ? "
                     "ORDER BY id", (session_id,))
    session["hold_list"] = [{**dict(h), "met": None if h["met"] is None else bool(h["met"])} for h in holds]
    violations = db.query("SELECT rule, side, start_s, end_s, peak, metric, severity, message FROM violations "
                          "WHERE session_id = ? ORDER BY id", (session_id,))
    session["violation_list"] = [dict(v) for v in violations]
    stops = db.query("SELECT t_s FROM pain_stops WHERE session_id = ? ORDER BY id", (session_id,))
    session["pain_stop_times_s"] = [s["t_s"] for s in stops]
    return session


def delete_session(db: History, session_id: int) -> None:
    """Delete a session and its rows (one transaction); HistoryError when there is none with that id."""
    with db.transaction() as conn:
        cursor = conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        if cursor.rowcount == 0:
            raise HistoryError(f"no session {session_id} in the history ({db.path})")


def export_sessions(db: History, path: Path, fmt: str) -> int:
    """Write every session to `path` (csv: one row per session; json: each session in full); returns the count."""
    if fmt not in EXPORT_FORMATS:
        raise HistoryError(f"export format must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}")
    sessions = list_sessions(db)
    try:
        if fmt == "json":
            full = [get_session(db, s["id"]) for s in sessions]
            path.write_text(json.dumps(full, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(CSV_COLUMNS)
                writer.writerows(_csv_row(s) for s in sessions)
    except OSError as exc:
        raise HistoryError(f"{path}: cannot write the export ({exc.strerror or exc})") from None
    return len(sessions)


def _csv_row(session: dict[str, Any]) -> list[Any]:
    pain = session["pain"] or {}
    extra = {
        "holds": ";".join(f"{d:g}" for d in session["holds"] if d is not None),
        "violations": ";".join(f"{rule}={n}" for rule, n in session["violations"].items()),
        "pain_before": pain.get("before"),
        "pain_after": pain.get("after"),
    }
    return [extra.get(name, session.get(name)) for name in CSV_COLUMNS]


def session_line(session: dict[str, Any]) -> str:
    """One line of `history list`."""
    parts = [f"{session['id']:>4}", session["started_at"][:16].replace("T", " "), f"{session['kind']:<7}",
             session["exercise"] + (f" ({session['side']})" if session["side"] else "")]
    if session["reps"]:
        parts.append(f"{session['reps']} reps")
    if session["holds"]:
        parts.append(f"{len(session['holds'])} holds ({session['holds_met']} met)")
    faults = sum(session["violations"].values())
    parts.append(f"{faults} faults" if faults else "no faults")
    if session["pain"]:
        parts.append(f"pain {session['pain'].get('before')}->{session['pain'].get('after')}")
    if session["pain_stops"]:
        parts.append("stopped for pain")
    if session["patient"]:
        parts.append(f"patient {session['patient']}")
    return "  ".join(parts)


def done_days(db: History, patient: str, since: date) -> dict[str, set[date]]:
    """The days since `since` on which each exercise was done by `patient` (exercise id to dates)."""
    rows = db.query("SELECT DISTINCT exercise, substr(started_at, 1, 10) AS day FROM sessions "
                    "WHERE patient = ? AND substr(started_at, 1, 10) >= ?", (patient, since.isoformat()))
    done: dict[str, set[date]] = {}
    for row in rows:
        with contextlib.suppress(ValueError):
            done.setdefault(row["exercise"], set()).add(date.fromisoformat(row["day"]))
    return done
