"""The figures of the progress report (progress.json, schema formcheck.progress/1) from the history database.

    with open_history(path, create=False) as db:
        progress = build_progress(db, prescription, patient="P-0042", since=date(2026, 9, 1), today=date.today())

A handful of bulk queries (not one per session), then plain Python: adherence per exercise and ISO week
against the plan, the days exercised, per-exercise series per session (reps, holds, range of motion against the
prescription's target), single-leg stance per leg against the age norm, hop limb symmetry, knee-above-hip events
per week, pain ratings and hand-entered scores; each change judged against its SDD or MCID (`clinical`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from formcheck.errors import FormcheckError
from formcheck.history.db import History
from formcheck.history.scores import list_scores
from formcheck.program.prescription import Prescription
from formcheck.program.schedule import active, dose_on, due_exercise, weekdays_of
from formcheck.reports import clinical
from formcheck.reports import progress_clinical as tests
from formcheck.reports.progress_clinical import change
from formcheck.specs.spec import SAFETY_RULE_ID, ExerciseSpec, load_spec

SCHEMA = "formcheck.progress/1"


def iso_week(day: date) -> str:
    """``2026-W49``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# --- reading the history ------------------------------------------------------------------------------


def _filter(patient: str | None, first: date, last: date, alias: str = "s") -> tuple[str, tuple]:
    sql = f"substr({alias}.started_at, 1, 10) BETWEEN ? AND ?"
    params: tuple = (first.isoformat(), last.isoformat())
    if patient is not None:
        sql += f" AND {alias}.patient = ?"
        params += (patient,)
    return sql, params


def read_sessions(db: History, patient: str | None, first: date, last: date) -> list[dict[str, Any]]:
    """Every session in the period with its reps, holds and violations attached (five queries in all)."""
    where, params = _filter(patient, first, last)
    rows = db.query(f"SELECT s.id, s.started_at, s.exercise, s.exercise_name, s.side, s.report_path FROM sessions s "
                    f"WHERE {where} ORDER BY s.started_at, s.id", params)
    sessions = {r["id"]: {**dict(r), "date": r["started_at"][:10], "reps": [], "holds": [], "violations": []}
                for r in rows}
    join = f"JOIN sessions s ON s.id = x.session_id WHERE {where} ORDER BY x.id"
    for r in db.query(f"SELECT x.session_id, x.side, x.peak, x.faults FROM reps x {join}", params):
        sessions[r["session_id"]]["reps"].append({"side": r["side"], "peak": json.loads(r["peak"] or "{}")})
    for r in db.query(f"SELECT x.session_id, x.side, x.duration_s, x.target_s, x.met FROM holds x {join}", params):
        sessions[r["session_id"]]["holds"].append(dict(r))
    for r in db.query(f"SELECT x.session_id, x.rule, x.side, x.peak, x.metric FROM violations x {join}", params):
        sessions[r["session_id"]]["violations"].append(dict(r))
    return list(sessions.values())


def read_pain(db: History, patient: str | None, first: date, last: date) -> list[dict[str, Any]]:
    """Pain ratings before and after each visit's exercises, by day."""
    where, params = _filter(patient, first, last, alias="v")
    rows = db.query(f"SELECT v.id, v.started_at, p.moment, p.rating FROM pain_ratings p JOIN visits v "
                    f"ON v.id = p.visit_id WHERE {where} ORDER BY v.started_at, v.id", params)
    visits: dict[int, dict[str, Any]] = {}
    for r in rows:
        visit = visits.setdefault(r["id"], {"date": r["started_at"][:10], "before": None, "after": None})
        visit[r["moment"]] = r["rating"]
    return list(visits.values())


def session_span(db: History, patient: str | None) -> tuple[date, date] | None:
    """The first and last day with a session (for the patient), or None."""
    sql = "SELECT min(substr(started_at, 1, 10)), max(substr(started_at, 1, 10)) FROM sessions"
    rows = db.query(sql + (" WHERE patient = ?" if patient is not None else ""), (patient,) if patient else ())
    low, high = rows[0][0], rows[0][1]
    return (date.fromisoformat(low), date.fromisoformat(high)) if low else None


class _Specs:
    """The exercise as prescribed on a day (the plan's dose), else the bundled spec, else None; each made once."""

    def __init__(self, prescription: Prescription | None) -> None:
        self.prescription = prescription
        self.ids = [s.id for s in prescription.specs] if prescription is not None else []
        self._made: dict[tuple, ExerciseSpec | None] = {}

    def on(self, exercise: str, day: date) -> ExerciseSpec | None:
        if exercise in self.ids:
            index = self.ids.index(exercise)
            key = (exercise, dose_on(self.prescription.plan.exercise[index], day))
            if key not in self._made:
                self._made[key] = due_exercise(self.prescription, index, day).spec
            return self._made[key]
        if exercise not in self._made:
            try:
                self._made[exercise] = load_spec(exercise)
            except FormcheckError:
                self._made[exercise] = None
        return self._made[exercise]


def _fraction(done: int, prescribed: int | None) -> float | None:
    return round(min(done, prescribed) / prescribed, 3) if prescribed else None


def adherence(sessions: list[dict], prescription: Prescription | None, first: date, last: date,
              names: dict[str, str]) -> dict[str, Any]:
    """Per exercise: days prescribed, days done, their fraction; the same per ISO week."""
    done: dict[str, set[date]] = defaultdict(set)
    for s in sessions:
        done[s["exercise"]].add(date.fromisoformat(s["date"]))
    planned: dict[str, list[date]] = {}
    if prescription is not None:
        for i, exercise in enumerate(prescription.plan.exercise):
            planned[prescription.specs[i].id] = [d for d in _days(first, last) if active(prescription, d)
                                                 and d.weekday() in weekdays_of(exercise, d)]
    out: dict[str, Any] = {}
    for exercise in list(planned) + sorted(e for e in done if e not in planned):
        plan_days = planned.get(exercise)
        days = done.get(exercise, set())
        weeks: dict[str, dict[str, Any]] = {}
        for d in sorted(set(plan_days or ()) | days):
            week = weeks.setdefault(iso_week(d), {"prescribed": 0 if plan_days is not None else None, "done": 0})
            if plan_days is not None and d in plan_days:
                week["prescribed"] += 1
            week["done"] += d in days
        for week in weeks.values():
            week["fraction"] = _fraction(week["done"], week["prescribed"])
        prescribed = len(plan_days) if plan_days is not None else None
        out[exercise] = {"name": names.get(exercise, exercise), "prescribed": prescribed, "done": len(days),
                         "fraction": _fraction(len(days), prescribed), "weeks": weeks}
    return out


def _best_peak(reps: list[dict], spec: ExerciseSpec | None) -> tuple[str | None, float | None]:
    values = [(k, v) for r in reps for k, v in (r["peak"] or {}).items() if isinstance(v, (int, float))]
    if not values:
        return None, None
    down = spec is not None and spec.rep is not None and spec.rep.direction == "down"
    metric, value = (min if down else max)(values, key=lambda kv: kv[1])
    return metric, round(float(value), 2)


def session_point(s: dict, spec: ExerciseSpec | None) -> dict[str, Any]:
    """One session of an exercise as the charts plot it."""
    dose = spec.dose if spec is not None else None
    metric, peak = _best_peak(s["reps"], spec)
    holds = [h for h in s["holds"] if h["duration_s"] is not None]
    hold_target = next((h["target_s"] for h in holds if h["target_s"]), None)
    if hold_target is None and dose is not None and dose.hold_s is not None:
        hold_target = dose.hold_s.target
    return {
        "session_id": s["id"], "date": s["date"], "side": s["side"],
        "reps": len(s["reps"]),
        "rep_target": dose.sets * dose.reps.target if dose is not None and dose.reps is not None else None,
        "rom_metric": metric, "rom": peak,
        "rom_target": spec.rep.peak if spec is not None and spec.rep is not None else None,
        "holds": len(holds), "holds_met": sum(1 for h in holds if h["met"]),
        "longest_hold_s": round(max(h["duration_s"] for h in holds), 2) if holds else None,
        "hold_target_s": hold_target,
        "faults": len(s["violations"]),
        "knee_above_hip": sum(1 for v in s["violations"] if v["rule"] == SAFETY_RULE_ID),
    }


def exercise_series(sessions: list[dict], prescription: Prescription | None) -> dict[str, Any]:
    """Per exercise id: its per-session series and the changes over the period."""
    by_exercise: dict[str, list[dict]] = defaultdict(list)
    made = _Specs(prescription)
    for s in sessions:
        by_exercise[s["exercise"]].append(s)
    out: dict[str, Any] = {}
    for exercise, items in by_exercise.items():
        specs = {s["date"]: made.on(exercise, date.fromisoformat(s["date"])) for s in items}
        spec = next((v for v in specs.values() if v is not None), None)
        points = [session_point(s, specs[s["date"]]) for s in items]
        changes = [c for c in (
            change([p["rom"] for p in points], None, what="range of motion (best rep)"),
            change([p["longest_hold_s"] for p in points], None, what="longest hold (s)"),
        ) if c is not None]
        out[exercise] = {"name": items[0]["exercise_name"] or exercise, "mode": spec.mode if spec else None,
                         "measure": spec.measure.kind if spec else None, "sessions": points, "changes": changes}
    return out


def knee_above_hip_weeks(sessions: list[dict], first: date, last: date) -> dict[str, int]:
    """Knee-above-hip events per ISO week of the period (every week listed, zero included)."""
    weeks = {iso_week(d): 0 for d in _days(first, last)}
    for s in sessions:
        weeks[iso_week(date.fromisoformat(s["date"]))] += sum(1 for v in s["violations"] if v["rule"] == SAFETY_RULE_ID)
    return weeks


def period_of(db: History, prescription: Prescription | None, patient: str | None, since: date | None,
              today: date) -> tuple[date, date]:
    """From: --since, else the plan's start, else the first session; to: today (or the last session if later)."""
    span = session_span(db, patient)
    first = since or (prescription.plan.start if prescription is not None else None) or (span[0] if span else today)
    last = max(today, span[1]) if span else today
    if prescription is not None and prescription.plan.end is not None and since is None:
        last = max(min(last, prescription.plan.end), first)
    return first, max(first, last)


def plan_notes(prescription: Prescription | None) -> dict[str, str]:
    """The plan's notes and each exercise's, as the therapist wrote them (the page escapes them)."""
    if prescription is None:
        return {}
    notes = {"plan": prescription.plan.notes} if prescription.plan.notes else {}
    notes.update({spec.id: exercise.notes for spec, exercise in zip(prescription.specs, prescription.plan.exercise)
                  if exercise.notes})
    return notes


def build_progress(db: History, prescription: Prescription | None, *, patient: str | None = None,
                   since: date | None = None, today: date | None = None, age: int | None = None) -> dict[str, Any]:
    """progress.json: every figure the progress page shows (schema formcheck.progress/1)."""
    patient = patient or (prescription.patient if prescription is not None else None)
    first, last = period_of(db, prescription, patient, since, today or date.today())
    sessions = read_sessions(db, patient, first, last)
    exercises = exercise_series(sessions, prescription)
    names = {e: info["name"] for e, info in exercises.items()}
    if prescription is not None:
        names.update({s.id: s.name for s in prescription.specs})
    days = sorted({s["date"] for s in sessions})
    return {
        "schema": SCHEMA,
        "patient": patient,
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "plan": prescription.path if prescription is not None else None,
        "session_count": len(sessions),
        "adherence": adherence(sessions, prescription, first, last, names),
        "calendar": days,
        "exercises": exercises,
        "single_leg_stance": tests.stance(sessions, exercises, age),
        "hop_lsi": tests.hop(sessions, exercises),
        "knee_fppa": tests.fppa(sessions, exercises),
        "knee_above_hip_per_week": knee_above_hip_weeks(sessions, first, last),
        "pain": tests.pain(read_pain(db, patient, first, last)),
        "scores": tests.scores(list_scores(db, patient=patient, since=first)),
        "plan_notes": plan_notes(prescription),
        "figures": [{"measure": f.measure, "kind": f.kind, "value": f.value, "unit": f.unit, "source": f.source,
                     "note": f.note} for f in (clinical.FPPA_SDD, clinical.PAIN_MCID, clinical.IHOT12_MCID)],
    }
