"""Pose estimation on a worker thread: always the newest captured frame, never a backlog.

MediaPipe runs in VIDEO mode (tracking between frames) through `formcheck.pose.estimator.PoseEstimator` on
this thread (its native log is captured through `formcheck.pose.native_log`, under the lock the capture thread
also takes). `bench/bench_live.py` measured it against MediaPipe's LIVE_STREAM mode with its result callback,
on the same 640x480 30 FPS input with the full model (3 interleaved 30 s runs each): both showed 30 FPS;
VIDEO mode on a thread had the lower latency (median 22 ms, p95 28 ms, against 25 ms and 43 ms) at the
same CPU cost per frame. VIDEO mode also keeps mediapipe inside `pose/estimator.py` and hands each result on with
the very frame it was computed from.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from formcheck.pose.estimator import DetectedPose
from formcheck.live.capture import CapturedFrame, LatestSlot

log = logging.getLogger(__name__)

Detect = Callable[[np.ndarray, int], DetectedPose | None]


@dataclass(frozen=True)
class PoseResult:
    """One frame with the person found in it (None: nobody) and how long the model took."""

    frame: CapturedFrame
    detected: DetectedPose | None
    pose_ms: float


class PoseWorker:
    """Takes the newest frame from `frames`, runs `detect(image, t_ms)`, puts a `PoseResult` in `results`.

    A frame that makes `detect` raise is logged, counted in `errors` and skipped (the session goes on);
    with `strict` the exception is kept and re-raised by `check()` (for tests).
    """

    def __init__(self, detect: Detect, frames: LatestSlot[CapturedFrame], *, strict: bool = False) -> None:
        self.detect = detect
        self.frames = frames
        self.results: LatestSlot[PoseResult] = LatestSlot()
        self.strict = strict
        self.errors = 0
        self.processed = 0
        self._failure: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pose-worker", daemon=True)

    def start(self) -> "PoseWorker":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.results.close()

    @property
    def finished(self) -> bool:
        """True once the frame source is closed and every frame handed on has been processed."""
        return not self._thread.is_alive()

    def check(self) -> None:
        """Re-raise a failure kept in strict mode."""
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        last_seq = -1
        try:
            while not self._stop.is_set():
                got = self.frames.get_newer(last_seq, timeout=0.1)
                if got is None:
                    if self.frames.closed:
                        break
                    continue
                last_seq, frame = got
                started = time.perf_counter()
                try:
                    detected = self.detect(frame.image, frame.t_ms)
                except Exception as exc:
                    if self.strict:
                        self._failure = exc
                        break
                    self.errors += 1
                    log.warning("pose estimation failed on frame %d: %s", frame.seq, exc)
                    continue
                self.processed += 1
                self.results.put(PoseResult(frame, detected, (time.perf_counter() - started) * 1000.0))
        finally:
            self.results.close()
