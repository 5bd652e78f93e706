"""How long `formcheck progress` takes over a year of daily sessions (about 2,000 in the history).

    python bench/bench_progress.py            # builds a temp history, times progress.json + progress.html
    python bench/bench_progress.py --days 30

The history is filled through the history's own recording API (`record_report`, as analyze and live record),
with a year of daily visits of five to six exercises each, pain ratings and monthly iHOT-12 scores. Target:
under 5 s for the whole `run_progress` (queries, figures, charts, page). `make_history` is also used by the
progress tests.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime, time as clock, timedelta
from pathlib import Path

from formcheck.history.record import HistoryTarget, record_pain, record_report
from formcheck.history.scores import add_score

PATIENT = "P-0042"
PLAN = """schema = "formcheck.plan/1"
patient = "P-0042"
start = {start}
notes = {notes}

[[exercise]]
id = "bridge"
sets = 3
reps = 12
per_week = 7

[[exercise]]
id = "single_leg_stance"
sides = ["left", "right"]
reps = 3
hold_s = 30
per_week = 7

[[exercise]]
id = "clamshell"
sides = ["right"]
sets = 2
reps = 10
per_week = 5

[[exercise]]
id = "single_leg_squat"
sides = ["left"]
sets = 1
reps = 5
per_week = 3
"""


def write_plan(path: Path, start: date, notes: str = "after arthroscopy, left hip") -> Path:
    """A plan of four exercises from `start` (notes as given, quoted for TOML)."""
    import json

    path.write_text(PLAN.format(start=start.isoformat(), notes=json.dumps(notes)), encoding="utf-8")
    return path


def _rep_report(exercise: str, name: str, n: int, peak_metric: str, peaks: list[float], side: str | None,
                faults: list[dict]) -> dict:
    reps = [{"n": i + 1, "start_s": 2.0 * i, "end_s": 2.0 * i + 1.5, "side": side, "peak": {peak_metric: p},
             "violations": [], "set_no": 1} for i, p in enumerate(peaks[:n])]
    return {"schema": "formcheck.report/1", "exercise": exercise, "source": f"{exercise}.mp4", "fps": 30.0,
            "duration_s": 2.0 * n + 2, "frames": 60 * n, "frames_with_pose": 60 * n, "view": "side",
            "reps": reps, "holds": [], "violations": faults, "side": side, "spec": {"id": exercise, "name": name},
            "summary": {"pose_coverage": 1.0, "pain_stop": False}}


def _stance_report(day_n: int, rng: random.Random) -> dict:
    holds = []
    for i, side in enumerate(("left", "right", "left", "right", "left", "right")):
        base = 12 + day_n * 0.05 + (3 if side == "right" else 0)
        duration = round(min(45.0, max(2.0, rng.gauss(base, 3))), 2)
        holds.append({"n": i + 1, "start_s": 40.0 * i, "end_s": 40.0 * i + duration, "duration_s": duration,
                      "side": side, "target_s": 30.0, "met": duration >= 30})
    return {"schema": "formcheck.report/1", "exercise": "single_leg_stance", "source": "stance.mp4", "fps": 30.0,
            "duration_s": 240.0, "frames": 7200, "frames_with_pose": 7200, "view": "front", "reps": [],
            "holds": holds, "violations": [], "side": None, "spec": {"id": "single_leg_stance",
                                                                     "name": "Single-leg stance"},
            "summary": {"pose_coverage": 1.0}}


def day_reports(day_n: int, rng: random.Random) -> list[dict]:
    """The five or six reports of one day of the program, improving slowly over the year."""
    knee = [{"rule": "knee_above_hip", "start_s": 3.0, "end_s": 3.6, "side": "left", "peak": 12.0,
             "metric": "thigh_elevation_left", "severity": "stop", "message": "Keep your left knee below the hip."}]
    reports = [
        _rep_report("bridge", "Bridge", rng.randint(30, 36), "hip_flexion",
                    [round(rng.gauss(12 - day_n * 0.02, 2), 2) for _ in range(36)], None, []),
        _stance_report(day_n, rng),
        _rep_report("clamshell", "Clamshell", rng.randint(16, 20), "knee_separation",
                    [round(rng.gauss(2.0 + day_n * 0.002, 0.2), 3) for _ in range(20)], "right",
                    knee if rng.random() < 0.1 else []),
        _rep_report("single_leg_squat", "Single-leg squat", 5, "pelvis_depth",
                    [round(rng.gauss(0.15, 0.02), 3) for _ in range(5)], "left", []),
        _rep_report("safety_watch", "Safety watch", 0, "none", [], None, knee if rng.random() < 0.3 else []),
    ]
    if day_n % 2:
        reports.append(_rep_report("bridge", "Bridge", 12, "hip_flexion", [10.0] * 12, None, []))
    return reports


def make_history(path: Path, *, start: date, days: int, seed: int = 0) -> int:
    """Fill `path` with `days` days of sessions from `start`; returns the number of sessions."""
    rng = random.Random(seed)
    count = 0
    for n in range(days):
        day = start + timedelta(days=n)
        when = datetime.combine(day, clock(9, 0)).astimezone().isoformat(timespec="seconds")
        target = HistoryTarget(path=path, patient=PATIENT, plan="plan.toml", started_at=when, visit=f"visit-{n}")
        record_pain(target, "before", max(0, min(10, round(6 - n * 0.01 + rng.gauss(0, 1)))))
        for report in day_reports(n, rng):
            record_report(target, report, kind="analyze", report_path=None)
            count += 1
        record_pain(target, "after", max(0, min(10, round(5 - n * 0.01 + rng.gauss(0, 1)))))
        if n % 30 == 0:
            add_score(path, "iHOT-12", min(100, 40 + n * 0.12), day=day, patient=PATIENT)
    return count


def main(argv: list[str] | None = None) -> int:
    from formcheck.reports.progress_run import ProgressRequest, run_progress

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=3, help="progress builds to time (the first includes imports)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the history in this folder and reuse it next time (filling takes minutes)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        history = folder / f"history-{args.days}d.sqlite"
        start = date.today() - timedelta(days=args.days - 1)
        t0 = time.perf_counter()
        if not history.exists():
            make_history(history, start=start, days=args.days)
            print(f"history filled in {time.perf_counter() - t0:.1f} s")
        else:  # reused: the plan starts where the history does
            start = date.fromisoformat(sqlite_first_day(history))
        plan = write_plan(folder / "plan.toml", start)
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            line = run_progress(ProgressRequest(out_dir=folder / "out", plan=plan, history=history))
            times.append(time.perf_counter() - t0)
        size_kb = (folder / "out" / "progress.html").stat().st_size / 1024
    print(line)
    print(f"progress.json + progress.html ({size_kb:.0f} KB) over {args.days} days: first build {times[0]:.2f} s "
          f"(imports included), best {min(times):.2f} s of {len(times)} (target: under 5 s)")
    return 0 if times[0] < 5.0 else 1


def sqlite_first_day(path: Path) -> str:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT min(substr(started_at, 1, 10)) FROM sessions").fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
