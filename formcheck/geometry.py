"""Pure vector maths for joint angles, vectorised over any leading shape.

Conventions (used by every caller, written down once here):

- 2D vectors are in an "up" frame: x to the image right, y to the image top, in pixels. Image
  coordinates (y down) are converted once with :func:`image_to_up`.
- 3D vectors are in a right-handed camera frame: x right, y up, z toward the viewer. MediaPipe
  world landmarks (x right, y down, z away from the camera) are converted with :func:`world_to_up`.
- Angles are in degrees and computed as ``atan2(|cross|, dot)`` (unsigned) or ``atan2(cross, dot)``
  (signed, 2D): no arccos domain errors, full precision near 0 and 180.
- A signed 2D angle from ``u`` to ``v`` is positive counter-clockwise on screen (y up).
- NaN in, NaN out: a missing point makes every angle that uses it NaN.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def image_to_up(xy_px: Array) -> Array:
    """Image pixels (y down) -> the up frame (y up), same scale."""
    return xy_px * np.array([1.0, -1.0])


def world_to_up(world_m: Array) -> Array:
    """MediaPipe world landmarks (x right, y down, z away) -> camera frame (x right, y up, z toward viewer)."""
    return world_m * np.array([1.0, -1.0, -1.0])


def cross_2d(u: Array, v: Array) -> Array:
    """z component of u x v for 2D vectors (positive when v is counter-clockwise of u)."""
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def dot(u: Array, v: Array) -> Array:
    """Dot product over the last axis."""
    return np.sum(u * v, axis=-1)


def norm(u: Array) -> Array:
    """Euclidean length over the last axis."""
    return np.sqrt(np.sum(u * u, axis=-1))


def angle_between_deg(u: Array, v: Array) -> Array:
    """Unsigned angle between vectors (2D or 3D) in [0, 180]; NaN for a zero-length vector."""
    if u.shape[-1] == 2:
        cross_len = np.abs(cross_2d(u, v))
    else:
        cross_len = norm(np.cross(u, v))
    d = dot(u, v)
    angle = np.degrees(np.arctan2(cross_len, d))
    degenerate = (norm(u) == 0) | (norm(v) == 0)
    return np.where(degenerate, np.nan, angle)


def signed_angle_2d_deg(u: Array, v: Array) -> Array:
    """Signed angle from u to v in (-180, 180], positive counter-clockwise (y up)."""
    angle = np.degrees(np.arctan2(cross_2d(u, v), dot(u, v)))
    degenerate = (norm(u) == 0) | (norm(v) == 0)
    return np.where(degenerate, np.nan, angle)


def angle_about_axis_deg(u: Array, v: Array, axis: Array) -> Array:
    """Signed 3D angle from u to v about axis (right-hand rule), after projecting both onto the
    plane perpendicular to the axis; in (-180, 180]."""
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = axis / norm(axis)[..., None]
        u_p = u - dot(u, unit)[..., None] * unit
        v_p = v - dot(v, unit)[..., None] * unit
        angle = np.degrees(np.arctan2(dot(np.cross(u_p, v_p), unit), dot(u_p, v_p)))
    degenerate = (norm(u_p) == 0) | (norm(v_p) == 0) | (norm(axis) == 0)
    return np.where(degenerate, np.nan, angle)


def joint_angle_deg(a: Array, b: Array, c: Array) -> Array:
    """Interior angle at b of the chain a-b-c in [0, 180] (180 = straight)."""
    return angle_between_deg(a - b, c - b)


def elevation_deg(v: Array) -> Array:
    """Angle of v above the horizontal in [-90, 90] (y is up; 3D: horizontal = the x-z plane)."""
    if v.shape[-1] == 2:
        horizontal = np.abs(v[..., 0])
    else:
        horizontal = np.hypot(v[..., 0], v[..., 2])
    angle = np.degrees(np.arctan2(v[..., 1], horizontal))
    return np.where(norm(v) == 0, np.nan, angle)


def inclination_deg(v: Array) -> Array:
    """Angle of v from straight up in [0, 180] (0 = pointing up, 90 = horizontal, 180 = down)."""
    if v.shape[-1] == 2:
        horizontal = np.abs(v[..., 0])
    else:
        horizontal = np.hypot(v[..., 0], v[..., 2])
    angle = np.degrees(np.arctan2(horizontal, v[..., 1]))
    return np.where(norm(v) == 0, np.nan, angle)


def tilt_deg(v: Array) -> Array:
    """Signed 2D angle of v from straight up in (-180, 180], positive toward the image right (clockwise)."""
    angle = np.degrees(np.arctan2(v[..., 0], v[..., 1]))
    return np.where(norm(v) == 0, np.nan, angle)


def rotate_cw_2d(v: Array) -> Array:
    """v rotated by 90 degrees clockwise on screen (y up): (x, y) -> (y, -x)."""
    return np.stack([v[..., 1], -v[..., 0]], axis=-1)


def rotation_2d(angle_deg: float) -> Array:
    """2x2 matrix rotating counter-clockwise by angle_deg (y up)."""
    a = np.radians(angle_deg)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def sign_or_zero(x: Array, dead_zone: float = 0.0) -> Array:
    """-1, 0 or +1 with |x| <= dead_zone (or NaN) mapped to 0."""
    s = np.where(x > dead_zone, 1.0, np.where(x < -dead_zone, -1.0, 0.0))
    return np.where(np.isnan(x), 0.0, s)


def smoothstep(x: Array, lo: float, hi: float) -> Array:
    """0 below lo, 1 above hi, a smooth (C1) ramp between; NaN stays NaN."""
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)
