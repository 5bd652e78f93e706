"""How high the camera stands above the floor, estimated from a person standing tall, and whether an exercise's
declared camera heights (its spec's ``[setup] camera_height_m``) allow a verdict.

MediaPipe's world landmarks are metres around the hips in the camera's axes, so while a person stands with
both legs straight the ankle-to-hip line is the room's vertical seen from the camera (it gives the camera's
pitch), the hips' height above the floor is that line's length, and the hips' place in the picture with the
body's size in pixels against metres gives how far they are from the camera. The camera's height is then the
hips' height plus how far the camera is above them along the vertical::

    camera = estimate_camera_height(track)          # CameraHeight(height_m=0.38, pitch_deg=11.9, frames=212)
    camera_problem(spec, camera)                    # "the camera is too low: about 0.4 m above the floor ..."

The distance needs the camera's focal length, which a picture does not carry: a usual laptop or phone camera is
assumed (``fov_deg``, horizontal); a wider lens makes the height read a little nearer the hips'. Lying,
sitting or kneeling, nothing is estimated (None), and no verdict is withheld. On exact tracks from 0.3 to
1.6 m the estimate reads 0 to 0.2 m high.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from formcheck.geometry import joint_angle_deg
from formcheck.landmarks import INDEX
from formcheck.track import PoseTrack

ANKLE_ABOVE_FLOOR_M: Final = 0.08  # the ankle joint's height above the sole
STRAIGHT_KNEE_DEG: Final = 165.0  # a hip-knee-ankle angle at least this: the leg straight
UPRIGHT_MAX_DEG: Final = 35.0  # the ankle-to-hip line within this of the picture's vertical
MIN_FRAMES: Final = 10
MARGIN_M: Final = 0.15  # the estimate's own error: only a camera clearly outside the range withholds verdicts


@dataclass(frozen=True)
class CameraHeight:
    """The estimate: metres above the floor, the camera's pitch (+ = looking up), the frames it rests on."""

    height_m: float
    pitch_deg: float
    frames: int


def _knee_angles(world: np.ndarray, side: str) -> np.ndarray:
    hip, knee, ankle = (world[:, INDEX[f"{side}_{p}"]] for p in ("hip", "knee", "ankle"))
    with np.errstate(invalid="ignore", divide="ignore"):
        return joint_angle_deg(hip, knee, ankle)


def _mid(points: np.ndarray, part: str) -> np.ndarray:
    return (points[:, INDEX[f"left_{part}"]] + points[:, INDEX[f"right_{part}"]]) / 2


def estimate_camera_height(track: PoseTrack, fov_deg: float = 60.0) -> CameraHeight | None:
    """The camera's height above the floor from the frames where the person stands tall; None without enough."""
    world = track.world
    if world is None or len(track) == 0:
        return None
    width, height = track.image_size
    focal = (width / 2) / math.tan(math.radians(fov_deg / 2))
    px = track.landmarks[:, :, :2] * np.array([width, height], dtype=float)
    hip_w, ankle_w = _mid(world, "hip"), _mid(world, "ankle")
    leg = hip_w - ankle_w
    with np.errstate(invalid="ignore", divide="ignore"):
        up = leg / np.linalg.norm(leg, axis=1, keepdims=True)
        straight = np.minimum(_knee_angles(world, "left"), _knee_angles(world, "right")) >= STRAIGHT_KNEE_DEG
        upright = np.degrees(np.arccos(np.clip(-up[:, 1], -1.0, 1.0))) <= UPRIGHT_MAX_DEG
        legs_px = sum(np.linalg.norm(px[:, INDEX[f"{s}_hip"]] - px[:, INDEX[f"{s}_ankle"]], axis=1)
                      for s in ("left", "right"))
        legs_m = sum(np.linalg.norm(world[:, INDEX[f"{s}_hip"]] - world[:, INDEX[f"{s}_ankle"]], axis=1)
                     for s in ("left", "right"))
        depth = focal * legs_m / legs_px
        hip_px = _mid(px, "hip")
        offset = np.stack([(hip_px[:, 0] - width / 2) / focal * depth, (hip_px[:, 1] - height / 2) / focal * depth,
                           depth], axis=1)
        above_hips = -np.sum(offset * up, axis=1)  # the camera sits at -offset from the hips
        hips = np.sum(leg * up, axis=1) + ANKLE_ABOVE_FLOOR_M
        estimate = hips + above_hips
    ok = straight & upright & np.isfinite(estimate) & (legs_px > 0)
    if int(ok.sum()) < MIN_FRAMES:
        return None
    pitch = np.degrees(np.arcsin(np.clip(up[ok, 2], -1.0, 1.0)))
    return CameraHeight(float(np.median(estimate[ok])), float(np.median(pitch)), int(ok.sum()))


def camera_problem(low_m: float | None, high_m: float | None, camera: CameraHeight | None) -> str | None:
    """Why no verdict can be given from this camera height (None when it is within the range, or unknown).

    Only a camera too low withholds verdicts: the estimate reads up to 0.2 m high from a high shelf, and every
    spec's upper height is where it was checked from a shelf (1.6 m), not where it stops being true."""
    if camera is None or (low_m is None and high_m is None):
        return None
    seen = f"about {camera.height_m:.1f} m above the floor (estimated)"
    wanted = f"this exercise is judged from a camera {low_m:g} to {high_m:g} m high"
    if low_m is not None and camera.height_m < low_m - MARGIN_M:
        return f"camera too low: {seen}, {wanted}: raise the camera to about hip height"
    return None
