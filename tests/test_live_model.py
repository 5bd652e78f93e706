"""Live mode with the real pose model: a sample clip as the camera, headless and in a window under Xvfb."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.analyze import AnalyzeRequest, run_analyze
from formcheck.cli import main
from formcheck.live.screen import BIG, Screen

HERE = Path(__file__).resolve().parent
CLIP = HERE.parent / "sample_videos" / "bridge_side.mp4"


def test_no_window_session_on_a_clip_counts_the_reps_analyze_finds(tmp_path, pose_model, capsys):
    status = main(["live", "--exercise", "bridge", "--camera", str(CLIP), "--no-window", "--no-voice",
                   "--model", str(pose_model), "--out", str(tmp_path / "live")])
    assert status == 0
    live = json.loads((tmp_path / "live" / "report.json").read_text())
    batch = run_analyze(AnalyzeRequest(input=CLIP, out_dir=tmp_path / "batch", exercise="bridge",
                                       write_video=False, model=pose_model, progress=False)).report
    assert len(batch["reps"]) >= 3
    assert abs(len(live["reps"]) - len(batch["reps"])) <= 1  # live drops frames when it lags
    assert live["schema"] == batch["schema"]
    assert set(batch) <= set(live)  # the same report, plus the "live" section
    assert live["live"]["figures"]["frames_displayed"] > 0.5 * batch["frames"]
    out = capsys.readouterr().out
    assert "reps counted" in out and "Live:" in out


def test_bad_camera_is_one_line_listing_cameras_and_exit_2(tmp_path, capsys):
    status = main(["live", "--camera", "9", "--no-window", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1 and err[0].startswith("formcheck: error: camera:9: cannot open")
    assert "camera" in err[0] and ("cameras that open" in err[0] or "no camera opens" in err[0])
    assert not (tmp_path / "o").exists()  # nothing written for a session that never started


def test_missing_video_as_camera_is_one_line_and_exit_2(tmp_path, capsys):
    status = main(["live", "--camera", str(tmp_path / "nope.mp4"), "--no-window"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and err == [f"formcheck: error: {tmp_path / 'nope.mp4'}: no such file"]


def _probe(tmp_path: Path, model: Path, *args: str) -> tuple[dict, np.ndarray]:
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (apt-get install xvfb)")
    done = subprocess.run(["xvfb-run", "-a", sys.executable, str(HERE / "live_window_probe.py"), str(tmp_path),
                           str(model), str(HERE.parent / "sample_videos" / "bridge_side.mp4"), *args],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    probe = json.loads((tmp_path / "probe.json").read_text())
    return probe, cv2.imread(str(tmp_path / "last_shown.png"))


def test_real_window_under_xvfb_shows_what_the_patient_needs(tmp_path, pose_model):
    probe, shown = _probe(tmp_path, pose_model)
    assert probe["frames_shown"] > 30
    assert all(v >= 1 for v in probe["visible"])  # cv2 says the window is visible
    assert probe["ended_by"] == "max_seconds"
    screen = Screen((640, 360))
    assert shown.shape == (360, screen.size[0], 3)
    picture, strip = shown[:, :640], shown[:, 640:]
    # the skeleton over the patient: green bones and white joints in the picture
    green = (picture[:, :, 1] > 170) & (picture[:, :, 0] < 130) & (picture[:, :, 2] < 130)
    assert green.sum() > 200
    # the status strip: the exercise and a rep count in big green digits, tall enough for three metres
    green_rows = np.flatnonzero(((strip[:, :, 1] > 150) & (strip[:, :, 0] < 150) & (strip[:, :, 2] < 150)).any(axis=1))
    assert green_rows.size and green_rows.max() - green_rows.min() + 1 >= 0.8 * BIG * 360
    white_rows = np.flatnonzero((strip.min(axis=2) > 200).any(axis=1))
    assert white_rows.size and white_rows.min() < 0.15 * 360  # the title at the top
    assert json.loads(Path(probe["report"]).read_text())["schema"] == "formcheck.report/1"


def test_closing_the_window_ends_the_session_cleanly_with_a_report(tmp_path, pose_model):
    probe, _ = _probe(tmp_path, pose_model, "--close-after", "20", "--mirror")
    assert probe["ended_by"] == "window_closed"
    assert 20 <= probe["frames_shown"] <= 25
    report = json.loads(Path(probe["report"]).read_text())
    assert report["live"]["ended_by"] == "window_closed" and report["live"]["mirror"] is True
