"""Test doubles for live mode: a detector answering from a clip's true track, and sources that fail."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from formcheck.pose.estimator import DetectedPose
from formcheck.pose.sources import Frame
from formcheck.track_io import read_track


class TrackDetector:
    """Stands in for the pose model: returns the true landmarks of the clip's frame at `t_ms`."""

    def __init__(self, track_path: Path) -> None:
        self.track = read_track(track_path)
        self.t_ms = self.track.t_s * 1000.0
        self.calls = 0

    def __call__(self, image: np.ndarray, t_ms: int) -> DetectedPose | None:
        self.calls += 1
        i = int(np.clip(np.searchsorted(self.t_ms, t_ms - 0.5), 0, len(self.t_ms) - 1))
        landmarks = self.track.landmarks[i]
        if np.isnan(landmarks[:, 0]).all():
            return None
        world = self.track.world[i] if self.track.world is not None else np.full((33, 3), np.nan)
        return DetectedPose(landmarks=landmarks.copy(), world=world.copy())


class FailingSource:
    """A camera that gives `good` frames and then fails (raising, or just stopping when `raise_error` is False)."""

    def __init__(self, good: int, size: tuple[int, int] = (320, 240), *, raise_error: bool = True,
                 fps: float = 30.0) -> None:
        self.good = good
        self.size = size
        self.fps = fps
        self.raise_error = raise_error
        self.closed = False

    def __iter__(self):
        w, h = self.size
        for i in range(self.good):
            image = np.full((h, w, 3), 90, np.uint8)
            yield Frame(i, round(i * 1000 / self.fps), image)
        if self.raise_error:
            raise OSError("device unplugged")

    def close(self) -> None:
        self.closed = True
