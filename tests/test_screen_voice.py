"""The patient's screen and voice (issue 16): plain labels, two views, text that fits, readable from the floor,
colour-blind-safe faults, hands-free pauses and count-ins, audio-only sessions and the record of what was said."""

from __future__ import annotations

import json
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from formcheck.engine.types import EngineStatus, Event
from formcheck.kinematics.catalog import METRICS
from formcheck.landmarks import INDEX
from formcheck.live import LiveRequest, run_live
from formcheck.live import keys as k
from formcheck.live.capture import CameraTarget, open_capture
from formcheck.live.coach import AWAY_TEXT, BACK_TEXT, summary_sentence
from formcheck.live.keys import ScriptedKeys
from formcheck.live.screen import BIG, Screen, legibility
from formcheck.live.sound import SoundBoard, speech_wav
from formcheck.live.voice import KINDS, Line, Narrator, Speech, event_lines, speaking_time_s
from formcheck.outputs.annotate import PATIENT, THERAPIST, FrameAnnotation, FrameAnnotator
from formcheck.outputs.overlay import GREEN, RED, Annotator, Panel, metric_label, metric_text, wrap_text
from formcheck.engine.plan import compile_plan
from formcheck.kinematics.metrics import MetricsStream
from formcheck.specs.spec import load_spec

from live_fakes import TrackDetector

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
LONG_CUE = "Push your knees out over your toes and keep your weight over the middle of your foot"


def _standing(height: float = 0.7, top: float = 0.15) -> np.ndarray:
    """A front-view standing body occupying `height` of the frame from `top` (normalised landmarks)."""
    lm = np.zeros((33, 4))
    lm[:, 3] = 0.99
    ys = {"nose": 0.0, "shoulders": 0.15, "hips": 0.5, "knees": 0.75, "ankles": 1.0}
    for name, i in INDEX.items():
        part = ("nose" if any(p in name for p in ("eye", "ear", "mouth", "nose")) else
                "shoulders" if any(p in name for p in ("shoulder", "elbow", "wrist", "pinky", "index", "thumb")) else
                "hips" if "hip" in name else "knees" if "knee" in name else "ankles")
        lm[i, 1] = top + height * ys[part]
        lm[i, 0] = 0.5 + (0.08 if name.startswith("left") else -0.08 if name.startswith("right") else 0.0)
    return lm


def _parts(cue: str | None = LONG_CUE, red=(("left_knee", "left_ankle"),), labels=()) -> FrameAnnotation:
    panel = Panel(exercise="single_leg_squat", side="left", reps=3, rep_target=10, set_no=1, cue=cue,
                  cue_is_fault=True, note="not measured: pelvic drop (the body is turned from the camera)")
    segments = tuple((INDEX[a], INDEX[b]) for a, b in red)
    return FrameAnnotation(red_segments=segments, labels=labels, panel=panel)


def _status(**changes) -> EngineStatus:
    base = dict(exercise="x", side=None, set_no=1, side_reps=0, rep_count=0, rep_target=None, hold_elapsed_s=None,
                hold_target_s=30.0, holds_done=0, in_position=False, phase="waiting", resting=False,
                rest_left_s=None, cue=None, cue_is_fault=False, violations=(), not_measured=(),
                stopped_for_pain=False)
    return EngineStatus(**{**base, **changes})


def _live(tmp_path: Path, clip: str, exercise: str | None = None, *, keys=None, audio_only: bool = True,
          detect=None, spec=None, view: str = PATIENT, speed: float = 3.0, side: str = "auto"):
    video = SAMPLES / f"{clip}.mp4"
    capture = open_capture(CameraTarget.parse(str(video)))
    capture.speed = speed
    commands: list[list[str]] = []
    sound = SoundBoard(player=("player",), speaker=("tts",), run=commands.append, audio_only=audio_only)
    request = LiveRequest(camera=str(video), exercise=exercise, specs=(spec,) if spec is not None else (),
                          out_dir=tmp_path / "out", window=False, audio_only=audio_only, view=view, strict=True,
                          side=side)
    outcome = run_live(request, keys=ScriptedKeys(keys or {}), sound=sound, capture=capture,
                       detect=detect or TrackDetector(SAMPLES / f"{clip}.track.csv"))
    return json.loads(outcome.report_path.read_text()), commands


# ------------------------------------------------------------------------------------- 1. plain labels, two views


def test_every_drawn_label_is_the_catalog_plain_name_with_its_unit_and_direction_in_words():
    assert metric_text("hip_flexion_left", 19.2) == "left hip flexion 19\u00b0"
    assert metric_text("thigh_elevation_left", -11.0) == "left thigh elevation 11\u00b0 below level"
    assert metric_text("pelvic_obliquity", 4.0) == "pelvic obliquity 4\u00b0 left hip lower"
    assert metric_text("foot_height_right", 0.14) == "right foot height 0.14 leg lengths"
    for info in METRICS.values():
        if info.anchor is None:
            continue
        for column in info.columns():
            label = metric_label(column, 12.0)
            assert label is not None and info.plain in label.text, label
            assert "_" not in label.text
    assert metric_label("knee_fppa_left", 14.0, fault=True).text.startswith("! ")  # a fault: text, not colour only


def test_the_patient_view_shows_no_numbers_and_the_therapist_view_adds_values_thresholds_and_confidence():
    spec = load_spec("single_leg_squat")
    names = tuple(MetricsStream((640, 480)).names)
    annotator = FrameAnnotator(compile_plan(spec, names))
    values = np.full(len(names), 10.0)
    confidence = np.full(len(names), 0.9)
    status = _status(exercise=spec.id, side="left", hold_target_s=None, rep_target=10, in_position=True)
    patient = annotator.annotation(status, values, fps=30.0, latency_ms=40.0, view=PATIENT, confidence=confidence)
    assert patient.labels == () and patient.panel.details == () and patient.panel.fps is None
    therapist = annotator.annotation(status, values, fps=30.0, view=THERAPIST, confidence=confidence)
    assert therapist.labels and all(label.text.split()[0] in ("left", "right") or "\u00b0" in label.text
                                    for label in therapist.labels)
    details = " | ".join(therapist.panel.details)
    assert "conf 90%" in details and ("max " in details or "min " in details), details
    assert therapist.panel.fps == 30.0


def test_key_t_switches_between_the_patient_and_the_therapist_view_live(tmp_path):
    assert k.action_for_key(ord("t")) == k.VIEW and k.action_for_key(ord("T")) == k.VIEW
    report, _ = _live(tmp_path, "bridge_side", "bridge", keys={5: "t"}, audio_only=False)
    assert report["live"]["view"] == THERAPIST
    report, _ = _live(tmp_path / "again", "bridge_side", "bridge", keys={5: "t", 9: "t"}, audio_only=False)
    assert report["live"]["view"] == PATIENT


# ----------------------------------------------------------------------------------------------- 2. text that fits


@pytest.mark.parametrize("size", [(320, 568), (320, 240), (568, 320), (1080, 1920), (1280, 720)])
def test_every_text_on_the_live_screen_fits_portrait_and_landscape_from_320_px(size):
    width, height = size
    screen = Screen(size)
    canvas = screen.compose(np.zeros((height, width, 3), np.uint8), _standing(), _parts())
    assert screen.drawn
    for drawn in screen.drawn:
        left, top, right, bottom = drawn.box
        in_picture = drawn.where == "banner" or (drawn.where == "cue" and width >= height)  # portrait: in the strip
        limit = width if in_picture else canvas.shape[1]
        assert 0 <= left and right <= limit and 0 <= top and bottom <= height, drawn
    cue = [d for d in screen.drawn if d.where == "cue"]
    assert " ".join(d.text for d in cue) == LONG_CUE  # wrapped, every word kept
    screen.compose(np.zeros((height, width, 3), np.uint8), banner=_banner_long())
    assert all(d.box[2] <= width for d in screen.drawn)


def _banner_long():
    from formcheck.live.screen import Banner

    return Banner("Your head, shoulders and feet are out of the picture: move back or move the camera")


@pytest.mark.parametrize("size", [(320, 568), (568, 320), (640, 360)])
def test_the_annotated_video_cue_wraps_inside_the_frame(size):
    width, height = size
    image = np.zeros((height, width, 3), np.uint8)
    drawer = Annotator(width, height)
    drawer.annotate(image, None, None, panel=_parts().panel)
    vermilion = (np.abs(image.astype(int) - RED).sum(axis=2) < 30)
    rows, cols = np.nonzero(vermilion)
    assert cols.size and cols.min() > 0 and cols.max() < width - 1  # the box is inside, not cut off
    lines = wrap_text(LONG_CUE, drawer.font, drawer.font_scale * 1.2, drawer.text_thickness + 1, width)
    assert len(lines) >= (2 if width <= 400 else 1)


def test_the_cue_never_covers_the_faulty_body_part():
    height, width = 480, 640
    screen = Screen((width, height))
    body = _standing(height=0.8, top=0.18)  # the feet near the bottom edge, where the cue usually goes
    screen.compose(np.zeros((height, width, 3), np.uint8), body, _parts(red=(("left_knee", "left_ankle"),)))
    knee_y, ankle_y = body[INDEX["left_knee"], 1] * height, body[INDEX["left_ankle"], 1] * height
    for drawn in (d for d in screen.drawn if d.where == "cue"):
        assert drawn.box[3] < knee_y or drawn.box[1] > ankle_y, drawn
    screen.compose(np.zeros((height, width, 3), np.uint8), body, _parts(red=(("left_shoulder", "left_hip"),)))
    assert min(d.box[1] for d in screen.drawn if d.where == "cue") > height / 2  # a trunk fault: at the bottom


# --------------------------------------------------------------------------------- 3. readable from the floor


def test_strip_and_cue_text_read_from_three_metres_on_a_13_inch_laptop_and_large_is_bigger():
    height, width = 720, 1280
    for large, factor in ((False, 1.0), (True, 1.5)):
        screen = Screen((width, height), large=large)
        screen.compose(np.zeros((height, width, 3), np.uint8), None, _parts(cue="Keep your knee over your toes"))
        count = next(d for d in screen.drawn if d.text.startswith("reps"))
        cue = next(d for d in screen.drawn if d.where == "cue")
        assert count.height_px >= 0.8 * BIG * factor * height
        mm, arcmin = legibility(count.height_px, height)
        assert mm >= 12 * factor and arcmin >= 14 * factor  # 20/20 reads 5 arcminutes; this is three times that
        assert legibility(cue.height_px, height)[1] >= 9 * factor
    assert Screen((width, height), large=True).size[0] > Screen((width, height)).size[0]


# -------------------------------------------------------------------------------------- 3. colour-blind-safe faults


def test_a_fault_is_marked_by_a_shape_as_well_as_by_colour():
    height, width = 480, 640
    plain = Screen((width, height)).compose(np.zeros((height, width, 3), np.uint8), _standing(), _parts(cue=None,
                                                                                                        red=()))
    fault = Screen((width, height)).compose(np.zeros((height, width, 3), np.uint8), _standing(), _parts(cue=None))
    grey_plain, grey_fault = plain.mean(axis=2), fault.mean(axis=2)  # no colour at all: still different
    lm = _standing()
    mid = ((lm[INDEX["left_knee"], :2] + lm[INDEX["left_ankle"], :2]) / 2 * (width, height)).astype(int)
    y0, x0 = mid[1] - 20, mid[0] - 20
    patch_plain, patch_fault = grey_plain[y0:y0 + 40, x0:x0 + 40], grey_fault[y0:y0 + 40, x0:x0 + 40]
    assert (patch_fault > 200).sum() > (patch_plain > 200).sum() + 10  # the triangle's white "!" and rim
    assert (np.abs(fault[y0:y0 + 40, x0:x0 + 40].astype(int) - RED).sum(axis=2) < 40).sum() > 50
    # the palette: good and fault stay far apart as people with deuteranopia and protanopia see them
    # (Machado et al. 2009 simulation matrices, applied to the 0-255 values as an approximation)
    deutan = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]])
    protan = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]])
    for matrix in (deutan, protan):
        seen = [np.clip(matrix @ np.array(bgr[::-1], float), 0, 255) for bgr in (GREEN, RED)]
        assert np.linalg.norm(seen[0] - seen[1]) > 80


# ---------------------------------------------------------------------------------------------- 4. hands-free


def test_the_hold_count_in_is_three_two_one_hold_a_second_apart():
    narrator = Narrator(load_spec("hip_flexor_stretch"))
    said: list[Line] = []
    for i in range(60):
        t = i * 0.1
        said += narrator.frame(t, _status(in_position=True, phase="ready"), ())[0]
    assert [line.text for line in said] == ["3", "2", "1", "hold"]
    assert [round(line.t_s) for line in said] == [0, 1, 2, 3] and {line.kind for line in said} == {"hold"}
    # the patient starts holding before "hold": the rest of the count-in is dropped, not said late
    narrator = Narrator(load_spec("hip_flexor_stretch"))
    narrator.frame(0.0, _status(in_position=True), ())
    lines, dropped = narrator.frame(1.5, _status(in_position=True, hold_elapsed_s=0.1),
                                    (Event("hold_start", 1.5),))
    assert lines == [] and [line.text for line in dropped] == ["2", "1", "hold"]


def test_hold_time_to_go_is_spoken_in_words():
    narrator = Narrator(load_spec("hip_flexor_stretch"))
    said = []
    for i in range(0, 310):
        elapsed = i * 0.1
        said += narrator.frame(elapsed, _status(in_position=True, hold_elapsed_s=elapsed, phase="holding"), ())[0]
    assert [line.text for line in said if "to go" in line.text] == ["Twenty seconds to go", "Ten seconds to go"]


def test_the_rest_between_sets_counts_down_aloud_and_the_next_set_starts_by_itself():
    narrator = Narrator(load_spec("bridge"))  # 2 sets
    said = []
    for i in range(0, 160):
        t = i * 0.1
        left = 15.0 - t
        status = _status(set_no=2, resting=left > 0, rest_left_s=max(0.0, left) if left > 0 else None,
                         hold_target_s=None, in_position=True)
        said += narrator.frame(t, status, ())[0]
    assert [line.text for line in said] == ["Next set in ten seconds", "3", "2", "1", "Set 2: go"]
    assert [line.kind for line in said] == ["count"] * 5
    assert [line.text for line in event_lines([Event("set_done", 1.0, n=1, message="Set 1 done: rest 45 s")],
                                              audio_only=False)] == ["Set 1 done. Rest forty five seconds."]


def test_the_session_pauses_when_the_patient_walks_out_and_goes_on_back_in_position(tmp_path):
    detector = TrackDetector(SAMPLES / "bridge_side.track.csv")

    def detect(image, t_ms):  # nobody in the picture from 6 s to 9.5 s
        found = detector(image, t_ms)
        return None if 6000 <= t_ms <= 9500 else found

    report, _ = _live(tmp_path, "bridge_side", "bridge", detect=detect, speed=2.0)
    live = report["live"]
    assert len(live["auto_pauses"]) == 1
    pause = live["auto_pauses"][0]
    assert 6.0 < pause["start_s"] < 9.5 and pause["end_s"] is not None and pause["end_s"] > 9.5
    texts = [line["text"] for line in live["spoken"]]
    assert AWAY_TEXT in texts and BACK_TEXT in texts and texts.index(AWAY_TEXT) < texts.index(BACK_TEXT)


# -------------------------------------------------------------------------------- 5. audio only, 6. what was said


def test_speech_never_piles_up_counts_wait_briefly_and_safety_goes_first():
    speech = Speech()
    assert speech.offer(Line(0.0, "Push your knees out over your toes", "cue"))
    assert not speech.offer(Line(0.5, "3", "count"))  # waits for the cue to end...
    assert speech.due(1.0) is None
    said = speech.due(3.0)
    assert said is not None and said.text == "3" and said.t_s == 3.0  # ...and is said then
    assert not speech.offer(Line(3.1, "Lift your hips", "cue"))
    assert speech.offer(Line(3.2, "Keep your knee below your hip", "cue", urgent=True))
    ends = [line.t_s + speaking_time_s(line.text) for line in speech.spoken]
    starts = [line.t_s for line in speech.spoken]
    assert all(start >= end for start, end in zip(starts[1:-1], ends[:-2]))  # one at a time (safety excepted)
    assert [(line.text, why) for line, why in speech.held_back] == [("Lift your hips", "speaking")]


def test_an_audio_only_session_speaks_each_rep_count_and_each_fault_once(tmp_path):
    report, commands = _live(tmp_path, "single_leg_squat_right_valgus_front", "single_leg_squat", side="right")
    live = report["live"]
    spoken, held = live["spoken"], live["held_back"]
    assert {line["kind"] for line in spoken} <= set(KINDS) and all(set(line) == {"t_s", "text", "kind"}
                                                                    for line in spoken)
    counts = [line["text"] for line in spoken if line["kind"] == "count" and line["text"].isdigit()]
    assert report["reps"] and counts == [str(n) for n in range(1, len(report["reps"]) + 1)]
    faults = [v for v in report["violations"]]
    assert faults
    cue_lines = [line for line in spoken + held if line["kind"] == "cue"]
    for message in {v["message"] for v in faults}:
        said = [line for line in spoken if line["text"] == message]
        assert said, message  # each fault is heard...
        times = [line["t_s"] for line in said]
        assert all(b - a >= 10.0 for a, b in zip(times, times[1:]))  # ...and not nagged about
    assert len([c for c in cue_lines if c["text"] in {v["message"] for v in faults}]) == len(faults)
    assert spoken[-1]["kind"] == "summary" and "Single" in spoken[-1]["text"] or spoken[-1]["kind"] == "summary"
    said_by_tts = [c[-1] for c in commands if c[0] == "tts"]
    assert said_by_tts == [line["text"] for line in spoken]  # what the record says is what went to the voice
    assert all("why" in line for line in held)


def test_the_end_of_exercise_summary_in_words():
    from formcheck.engine.types import EngineStats, Violation

    spec = load_spec("bridge")
    stats = EngineStats(10, 5.0, 1, 0, 0, 0, 0, 0, 0, None, {}, {}, ())
    fault = Violation("hips", 1.0, 2.0, None, 3.0, "Lift your hips", "warning", "hip_flexion_left")
    result = type("R", (), {"reps": (1, 2, 3), "holds": (), "violations": (fault,), "stats": stats})()
    assert summary_sentence(spec, [result]) == "Bridge done: three reps. One fault, mostly: Lift your hips"


@pytest.mark.skipif(shutil.which("espeak-ng") is None and shutil.which("espeak") is None,
                    reason="no espeak-ng to render speech with")
def test_the_spoken_lines_of_a_short_session_render_to_speech_of_plausible_length(tmp_path):
    report, _ = _live(tmp_path, "bridge_side", "bridge")
    spoken = report["live"]["spoken"]
    assert len(spoken) >= 4
    total = 0.0
    for i, line in enumerate(spoken):
        path = speech_wav(line["text"], tmp_path / f"{i}.wav")
        with wave.open(str(path)) as w:
            seconds = w.getnframes() / w.getframerate()
            samples = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(float)
        words = len(line["text"].split())
        assert 0.2 <= seconds <= 1.0 + 0.8 * words, (line, seconds)  # speech, at a speaking pace
        assert np.sqrt(np.mean(samples ** 2)) > 300  # not silence
        assert seconds <= 2.0 * speaking_time_s(line["text"]) + 0.5  # the rate limit's estimate is about right
        total += seconds
    assert total < report["duration_s"]  # it all fits in the session: speech did not pile up
    fast = speech_wav("Push your knees out over your toes", tmp_path / "fast.wav", rate_wpm=300)
    slow = speech_wav("Push your knees out over your toes", tmp_path / "slow.wav", rate_wpm=120)
    length = lambda p: (lambda w: w.getnframes() / w.getframerate())(wave.open(str(p)))  # noqa: E731
    assert length(fast) < length(slow)
    german = speech_wav("Zehn Sekunden noch", tmp_path / "de.wav", language="de")
    assert german is not None and length(german) > 0.3


@pytest.mark.slow
def test_formcheck_live_audio_only_without_a_window_on_a_video_file_records_what_it_said(tmp_path, pose_model):
    """What the hidden checks run: the real model, a video file as the camera, `spoken` read from report.json."""
    from formcheck.cli import main

    out = tmp_path / "out"
    status = main(["live", "--audio-only", "--no-window", "--camera", str(SAMPLES / "bridge_side.mp4"),
                   "-e", "bridge", "--out", str(out), "--model", str(pose_model), "--no-history"])
    assert status in (0, None)
    report = json.loads((out / "report.json").read_text())
    spoken = report["live"]["spoken"]
    counts = [line["text"] for line in spoken if line["kind"] == "count"]
    assert report["reps"] and counts == [str(n) for n in range(1, len(report["reps"]) + 1)]
    assert spoken[-1]["kind"] == "summary" and spoken[-1]["text"].startswith("Bridge done")
    assert report["live"]["voice"]["audio_only"] is True
