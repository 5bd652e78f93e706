"""A plan's sides are enforced: `analyze --plan` analyses the plan's one side and says when the other leg did
the work; live (and so `today`) runs each planned side in turn with the dose per side and never an unplanned
side; the terminal's pain question is spoken too."""

from __future__ import annotations

import json
from pathlib import Path


from formcheck.cli import main
from formcheck.live import LiveRequest, run_live
from formcheck.live.capture import CameraTarget, open_capture
from formcheck.live.keys import ScriptedKeys
from formcheck.live.pain import QUESTIONS, ask_in_terminal
from formcheck.live.sound import SoundBoard
from formcheck.live.today import TodayRequest, run_today
from formcheck.program.followed import Following
from formcheck.program.prescription import load_plan
from formcheck.program.schedule import due_exercise

from live_fakes import TrackDetector

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
HEAD = 'schema = "formcheck.plan/1"\npatient = "P-0042"\nstart = 2026-12-01\n'
# report.json's keys before plans had sides (README's contract): all still there, "plan" added beside them
CONTRACT = {"schema", "exercise", "source", "fps", "duration_s", "frames", "frames_with_pose", "view", "reps",
            "holds", "violations", "summary", "side", "spec", "not_measured", "track", "formcheck_version", "outputs"}


def _plan(tmp_path: Path, exercise: str, sides: str, dose: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(f'{HEAD}\n[[exercise]]\nid = "{exercise}"\nsides = {sides}\n{dose}\nper_week = 7\n',
                    encoding="utf-8")
    return path


def _analyze(tmp_path: Path, clip: str, exercise: str, plan: Path, capsys) -> tuple[dict, str]:
    out = tmp_path / "out"
    status = main(["analyze", str(SAMPLES / f"{clip}.track.csv"), "-e", exercise, "--plan", str(plan), "--out",
                   str(out), "--no-video", "--date", "2026-12-07"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads((out / "report.json").read_text()), captured.out


def test_analyze_with_a_left_plan_on_a_right_leg_track_says_the_plan_side_and_the_mismatch(tmp_path, capsys):
    plan = _plan(tmp_path, "straight_leg_raise", '["left"]', "sets = 2\nreps = 10")
    report, out = _analyze(tmp_path, "straight_leg_raise_right_side", "straight_leg_raise", plan, capsys)
    assert CONTRACT <= set(report)
    assert report["side"] == "right" and len(report["reps"]) == 5  # what was done is recorded as done
    section = report["plan"]
    assert (section["sides"], section["side_analysed"], section["side_worked"], section["side_matches"]) == (
        ["left"], "right", "right", False)
    assert section["dose"]["reps"] == 10 and section["dose"]["sets"] == 2
    assert section["reps_other_side"] == 5 and section["reps_toward_plan"] == 0
    line = "Today's plan is the left leg, but the right leg did the work (5 reps)"
    assert section["message"].startswith(line) and line in out
    assert main(["history", "list", "--json"]) == 0
    (session,) = json.loads(capsys.readouterr().out)
    assert (session["side"], session["reps"], session["patient"], session["plan"]) == (
        "right", 5, "P-0042", str(plan))


def test_analyze_with_a_plan_whose_side_did_the_work_says_nothing_more(tmp_path, capsys):
    plan = _plan(tmp_path, "single_leg_stance", '["left"]', "reps = 2\nhold_s = 20")
    report, out = _analyze(tmp_path, "single_leg_stance_left_holds_front", "single_leg_stance", plan, capsys)
    section = report["plan"]
    assert (section["side_worked"], section["side_matches"], section["message"]) == ("left", True, None)
    assert section["holds_toward_plan"] == len(report["holds"]) > 0
    assert "Today's plan" not in out


def test_analyze_without_a_plan_has_no_plan_object(tmp_path, capsys):
    status = main(["analyze", str(SAMPLES / "straight_leg_raise_right_side.track.csv"), "-e", "straight_leg_raise",
                   "--out", str(tmp_path / "out"), "--no-video", "--no-history"])
    assert status == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert "plan" not in report and report["side"] == "right"


def _live(tmp_path: Path, plan: Path, exercise: str, clip: str, keys: dict, speed: float = 3.0):
    prescription = load_plan(plan)
    due = due_exercise(prescription, prescription.index_of(exercise), prescription.plan.start)
    capture = open_capture(CameraTarget.parse(str(SAMPLES / f"{clip}.mp4")))
    capture.speed = speed
    commands: list[list[str]] = []
    sound = SoundBoard(player=("player",), speaker=("tts",), run=commands.append)
    request = LiveRequest(camera=str(SAMPLES / f"{clip}.mp4"), specs=(due.spec,),
                          plans=(Following(prescription.path, prescription.patient, due),), window=False,
                          out_dir=tmp_path / "live", strict=True)
    outcome = run_live(request, keys=ScriptedKeys(keys), sound=sound,
                       detect=TrackDetector(SAMPLES / f"{clip}.track.csv"), capture=capture)
    said = [c[-1] for c in commands if c[0] == "tts"]
    return outcome.report, said


def test_live_with_a_two_sided_plan_runs_left_then_right_and_no_third_side(tmp_path):
    plan = _plan(tmp_path, "single_leg_squat", '["left", "right"]', "sets = 1\nreps = 10")
    report, said = _live(tmp_path, plan, "single_leg_squat", "single_leg_squat_right_valgus_front",
                         {60: "n", 150: "n", 200: "n"})
    segments = report["live"]["segments"]
    assert [s["side"] for s in segments] == ["left", "right"]  # the third n does not go back to the left
    assert any("The left leg, then the right leg." in line for line in said)
    assert any("Now the right leg, as your plan says" in line for line in said)
    assert report["plan"]["sides"] == ["left", "right"]


def test_live_moves_to_the_plans_next_side_when_the_dose_on_this_side_is_done(tmp_path):
    plan = _plan(tmp_path, "single_leg_squat", '["right", "left"]', "sets = 1\nreps = 2")
    report, said = _live(tmp_path, plan, "single_leg_squat", "single_leg_squat_right_valgus_front", {})
    first, second = report["live"]["segments"]
    assert (first["side"], first["reps"], first["ended_by"]) == ("right", 2, "next")  # 2 reps: the dose per side
    assert second["side"] == "left" and second["reps"] == 0  # the right leg goes on: not counted on the left
    assert any("Now the left leg" in line for line in said)
    assert any("Now the left leg, please" in line for line in said)  # the right leg kept on: said plainly


def test_live_with_a_one_side_plan_never_switches_and_says_the_other_leg_does_not_count(tmp_path):
    plan = _plan(tmp_path, "single_leg_squat", '["left"]', "sets = 1\nreps = 5")
    report, said = _live(tmp_path, plan, "single_leg_squat", "single_leg_squat_right_valgus_front",
                         {90: "n", 180: "n"})
    assert [s["side"] for s in report["live"]["segments"]] == ["left"]  # n never goes to the right side
    assert any(line.startswith("Today's plan is the left leg only") for line in said)
    section = report["plan"]
    assert (section["side_worked"], section["side_matches"], section["reps_toward_plan"]) == ("right", False, 0)
    assert section["reps_other_side"] >= 3


def test_the_terminal_pain_question_is_spoken_when_there_is_a_voice(tmp_path):
    plan = _plan(tmp_path, "single_leg_squat", '["right"]', "sets = 1\nreps = 2")
    commands: list[list[str]] = []
    sound = SoundBoard(player=None, tones=False, speaker=("tts",), run=commands.append)
    asked: list[str] = []
    capture = open_capture(CameraTarget.parse(str(SAMPLES / "single_leg_squat_right_valgus_front.mp4")))
    capture.speed = 6.0
    outcome = run_today(TodayRequest(plan=plan, day=load_plan(plan).plan.start, window=False, out_dir=tmp_path / "o",
                                     strict=True),
                        ask=lambda moment: asked.append(moment) or 3, sound=sound, keys=ScriptedKeys({}),
                        detect=TrackDetector(SAMPLES / "single_leg_squat_right_valgus_front.track.csv"),
                        capture=capture)
    assert asked == ["before", "after"] and (outcome.pain_before, outcome.pain_after) == (3, 3)
    assert any(QUESTIONS["before"] in c[-1] and "Type a number" in c[-1] for c in commands)


def test_ask_in_terminal_speaks_the_question_then_takes_the_typed_answer():
    commands: list[list[str]] = []
    sound = SoundBoard(player=None, tones=False, speaker=("tts",), run=commands.append)
    try:
        assert ask_in_terminal("after", lambda moment: 7, sound) == 7
        sound.flush(5.0)
    finally:
        sound.close()
    assert any(QUESTIONS["after"] in c[-1] for c in commands)
    assert ask_in_terminal("after", lambda moment: None, None) is None  # no voice: asked all the same


def test_the_other_legs_reps_seen_on_this_side_neither_fill_its_dose_nor_count_toward_the_plan(tmp_path):
    """Side-lying, the right knee opening also moves the left side's angles: the left engine counts those reps;
    the side watcher gives them to the right leg, so the left turn's dose is not done by them."""
    plan = _plan(tmp_path, "clamshell", '["left", "right"]', "sets = 1\nreps = 2")
    report, said = _live(tmp_path, plan, "clamshell", "clamshell_right_front", {})
    assert [(s["side"], s["ended_by"]) for s in report["live"]["segments"]] == [("left", "end")]  # no switch
    assert any(line.startswith("Now the left leg, please") for line in said)
    section = report["plan"]
    assert (section["side_matches"], section["reps_toward_plan"], section["reps_other_side"]) == (False, 0, 5)
    assert section["message"].startswith("Today's plan is the left leg, but the right leg did the work (5 reps)")
