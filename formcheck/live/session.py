"""A live session: capture -> pose worker -> pipeline -> screen, keys, sounds; report.json at the end.

    run_live(LiveRequest(camera="0", exercise="bridge"))   # what `formcheck live` does
    run_live(LiveRequest(camera="0", exercises=("bridge", "clamshell")))   # a program: `n` moves on

Outputs are written even when the session is cut short (quit, window closed, Ctrl-C, camera gone):
the video goes to a hidden temp file renamed into place when complete, report.json is written last.
In a program each exercise's report is written as soon as the patient moves on from it (see program.py).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from formcheck.analyze import CANVAS_BGR, REPORT_NAME, VIDEO_NAME, summary_text
from formcheck.outputs.annotate import PATIENT, THERAPIST, VIEWS, FrameAnnotator
from formcheck.errors import InputError
from formcheck.history.record import HistoryNote, HistoryTarget, record_run
from formcheck.landmarks import SIDE_CHOICES
from formcheck.kinematics.context import POSITION_CODE
from formcheck.measures import MeasureOptions
from formcheck.measures.stance import StanceTimer
from formcheck.outputs.report import write_report
from formcheck.program.followed import Following
from formcheck.reports.session_page import save_session_page
from formcheck.specs.spec import ExerciseSpec
from formcheck.live import keys as k
from formcheck.live.capture import LOST, Capture, CameraTarget, open_capture
from formcheck.live.coach import Coach
from formcheck.live.model_choice import LIVE_VARIANTS, LiveModel, open_live_model
from formcheck.live.pipeline import FrameOutcome, LivePipeline
from formcheck.live.program import SESSION_NAME, ExerciseRun, Program, session_index
from formcheck.live.screen import Banner, Screen
from formcheck.live.setup import EXERCISE, SetupGuide, body_turn
from formcheck.live.sound import SoundBoard, check_language
from formcheck.live.worker import PoseResult, PoseWorker

NO_WINDOW_GIVE_UP_S = 10.0  # without a window nobody can quit: stop retrying a lost camera after this
FPS_WINDOW = 30
SUMMARY_WAIT_S = 8.0  # at the end, how long to wait for the summary to be said before the sound thread stops
MAX_REPEAT = 15  # at most half a second of a recorded frame standing in for frames the pipeline dropped


@dataclass(frozen=True)
class LiveRequest:
    """The inputs of one `formcheck live` session."""

    camera: str = "0"
    exercise: str | None = None
    spec_path: Path | None = None
    exercises: tuple[str, ...] = ()  # more exercises after `exercise`: a program done in turn, `n` moves on
    spec_paths: tuple[Path, ...] = ()  # the same with spec files
    side: str = "auto"
    mirror: bool = False
    record_dir: Path | None = None
    out_dir: Path | None = None
    window: bool = True
    voice: bool = True
    tones: bool = True
    model: Path | None = None
    model_variant: str = "auto"  # auto: full, or lite when full cannot keep 25 FPS here (see model_choice)
    skeleton_only: bool = False  # show and record the skeleton on a plain background (no face, no room)
    max_seconds: float | None = None
    strict: bool = False
    measure_options: MeasureOptions = field(default_factory=MeasureOptions)
    specs: tuple[ExerciseSpec, ...] = ()  # specs made in code (e.g. tailored to a plan), instead of ids or files
    plans: tuple[Following | None, ...] = ()  # the plan each of `specs` follows: its sides are enforced
    history: HistoryTarget | None = None  # record each exercise there once its report is written (None: do not)
    view: str = PATIENT  # "patient" (what helps now) or "therapist" (angles, thresholds, confidence); `t` toggles
    large: bool = False  # bigger type on the screen, for a patient farther away or seeing less well
    audio_only: bool = False  # say every count, hold time, fault, set change and the summary
    language: str | None = None  # the voice's language (an espeak-ng voice); None: its default
    rate_wpm: float | None = None  # the voice's speed in words per minute; None: its default

    def program(self) -> Program:
        """The exercises of the session in order (the default exercise when none is given)."""
        if self.specs:
            return Program(tuple(self.specs), tuple(self.plans))
        ids = ((self.exercise,) if self.exercise else ()) + tuple(self.exercises)
        paths = ((self.spec_path,) if self.spec_path is not None else ()) + tuple(self.spec_paths)
        return Program.resolve(ids, paths)


@dataclass(frozen=True)
class LiveStats:
    """How the session ran (also in report.json's "live" section)."""

    frames_captured: int
    frames_dropped_before_pose: int
    frames_processed: int
    frames_displayed: int
    displayed_fps: float
    latency_ms_median: float | None
    latency_ms_p95: float | None
    pose_ms_median: float | None
    camera_failures: int
    pose_errors: int


@dataclass(frozen=True)
class LiveOutcome:
    """Where the outputs went, the report, the summary paragraph and the run's figures."""

    out_dir: Path
    report_path: Path  # report.json; for a program of several exercises, session.json (the index)
    video_path: Path | None
    report: dict
    summary: str
    stats: LiveStats
    ended_by: str
    reports: tuple[Path, ...] = ()  # every exercise's report.json, in program order
    history: tuple[HistoryNote, ...] = ()  # each exercise's recorded session, or why it was not recorded


class Recorder:
    """The annotated video of the session, written to a temp file and renamed into place when finished."""

    def __init__(self, folder: Path, fps: float, size: tuple[int, int]) -> None:
        from formcheck.outputs.video_writer import ThreadedVideoWriter

        self.path = folder / VIDEO_NAME
        fd, tmp = tempfile.mkstemp(prefix=".annotated-", suffix=".mp4", dir=folder)
        os.close(fd)
        self._tmp = Path(tmp)
        self._writer = ThreadedVideoWriter(self._tmp, fps, size)
        self.error: str | None = None
        self.finished = False

    def write(self, image: np.ndarray, repeat: int = 1) -> None:
        """Add a frame, `repeat` times (a frame shown in place of dropped ones stays on for their time too)."""
        if self.error is None:
            try:
                for _ in range(max(1, min(repeat, MAX_REPEAT))):
                    self._writer.write(image)
            except InputError as exc:
                self.error = str(exc)

    def finish(self) -> Path | None:
        """Close the file and move it into place; None (and the temp file removed) when writing failed."""
        self.finished = True
        try:
            self._writer.close()
        except InputError as exc:
            self.error = self.error or str(exc)
        if self.error is not None or self._writer.frames_written == 0:
            self._tmp.unlink(missing_ok=True)
            return None
        os.chmod(self._tmp, 0o644)  # mkstemp made it private; a finished video is an ordinary file
        os.replace(self._tmp, self.path)
        return self.path


def _folder(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{path}: cannot create the output folder ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK):
        raise InputError(f"{path}: cannot write to the output folder")
    return path


class LiveSession:
    """The main loop, on the calling thread (OpenCV windows want the main thread)."""

    def __init__(self, request: LiveRequest, program: Program, capture: Capture, worker: PoseWorker,
                 window, sound: SoundBoard, record_dir: Path | None, out_dir: Path | None = None,
                 target: CameraTarget | None = None, clock: Callable[[], float] = time.perf_counter,
                 live_model: LiveModel | None = None) -> None:
        self.request = request
        self.program = program
        self.capture = capture
        self.worker = worker
        self.window = window
        self.sound = sound
        self.clock = clock
        self.out_dir = out_dir
        self.target = target or CameraTarget.parse(request.camera)
        self.live_model = live_model
        size = capture.size or (640, 480)
        self.image_size = size
        self.runs: list[ExerciseRun] = [program.start(0, size, request.side)]
        self.screen = Screen(size, mirror=request.mirror, large=request.large)
        self.view = request.view
        self.coach = Coach(sound, audio_only=request.audio_only)
        self.recorder = Recorder(record_dir, capture.fps, self.screen.size) if record_dir is not None else None
        self.paused = False
        self.ended_by = "end"
        self.flash: tuple[str, float] | None = None  # a short note after a key (e.g. "count reset")
        self._offset_ms = 0
        self._pause_t_ms: int | None = None
        self._last_t_ms: int | None = None
        self._last_image: np.ndarray | None = None
        self._shown_at: deque[float] = deque(maxlen=FPS_WINDOW)
        self._latency_ms = array("f")
        self._pose_ms = array("f")
        self.frames_displayed = 0
        self._recorded_seq = -1
        self._said: str | None = None
        self.history_notes: list[HistoryNote] = []
        self._t_s = 0.0  # the exercise time of the latest frame: the clock speech is rate-limited on
        if self.run_now.intro():
            self.sound.announce(self.run_now.intro(), 0.0)

    # ------------------------------------------------------------------------------ the exercise being done

    @property
    def run_now(self) -> ExerciseRun:
        return self.runs[-1]

    @property
    def spec(self) -> ExerciseSpec:
        return self.run_now.spec

    @property
    def pipeline(self) -> LivePipeline:
        return self.run_now.pipeline

    @property
    def annotator(self) -> FrameAnnotator:
        return self.run_now.annotator

    @property
    def stance(self) -> StanceTimer | None:
        return self.run_now.stance

    @property
    def guide(self) -> SetupGuide:
        return self.run_now.guide

    # ------------------------------------------------------------------------------ the loop

    def run(self) -> str:
        """Run until the video ends, the camera is gone, the patient quits or `max_seconds` pass."""
        started = self.clock()
        last_seq = -1
        while True:
            if self._handle(k.action_for_key(self.window.poll_key())):
                break
            if self.window.closed:
                self.ended_by = "window_closed"
                break
            if self.request.max_seconds is not None and self.clock() - started >= self.request.max_seconds:
                self.ended_by = "max_seconds"
                break
            got = self.worker.results.get_newer(last_seq, timeout=0.03)
            if got is None:
                self.worker.check()
                if self.worker.finished:
                    self.ended_by = "camera_gone" if self.capture.failures else "end"
                    break
                if self.capture.state == LOST:
                    self._show_camera_lost()
                continue
            last_seq, result = got
            self._frame(result)
        return self.ended_by

    def _frame(self, result: PoseResult) -> None:
        frame = result.frame
        image = np.full_like(frame.image, CANVAS_BGR) if self.request.skeleton_only else frame.image
        self._last_image = image
        if self.paused:
            self._pause_t_ms = frame.t_ms if self._pause_t_ms is None else self._pause_t_ms
            self._display(self.screen.compose(image, banner=Banner("Paused: press space to go on")), frame)
            return
        if self._pause_t_ms is not None:  # the pause does not count as exercise time
            step_ms = round(1000.0 / self.capture.fps)
            self._offset_ms += max(0, frame.t_ms - (self._last_t_ms or frame.t_ms) - step_ms)
            self._pause_t_ms = None
        self._last_t_ms = frame.t_ms
        t_s = self._t_s = (frame.t_ms - self._offset_ms) / 1000.0
        outcome = self.pipeline.step(frame.seq, t_s, result.detected)
        self._pose_ms.append(result.pose_ms)
        self.sound.on_events(outcome.events)
        events = list(outcome.events)
        big_timer_s = None
        if self.stance is not None:
            stance = self.stance.update(t_s, outcome.values, self.pipeline.names,
                                        standing=outcome.position == POSITION_CODE["standing"])
            self.sound.on_events(stance.events)
            events += stance.events
            big_timer_s = stance.timer_s if stance.timer_s is not None else 0.0
        banner = self._banner(outcome, frame.image)
        if (off_plan := self.run_now.watch(outcome)) is not None:  # the plan's other leg at work
            banner = Banner(off_plan, "warning")
            self._say(off_plan, "warning")
        self.coach.frame(self.run_now.index, self.spec, t_s, outcome.status, events)
        parts = self.annotator.annotation(outcome.status, outcome.values, fps=self.fps,
                                          latency_ms=self._latency_ms[-1] if self._latency_ms else None,
                                          note=self._note(outcome),
                                          big_timer_s=big_timer_s, view=self.view,
                                          confidence=outcome.confidence)
        landmarks = outcome.landmarks if outcome.has_pose else None
        self._display(self.screen.compose(image, landmarks, parts, banner), frame)
        if self.run_now.side_dose_done():
            self._next()  # the plan's dose on this side is done: on to the plan's next side

    def _display(self, canvas: np.ndarray, frame) -> None:
        self.window.show(canvas)
        now = self.clock()
        self._shown_at.append(now)
        self._latency_ms.append((now - frame.captured_at) * 1000.0)
        self.frames_displayed += 1
        if self.recorder is not None:  # real-time playback: the frame also fills the dropped frames before it
            self.recorder.write(canvas, repeat=frame.seq - self._recorded_seq if self._recorded_seq >= 0 else 1)
            self._recorded_seq = frame.seq

    def _show_camera_lost(self) -> None:
        message = self.capture.message or "the camera stopped; trying again..."
        image = self._last_image if self._last_image is not None else np.zeros(
            (self.screen.height, self.screen.width, 3), np.uint8)
        self.window.show(self.screen.compose(image, banner=Banner(message[:1].upper() + message[1:], "warning")))
        self._say(message, "warning")

    def _banner(self, outcome: FrameOutcome, image: np.ndarray) -> Banner | None:
        status = outcome.status
        if status.stopped_for_pain:
            message = ("Stopped because of pain. Rest, and tell your therapist if it does not settle. "
                       "Press q to finish.")
            return Banner(message, "stop")
        landmarks = outcome.landmarks if outcome.has_pose else None
        advice = self.guide.update(outcome.t_s, image, landmarks, outcome.view, status.in_position,
                                   body_turn(outcome.values, self.pipeline.names), self.pipeline.last_world)
        paused = self.coach.away(outcome.t_s, advice.stage == EXERCISE and advice.problem == "nobody",
                                 status.in_position)
        if paused is not None:  # walked out: paused until back in the starting position
            return Banner(*paused)
        if advice.message is None:
            return None
        self._say(advice.message, "info")
        return Banner(advice.message, "warning" if advice.problem else "info")

    def _note(self, outcome: FrameOutcome) -> str | None:
        model_note = self.live_model.notice(self.clock()) if self.live_model is not None else None
        if model_note is not None:
            return model_note
        if self.flash is not None and self.clock() - self.flash[1] < 2.0:
            return self.flash[0]
        return None if self.guide.stage == EXERCISE or outcome.status.in_position else "getting ready"

    def _say(self, text: str, severity: str) -> None:
        """Speak live mode's own message once (retried while the rate limit holds it back)."""
        if text != self._said and self.sound.say(text, self._t_s, severity):
            self._said = text

    def _announce(self, text: str) -> None:
        """Say the answer to a key press at once, and let the new exercise's advice be spoken afresh."""
        self.sound.announce(text, self._t_s)
        self._said = None

    # ------------------------------------------------------------------------------ keys

    def _handle(self, action: str | None) -> bool:
        """Apply a key's action; True to quit."""
        if action is None:
            return False
        if action == k.QUIT:
            self.ended_by = "quit"
            return True
        if action == k.PAUSE:
            self.paused = not self.paused
            self._flash("paused" if self.paused else "going on")
        elif action == k.PAIN:
            events = self.pipeline.stop_for_pain()
            self.sound.on_events(events)
            self._flash("pain recorded")
        elif action == k.RESET:
            self.run_now.reset()
            self._flash("count reset")
        elif action == k.NEXT:
            self._next()
        elif action == k.VIEW:
            self.view = THERAPIST if self.view == PATIENT else PATIENT
            self._flash(f"{self.view} view")
        return False

    def _next(self) -> None:
        """`n`: the other side of a one-sided exercise (the plan's next side), then the next exercise."""
        step = self.run_now.next_step(self.run_now.index + 1 < len(self.program), several=self.program.several)
        if step.next_exercise:
            self._next_exercise()
            return
        if step.side is not None:
            self.run_now.switch_side(step.side)
            self._announce(step.say)
        self._flash(step.flash)

    def _next_exercise(self) -> None:
        """Close the exercise being done (its report is written now) and start the program's next one."""
        done = self.run_now
        done.pipeline.finish(ended_by="next")
        self.coach.summarise(done, self._t_s)
        try:
            self.write_run_report(done, ended_by="next")
        except (InputError, OSError) as exc:  # kept in memory: written again when the session ends
            self._flash(f"report not saved yet: {exc}")
        index = done.index + 1
        self.runs.append(self.program.start(index, self.image_size, self.request.side))
        self._flash(f"next: {self.program.title(index)}")
        self._announce(f"Next exercise: {self.program.specs[index].name}{self.run_now.intro(lead='. ')}")

    # ------------------------------------------------------------------------------ outputs

    def write_run_report(self, run: ExerciseRun, *, ended_by: str, video: Path | None = None) -> None:
        """Write one exercise's report.json (OUT/report.json, or OUT/<n>_<id>/report.json in a program)."""
        if run.report is not None or not run.frames or self.out_dir is None:
            return
        folder = _folder(self.out_dir / self.program.folder(run.index)) if self.program.several else self.out_dir
        stats = session_stats(self)
        live = self.live_section(ended_by, stats, video)
        if self.program.several:
            live["program"] = {"n": run.index + 1, "of": len(self.program),
                               "exercises": [spec.id for spec in self.program.specs]}
        outputs = [] if video is None else [VIDEO_NAME if video.parent == folder else str(video)]
        pose_meta = {"frames": run.frames, "ms_per_frame": stats.pose_ms_median,
                     "frames_dropped_before_pose": stats.frames_dropped_before_pose,
                     "running_mode": "video, on a worker thread (newest frame only)",
                     **(self.live_model.report_fields() if self.live_model is not None else {})}
        report = run.pipeline.report(source=self.target.label, fps=self.capture.fps, extra=live,
                                     meta={"pose": pose_meta}, outputs=outputs + [REPORT_NAME],
                                     options=self.request.measure_options)
        report.update(run.plan_section(report))  # the plan followed: {"plan": ...}, or nothing
        run.report_path = write_report(folder / REPORT_NAME, report)
        self.coach.mark_reported()
        run.report = report
        save_session_page(folder, report, run.pipeline.analysis(source=self.target.label,
                          options=self.request.measure_options))  # report.html; thumbnails: the skeleton only
        run.pipeline.record.close()
        if self.request.history is not None:
            self.history_notes.append(record_run(self.request.history, report, kind="live",
                                                 report_path=run.report_path))

    def live_section(self, ended_by: str, stats: LiveStats, video: Path | None, *, whole_session: bool = False
                     ) -> dict:
        """How the session ran, for a report's (or session.json's) "live" section."""
        if self.recorder is None:
            recording = None
        elif video is not None:
            recording = str(video)
        else:  # still recording (a report written on moving on), or the video could not be written
            recording = self.recorder.error or (None if self.recorder.finished else str(self.recorder.path))
        return {"camera": self.target.label, "ended_by": ended_by, "mirror": self.request.mirror,
                "figures": stats.__dict__, "sound": self.sound.describe(), "recording": recording,
                "view": self.view, "large": self.request.large,
                **self.coach.live_fields(whole_session=whole_session)}

    def _flash(self, text: str) -> None:
        self.flash = (text, self.clock())

    # ------------------------------------------------------------------------------ figures

    @property
    def fps(self) -> float | None:
        if len(self._shown_at) < 2:
            return None
        span = self._shown_at[-1] - self._shown_at[0]
        return (len(self._shown_at) - 1) / span if span > 0 else None



def session_stats(session: "LiveSession") -> LiveStats:
    """The figures of how the session ran so far."""
    latency = np.asarray(session._latency_ms, dtype=float)
    pose = np.asarray(session._pose_ms, dtype=float)
    return LiveStats(
        frames_captured=session.capture.slot.put_count,
        frames_dropped_before_pose=session.capture.slot.dropped,
        frames_processed=sum(run.frames for run in session.runs),
        frames_displayed=session.frames_displayed,
        displayed_fps=round(session.fps or 0.0, 2),
        latency_ms_median=round(float(np.median(latency)), 1) if latency.size else None,
        latency_ms_p95=round(float(np.percentile(latency, 95)), 1) if latency.size else None,
        pose_ms_median=round(float(np.median(pose)), 1) if pose.size else None,
        camera_failures=session.capture.failures,
        pose_errors=session.worker.errors,
    )


def run_live(
    request: LiveRequest,
    *,
    window=None,
    keys: Callable[[], int] | None = None,
    sound: SoundBoard | None = None,
    detect=None,
    capture: Capture | None = None,
) -> LiveOutcome:
    """Run `formcheck live`; every argument after `request` is for tests (injected parts)."""
    if request.side not in SIDE_CHOICES:
        raise InputError(f"side must be one of {', '.join(SIDE_CHOICES)}, not {request.side!r}")
    if request.view not in VIEWS:
        raise InputError(f"view must be one of {', '.join(VIEWS)}, not {request.view!r}")
    if request.voice and sound is None:
        check_language(request.language)
    if request.model_variant not in LIVE_VARIANTS:
        raise InputError(f"model variant must be one of {', '.join(LIVE_VARIANTS)}, not {request.model_variant!r}")
    program = request.program()
    if window is None and request.window:
        k.check_display()
    target = CameraTarget.parse(request.camera)
    if capture is None:
        capture = open_capture(target, give_up_s=None if request.window else NO_WINDOW_GIVE_UP_S)
    live_model = None
    with contextlib.ExitStack() as stack:
        stack.callback(capture.stop)
        out_dir = _folder(Path(request.out_dir or request.record_dir or "out"))
        record_dir = _folder(Path(request.record_dir)) if request.record_dir is not None else None
        if detect is None:
            live_model = stack.enter_context(open_live_model(request.model, request.model_variant))
            detect = live_model.detect
        worker = PoseWorker(detect, capture.slot, strict=request.strict)
        if window is None:
            window = k.Window(size=_window_size(capture.size, large=request.large)) if request.window \
                else k.NoWindow(keys)
        stack.callback(window.close)
        sound = sound or SoundBoard(voice=request.voice, tones=request.tones, audio_only=request.audio_only,
                                    language=request.language, rate_wpm=request.rate_wpm)
        stack.callback(sound.close)
        session = LiveSession(request, program, capture, worker, window, sound, record_dir, out_dir, target,
                              live_model=live_model)
        capture.start()
        worker.start()
        stack.callback(worker.stop)
        try:
            ended_by = session.run()
        except KeyboardInterrupt:
            ended_by = session.ended_by = "interrupted"
        finally:
            capture.stop()
            worker.stop()
            outcome = _finish(session, out_dir)
        return replace(outcome, history=tuple(session.history_notes))


def _window_size(frame_size: tuple[int, int] | None, min_height: int = 720, *, large: bool = False
                 ) -> tuple[int, int]:
    """The window's first size: the screen image scaled up to at least `min_height` pixels high."""
    width, height = Screen(frame_size or (640, 480), large=large).size
    scale = max(1.0, min_height / height)
    return round(width * scale), round(height * scale)


def _finish(session: LiveSession, out_dir: Path) -> LiveOutcome:
    """Write the video (if recording), then every exercise's report.json not yet written, then session.json."""
    video = session.recorder.finish() if session.recorder is not None else None
    stats = session_stats(session)
    if not any(run.frames for run in session.runs):
        raise InputError(f"{session.target.label}: no frame reached the pose model; nothing to report")
    last = session.runs[-1]
    session.coach.summarise(last, session._t_s)
    session.sound.flush(SUMMARY_WAIT_S)  # let the patient hear it before the sound thread stops
    for run in session.runs:
        session.write_run_report(run, ended_by=session.ended_by if run is last else "next", video=video)
    written = tuple(run for run in session.runs if run.report is not None and run.report_path is not None)
    paths = tuple(run.report_path for run in written)
    program = session.program
    if not program.several:
        run = written[0]
        return LiveOutcome(out_dir, run.report_path, video, run.report, summary_text(run.report, out_dir), stats,
                           session.ended_by, paths)
    index = session_index(program, session.runs, out_dir,
                          session.live_section(session.ended_by, stats, video, whole_session=True))
    path = write_report(out_dir / SESSION_NAME, index)
    lines = [f"{program.title(run.index)}: {summary_text(run.report)}" for run in written]
    skipped = [e["name"] for e in index["exercises"] if e["status"] in ("not_started", "no_frames")]
    if skipped:
        lines.append("Not done: " + ", ".join(skipped) + ".")
    lines.append(f"Outputs in {out_dir} (index: {SESSION_NAME}).")
    return LiveOutcome(out_dir, path, video, index, "\n".join(lines), stats, session.ended_by, paths)
