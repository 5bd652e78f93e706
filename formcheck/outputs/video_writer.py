"""Write annotated video: H.264 where the OpenCV build has it, else mp4v; encoding on a worker thread."""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

import cv2
import numpy as np

from formcheck.errors import InputError
from formcheck.pose.native_log import captured_stderr

CODECS: tuple[str, ...] = ("avc1", "mp4v")


def open_video_writer(path: str | os.PathLike, fps: float, size: tuple[int, int]) -> tuple[cv2.VideoWriter, str]:
    """Open a VideoWriter with the first codec that works; return it and the codec's name."""
    path = Path(path)
    fps = fps if fps and fps > 0 else 30.0
    for codec in CODECS:
        with captured_stderr():  # FFmpeg's chatter while probing encoders is dropped
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), float(fps), tuple(size))
        if writer.isOpened():
            return writer, codec
        writer.release()
    raise InputError(f"{path}: cannot open a video writer (tried {', '.join(CODECS)})")


class ThreadedVideoWriter:
    """A VideoWriter fed through a small queue so that encoding overlaps with the caller's work."""

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int], *, depth: int = 8) -> None:
        self.path = Path(path)
        self.size = tuple(size)
        self._writer, self.codec = open_video_writer(self.path, fps, self.size)
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self.frames_written = 0
        self._thread = threading.Thread(target=self._run, name="video-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            frame = self._queue.get()
            if frame is None:
                return
            try:
                self._writer.write(frame)
                self.frames_written += 1
            except BaseException as exc:  # surfaced to the caller on the next write/close
                self._error = exc

    def write(self, frame: np.ndarray) -> None:
        """Queue one BGR frame of the writer's size (resized if it differs)."""
        if self._error is not None:
            raise InputError(f"{self.path}: writing the video failed ({self._error})")
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size)
        self._queue.put(frame)

    def close(self) -> None:
        """Flush the queue and finish the file."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._writer.release()
        if self._error is not None:
            raise InputError(f"{self.path}: writing the video failed ({self._error})")

    def __enter__(self) -> "ThreadedVideoWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
