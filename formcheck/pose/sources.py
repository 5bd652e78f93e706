"""Frame sources: video files and cameras as iterators of upright BGR frames with strictly increasing times.

Video files keep the container's own timestamps (variable frame rate is kept), phone rotation metadata is
applied, and bad input gives one InputError line naming the file and the problem::

    with open_video("clip.mp4") as source:
        for frame in iter_frames_prefetched(source):   # decoding overlaps with the caller's work
            ...frame.index, frame.t_ms, frame.image...
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from formcheck.errors import InputError
from formcheck.pose.native_log import captured_stderr

VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv", ".gif")
STILL_IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
FALLBACK_FPS: float = 30.0
MAX_PLAUSIBLE_FPS: float = 1000.0
CAMERA_PROBE_INDICES: range = range(10)
_ROTATE_CODES: dict[int, int] = {
    90: cv2.ROTATE_90_CLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_COUNTERCLOCKWISE,
}


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index in the source, its time in ms (strictly increasing) and the BGR image."""

    index: int
    t_ms: int
    image: np.ndarray = field(repr=False)


class TimestampFixer:
    """Turn a source's raw frame times into strictly increasing whole milliseconds.

    A raw time that is missing, not finite, or not after the previous one (duplicates, zeros,
    backward jumps) is replaced by the previous time plus one nominal frame step (``1000 / fps``);
    later good raw times are used again as they come. The count of replaced times is kept.
    """

    def __init__(self, fps: float) -> None:
        self.step_ms = 1000.0 / fps if 0 < fps <= MAX_PLAUSIBLE_FPS else 1000.0 / FALLBACK_FPS
        self.replaced = 0
        self._previous_ms: int | None = None

    def next(self, raw_ms: float | None) -> int:
        """The time to use for the next frame, given its raw time in ms (None when unknown)."""
        previous = self._previous_ms
        usable = raw_ms is not None and math.isfinite(raw_ms) and raw_ms >= 0
        t_ms = round(raw_ms) if usable else None
        if previous is None:
            t_ms = t_ms if t_ms is not None else 0
        elif t_ms is None or t_ms <= previous:
            self.replaced += 1
            t_ms = previous + max(1, round(self.step_ms))
        self._previous_ms = t_ms
        return t_ms


class VideoSource:
    """An open video file or camera: a context manager and a one-pass iterator of `Frame`.

    Attributes:
        path: the file (or the camera's label, e.g. ``camera:0``), for messages and reports.
        fps: the nominal frame rate from the header (30 when the header has none).
        size: (width, height) of the upright frames in pixels.
        frame_count: the header's frame count, an estimate (0 when unknown, e.g. for a camera).
        rotation_deg: clockwise rotation applied to make frames upright (from the file's metadata).
    """

    def __init__(
        self,
        capture: cv2.VideoCapture,
        path: Path | str,
        *,
        first_image: np.ndarray,
        fps: float,
        frame_count: int,
        rotation_deg: int = 0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._capture = capture
        self.path = path
        self.fps = fps
        self.frame_count = frame_count
        self.rotation_deg = rotation_deg
        height, width = first_image.shape[:2]
        self.size: tuple[int, int] = (width, height)
        self._pending: np.ndarray | None = first_image
        self._clock = clock
        self._clock_start = clock() if clock is not None else 0.0
        self._pending_raw_ms = self._raw_time_ms()
        self._timestamps = TimestampFixer(fps)
        self._warnings: list[str] = []
        self._finished = False
        self.frames_read = 0

    @property
    def warnings(self) -> tuple[str, ...]:
        """Problems met while reading that did not stop it (e.g. a truncated file), as one-line messages."""
        return tuple(self._warnings)

    @property
    def timestamps_replaced(self) -> int:
        """How many frames had a missing or non-increasing time that was replaced (see `TimestampFixer`)."""
        return self._timestamps.replaced

    def __enter__(self) -> "VideoSource":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> "VideoSource":
        return self

    def __next__(self) -> Frame:
        if self._finished:
            raise StopIteration
        if self._pending is not None:
            image, self._pending = self._pending, None
            raw_ms = self._pending_raw_ms
        else:
            ok, image = self._capture.read()
            if not ok or image is None:
                self._finish()
                raise StopIteration
            image = self._upright(image)
            raw_ms = self._raw_time_ms()
        frame = Frame(index=self.frames_read, t_ms=self._timestamps.next(raw_ms), image=image)
        self.frames_read += 1
        return frame

    def close(self) -> None:
        """Release the file or camera (safe to call twice)."""
        self._finished = True
        self._pending = None
        self._capture.release()

    def _raw_time_ms(self) -> float | None:
        if self._clock is not None:
            return (self._clock() - self._clock_start) * 1000.0
        return self._capture.get(cv2.CAP_PROP_POS_MSEC)

    def _upright(self, image: np.ndarray) -> np.ndarray:
        code = _ROTATE_CODES.get(self.rotation_deg)
        return image if code is None else cv2.rotate(image, code)

    def _finish(self) -> None:
        if self._clock is not None:
            self._warnings.append(f"{self.path}: the camera stopped delivering frames after {self.frames_read}")
        elif self.frame_count > 0 and self.frames_read < self.frame_count - max(2, 0.01 * self.frame_count):
            self._warnings.append(
                f"{self.path}: decoded {self.frames_read} of the {self.frame_count} frames its header announces"
                " (the file may be truncated or damaged)"
            )
        self._finished = True
        self._capture.release()


def open_video(path: str | os.PathLike) -> VideoSource:
    """Open a video file (mp4, mov, avi, webm, mkv, gif, ...); frames come upright with the file's own times.

    Raises InputError for a missing file, a folder, a still image, a file that is not a readable video,
    and a video in which no frame decodes.
    """
    path = Path(path)
    _check_file(path)
    backend = cv2.CAP_FFMPEG if cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG) else cv2.CAP_ANY
    with captured_stderr() as native_log:
        capture = cv2.VideoCapture(str(path), backend)
    if not capture.isOpened():
        capture.release()
        reason = _ffmpeg_reason(native_log.text)
        reason = reason or "no video stream found, or an unknown or damaged format"
        raise InputError(f"{path}: not a readable video ({reason})")
    rotation_deg = _rotation_to_apply(capture)
    ok, first = capture.read()
    if not ok or first is None:
        capture.release()
        raise InputError(f"{path}: no frame could be decoded (an empty or damaged video)")
    fps = capture.get(cv2.CAP_PROP_FPS)
    fps = float(fps) if math.isfinite(fps) and 0 < fps <= MAX_PLAUSIBLE_FPS else FALLBACK_FPS
    frame_count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    frame_count = int(frame_count) if math.isfinite(frame_count) and frame_count > 0 else 0
    rotate = _ROTATE_CODES.get(rotation_deg)
    first = first if rotate is None else cv2.rotate(first, rotate)
    return VideoSource(
        capture, path, first_image=first, fps=fps, frame_count=frame_count, rotation_deg=rotation_deg
    )


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a video file")
    if path.suffix.lower() in STILL_IMAGE_SUFFIXES:
        raise InputError(f"{path}: a still image; formcheck needs a video ({', '.join(VIDEO_SUFFIXES)})")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: cannot be read (permission denied)")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes)")


def _rotation_to_apply(capture: cv2.VideoCapture) -> int:
    """Clockwise degrees we must rotate frames by ourselves (0 when OpenCV applies the metadata itself)."""
    if capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1) and capture.get(cv2.CAP_PROP_ORIENTATION_AUTO) == 1:
        return 0
    meta = capture.get(cv2.CAP_PROP_ORIENTATION_META)
    if not math.isfinite(meta):
        return 0
    # The metadata gives the display matrix's counter-clockwise angle; undoing it is a clockwise turn.
    return int(round(meta)) % 360


def _ffmpeg_reason(text: str) -> str:
    """The most telling line FFmpeg/OpenCV wrote while failing to open a file, shortened."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if "backend is generally available" not in line]
    if not lines:
        return ""
    reason = lines[0]
    if reason.startswith("[") and "]" in reason:
        reason = reason.split("]", 1)[1].strip()
    return reason[:120]


def open_camera(spec: int | str) -> VideoSource:
    """Open a camera by index (``0`` or ``"0"``), or a stream URL / file path read live.

    Frame times come from the wall clock (ms since opening). Raises InputError listing the camera
    indices that can be opened when this one cannot.
    """
    target: int | str = int(spec) if isinstance(spec, str) and spec.strip().isdigit() else spec
    label = f"camera:{target}" if isinstance(target, int) else str(target)
    with captured_stderr():
        capture = cv2.VideoCapture(target)
        opened = capture.isOpened()
        ok, first = capture.read() if opened else (False, None)
    if not ok or first is None:
        capture.release()
        raise InputError(f"{label}: cannot open this camera or stream; {_available_cameras_text(target)}")
    fps = capture.get(cv2.CAP_PROP_FPS)
    fps = float(fps) if math.isfinite(fps) and 0 < fps <= MAX_PLAUSIBLE_FPS else FALLBACK_FPS
    return VideoSource(capture, label, first_image=first, fps=fps, frame_count=0, clock=time.monotonic)


def list_cameras(indices: range = CAMERA_PROBE_INDICES) -> list[int]:
    """Camera indices that open and deliver a frame (probes each; takes a moment per camera)."""
    found = []
    for index in indices:
        with captured_stderr():
            capture = cv2.VideoCapture(index)
            ok = capture.isOpened() and capture.read()[0]
            capture.release()
        if ok:
            found.append(index)
    return found


def _available_cameras_text(tried: int | str) -> str:
    others = [i for i in list_cameras() if i != tried]
    if not others:
        return f"no camera opens (probed indices {CAMERA_PROBE_INDICES.start}-{CAMERA_PROBE_INDICES.stop - 1})"
    return "cameras that open: " + ", ".join(str(i) for i in others)


def iter_frames_prefetched(frames: Iterator[Frame], depth: int = 4) -> Iterator[Frame]:
    """Yield the same frames while a background thread decodes up to `depth` frames ahead.

    Decoding (OpenCV) and the caller's work (e.g. MediaPipe) both release the GIL, so on two or more
    cores they overlap. Errors raised while decoding are re-raised here; stopping early stops the thread.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    buffer: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for frame in frames:
                if not _put(buffer, ("frame", frame), stop):
                    return
            _put(buffer, ("end", None), stop)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            _put(buffer, ("error", exc), stop)

    worker = threading.Thread(target=produce, name="frame-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = buffer.get()
            if kind == "frame":
                yield item  # type: ignore[misc]
            elif kind == "error":
                raise item  # type: ignore[misc]
            else:
                return
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                buffer.get_nowait()
        worker.join(timeout=5.0)


def _put(buffer: queue.Queue, item: tuple[str, object], stop: threading.Event) -> bool:
    """Put into a bounded queue unless the consumer stopped; True when the item went in."""
    while not stop.is_set():
        try:
            buffer.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False
