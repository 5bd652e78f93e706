"""A live program of several exercises: `n` moves on, one report per exercise, session.json indexes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.commands import live_cmd
from formcheck.errors import InputError, SpecError
from formcheck.live import LiveRequest, run_live
from formcheck.live.capture import CameraTarget, open_capture
from formcheck.live.keys import ScriptedKeys
from formcheck.live.program import SESSION_SCHEMA, Program
from formcheck.live.sound import SoundBoard

from live_fakes import TrackDetector

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def _program(tmp_path: Path, clip: str, exercises: tuple[str, ...], keys: dict, *, side: str = "auto",
             speed: float = 3.0):
    video = SAMPLES / f"{clip}.mp4"
    capture = open_capture(CameraTarget.parse(str(video)))
    capture.speed = speed
    commands: list[list[str]] = []
    sound = SoundBoard(player=("player",), speaker=("tts",), run=commands.append)
    request = LiveRequest(camera=str(video), exercises=exercises, side=side, out_dir=tmp_path / "out",
                          window=False, voice=True, strict=True)
    outcome = run_live(request, keys=ScriptedKeys(keys), sound=sound,
                       detect=TrackDetector(SAMPLES / f"{clip}.track.csv"), capture=capture)
    return outcome, commands


def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def test_next_moves_to_the_next_exercise_and_each_gets_its_own_report(tmp_path):
    outcome, commands = _program(tmp_path, "bridge_side", ("bridge", "clamshell"), {150: "n"})
    out = tmp_path / "out"
    assert outcome.report_path == out / "session.json"
    assert outcome.reports == (out / "1_bridge" / "report.json", out / "2_clamshell" / "report.json")
    assert not (out / "report.json").exists()
    first, second = (_read(path) for path in outcome.reports)
    assert (first["exercise"], second["exercise"]) == ("bridge", "clamshell")
    assert first["live"]["ended_by"] == "next" and second["live"]["ended_by"] == "end"
    assert first["live"]["program"] == {"n": 1, "of": 2, "exercises": ["bridge", "clamshell"]}
    assert second["live"]["program"]["n"] == 2
    # every frame judged belongs to exactly one exercise, and the second starts where the first stopped
    assert first["frames"] + second["frames"] == outcome.stats.frames_processed
    assert second["live"]["segments"][0]["start_s"] >= first["live"]["segments"][-1]["start_s"] + first["duration_s"] - 0.2
    index = _read(outcome.report_path)
    assert index == outcome.report and index["schema"] == SESSION_SCHEMA
    assert index["program"] == ["bridge", "clamshell"]
    assert [(e["n"], e["exercise"], e["status"], e["report"]) for e in index["exercises"]] == [
        (1, "bridge", "done", "1_bridge/report.json"), (2, "clamshell", "done", "2_clamshell/report.json")]
    assert index["exercises"][0]["reps"] == len(first["reps"])
    assert index["pain_stop"] is False
    assert any("Next exercise: Clamshell" in c[1] for c in commands if c[0] == "tts")
    assert "Bridge (1 of 2)" in outcome.summary and "Clamshell (2 of 2)" in outcome.summary


def test_exercises_not_reached_are_listed_as_not_started(tmp_path):
    outcome, _ = _program(tmp_path, "bridge_side", ("bridge", "clamshell", "pelvic_tilt"), {})
    index = outcome.report
    assert [e["status"] for e in index["exercises"]] == ["done", "not_started", "not_started"]
    assert index["exercises"][1]["report"] is None
    assert outcome.reports == (tmp_path / "out" / "1_bridge" / "report.json",)
    assert "Not done: Clamshell, Pelvic tilt." in outcome.summary
    assert not (tmp_path / "out" / "2_clamshell").exists()


def test_a_one_sided_exercise_takes_the_other_side_before_the_next_exercise(tmp_path):
    keys = {120: "n", 240: "n", 330: "n"}  # other side, next exercise, then n on the last (bilateral) one
    outcome, _ = _program(tmp_path, "single_leg_squat_right_valgus_front", ("single_leg_squat", "bridge"), keys,
                          side="right")
    squat, bridge = (_read(path) for path in outcome.reports)
    assert [s["side"] for s in squat["live"]["segments"]] == ["right", "left"]
    assert [s["ended_by"] for s in squat["live"]["segments"]] == ["next", "next"]
    assert len(bridge["live"]["segments"]) == 1  # n on the last, two-sided exercise changes nothing
    assert [e["status"] for e in outcome.report["exercises"]] == ["done", "done"]


def test_pain_stops_the_exercise_and_n_still_moves_on(tmp_path):
    outcome, _ = _program(tmp_path, "bridge_side", ("bridge", "clamshell"), {100: "p", 160: "n"})
    bridge, clamshell = (_read(path) for path in outcome.reports)
    assert bridge["summary"]["pain_stop"] is True and clamshell["summary"]["pain_stop"] is False
    statuses = [e["status"] for e in outcome.report["exercises"]]
    assert statuses == ["stopped_for_pain", "done"]
    assert outcome.report["pain_stop"] is True


def test_a_single_exercise_writes_report_json_at_the_top_as_before(tmp_path):
    outcome, _ = _program(tmp_path, "bridge_side", ("bridge",), {}, speed=6.0)
    assert outcome.report_path == tmp_path / "out" / "report.json"
    assert outcome.reports == (outcome.report_path,)
    assert "program" not in outcome.report["live"]
    assert not (tmp_path / "out" / "session.json").exists()


# ---------------------------------------------------------------------------------------------- Program


def test_program_folders_and_titles_number_the_exercises_even_when_one_comes_twice():
    program = Program.resolve(("bridge", "clamshell", "bridge"), ())
    assert [program.folder(i) for i in range(3)] == ["1_bridge", "2_clamshell", "3_bridge"]
    assert program.title(1) == "Clamshell (2 of 3)" and program.step(1) == "exercise 2 of 3"
    assert program.several
    single = Program.resolve(("bridge",), ())
    assert single.title(0) == "Bridge" and single.step(0) is None and not single.several


def test_program_defaults_to_the_safety_watch_and_refuses_ids_mixed_with_files():
    assert [s.id for s in Program.resolve((), ()).specs] == ["safety_watch"]
    with pytest.raises(InputError, match="not both"):
        Program.resolve(("bridge",), (Path("x.toml"),))
    with pytest.raises(SpecError, match="no_such_exercise"):
        Program.resolve(("bridge", "no_such_exercise"), ())


def test_cli_takes_repeated_and_comma_separated_exercise_ids(monkeypatch, tmp_path):
    seen: list[LiveRequest] = []

    def fake_run_live(request):
        seen.append(request)
        raise InputError("stop here")

    monkeypatch.setattr(live_cmd, "run_live", fake_run_live)
    assert main(["live", "-e", "bridge,clamshell", "-e", "pelvic_tilt", "--no-window"]) == 2
    assert seen[-1].exercises == ("bridge", "clamshell", "pelvic_tilt")
    assert [s.id for s in seen[-1].program().specs] == ["bridge", "clamshell", "pelvic_tilt"]
    assert live_cmd.split_exercise_ids((" bridge , clamshell",)) == ("bridge", "clamshell")


def test_an_unknown_exercise_in_the_program_is_one_line_before_the_camera_opens(tmp_path, capsys):
    status = main(["live", "-e", "bridge,no_such_exercise", "--camera", "9", "--no-window",
                   "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "no_such_exercise" in err[0]
    assert not (tmp_path / "o").exists()


def test_an_empty_id_in_the_list_is_a_usage_error(capsys):
    assert main(["live", "-e", "bridge,,clamshell", "--no-window"]) == 2
    assert "empty exercise id" in capsys.readouterr().err
