"""The ground-truth pose track of a simulated clip, in MediaPipe's conventions (checked against the model).

- x, y: the landmark's projection normalised by the image width and height (as MediaPipe gives them).
- z: depth along the view relative to the hips' midpoint, in the same scale as x (metres * focal / (hip depth *
  image width)); smaller = closer. MediaPipe's own z on these renders is about 3x larger and noisy.
- visibility: 1 inside the image, 0 outside (the truth knows where occluded points are).
- rounded to 1e-5 of the image (x, y), 1e-4 (z) and 0.1 mm (world), which keeps the CSV files small.
- world: metres, origin at the hips' midpoint, camera-aligned axes: x to the image right, y down, z away from
  the camera - the axes MediaPipe's world landmarks have (measured on renders: per-axis slopes 0.8-1.0 in x, y).
"""

from __future__ import annotations

import numpy as np

from formcheck.landmarks import LEFT_HIP, RIGHT_HIP
from formcheck.track import PoseTrack
from formcheck.synth.camera import Camera


def true_landmarks(world_points: np.ndarray, camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """(n, 33, 4) image landmarks and (n, 33, 3) world landmarks from (n, 33, 3) world points (y up)."""
    points = np.asarray(world_points, dtype=float)
    uv, depth = camera.project(points)
    width, height = camera.size
    hip_mid = (points[:, LEFT_HIP] + points[:, RIGHT_HIP]) / 2
    _, hip_depth = camera.project(hip_mid)
    z = (depth - hip_depth[:, None]) * camera.focal_px / (hip_depth[:, None] * width)
    x = uv[..., 0] / width
    y = uv[..., 1] / height
    inside = (depth > 0) & (x >= 0) & (x <= 1) & (y >= 0) & (y <= 1)
    image = np.stack([np.round(x, 5), np.round(y, 5), np.round(z, 4), inside.astype(float)], axis=-1)
    world = np.round((points - hip_mid[:, None, :]) @ camera.rotation.T, 4)
    return image, world


def true_track(world_points: np.ndarray, t_s: np.ndarray, camera: Camera, source: str = "") -> PoseTrack:
    """A PoseTrack of the exact landmarks as the camera sees them."""
    image, world = true_landmarks(world_points, camera)
    return PoseTrack(
        frame=np.arange(len(t_s), dtype=np.int64),
        t_s=np.asarray(t_s, dtype=float),
        image_size=camera.size,
        landmarks=image,
        world=world,
        source=source,
    )
