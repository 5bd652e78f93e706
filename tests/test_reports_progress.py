"""`formcheck progress`: progress.json's figures from a recorded history, and the page showing the same numbers."""

from __future__ import annotations

import html
import json
import re
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.history.record import HistoryTarget, record_report
from formcheck.reports import clinical
from formcheck.reports.progress_clinical import change
from formcheck.reports.progress_run import ProgressRequest, run_progress

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import bench_progress  # noqa: E402  (the benchmark's history generator)

DAYS = 14
TODAY = date(2026, 12, 14)
START = TODAY - timedelta(days=DAYS - 1)  # a Tuesday: 2026-12-01
HOSTILE = '<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("progress")
    history = folder / "history.sqlite"
    sessions = bench_progress.make_history(history, start=START, days=DAYS)
    plan = bench_progress.write_plan(folder / "plan.toml", START, notes=HOSTILE)
    run_progress(ProgressRequest(out_dir=folder / "out", plan=plan, history=history, today=TODAY))
    progress = json.loads((folder / "out" / "progress.json").read_text())
    page = (folder / "out" / "progress.html").read_text(encoding="utf-8")
    return {"folder": folder, "history": history, "plan": plan, "sessions": sessions, "progress": progress,
            "page": page}


def test_progress_json_has_the_contract_keys(built):
    p = built["progress"]
    assert p["schema"] == "formcheck.progress/1" and p["patient"] == "P-0042"
    assert p["period"] == {"from": START.isoformat(), "to": TODAY.isoformat()}
    assert p["session_count"] == built["sessions"]
    for exercise_id, a in p["adherence"].items():
        assert set(a) >= {"prescribed", "done", "fraction", "weeks"}
        for week, w in a["weeks"].items():
            assert re.fullmatch(r"\d{4}-W\d{2}", week) and set(w) >= {"prescribed", "done", "fraction"}
    assert set(p["exercises"]) >= {"bridge", "single_leg_stance", "clamshell", "single_leg_squat"}


def test_adherence_counts_prescribed_days_against_days_done(built):
    a = built["progress"]["adherence"]
    assert a["bridge"]["prescribed"] == DAYS and a["bridge"]["done"] == DAYS and a["bridge"]["fraction"] == 1.0
    # clamshell 5 a week: Mon-Fri of 2026-12-01 (Tue) .. 12-14 (Mon): 4 + 5 + 1 planned days, done every day
    assert a["clamshell"]["prescribed"] == 10 and a["clamshell"]["done"] == DAYS and a["clamshell"]["fraction"] == 1.0
    assert a["single_leg_squat"]["prescribed"] == 6  # Mon, Wed, Fri: 12-02, 12-04, 12-07, 12-09, 12-11, 12-14
    assert a["safety_watch"]["prescribed"] is None and a["safety_watch"]["fraction"] is None  # not in the plan
    assert built["progress"]["calendar"] == [(START + timedelta(days=n)).isoformat() for n in range(DAYS)]


def test_adherence_week_by_week_and_knee_events_per_week(built):
    p = built["progress"]
    weeks = p["adherence"]["single_leg_squat"]["weeks"]
    assert sum(w["prescribed"] for w in weeks.values()) == p["adherence"]["single_leg_squat"]["prescribed"]
    knee = sum(s["knee_above_hip"] for e in p["exercises"].values() for s in e["sessions"])
    assert sum(p["knee_above_hip_per_week"].values()) == knee
    assert list(p["knee_above_hip_per_week"]) == ["2026-W49", "2026-W50", "2026-W51"]


def test_series_per_session_against_the_prescription(built):
    bridge = built["progress"]["exercises"]["bridge"]
    assert len(bridge["sessions"]) == DAYS + DAYS // 2  # a second bridge session every other day
    first = bridge["sessions"][0]
    assert first["rep_target"] == 36 and first["rom_target"] == 15 and first["rom_metric"] == "hip_flexion"
    stance = built["progress"]["single_leg_stance"]
    assert len(stance["sessions"]) == DAYS and all(s["left_s"] and s["right_s"] for s in stance["sessions"])
    assert all(s["left_to_right"] == round(s["left_s"] / s["right_s"], 3) for s in stance["sessions"])
    assert stance["norm_s"] is None and "age" in stance["norm"]["reason"]


def test_scores_and_pain_carry_their_mcid_and_source(built):
    p = built["progress"]
    ihot = p["scores"]["iHOT-12"]
    assert ihot["mcid"] == 13 and "Griffin" in ihot["source"] and ihot["values"][0]["date"] == START.isoformat()
    assert len(p["pain"]["ratings"]) == DAYS and p["pain"]["mcid"] == clinical.PAIN_MCID.value
    assert {f["measure"] for f in p["figures"]} >= {"iHOT-12", clinical.FPPA_SDD.measure}


def test_a_change_is_real_only_past_its_threshold():
    fppa = clinical.FPPA_SDD
    assert change([20, 20, 20, 11, 11, 11], fppa, what="fppa")["real"] is True  # -9 deg: past the 8.9 SDD
    assert change([20, 20, 20, 12, 12, 12], fppa, what="fppa")["real"] is False  # -8 deg: within it
    unjudged = change([1, 2, 3, 4], None, what="rom")
    assert unjudged["real"] is False and unjudged["threshold"] is None and "no published" in unjudged["note"]
    assert change([5], fppa, what="one") is None


def test_the_page_shows_the_numbers_of_progress_json(built):
    page, p = built["page"], built["progress"]
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    for a in p["adherence"].values():
        pct = "-" if a["fraction"] is None else f"{a['fraction']:.0%}"
        prescribed = "-" if a["prescribed"] is None else str(a["prescribed"])
        assert re.search(rf"{re.escape(a['name'])}\s+{prescribed}\s+{a['done']}\s+{re.escape(pct)}", text), a["name"]
    assert f"{p['session_count']} sessions" in text
    assert f"{sum(p['knee_above_hip_per_week'].values())} knee-above-hip events" in text
    assert page.count('<td class="done"') == len(p["calendar"])
    assert "Griffin" in text and "Munro" in text  # the sources of the figures used
    assert "<script" not in page and "&lt;script&gt;document.title" in page  # the plan's hostile notes: text


def test_progress_command_from_the_cli(built, tmp_path):
    status = main(["progress", "--history", str(built["history"]), "--plan", str(built["plan"]),
                   "--since", START.isoformat(), "--out", str(tmp_path)])
    assert status == 0
    assert (tmp_path / "progress.html").is_file() and (tmp_path / "progress.json").is_file()


def test_progress_without_plan_or_sessions(tmp_path):
    history = tmp_path / "empty.sqlite"
    record_report(HistoryTarget(path=history, patient="P-1", started_at="2026-12-01T09:00:00+00:00"),
                  bench_progress.day_reports(0, __import__("random").Random(1))[0], kind="analyze", report_path=None)
    run_progress(ProgressRequest(out_dir=tmp_path / "out", history=history, today=date(2026, 12, 3)))
    p = json.loads((tmp_path / "out" / "progress.json").read_text())
    assert p["adherence"]["bridge"] == {"name": "Bridge", "prescribed": None, "done": 1, "fraction": None,
                                        "weeks": {"2026-W49": {"prescribed": None, "done": 1, "fraction": None}}}
    assert p["period"] == {"from": "2026-12-01", "to": "2026-12-03"}
    run_progress(ProgressRequest(out_dir=tmp_path / "none", history=tmp_path / "missing.sqlite",
                                 today=date(2026, 12, 3)))
    assert json.loads((tmp_path / "none" / "progress.json").read_text())["session_count"] == 0


def test_add_score_records_a_score_and_refuses_one_off_its_scale(tmp_path, capsys):
    from formcheck.history.db import open_history
    from formcheck.history.scores import list_scores

    history = tmp_path / "h.sqlite"
    base = ["history", "--history", str(history), "add-score"]
    assert main([*base, "iHOT-12", "72", "--date", "2026-12-01", "--patient", "P-1"]) == 0
    assert main([*base, "iHOT-12", "172"]) == 2
    assert "iHOT-12 runs from 0 to 100" in capsys.readouterr().err
    with open_history(history, create=False) as db:
        assert list_scores(db, patient="P-1") == [{"measure": "iHOT-12", "value": 72.0, "day": "2026-12-01",
                                                   "patient": "P-1"}]
