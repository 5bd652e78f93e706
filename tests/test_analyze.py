"""`formcheck analyze` end to end: outputs, the report contract, track inputs, and bad input handling."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.analyze import AnalyzeRequest, analyse_track, run_analyze
from formcheck.cli import main
from formcheck.errors import InputError
from formcheck.specs.spec import load_spec
from formcheck.track_io import read_track

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
CLIP = SAMPLES / "safety_watch_knee_lifts_side.mp4"
REPORT_KEYS = ("schema", "exercise", "source", "fps", "duration_s", "frames", "frames_with_pose", "view",
               "reps", "holds", "violations", "summary")


def _frame_count(path: Path) -> tuple[int, tuple[int, int]]:
    capture = cv2.VideoCapture(str(path))
    count = 0
    size = (0, 0)
    while True:
        ok, image = capture.read()
        if not ok:
            break
        size = (image.shape[1], image.shape[0])
        count += 1
    capture.release()
    return count, size


@pytest.fixture(scope="module")
def video_run(tmp_path_factory, pose_model):
    """One full run on a sample clip with the model, saving the raw track too."""
    out = tmp_path_factory.mktemp("analyze")
    track_path = out / "raw.track.npz"
    outcome = run_analyze(AnalyzeRequest(input=CLIP, out_dir=out / "result", save_track=track_path,
                                         model=pose_model, progress=False))
    return outcome, track_path


def test_video_run_writes_the_three_outputs(video_run):
    outcome, _ = video_run
    names = sorted(p.name for p in outcome.out_dir.iterdir())
    assert names == ["annotated.mp4", "metrics.csv", "report.html", "report.json"]  # no staging folder left behind


def test_report_follows_the_contract(video_run):
    outcome, _ = video_run
    report = json.loads(outcome.report_path.read_text())
    assert tuple(report)[: len(REPORT_KEYS)] == REPORT_KEYS
    assert report["schema"] == "formcheck.report/1"
    assert report["exercise"] == "safety_watch"  # the default exercise
    truth = json.loads(CLIP.with_name(CLIP.name.replace(".mp4", ".truth.json")).read_text())
    assert report["frames"] == truth["frames"]
    assert report["frames_with_pose"] == report["frames"]  # the mannequin is always in view
    assert report["view"] == "side"
    assert report["fps"] == pytest.approx(30.0, abs=0.01)
    assert report["duration_s"] == pytest.approx(truth["duration_s"], abs=0.05)
    for violation in report["violations"]:
        assert set(("rule", "start_s", "end_s", "side", "peak", "message")) <= set(violation)
        assert violation["side"] in ("left", "right", None)
    # The clip holds one knee above the hip on each side: both must be caught.
    caught = {v["side"] for v in report["violations"] if v["rule"] == "knee_above_hip"}
    assert caught == {"left", "right"}
    # ...and the four low knee lifts before 6 s must not be.
    assert all(v["start_s"] >= 6.0 for v in report["violations"])


def test_metrics_csv_has_a_row_per_frame_with_angles_and_states(video_run):
    outcome, _ = video_run
    with open(outcome.out_dir / "metrics.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["frame", "time_s"]
    for column in ("hip_flexion_left", "hip_flexion_left_conf", "thigh_elevation_right", "position", "view",
                   "fault_knee_above_hip", "in_position"):
        assert column in header
    assert len(body) == outcome.report["frames"]
    times = [float(r[1]) for r in body]
    assert all(b > a for a, b in zip(times, times[1:]))
    fault = header.index("fault_knee_above_hip")
    faulty_times = [float(r[1]) for r in body if r[fault] == "1"]
    assert faulty_times and min(faulty_times) > 6.0


def test_annotated_video_has_every_frame_and_marks_the_fault_in_red(video_run):
    outcome, _ = video_run
    count, size = _frame_count(outcome.out_dir / "annotated.mp4")
    assert count == outcome.report["frames"]
    assert size == (640, 360)
    violation = outcome.report["violations"][0]
    capture = cv2.VideoCapture(str(outcome.out_dir / "annotated.mp4"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, int(round((violation["start_s"] + violation["end_s"]) / 2 * 30)))
    ok, image = capture.read()
    capture.release()
    assert ok
    red = (image[:, :, 2] > 180) & (image[:, :, 1] < 90) & (image[:, :, 0] < 90)
    assert red.sum() > 2000  # the red thigh, the red angle label and the cue bar


def test_saved_track_reanalyses_to_the_same_result(video_run, tmp_path):
    outcome, track_path = video_run
    track = read_track(track_path)
    assert len(track) == outcome.report["frames"]
    again = run_analyze(AnalyzeRequest(input=track_path, out_dir=tmp_path, write_video=False, progress=False))
    strip = lambda r: [(v["rule"], v["side"], v["start_s"], v["end_s"]) for v in r["violations"]]  # noqa: E731
    assert strip(again.report) == strip(outcome.report)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv", "report.html", "report.json"]


def test_track_input_reports_reps_and_holds(tmp_path):
    code = main(["analyze", str(SAMPLES / "bridge_side.track.csv"), "--exercise", "bridge",
                 "--out", str(tmp_path), "--no-progress"])
    assert code == 0
    report = json.loads((tmp_path / "report.json").read_text())
    truth = json.loads((SAMPLES / "bridge_side.truth.json").read_text())
    assert report["exercise"] == "bridge"
    assert len(report["reps"]) == truth["rep_count"]
    full_reps = [r for r in truth["reps"] if r.get("full", True)]  # the partial rep must not count
    for rep, true_rep in zip(report["reps"], full_reps, strict=True):
        middle = (rep["start_s"] + rep["end_s"]) / 2  # each counted rep lies within its true rep
        assert true_rep["start_s"] <= middle <= true_rep["end_s"]
    count, size = _frame_count(tmp_path / "annotated.mp4")  # drawn on a plain canvas
    assert count == report["frames"] and size == (640, 360)
    summary = report["summary"]  # the contract's keys first, each count once, agreeing with the lists
    assert list(summary)[:3] == ["rep_count", "violation_count", "pose_coverage"]
    assert "reps_counted" not in summary and "holds_counted" not in summary
    assert summary["rep_count"] == len(report["reps"]) and summary["holds"] == len(report["holds"])
    assert summary["violation_count"] == len(report["violations"]) and summary["pose_coverage"] == 1.0


def test_track_without_world_columns_still_measures(tmp_path):
    track = read_track(SAMPLES / "safety_watch_knee_lifts_side.track.csv").replace(world=None)
    analysis = analyse_track(track, load_spec("safety_watch"))
    sides = {v.side for v in analysis.result.violations if v.rule == "knee_above_hip"}
    assert sides == {"left", "right"}


def test_gaps_stay_gaps_and_lower_the_pose_count(tmp_path):
    track = read_track(SAMPLES / "safety_watch_knee_lifts_side.track.csv")
    landmarks = track.landmarks.copy()
    landmarks[100:130] = np.nan
    gappy = tmp_path / "gappy.npz"
    from formcheck.track_io import write_track

    write_track(track.replace(landmarks=landmarks), gappy)
    outcome = run_analyze(AnalyzeRequest(input=gappy, out_dir=tmp_path / "out", write_video=False, progress=False))
    assert outcome.report["frames"] == len(track)
    assert outcome.report["frames_with_pose"] == len(track) - 30


# --- bad input: one line, exit 2, no traceback, no report ------------------------------------------------


def _run_cli(args: list[str]) -> subprocess.CompletedProcess:
    # run outside the checkout: `python -m` puts the working folder on sys.path, the installed package must answer
    return subprocess.run([sys.executable, "-m", "formcheck", *args], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parent)


def _assert_one_line_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("formcheck: error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    text = tmp / "notes.mp4"
    text.write_text("this is not a video\n")
    empty = tmp / "empty.mp4"
    empty.write_bytes(b"")
    header_only = tmp / "cut.mp4"
    header_only.write_bytes(CLIP.read_bytes()[:2000])
    track = (SAMPLES / "bridge_side.track.csv").read_text().splitlines()
    missing_cols = tmp / "missing.csv"
    missing_cols.write_text("\n".join(",".join(line.split(",")[:-40]) for line in track[:50]) + "\n")
    garbage = tmp / "garbage.csv"
    garbage.write_text("\n".join([track[0], *[line.replace("0.", "x.", 3) for line in track[1:20]]]) + "\n")
    blocker = tmp / "a_file"
    blocker.write_text("")
    bad_spec = tmp / "broken.toml"
    bad_spec.write_text("id = 'x'\nname = [\n")
    good_track = str(SAMPLES / "bridge_side.track.csv")
    return {
        "missing": (["analyze", str(tmp / "nope.mp4")], "nope.mp4"),
        "not a video": (["analyze", str(text)], "notes.mp4"),
        "empty": (["analyze", str(empty)], "empty.mp4"),
        "header only": (["analyze", str(header_only)], "cut.mp4"),
        "missing columns": (["analyze", str(missing_cols)], "missing.csv"),
        "garbage values": (["analyze", str(garbage)], "garbage.csv"),
        "unknown exercise": (["analyze", good_track, "--exercise", "deep_squat"], "deep_squat"),
        "broken spec": (["analyze", good_track, "--spec", str(bad_spec)], "broken.toml"),
        "unwritable out": (["analyze", good_track, "--out", str(blocker / "out")], "a_file"),
        "bad save-track": (["analyze", str(CLIP), "--save-track", str(tmp / "t.txt")], "t.txt"),
    }


@pytest.mark.parametrize("case", ["missing", "not a video", "empty", "header only", "missing columns",
                                  "garbage values", "unknown exercise", "broken spec", "unwritable out",
                                  "bad save-track"])
def test_bad_input_gives_one_line_and_exit_2(case, tmp_path):
    args, needle = _bad_inputs(tmp_path)[case]
    out = tmp_path / "out"
    if "--out" not in args:
        args = [*args, "--out", str(out)]
    result = _run_cli([*args, "--no-progress"])
    _assert_one_line_error(result, needle)
    assert not (out / "report.json").exists()


def test_video_without_a_person_is_an_error_and_keeps_earlier_outputs(tmp_path, pose_model):
    blank = tmp_path / "empty_room.mp4"
    writer = cv2.VideoWriter(str(blank), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (320, 240))
    for i in range(15):
        image = np.full((240, 320, 3), 90 + 5 * i, dtype=np.uint8)
        writer.write(image)
    writer.release()
    out = tmp_path / "out"
    first = _run_cli(["analyze", str(SAMPLES / "bridge_side.track.csv"), "--exercise", "bridge", "--out", str(out),
                      "--no-video", "--no-progress"])
    assert first.returncode == 0, first.stderr
    before = (out / "report.json").read_text()
    result = _run_cli(["analyze", str(blank), "--out", str(out), "--model", str(pose_model), "--no-progress"])
    _assert_one_line_error(result, "empty_room.mp4", "no person")
    assert (out / "report.json").read_text() == before  # the earlier run's report is untouched
    assert sorted(p.name for p in out.iterdir()) == ["metrics.csv", "report.html", "report.json"]


def test_exercise_and_spec_together_is_a_usage_error(tmp_path):
    result = _run_cli(["analyze", str(SAMPLES / "bridge_side.track.csv"), "--exercise", "bridge",
                       "--spec", "exercise_specs/bridge.toml", "--out", str(tmp_path)])
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_run_analyze_rejects_a_folder_as_input(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        run_analyze(AnalyzeRequest(input=tmp_path, out_dir=tmp_path / "out"))
