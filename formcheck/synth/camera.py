"""A pinhole camera on a tripod: placed by distance, height and yaw around the subject, aimed at a target point.

World axes: y up from the floor, a subject with heading 0 faces +z. Camera axes follow OpenCV: x to the image
right, y down, z along the view. ``yaw_deg`` 0 puts the camera in front of such a subject, 90 at its left side
(+x), -90 at its right side, 45 an oblique front-left view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Camera:
    """Resolution, focal length (pixels) and where the camera stands."""

    width_px: int = 640
    height_px: int = 360
    focal_px: float = 560.0
    distance_m: float = 3.2  # horizontal distance from the target
    height_m: float = 1.0
    yaw_deg: float = 0.0
    target: tuple[float, float, float] = (0.0, 0.9, 0.0)

    def __post_init__(self) -> None:
        if self.width_px <= 0 or self.height_px <= 0:
            raise ValueError(f"camera size must be positive, got {self.width_px}x{self.height_px}")
        if self.focal_px <= 0 or self.distance_m <= 0:
            raise ValueError("camera focal_px and distance_m must be positive")

    @property
    def position(self) -> np.ndarray:
        """Camera centre in world coordinates."""
        yaw = math.radians(self.yaw_deg)
        tx, _, tz = self.target
        return np.array([tx + self.distance_m * math.sin(yaw), self.height_m, tz + self.distance_m * math.cos(yaw)])

    @property
    def rotation(self) -> np.ndarray:
        """World-to-camera rotation (rows: image right, image down, view direction)."""
        forward = np.asarray(self.target, dtype=float) - self.position
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, np.array([0.0, 1.0, 0.0]))
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        return np.stack([right, down, forward])

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return (self.width_px, self.height_px)

    @property
    def principal_point(self) -> tuple[float, float]:
        """Image centre in pixels."""
        return (self.width_px / 2.0, self.height_px / 2.0)

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) in camera coordinates."""
        return (np.asarray(points, dtype=float) - self.position) @ self.rotation.T

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (..., 2) and depth along the view (..., ) of world points."""
        cam = self.to_camera(points)
        depth = cam[..., 2]
        cx, cy = self.principal_point
        with np.errstate(divide="ignore", invalid="ignore"):
            u = self.focal_px * cam[..., 0] / depth + cx
            v = self.focal_px * cam[..., 1] / depth + cy
        return np.stack([u, v], axis=-1), depth

    def scaled(self, factor: float) -> "Camera":
        """The same view at ``factor`` times the resolution (for supersampled drawing)."""
        return Camera(
            width_px=int(round(self.width_px * factor)),
            height_px=int(round(self.height_px * factor)),
            focal_px=self.focal_px * factor,
            distance_m=self.distance_m,
            height_m=self.height_m,
            yaw_deg=self.yaw_deg,
            target=self.target,
        )
