"""Live sessions end to end with a stand-in detector (a clip's true track): keys, camera loss, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from formcheck.live import LiveRequest, run_live
from formcheck.live.capture import Capture, open_capture, CameraTarget
from formcheck.live.keys import ScriptedKeys
from formcheck.live.sound import SoundBoard

from live_fakes import FailingSource, TrackDetector

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def _session(tmp_path: Path, clip: str, exercise: str, keys=None, *, record: bool = False, speed: float = 3.0,
             side: str = "auto", capture: Capture | None = None, detect=None, max_seconds: float | None = None):
    video = SAMPLES / f"{clip}.mp4"
    if capture is None:
        capture = open_capture(CameraTarget.parse(str(video)))
        capture.speed = speed
    commands: list[list[str]] = []
    sound = SoundBoard(player=("player",), speaker=("tts",), run=commands.append)
    request = LiveRequest(camera=str(video), exercise=exercise, side=side, out_dir=tmp_path / "out",
                          record_dir=(tmp_path / "rec") if record else None, window=False, voice=True,
                          max_seconds=max_seconds, strict=True)
    outcome = run_live(request, keys=ScriptedKeys(keys or {}), sound=sound,
                       detect=detect or TrackDetector(SAMPLES / f"{clip}.track.csv"), capture=capture)
    return outcome, commands


def test_a_whole_clip_gives_the_report_of_analyze_with_a_live_section(tmp_path):
    outcome, commands = _session(tmp_path, "bridge_side", "bridge", record=True)
    report = json.loads(outcome.report_path.read_text())
    assert report == json.loads(json.dumps(outcome.report))
    assert report["schema"] == "formcheck.report/1" and report["exercise"] == "bridge"
    truth = json.loads((SAMPLES / "bridge_side.truth.json").read_text())
    full = [r for r in truth["reps"] if r.get("full", True)]
    assert abs(len(report["reps"]) - len(full)) <= 1
    assert report["live"]["ended_by"] == "end"
    assert report["live"]["segments"][0]["ended_by"] == "end"
    assert report["frames"] == outcome.stats.frames_processed > 100
    # sounds: one tone per counted rep went to the player
    tones = [c for c in commands if c[0] == "player" and c[1].endswith("rep.wav")]
    assert len(tones) == len(report["reps"])
    # the recording is complete, in place, and the size of the screen
    video = cv2.VideoCapture(str(outcome.video_path))
    assert outcome.video_path == tmp_path / "rec" / "annotated.mp4"
    # dropped frames are filled with the frame shown in their place, so the video plays in real time
    written = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
    assert outcome.stats.frames_displayed <= written <= outcome.stats.frames_captured
    assert written >= 0.95 * outcome.stats.frames_captured
    assert int(video.get(cv2.CAP_PROP_FRAME_HEIGHT)) == 360
    video.release()
    assert not list((tmp_path / "rec").glob(".annotated-*"))  # no temp file left


def test_pain_key_stops_counting_at_once_and_is_recorded(tmp_path):
    outcome, commands = _session(tmp_path, "bridge_side", "bridge", {200: "p"})
    report = outcome.report
    assert report["summary"]["pain_stop"] is True
    pain_t = report["summary"]["pain_stop_t_s"]
    assert pain_t is not None and all(r["end_s"] <= pain_t for r in report["reps"])
    assert report["live"]["segments"][-1]["ended_by"] == "pain"
    said = [c[1] for c in commands if c[0] == "tts"]
    assert any("pain" in text.lower() for text in said)


def test_quit_key_ends_the_session_early_and_the_results_are_kept(tmp_path):
    outcome, _ = _session(tmp_path, "bridge_side", "bridge", {150: "q"}, record=True, speed=1.0)
    assert outcome.ended_by == "quit"
    assert outcome.report_path.is_file() and outcome.video_path.is_file()
    assert outcome.report["duration_s"] < 15


def test_reset_starts_a_new_count_and_keeps_the_earlier_one_listed(tmp_path):
    outcome, _ = _session(tmp_path, "bridge_side", "bridge", {250: "r"})
    segments = outcome.report["live"]["segments"]
    assert [s["ended_by"] for s in segments] == ["reset", "end"]
    assert segments[0]["kept_in_report"] is False and segments[0]["result"] is not None
    assert len(outcome.report["reps"]) == segments[1]["reps"]
    assert segments[1]["start_s"] > segments[0]["start_s"]


def test_next_switches_a_one_sided_exercise_to_the_other_side(tmp_path):
    outcome, _ = _session(tmp_path, "single_leg_squat_right_valgus_front", "single_leg_squat", {250: "n"},
                          side="right")
    segments = outcome.report["live"]["segments"]
    assert [s["side"] for s in segments] == ["right", "left"]
    assert segments[0]["ended_by"] == "next"
    assert all(r["side"] == "right" for r in outcome.report["reps"] if r["start_s"] < segments[1]["start_s"])


def test_next_on_a_bilateral_exercise_keeps_one_segment(tmp_path):
    outcome, _ = _session(tmp_path, "bridge_side", "bridge", {100: "n"}, max_seconds=3)
    assert len(outcome.report["live"]["segments"]) == 1


def test_pause_holds_the_engine_clock(tmp_path):
    outcome, _ = _session(tmp_path, "bridge_side", "bridge", {40: " ", 200: " "}, speed=1.0, max_seconds=6)
    live_s = outcome.report["duration_s"]
    assert outcome.stats.frames_displayed > outcome.stats.frames_processed  # paused frames shown, not judged
    assert live_s < 5.0  # the paused time is not exercise time


def test_camera_vanishing_mid_session_keeps_the_results(tmp_path):
    from formcheck.errors import InputError

    def opener():
        raise InputError("camera:0: cannot open this camera")

    capture = Capture(opener, paced=False, first_source=FailingSource(60), retry_s=0.02, give_up_s=0.3)
    detector = TrackDetector(SAMPLES / "bridge_side.track.csv")
    outcome, _ = _session(tmp_path, "bridge_side", "bridge", capture=capture, detect=detector)
    assert outcome.ended_by == "camera_gone"
    assert outcome.report_path.is_file()
    assert 0 < outcome.report["frames"] <= 60
    assert outcome.stats.camera_failures == 1


def test_single_leg_stance_gets_a_big_timer_and_tones_at_lift_off_target_and_touch_down(tmp_path, monkeypatch):
    """The clinical stance timer runs live: its count-up timer is on the panel, and each stance has its tones."""
    from formcheck.live import session as live_session

    timers: list[float | None] = []
    annotate = live_session.FrameAnnotator.annotation

    def spy(self, status, values_row, **kwargs):
        timers.append(kwargs.get("big_timer_s"))
        return annotate(self, status, values_row, **kwargs)

    monkeypatch.setattr(live_session.FrameAnnotator, "annotation", spy)
    outcome, commands = _session(tmp_path, "single_leg_stance_left_holds_front", "single_leg_stance")
    truth = json.loads((SAMPLES / "single_leg_stance_left_holds_front.truth.json").read_text())
    shown = [t for t in timers if t is not None]
    assert shown and max(shown) == pytest.approx(max(h["duration_s"] for h in truth["holds"]), abs=0.6)
    tones = [Path(c[1]).stem for c in commands if c[0] == "player"]
    assert tones.count("hold_start") >= len(truth["holds"])  # a tone at each lift-off
    assert tones.count("rep") >= len(truth["holds"])  # ...and at each touch-down
    assert len(outcome.report["holds"]) == len(truth["holds"])


def test_fault_cues_are_spoken_after_the_set_up_advice(tmp_path):
    # set-up advice and the engine's cues share one rate limit on one clock (the exercise time): a warning-level
    # fault after spoken set-up advice must still be said
    outcome, commands = _session(tmp_path, "single_leg_squat_right_valgus_front", "single_leg_squat", side="right")
    said = [c[1] for c in commands if c[0] == "tts"]
    assert outcome.report["violations"]
    assert said and said[0].startswith("Hold still")
    assert any("knee over your toes" in text for text in said[1:])
