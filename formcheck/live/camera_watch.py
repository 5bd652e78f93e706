"""The camera's height while the patient sets up, from the last seconds of them standing tall, so that the set-up
guidance can say "the camera is too low" before the exercise starts (the same estimate and limits that withhold
an analysis's form rules: `kinematics.camera_height`)."""

from __future__ import annotations

from collections import deque

import numpy as np

from formcheck.kinematics.camera_height import CameraHeight, camera_problem, estimate_camera_height
from formcheck.specs.spec import ExerciseSpec
from formcheck.track import PoseTrack


class CameraWatch:
    """A rolling estimate over the last ``window`` frames, refreshed every ``every`` frames."""

    def __init__(self, image_size: tuple[int, int], *, window: int = 90, every: int = 15) -> None:
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.every = every
        self._frames: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=window)
        self._seen = 0
        self.camera: CameraHeight | None = None

    def update(self, landmarks: np.ndarray | None, world: np.ndarray | None) -> CameraHeight | None:
        """Add one frame (image landmarks (33, 4), world (33, 3); None when nobody is seen); the estimate now."""
        if landmarks is None or world is None or np.isnan(world).all():
            return self.camera
        self._frames.append((np.asarray(landmarks, dtype=float), np.asarray(world, dtype=float)))
        self._seen += 1
        if self._seen % self.every == 0:
            image = np.stack([f[0] for f in self._frames])
            track = PoseTrack(frame=np.arange(len(image)), t_s=np.arange(len(image)) / 30.0,
                              image_size=self.image_size, landmarks=image,
                              world=np.stack([f[1] for f in self._frames]))
            self.camera = estimate_camera_height(track)
        return self.camera

    def problem(self, spec: ExerciseSpec) -> str | None:
        """What to tell the patient about the camera's height for this exercise (None: nothing)."""
        heights = spec.setup.camera_height_m
        if heights is None or camera_problem(heights.min, heights.max, self.camera) is None:
            return None
        return (f"The camera is too low (about {self.camera.height_m:.1f} m from the floor): raise it to about "
                f"hip height, {heights.min:g} to {heights.max:g} m")
