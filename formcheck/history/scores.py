"""Patient-reported scores entered by hand (iHOT-12 and the like): stored, and read back oldest first.

    add_score(path, "iHOT-12", 72, day=date(2026, 12, 1), patient="P-0042")
    with open_history(path, create=False) as db:
        rows = list_scores(db, patient="P-0042")      # [{"measure", "value", "day", "patient"}, ...]

The questionnaire itself is not reproduced; only its total, as the patient's form gave it.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

from formcheck.errors import HistoryError
from formcheck.history.db import History, now_iso, open_history


def add_score(path: Path, measure: str, value: float, *, day: date, patient: str | None = None) -> int:
    """Record one score; returns its id. HistoryError for an empty measure name or a value that is not a number."""
    if not measure.strip():
        raise HistoryError("a score needs the name of its measure, e.g. iHOT-12")
    if not math.isfinite(value):
        raise HistoryError(f"{measure}: the score must be a number, not {value!r}")
    with open_history(path) as db, db.transaction() as conn:
        cursor = conn.execute("INSERT INTO scores (patient, measure, value, day, recorded_at) VALUES (?, ?, ?, ?, ?)",
                              (patient, measure.strip(), float(value), day.isoformat(), now_iso()))
        return int(cursor.lastrowid)


def list_scores(db: History, *, patient: str | None = None, since: date | None = None) -> list[dict[str, Any]]:
    """Scores oldest first, for one patient (None: every score) from `since` on."""
    where, params = [], []
    if patient is not None:
        where.append("patient = ?")
        params.append(patient)
    if since is not None:
        where.append("day >= ?")
        params.append(since.isoformat())
    sql = "SELECT measure, value, day, patient FROM scores" + (" WHERE " + " AND ".join(where) if where else "")
    return [dict(row) for row in db.query(sql + " ORDER BY day, id", tuple(params))]
