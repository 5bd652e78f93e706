"""The capture thread: reads a camera (or a video file played like one) and hands on only the newest frame.

A consumer that falls behind never sees a queue of stale frames: `LatestSlot` keeps one item and
counts the ones overwritten before anyone took them (dropped frames, as with a real camera).
A camera that stops delivering is reopened every `retry_s` while the session goes on. Opening it captures
FFmpeg's chatter on fd 2 through `formcheck.pose.native_log`, whose lock it shares with the pose worker's
tracker resets, so the two threads never redirect stderr at the same time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from formcheck.errors import InputError
from formcheck.pose.sources import Frame, open_camera, open_video

log = logging.getLogger(__name__)

T = TypeVar("T")

STARTING, RUNNING, LOST, ENDED = "starting", "running", "lost", "ended"


@dataclass(frozen=True)
class CapturedFrame:
    """A frame as the capture thread handed it on.

    Attributes:
        seq: 0, 1, 2, ... in capture order (gaps in what a consumer sees are dropped frames).
        t_ms: session time in ms, strictly increasing (the file's own time for a file; the clock for a camera).
        image: the BGR image.
        captured_at: ``time.perf_counter()`` when the frame became available (for latency).
    """

    seq: int
    t_ms: int
    image: np.ndarray = field(repr=False)
    captured_at: float


class LatestSlot(Generic[T]):
    """A one-item handoff between threads: `put` replaces, `get_newer` waits for something newer."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._seq = -1
        self._taken_seq = -1
        self._closed = False
        self.put_count = 0
        self.dropped = 0

    def put(self, item: T) -> int:
        """Offer an item (replacing an untaken one, which counts as dropped); returns its sequence number."""
        with self._cond:
            if self._seq > self._taken_seq:
                self.dropped += 1
            self._seq += 1
            self._item = item
            self.put_count += 1
            self._cond.notify_all()
            return self._seq

    def get_newer(self, after_seq: int, timeout: float | None = None) -> tuple[int, T] | None:
        """The newest item if its sequence number is above `after_seq`, waiting up to `timeout` seconds.

        None on timeout or when the slot is closed and holds nothing newer.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._seq > after_seq or self._closed, timeout):
                return None
            if self._seq <= after_seq:
                return None
            self._taken_seq = max(self._taken_seq, self._seq)
            return self._seq, self._item  # type: ignore[return-value]

    def close(self) -> None:
        """Wake every waiter; later `get_newer` calls return at once."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed


@dataclass(frozen=True)
class CameraTarget:
    """What `--camera` names: a camera index, a stream URL, or a video file played as a camera."""

    spec: int | str
    is_file: bool

    @staticmethod
    def parse(text: str | int) -> "CameraTarget":
        if isinstance(text, int) or str(text).strip().isdigit():
            return CameraTarget(int(text), False)
        text = str(text)
        if "://" in text:
            return CameraTarget(text, False)
        return CameraTarget(text, True)

    @property
    def label(self) -> str:
        return f"camera:{self.spec}" if isinstance(self.spec, int) else str(self.spec)


FrameSource = Iterable[Frame]
Opener = Callable[[], FrameSource]


def opener_for(target: CameraTarget) -> Opener:
    """A function opening the target afresh (used for the first open and for retries)."""
    if target.is_file:
        path = Path(str(target.spec))
        return lambda: open_video(path)
    return lambda: open_camera(target.spec)


class Capture:
    """Reads frames on a thread into `slot`; `state` says starting / running / lost / ended.

    Args:
        opener: opens the source (a `VideoSource` or any iterable of `Frame`); raises InputError when it cannot.
        paced: play the frames at their own times (a video file standing in for a camera); otherwise take
            them as fast as the source gives them (a camera gives them at its own rate).
        speed: playback speed of a paced source (tests play clips faster; 1 is real time).
        retry_s: seconds between attempts to reopen a camera that stopped.
        give_up_s: stop retrying (state `ended`) after this long without a frame; None retries until stopped.
        first_source: an already opened source to start with (so that a bad camera fails before the thread).
    """

    def __init__(
        self,
        opener: Opener,
        *,
        paced: bool,
        speed: float = 1.0,
        retry_s: float = 1.0,
        give_up_s: float | None = None,
        first_source: FrameSource | None = None,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.slot: LatestSlot[CapturedFrame] = LatestSlot()
        self.paced = paced
        self.speed = speed
        self.retry_s = retry_s
        self.give_up_s = give_up_s
        self._opener = opener
        self._source = first_source
        self._clock = clock
        self._sleep = sleep
        self._stop = threading.Event()
        self._state = STARTING
        self._message: str | None = None
        self._lock = threading.Lock()
        self._last_t_ms = -1
        self._seq = 0
        self._started_at = clock()
        self.fps = float(getattr(first_source, "fps", 0.0) or 30.0)
        self.size: tuple[int, int] | None = getattr(first_source, "size", None)
        self.reopen_count = 0
        self.failures = 0
        self._thread = threading.Thread(target=self._run, name="capture", daemon=True)

    # --------------------------------------------------------------------------------- control

    def start(self) -> "Capture":
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop reading and release the source."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._close_source()
        self.slot.close()

    def __enter__(self) -> "Capture":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    @property
    def message(self) -> str | None:
        """What to tell the patient about the camera (None while it runs normally)."""
        with self._lock:
            return self._message

    def _set_state(self, state: str, message: str | None = None) -> None:
        with self._lock:
            self._state, self._message = state, message

    # ---------------------------------------------------------------------------------- thread

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self._source is None and not self._reopen():
                    break
                reason = self._pump(self._source)
                self._close_source()
                if reason == "end":
                    self._set_state(ENDED, "the video ended")
                    break
                if reason == "stop":
                    break
                self.failures += 1
                self._set_state(LOST, f"the camera stopped ({reason}); trying again...")
                log.warning("%s", reason)
        finally:
            if self.state != ENDED:
                self._set_state(ENDED, self.message or "capture stopped")
            self.slot.close()

    def _reopen(self) -> bool:
        """Try to open the source again until it works, we are stopped, or we give up."""
        lost_since = self._clock()
        while not self._stop.is_set():
            try:
                self._source = self._opener()
                self.reopen_count += 1
                return True
            except InputError as exc:
                self._set_state(LOST, f"no camera picture ({exc}); trying again...")
            if self.give_up_s is not None and self._clock() - lost_since >= self.give_up_s:
                self._set_state(ENDED, "the camera did not come back")
                return False
            self._stop.wait(self.retry_s)
        return False

    def _pump(self, source: FrameSource) -> str:
        """Read frames until the source ends ("end"), fails (a reason) or we are stopped ("stop")."""
        frames: Iterator[Frame] = iter(source)
        first_ms: int | None = None
        start = self._clock()
        offset_ms = self._last_t_ms + 1 if self.paced else 0
        while not self._stop.is_set():
            try:
                frame = next(frames)
            except StopIteration:
                if self.paced:
                    return "end"
                return "no frame from the camera"
            except Exception as exc:  # a camera or stream failing mid-session; the session goes on
                return f"{type(exc).__name__}: {exc}"
            now = self._clock()
            if self.paced:
                if first_ms is None:
                    first_ms = frame.t_ms
                due = start + (frame.t_ms - first_ms) / 1000.0 / self.speed
                if due > now:
                    self._sleep(due - now)
                    now = self._clock()
                t_ms = offset_ms + frame.t_ms - first_ms
            else:
                t_ms = round((now - self._started_at) * 1000.0)
            t_ms = max(t_ms, self._last_t_ms + 1)
            self._last_t_ms = t_ms
            if self.state != RUNNING:
                self._set_state(RUNNING)
            self.slot.put(CapturedFrame(self._seq, t_ms, frame.image, now))
            self._seq += 1
        return "stop"

    def _close_source(self) -> None:
        source, self._source = self._source, None
        close = getattr(source, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # releasing a broken camera must not end the session
                log.debug("closing the source failed", exc_info=True)


def open_capture(target: CameraTarget, *, retry_s: float = 1.0, give_up_s: float | None = None) -> Capture:
    """Open the camera or file now (InputError naming it, and listing cameras, when it cannot) and wrap it."""
    opener = opener_for(target)
    first = opener()
    return Capture(opener, paced=target.is_file, retry_s=retry_s, give_up_s=give_up_s, first_source=first)
