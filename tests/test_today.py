"""`formcheck today`: the plan's exercises due today done live in turn, pain rated before and after (a key,
shown and spoken), each exercise recorded, and what is still due this week; `live --plan` for one exercise."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.history.db import default_path, open_history
from formcheck.history.query import list_sessions
from formcheck.history.record import HistoryTarget
from formcheck.live import LiveRequest, run_live
from formcheck.live.capture import CameraTarget, open_capture
from formcheck.live.keys import NoWindow, ScriptedKeys
from formcheck.live.pain import QUESTIONS, ask_pain, rating_for_key
from formcheck.live.sound import SoundBoard
from formcheck.live.today import TodayRequest, run_today
from formcheck.program.prescription import load_plan
from formcheck.program.schedule import due_exercise

from live_fakes import TrackDetector

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
MONDAY = date(2026, 12, 7)
PLAN = """\
schema = "formcheck.plan/1"
patient = "P-0042"
start = 2026-12-01

[[exercise]]
id = "bridge"
sets = 1
reps = 3
per_week = 3

[[exercise]]
id = "clamshell"
reps = 8
days = ["mon", "thu"]

[[exercise]]
id = "single_leg_stance"
reps = 2
hold_s = 20
days = ["tue"]
"""


@pytest.fixture()
def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN, encoding="utf-8")
    return path


def _parts(clip: str = "bridge_side", keys: dict | None = None, speed: float = 3.0):
    capture = open_capture(CameraTarget.parse(str(SAMPLES / f"{clip}.mp4")))
    capture.speed = speed
    commands: list[list[str]] = []
    sound = SoundBoard(player=("player",), speaker=("tts",), run=commands.append)
    parts = {"keys": ScriptedKeys(keys or {}), "sound": sound, "detect": TrackDetector(SAMPLES / f"{clip}.track.csv"),
             "capture": capture}
    return parts, commands


@pytest.mark.parametrize("key, rating", [("0", 0), ("5", 5), ("9", 9), ("t", 10), ("T", 10), ("x", None), (-1, None)])
def test_a_key_gives_a_pain_rating(key, rating):
    assert rating_for_key(ord(key) if isinstance(key, str) else key) == rating


def test_the_pain_question_is_shown_and_spoken_and_waits_for_a_key():
    shown = []

    class Seen(NoWindow):
        def show(self, image):
            shown.append(image)

    commands: list[list[str]] = []
    sound = SoundBoard(player=None, tones=False, speaker=("tts",), run=commands.append)
    try:
        assert ask_pain("before", Seen(ScriptedKeys([-1, -1, "x", "7"])), sound) == 7
        assert ask_pain("after", Seen(ScriptedKeys(["q"])), sound) is None  # skipped
    finally:
        sound.close()
    assert len(shown) == 5 and shown[0].ndim == 3
    assert any(QUESTIONS["before"] in c[1] for c in commands)


def test_today_runs_what_is_due_records_it_with_the_pain_and_says_what_is_left(plan_file, tmp_path):
    parts, commands = _parts(keys={150: "n"})
    request = TodayRequest(plan=plan_file, day=MONDAY, camera=str(SAMPLES / "bridge_side.mp4"), window=False,
                           out_dir=tmp_path / "out", history=default_path(), strict=True)
    outcome = run_today(request, pain_keys=ScriptedKeys(["4", "t"]), **parts)
    assert [item.spec.id for item in outcome.due] == ["bridge", "clamshell"]  # Monday's, in plan order
    assert (outcome.pain_before, outcome.pain_after) == (4, 10)
    assert any(QUESTIONS["before"] in c[1] for c in commands if c[0] == "tts")
    first = json.loads((tmp_path / "out" / "1_bridge" / "report.json").read_text())
    assert first["summary"]["rep_target"] == 3  # the plan's dose, not the spec's 10
    with open_history(default_path()) as db:
        sessions = list_sessions(db)
    assert [(s["exercise"], s["kind"], s["patient"]) for s in sessions] == [
        ("bridge", "live", "P-0042"), ("clamshell", "live", "P-0042")]
    assert all(s["pain"] == {"before": 4, "after": 10} for s in sessions)
    assert all(s["started_at"].startswith("2026-12-07") for s in sessions)
    assert "Pain before 4, after 10 (0 to 10)." in outcome.summary
    assert "Bridge: 1 of 3 done; still due: Wed 09 Dec, Fri 11 Dec" in outcome.summary
    assert "Clamshell: 1 of 2 done; still due: Thu 10 Dec" in outcome.summary
    assert [note.session_id for note in outcome.history] == [1, 2]
    other = tmp_path / "other.sqlite"  # a live program's session.json imports each of its reports
    assert main(["history", "--history", str(other), "import", str(tmp_path / "out" / "session.json")]) == 0
    with open_history(other) as db:
        assert [(s["exercise"], s["kind"]) for s in list_sessions(db)] == [("bridge", "live"), ("clamshell", "live")]


def test_nothing_due_says_so_and_runs_nothing(plan_file):
    outcome = run_today(TodayRequest(plan=plan_file, day=date(2026, 12, 12), window=False, history=default_path()))
    assert outcome.live is None and outcome.due == ()
    assert outcome.summary.startswith("Nothing is due on Sat 12 Dec 2026.")
    assert not default_path().exists()


def test_today_without_a_plan_says_how_to_give_one(capsys):
    assert main(["today", "--no-window"]) == 2
    assert "give --plan FILE or set FORMCHECK_PLAN" in capsys.readouterr().err


def test_today_finds_the_plan_in_formcheck_plan(plan_file, monkeypatch, capsys):
    monkeypatch.setenv("FORMCHECK_PLAN", str(plan_file))
    assert main(["today", "--no-window", "--date", "2026-12-12"]) == 0
    assert "Nothing is due on Sat 12 Dec 2026." in capsys.readouterr().out


def test_a_broken_plan_stops_today_before_the_camera(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(PLAN.replace('id = "clamshell"', 'id = "clamshel"'), encoding="utf-8")
    assert main(["today", "--plan", str(bad), "--no-window", "--camera", "no-such-camera.mp4"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exercise[1].id: unknown exercise 'clamshel'" in err[0]


def test_live_with_a_plan_uses_its_dose_and_records_the_patient(plan_file, tmp_path):
    prescription = load_plan(plan_file)
    spec = due_exercise(prescription, prescription.index_of("bridge"), MONDAY).spec
    parts, _ = _parts()
    target = HistoryTarget(path=default_path(), patient=prescription.patient, plan=prescription.path)
    outcome = run_live(LiveRequest(camera=str(SAMPLES / "bridge_side.mp4"), specs=(spec,), window=False,
                                   out_dir=tmp_path / "out", history=target, strict=True), **parts)
    assert outcome.report["summary"]["rep_target"] == 3
    (note,) = outcome.history
    assert note.session_id == 1 and note.error is None
    with open_history(default_path()) as db:
        (session,) = list_sessions(db)
    assert (session["kind"], session["patient"], session["plan"], session["reps"]) == (
        "live", "P-0042", str(plan_file), len(outcome.report["reps"]))


@pytest.mark.slow
def test_today_from_the_command_line_with_a_video_as_the_camera(plan_file, tmp_path, capsys, pose_model,
                                                                monkeypatch):
    monkeypatch.setenv("FORMCHECK_MODEL", str(pose_model))
    one = tmp_path / "one.toml"
    one.write_text(PLAN.split("[[exercise]]")[0] + "[[exercise]]" + PLAN.split("[[exercise]]")[1], encoding="utf-8")
    status = main(["today", "--plan", str(one), "--camera", str(SAMPLES / "bridge_side.mp4"), "--no-window",
                   "--no-voice", "--pain-before", "2", "--pain-after", "3", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "Pain before 2, after 3" in captured.out and "Still due this week:" in captured.out
    assert "Recorded in the history as session 1" in captured.out
    assert main(["history", "list", "--json"]) == 0
    (session,) = json.loads(capsys.readouterr().out)
    assert session["pain"] == {"before": 2, "after": 3} and session["exercise"] == "bridge"
