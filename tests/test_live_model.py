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
from formcheck.errors import InputError
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


# --- which model live runs: auto switches full to lite when full cannot keep 25 FPS -----------------

from formcheck.errors import ModelError  # noqa: E402
from formcheck.live import LiveRequest, run_live  # noqa: E402
from formcheck.live import model_choice, session as live_session  # noqa: E402
from formcheck.live.capture import CameraTarget, open_capture  # noqa: E402
from formcheck.live.keys import ScriptedKeys  # noqa: E402
from formcheck.live.model_choice import LiveModel, check_speed  # noqa: E402
from formcheck.live.sound import SoundBoard  # noqa: E402
from formcheck.pose.model_store import ModelFile  # noqa: E402

from live_fakes import TrackDetector  # noqa: E402

TRACK = HERE.parent / "sample_videos" / "bridge_side.track.csv"


def _model_file(variant: str) -> ModelFile:
    return ModelFile(path=Path(f"pose_landmarker_{variant}.task"), sha256=variant[0] * 64, size_bytes=1,
                     source="cache", obtained="in a test", identity=None, variant=variant)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TimedEstimator:
    """A stand-in model that takes `ms` milliseconds of the fake clock per frame."""

    def __init__(self, clock: FakeClock, ms: float, name: str) -> None:
        self.clock, self.ms, self.name = clock, ms, name
        self.detector = TrackDetector(TRACK)
        self.calls = 0
        self.closed = False

    def detect(self, image, t_ms):
        self.calls += 1
        self.clock.now += self.ms / 1000.0
        return self.detector(image, t_ms)

    def close(self) -> None:
        self.closed = True


def _live_model(clock: FakeClock, full_ms: float, *, auto: bool = True, lite_available: bool = True):
    opened: dict[str, TimedEstimator] = {}

    def open_estimator(path: Path) -> TimedEstimator:
        variant = path.stem.rsplit("_", 1)[-1]
        opened[variant] = TimedEstimator(clock, full_ms if variant == "full" else 12.0, variant)
        return opened[variant]

    def find_lite() -> ModelFile:
        if not lite_available:
            raise ModelError("no pose model (pose_landmarker_lite.task); tried: cache (absent)")
        return _model_file("lite")

    return LiveModel(_model_file("full"), open_estimator, auto=auto, find_fallback=find_lite, clock=clock), opened


def _feed(model: LiveModel, frames: int) -> None:
    image = np.zeros((8, 8, 3), np.uint8)
    for i in range(frames):
        model.detect(image, i * 33)
        if model._thread is not None:
            model._thread.join()


def test_speed_check_leaves_out_the_warm_up_frames():
    check = check_speed([500.0] * model_choice.WARMUP_FRAMES + [30.0, 35.0, 50.0])
    assert (check.frames, check.pose_ms_median) == (3, 35.0)
    assert check.keeps_up and round(check.fps, 1) == 28.6
    assert not check_speed([0.0] * model_choice.WARMUP_FRAMES + [41.0, 45.0]).keeps_up


def test_a_full_model_too_slow_for_25_fps_is_switched_to_lite_and_said_on_screen():
    clock = FakeClock()
    model, opened = _live_model(clock, full_ms=50.0)
    _feed(model, 120)
    assert model.speed is not None and model.speed.pose_ms_median == pytest.approx(50.0)
    assert model.model.variant == "lite" and opened["full"].closed
    assert opened["lite"].calls > 0
    assert opened["full"].calls == model_choice.WARMUP_FRAMES + model.speed.frames  # then lite, from the next frame
    assert model.notice(clock.now) == "Switched to the lite pose model: full ran at 20 FPS here (below 25)"
    assert model.notice(clock.now + model_choice.NOTICE_S + 1) is None
    fields = model.report_fields()
    assert (fields["model_variant"], fields["model_sha256"]) == ("lite", "l" * 64)
    assert fields["model_choice"]["asked"] == "auto" and fields["model_choice"]["switched_from"] == "full"
    assert fields["model_choice"]["speed_check"]["fps"] == 20.0
    model.close()
    assert opened["lite"].closed


def test_a_full_model_fast_enough_is_kept_and_no_longer_timed():
    clock = FakeClock()
    model, opened = _live_model(clock, full_ms=30.0)
    _feed(model, 200)
    assert model.model.variant == "full" and set(opened) == {"full"}
    assert model.speed.keeps_up and model.note is None
    assert len(model._times) < 200  # timing stops after the first seconds


def test_when_lite_cannot_be_obtained_full_stays_and_the_screen_says_why():
    clock = FakeClock()
    model, opened = _live_model(clock, full_ms=60.0, lite_available=False)
    _feed(model, 100)
    assert model.model.variant == "full" and set(opened) == {"full"}
    assert model.notice(clock.now).startswith(
        "The full pose model runs at 17 FPS here; the lite model is not available (no pose model")


def test_a_variant_named_is_never_switched():
    clock = FakeClock()
    model, opened = _live_model(clock, full_ms=80.0, auto=False)
    _feed(model, 150)
    assert model.model.variant == "full" and model.speed is None and set(opened) == {"full"}
    assert model.report_fields()["model_choice"]["asked"] == "full"


@pytest.mark.parametrize(
    ("model_path", "variant", "source", "found_variant", "auto"),
    [(None, "auto", "cache", "full", True), (None, "auto", "env", "full", True),
     ("mine.task", "auto", "option", "full", False), (None, "auto", "env", None, False),
     (None, "full", "cache", "full", False), (None, "lite", "cache", "lite", False)],
)
def test_auto_switches_only_a_known_full_model_not_a_file_given_with_model(monkeypatch, model_path, variant, source,
                                                                          found_variant, auto):
    asked = []

    def fake_find(path=None, *, variant=None, progress=True, fetch=True):
        asked.append(variant)
        return ModelFile(Path("x.task"), "0" * 64, 1, source, "test", None, found_variant)

    monkeypatch.setattr(model_choice, "find_model", fake_find)
    monkeypatch.setattr("formcheck.pose.estimator.PoseEstimator", lambda path: TimedEstimator(FakeClock(), 1, "x"))
    live_model = model_choice.open_live_model(model_path, variant)
    assert live_model.auto is auto
    assert asked == [None if variant == "auto" else variant]


def test_a_session_switched_to_lite_records_it_in_the_report_and_shows_it(tmp_path, monkeypatch):
    clock = FakeClock()
    model, _ = _live_model(clock, full_ms=45.0)
    monkeypatch.setattr(live_session, "open_live_model", lambda path, variant: model)
    notes: list[str | None] = []
    annotation = live_session.FrameAnnotator.annotation

    def recording(self, *args, **kwargs):
        notes.append(kwargs.get("note"))
        return annotation(self, *args, **kwargs)

    monkeypatch.setattr(live_session.FrameAnnotator, "annotation", recording)
    monkeypatch.setattr(model_choice.LiveModel, "notice", lambda self, now: self.note)  # the fake clock runs fast
    video = HERE.parent / "sample_videos" / "bridge_side.mp4"
    capture = open_capture(CameraTarget.parse(str(video)))
    capture.speed = 3.0
    outcome = run_live(LiveRequest(camera=str(video), exercise="bridge", out_dir=tmp_path, window=False,
                                   voice=False, tones=False, strict=True),
                       keys=ScriptedKeys({}), sound=SoundBoard(voice=False, tones=False), capture=capture)
    pose = outcome.report["track"]["pose"]
    assert pose["model_variant"] == "lite" and pose["model_sha256"] == "l" * 64
    assert pose["model_choice"]["switched_from"] == "full"
    assert "Switched to the lite pose model: full ran at 22 FPS here (below 25)" in notes


def test_an_unknown_model_variant_is_refused_before_anything_starts(tmp_path):
    with pytest.raises(InputError, match="model variant must be one of auto, lite, full, heavy, not 'medium'"):
        run_live(LiveRequest(camera=str(CLIP), window=False, model_variant="medium", out_dir=tmp_path / "o"))
    assert not (tmp_path / "o").exists()
