"""Live mode without the pose model: frame handoff, capture, keys, sounds, set-up guidance, the screen."""

from __future__ import annotations

import dataclasses
import io
import threading
import time
import wave

import numpy as np
import pytest

from formcheck.engine.types import Event
from formcheck.live import keys as k
from formcheck.live.capture import ENDED, LOST, Capture, CameraTarget, LatestSlot
from formcheck.live.screen import BIG, HUGE, MEDIUM, Banner, Screen
from formcheck.live.setup import EXERCISE, POSITION, SETUP, SetupGuide, body_extent, parts_out_of_frame
from formcheck.live.sound import TONES, SoundBoard, tone_wav
from formcheck.landmarks import INDEX
from formcheck.outputs.overlay import Panel
from formcheck.outputs.annotate import FrameAnnotation
from formcheck.specs.spec import load_spec

from live_fakes import FailingSource


# ------------------------------------------------------------------------------------------ handoff


def test_latest_slot_hands_on_only_the_newest_and_counts_the_dropped():
    slot: LatestSlot[str] = LatestSlot()
    for item in "abc":
        slot.put(item)
    seq, item = slot.get_newer(-1, timeout=0)
    assert (seq, item) == (2, "c")
    assert slot.dropped == 2  # a and b were replaced before anyone took them
    assert slot.get_newer(seq, timeout=0.01) is None
    slot.put("d")
    assert slot.get_newer(seq, timeout=0)[1] == "d"
    assert slot.dropped == 2


def test_latest_slot_wakes_a_waiting_consumer_when_closed():
    slot: LatestSlot[int] = LatestSlot()
    got = []
    thread = threading.Thread(target=lambda: got.append(slot.get_newer(-1, timeout=5)))
    thread.start()
    slot.close()
    thread.join(2)
    assert not thread.is_alive() and got == [None]


def test_camera_target_parsing():
    assert CameraTarget.parse("0") == CameraTarget(0, False)
    assert CameraTarget.parse(2).label == "camera:2"
    assert CameraTarget.parse("rtsp://host/stream").is_file is False
    assert CameraTarget.parse("clip.mp4") == CameraTarget("clip.mp4", True)


def test_paced_capture_plays_at_the_files_rate_and_drops_frames_for_a_slow_consumer():
    source = FailingSource(30, raise_error=False, fps=30.0)  # one second of video, then it ends
    capture = Capture(lambda: None, paced=True, first_source=source).start()
    seen, last = [], -1
    started = time.perf_counter()
    while True:
        got = capture.slot.get_newer(last, timeout=2)
        if got is None:
            break
        last, frame = got
        seen.append(frame)
        time.sleep(0.1)  # a consumer at 10 frames per second
    elapsed = time.perf_counter() - started
    capture.stop()
    assert capture.state == ENDED
    assert elapsed >= 0.9  # played at its own rate, not as fast as it decodes
    assert capture.slot.put_count == 30
    assert len(seen) < 20 and capture.slot.dropped >= 10
    t_ms = [f.t_ms for f in seen]
    assert t_ms == sorted(set(t_ms))
    assert max(np.diff([f.seq for f in seen])) > 1  # the consumer skipped frames: no stale backlog


def test_capture_retries_a_camera_that_stops_and_goes_on_with_increasing_times():
    opened = []

    def opener():
        opened.append(1)
        if len(opened) < 3:
            from formcheck.errors import InputError

            raise InputError("camera:0: cannot open this camera")
        return FailingSource(5, raise_error=False)

    capture = Capture(opener, paced=False, first_source=FailingSource(5), retry_s=0.01, give_up_s=5)
    states = set()
    frames = []
    capture.start()
    last = -1
    deadline = time.time() + 5
    while len(frames) < 10 and time.time() < deadline:
        states.add(capture.state)
        got = capture.slot.get_newer(last, timeout=0.01)
        if got:
            last, frame = got
            frames.append(frame)
    capture.stop()
    assert capture.failures >= 1 and len(opened) >= 3
    assert LOST in states or capture.reopen_count >= 1
    t_ms = [f.t_ms for f in frames]
    assert all(b > a for a, b in zip(t_ms, t_ms[1:]))


def test_capture_gives_up_after_give_up_s_without_a_camera():
    from formcheck.errors import InputError

    def opener():
        raise InputError("camera:0: cannot open this camera")

    capture = Capture(opener, paced=False, first_source=FailingSource(3), retry_s=0.01, give_up_s=0.1).start()
    deadline = time.time() + 3
    while capture.state != ENDED and time.time() < deadline:
        time.sleep(0.01)
    capture.stop()
    assert capture.state == ENDED
    assert "did not come back" in capture.message


# ---------------------------------------------------------------------------------------------- keys


@pytest.mark.parametrize("code, action", [
    (ord(" "), k.PAUSE), (ord("n"), k.NEXT), (ord("r"), k.RESET), (ord("p"), k.PAIN), (ord("q"), k.QUIT),
    (27, k.QUIT), (ord("Q"), k.QUIT), (ord("P"), k.PAIN), (-1, None), (ord("x"), None), (0x100000 | ord("q"), k.QUIT),
])
def test_key_actions(code, action):
    assert k.action_for_key(code) == action


def test_scripted_keys_press_at_the_given_polls():
    keys = k.ScriptedKeys({2: "p", 4: 27})
    assert [keys() for _ in range(6)] == [-1, -1, ord("p"), -1, 27, -1]


# --------------------------------------------------------------------------------------------- sound


def test_tone_wav_is_a_short_mono_wav():
    data = tone_wav(TONES["hold_target_reached"])
    with wave.open(io.BytesIO(data)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        seconds = w.getnframes() / w.getframerate()
    assert 0.2 <= seconds <= 0.3


def test_sounds_run_on_a_thread_and_never_block_the_caller():
    release = threading.Event()
    ran: list[list[str]] = []

    def slow_run(args):
        ran.append(args)
        release.wait(5)

    board = SoundBoard(player=("player",), speaker=("tts",), run=slow_run, queue_size=2)
    started = time.perf_counter()
    for i in range(10):  # far more than the queue holds while the first command hangs
        board.on_events([Event("rep", float(i), n=i + 1)])
    took = time.perf_counter() - started
    deadline = time.time() + 2
    while not ran and time.time() < deadline:  # the sound thread takes the first tone and hangs on it
        time.sleep(0.01)
    release.set()
    board.close()
    assert took < 1.0  # the loop went on while the sound command hung
    assert board.dropped >= 7
    assert ran[0][0] == "player" and ran[0][1].endswith("rep.wav")


def test_speech_is_rate_limited_and_safety_first():
    done = threading.Event()
    commands: list[list[str]] = []

    def run(args):
        commands.append(args)
        if len(commands) >= 2:
            done.set()

    board = SoundBoard(tones=False, speaker=("tts",), run=run)
    board.on_events([Event("cue", 0.0, message="Lift your hips higher")])
    board.on_events([Event("cue", 1.0, message="Lift your hips higher")])  # repeated too soon: held back
    board.on_events([Event("violation_start", 1.5, rule="knee_above_hip", message="Keep your knee below your hip",
                           severity="stop")])
    done.wait(2)
    board.close()
    said = [c[1] for c in commands]
    assert said == ["Lift your hips higher", "Keep your knee below your hip"]
    assert [line.text for line, _ in board.speech.held_back] == ["Lift your hips higher"]


def test_no_voice_means_no_speech_command():
    commands = []
    board = SoundBoard(voice=False, tones=False, speaker=("tts",), run=commands.append)
    board.on_events([Event("cue", 0.0, message="hello")])
    board.close()
    assert board.speaker is None and not board.active and commands == []


# -------------------------------------------------------------------------------------------- set-up


def _standing(height: float = 0.7, top: float = 0.15) -> np.ndarray:
    """A front-view standing body occupying `height` of the frame from `top`."""
    lm = np.zeros((33, 4))
    lm[:, 3] = 0.99
    ys = {"nose": 0.0, "shoulders": 0.15, "hips": 0.5, "knees": 0.75, "ankles": 1.0}
    for name, i in INDEX.items():
        part = ("nose" if "eye" in name or "ear" in name or "mouth" in name or name == "nose" else
                "shoulders" if any(p in name for p in ("shoulder", "elbow", "wrist", "pinky", "index", "thumb")) else
                "hips" if "hip" in name else "knees" if "knee" in name else "ankles")
        lm[i, 1] = top + height * ys[part]
        lm[i, 0] = 0.5 + (0.08 if name.startswith("left") else -0.08 if name.startswith("right") else 0.0)
    return lm


BRIGHT = np.full((240, 320, 3), 120, np.uint8)


def test_setup_checks_in_order():
    guide = SetupGuide(load_spec("bridge"))
    assert guide.check(np.zeros_like(BRIGHT), _standing(), 2).problem == "dark"
    assert guide.check(BRIGHT, None, 0).problem == "nobody"
    cut = _standing(height=0.9, top=0.3)  # feet below the bottom edge
    advice = guide.check(BRIGHT, cut, 2)
    assert advice.problem == "cut_off" and "feet" in advice.message and "head" not in advice.message
    assert parts_out_of_frame(cut) == ["feet"]
    assert guide.check(BRIGHT, _standing(height=0.2, top=0.4), 2).problem == "too_far"
    assert guide.check(BRIGHT, _standing(height=0.97, top=0.015), 2).problem == "too_close"
    assert body_extent(_standing(height=0.5)) == pytest.approx(0.5)
    advice = guide.check(BRIGHT, _standing(), 1)  # bridge wants a side view; the camera sees the front
    assert advice.problem == "view" and "side" in advice.message
    assert guide.check(BRIGHT, _standing(), 2) is None


def test_setup_asks_for_the_start_position_once_settled_then_steps_aside():
    guide = SetupGuide(load_spec("bridge"), settle_s=0.5)
    body = _standing()
    first = guide.update(0.0, BRIGHT, body, 2, in_position=False)
    assert first.stage == SETUP and "Hold still" in first.message
    later = guide.update(0.6, BRIGHT, body, 2, in_position=False)
    assert later.stage == POSITION and "starting position" in later.message and "supine" in later.message
    assert guide.update(0.7, BRIGHT, body, 2, in_position=True) == (EXERCISE_ADVICE := guide.update(
        0.8, BRIGHT, body, 2, in_position=True))
    assert EXERCISE_ADVICE.stage == EXERCISE and EXERCISE_ADVICE.message is None
    assert guide.update(3.5, BRIGHT, None, 0, in_position=False).message == "Step back into the picture"


# -------------------------------------------------------------------------------------------- screen


def _parts(cue: str | None = "Keep your knee below your hip") -> FrameAnnotation:
    panel = Panel(exercise="single_leg_squat", side="left", reps=3, rep_target=10, set_no=1, hold_elapsed_s=None,
                  hold_target_s=None, cue=cue, cue_is_fault=True, note="not measured: pelvic drop", fps=29.7,
                  latency_ms=41.0)
    return FrameAnnotation(red_segments=((INDEX["left_hip"], INDEX["left_knee"]),), labels=(), panel=panel)


@pytest.mark.parametrize("height", [360, 480, 720, 1080])
def test_screen_text_is_large_enough_to_read_from_three_metres(height):
    width = height * 4 // 3
    screen = Screen((width, height))
    canvas = screen.compose(np.zeros((height, width, 3), np.uint8), _standing(), _parts(),
                            None)
    assert canvas.shape == (height, screen.size[0], 3)
    by_where = {}
    for drawn in screen.drawn:
        by_where.setdefault(drawn.where, []).append(drawn)
    counts = [d for d in by_where["strip"] if d.text.startswith("reps")]
    assert counts and counts[0].height_px >= 0.8 * BIG * height  # the count: about 9% of the frame height
    for drawn in by_where["strip"] + by_where["cue"]:
        if "fps" not in drawn.text:
            assert drawn.height_px >= 0.8 * MEDIUM * height, drawn
    banner_screen = screen.compose(np.zeros((height, width, 3), np.uint8), banner=Banner("Too far: come closer"))
    assert banner_screen.shape[0] == height
    assert all(d.height_px >= 0.8 * MEDIUM * height for d in screen.drawn if d.where == "banner")


def test_screen_count_text_is_really_that_tall_in_pixels():
    height, width = 480, 640
    screen = Screen((width, height))
    canvas = screen.compose(np.zeros((height, width, 3), np.uint8), None, _parts(cue=None))
    strip = canvas[:, width:]
    green = (strip[:, :, 1] > 150) & (strip[:, :, 0] < 150) & (strip[:, :, 2] < 150)  # the reps line is green
    rows = np.flatnonzero(green.any(axis=1))
    assert rows.size and rows.max() - rows.min() + 1 >= 0.08 * height


def test_mirror_flips_the_picture_and_the_skeleton_with_it():
    height, width = 240, 320
    image = np.zeros((height, width, 3), np.uint8)
    image[:, :20] = (255, 0, 0)  # a blue band on the left edge
    body = _standing()
    body[:, 0] = 0.2  # the whole skeleton on the left third
    plain = Screen((width, height)).compose(image, body, _parts(cue=None))[:, :width]
    mirrored = Screen((width, height), mirror=True).compose(image, body, _parts(cue=None))[:, :width]
    assert (plain[:, :20, 0] == 255).mean() > 0.5 and (mirrored[:, -20:, 0] == 255).mean() > 0.5
    skeleton = lambda img: (img[:, :, 1] > 150) & (img[:, :, 2] < 150)  # noqa: E731 (green lines)
    cols_plain = np.flatnonzero(skeleton(plain).any(axis=0))
    cols_mirror = np.flatnonzero(skeleton(mirrored).any(axis=0))
    assert cols_plain.mean() < width / 2 < cols_mirror.mean()


def test_a_cue_in_red_at_the_bottom_when_a_rule_is_broken():
    height, width = 480, 640
    canvas = Screen((width, height)).compose(np.zeros((height, width, 3), np.uint8), None, _parts())
    bottom = canvas[int(0.8 * height):, :width]
    red = (bottom[:, :, 2] > 200) & (bottom[:, :, 0] < 80)
    assert red.mean() > 0.2


# ------------------------------------------------------------------------------------- session record


def test_chunked_rows_spill_to_disk_and_read_back_exactly():
    from formcheck.live.pipeline import _ChunkedRows

    rows = _ChunkedRows((3, 2), chunk=4)
    data = np.arange(11 * 6, dtype=np.float32).reshape(11, 3, 2)
    for row in data:
        rows.append(row)
    assert len(rows) == 11
    assert rows._block.shape[0] == 4  # one block in memory, the rest in the temp file
    np.testing.assert_array_equal(rows.array(), data)
    np.testing.assert_array_equal(rows.array(2, 9), data[2:9])
    rows.append(data[0])  # appending goes on after reading
    assert len(rows) == 12 and rows.array()[-1].tolist() == data[0].tolist()
    rows.close()


def test_balance_timer_is_the_largest_text_and_turns_green_at_the_target():
    height, width = 480, 640
    screen = Screen((width, height))
    panel = Panel(exercise="single_leg_stance", side="left", hold_target_s=30.0, big_timer_s=31.2)
    parts = FrameAnnotation(red_segments=(), labels=(), panel=panel)
    canvas = screen.compose(np.zeros((height, width, 3), np.uint8), _standing(), parts, None)
    timer = [d for d in screen.drawn if d.text == "31.2 s"]
    assert timer and timer[0].height_px >= 0.8 * HUGE * height
    assert all(d.height_px <= timer[0].height_px for d in screen.drawn)
    strip = canvas[:, width:]
    green = (strip[:, :, 1] > 180) & (strip[:, :, 2] < 120) & (strip[:, :, 0] < 120)
    assert green.sum() > 500  # the timer (and its full progress bar) in green


def test_program_step_is_a_line_of_its_own_under_the_title():
    height, width = 480, 640
    screen = Screen((width, height))
    plain = _parts(cue=None)
    stepped = dataclasses.replace(plain, panel=dataclasses.replace(plain.panel, program_step="exercise 2 of 3"))

    def green_top(parts) -> int:
        strip = screen.compose(np.zeros((height, width, 3), np.uint8), None, parts)[:, width:]
        green = (strip[:, :, 1] > 150) & (strip[:, :, 0] < 150) & (strip[:, :, 2] < 150)  # the reps line
        return int(np.flatnonzero(green.any(axis=1)).min())

    # the step line pushes the lines below it down by one medium line (6% of the height, plus the gap)
    assert green_top(stepped) - green_top(plain) >= 0.06 * height
