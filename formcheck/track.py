"""The pose track: every frame's landmarks of one person, as stacked arrays.

A frame without a detected person is a row of NaN (a gap), never dropped or invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formcheck.landmarks import NUM_LANDMARKS


@dataclass(frozen=True)
class PoseTrack:
    """Landmarks of one person over time.

    Attributes:
        frame: (n,) int frame index in the source.
        t_s: (n,) float time of each frame in seconds, strictly increasing.
        image_size: (width, height) of the source frames in pixels.
        landmarks: (n, 33, 4) float: x, y normalised to the image (as MediaPipe gives them), z, visibility.
            A frame without a pose is all NaN.
        world: (n, 33, 3) float world landmarks in metres, or None when the source has none.
        source: where the track came from (a path or "camera:0"), for reports.
    """

    frame: np.ndarray
    t_s: np.ndarray
    image_size: tuple[int, int]
    landmarks: np.ndarray
    world: np.ndarray | None = None
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        n = len(self.t_s)
        if self.frame.shape != (n,):
            raise ValueError(f"frame has shape {self.frame.shape}, expected ({n},)")
        if self.landmarks.shape != (n, NUM_LANDMARKS, 4):
            raise ValueError(f"landmarks has shape {self.landmarks.shape}, expected ({n}, {NUM_LANDMARKS}, 4)")
        if self.world is not None and self.world.shape != (n, NUM_LANDMARKS, 3):
            raise ValueError(f"world has shape {self.world.shape}, expected ({n}, {NUM_LANDMARKS}, 3)")
        if n > 1 and not np.all(np.diff(self.t_s) > 0):
            raise ValueError("t_s must be strictly increasing")
        width, height = self.image_size
        if width <= 0 or height <= 0:
            raise ValueError(f"image_size must be positive, got {self.image_size}")

    def __len__(self) -> int:
        return len(self.t_s)

    @property
    def has_pose(self) -> np.ndarray:
        """(n,) bool: a person was found in this frame."""
        return ~np.isnan(self.landmarks[:, :, 0]).all(axis=1)

    @property
    def xy_px(self) -> np.ndarray:
        """(n, 33, 2) landmark positions in pixels (so that angles are right on non-square frames)."""
        width, height = self.image_size
        return self.landmarks[:, :, :2] * np.array([width, height], dtype=float)

    @property
    def visibility(self) -> np.ndarray:
        """(n, 33) visibility in [0, 1]; NaN where there is no pose."""
        return self.landmarks[:, :, 3]

    @property
    def duration_s(self) -> float:
        """Time spanned by the track, counting the last frame's own duration."""
        if len(self) == 0:
            return 0.0
        if len(self) == 1:
            return 0.0
        step = float(np.median(np.diff(self.t_s)))
        return float(self.t_s[-1] - self.t_s[0]) + step

    @property
    def fps(self) -> float:
        """Median frame rate of the track (0 when it has fewer than two frames)."""
        if len(self) < 2:
            return 0.0
        return float(1.0 / np.median(np.diff(self.t_s)))

    def replace(self, **changes) -> "PoseTrack":
        """A copy with some fields changed (the arrays are not copied)."""
        fields = {
            "frame": self.frame,
            "t_s": self.t_s,
            "image_size": self.image_size,
            "landmarks": self.landmarks,
            "world": self.world,
            "source": self.source,
            "meta": self.meta,
        }
        fields.update(changes)
        return PoseTrack(**fields)

    @staticmethod
    def empty(image_size: tuple[int, int], source: str = "", with_world: bool = True) -> "PoseTrack":
        """A track with no frames."""
        return PoseTrack(
            frame=np.zeros(0, dtype=np.int64),
            t_s=np.zeros(0),
            image_size=image_size,
            landmarks=np.zeros((0, NUM_LANDMARKS, 4)),
            world=np.zeros((0, NUM_LANDMARKS, 3)) if with_world else None,
            source=source,
        )
