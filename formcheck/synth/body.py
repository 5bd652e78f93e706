"""A kinematic body posed by joint angles: segment lengths of an adult -> 3D joints and the 33 MediaPipe landmarks.

Axes: the body's own frame has x toward its left, y up, z forward (right-handed). World axes are the same
with y up from the floor; a body with ``heading_deg = 0`` faces +z. All angles are in degrees.

Joint angle conventions (0 = standing upright, arms hanging, palms toward the thighs):
- hip: flexion moves the thigh forward, abduction out to the side, rotation + = internal (knee turns in);
- knee: flexion bends the shank back; ``knee_valgus`` tilts the shank outward so the knee looks caved in;
- ankle: + = dorsiflexion (toes up); ``foot_flat`` 0..1 blends the foot toward lying flat on the floor;
- trunk (relative to the upright root, not to the pelvis): flexion forward, lean + toward the body's right;
- pelvis: obliquity + = left hip lower, tilt + = anterior;
- shoulder: flexion raises the arm forward, abduction sideways; elbow flexion bends the forearm forward.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Callable

import numpy as np

from formcheck.landmarks import LANDMARK_NAMES
from formcheck.synth.rotations import frame_from_up_forward, rot_x, rot_y, rot_z

ORIENTATIONS: dict[str, np.ndarray] = {
    "upright": np.eye(3),
    "supine": rot_x(-90.0),  # face up, head toward -z before the heading turn
    "prone": rot_x(90.0),  # face down, head toward +z
    "left_down": rot_z(-90.0),  # lying on the left side, head toward +x, front toward +z
    "right_down": rot_z(90.0),  # lying on the right side, head toward -x, front toward +z
}


@dataclass(frozen=True)
class BodyDims:
    """Segment lengths and girths of an adult (defaults: about 1.75 m tall), in metres."""

    pelvis_width_m: float = 0.19  # between the hip joint centres
    trunk_length_m: float = 0.50  # hip midpoint to shoulder midpoint
    shoulder_width_m: float = 0.36  # between the shoulder joint centres
    neck_length_m: float = 0.10
    head_radii_m: tuple[float, float, float] = (0.078, 0.11, 0.095)  # half width, half height, half depth
    upper_arm_m: float = 0.30
    forearm_m: float = 0.25
    hand_m: float = 0.18
    thigh_m: float = 0.43
    shank_m: float = 0.43
    ankle_height_m: float = 0.075
    heel_back_m: float = 0.06
    toe_forward_m: float = 0.19
    thigh_radii_m: tuple[float, float] = (0.075, 0.052)
    shank_radii_m: tuple[float, float] = (0.05, 0.036)
    upper_arm_radii_m: tuple[float, float] = (0.046, 0.036)
    forearm_radii_m: tuple[float, float] = (0.034, 0.026)
    neck_radius_m: float = 0.05
    # Torso cross-sections: (half width, half depth) at the hips, waist, chest and shoulders.
    hips_section_m: tuple[float, float] = (0.175, 0.105)
    waist_section_m: tuple[float, float] = (0.145, 0.095)
    chest_section_m: tuple[float, float] = (0.165, 0.105)
    shoulder_section_m: tuple[float, float] = (0.15, 0.075)

    @staticmethod
    def for_height(height_m: float) -> "BodyDims":
        """Default proportions scaled to a standing height."""
        scale = height_m / 1.75
        base = BodyDims()
        changes = {}
        for f in fields(BodyDims):
            value = getattr(base, f.name)
            changes[f.name] = tuple(v * scale for v in value) if isinstance(value, tuple) else value * scale
        return BodyDims(**changes)

    @property
    def leg_length_m(self) -> float:
        """Hip joint to the floor, standing."""
        return self.thigh_m + self.shank_m + self.ankle_height_m


@dataclass(frozen=True)
class Pose:
    """Every joint angle and the placement of the body at one instant (degrees and metres)."""

    orientation: str = "upright"
    heading_deg: float = 0.0
    pitch_deg: float = 0.0  # whole-body tilt about its left axis, + = head forward
    x_m: float = 0.0  # horizontal position of the anchor point
    z_m: float = 0.0
    lift_m: float = 0.0  # height of the lowest point above its support (a jump)
    pelvic_obliquity_deg: float = 0.0
    pelvic_tilt_deg: float = 0.0
    pelvic_rotation_deg: float = 0.0
    trunk_flexion_deg: float = 0.0
    trunk_lean_deg: float = 0.0
    trunk_twist_deg: float = 0.0
    head_flexion_deg: float = 0.0
    head_turn_deg: float = 0.0
    hip_flexion_left_deg: float = 0.0
    hip_flexion_right_deg: float = 0.0
    hip_abduction_left_deg: float = 0.0
    hip_abduction_right_deg: float = 0.0
    hip_rotation_left_deg: float = 0.0
    hip_rotation_right_deg: float = 0.0
    knee_flexion_left_deg: float = 0.0
    knee_flexion_right_deg: float = 0.0
    knee_valgus_left_deg: float = 0.0
    knee_valgus_right_deg: float = 0.0
    ankle_flexion_left_deg: float = 0.0
    ankle_flexion_right_deg: float = 0.0
    foot_flat_left: float = 1.0
    foot_flat_right: float = 1.0
    shoulder_flexion_left_deg: float = 0.0
    shoulder_flexion_right_deg: float = 0.0
    shoulder_abduction_left_deg: float = 8.0
    shoulder_abduction_right_deg: float = 8.0
    elbow_flexion_left_deg: float = 10.0
    elbow_flexion_right_deg: float = 10.0

    def with_values(self, **values: float) -> "Pose":
        """A copy with some channels changed."""
        return replace(self, **values)


POSE_CHANNELS: tuple[str, ...] = tuple(f.name for f in fields(Pose) if f.name != "orientation")


@dataclass(frozen=True)
class Skeleton:
    """A posed body: named 3D points and segment rotations (columns: the segment's left, up, forward)."""

    points: dict[str, np.ndarray]
    frames: dict[str, np.ndarray]
    root: np.ndarray  # rotation of the upright root (heading, orientation, pitch)

    def landmarks(self) -> np.ndarray:
        """(33, 3) world positions of MediaPipe's landmarks, in LANDMARK_NAMES order."""
        return np.stack([self.points[name] for name in LANDMARK_NAMES])

    def translated(self, offset: np.ndarray) -> "Skeleton":
        """The same skeleton moved by ``offset``."""
        return Skeleton({k: v + offset for k, v in self.points.items()}, self.frames, self.root)


def _sided(pose: Pose, name: str, side: str) -> float:
    return float(getattr(pose, name.replace("{s}", side)))


def _foot_frame(shank: np.ndarray, ankle_flexion_deg: float, flat: float) -> np.ndarray:
    """The foot's rotation: from the ankle angle, blended toward lying flat (sole level, toes ahead)."""
    from_angle = shank @ rot_x(-ankle_flexion_deg)
    if flat <= 0.0:
        return from_angle
    forward = from_angle[:, 2].copy()
    forward[1] = 0.0
    if np.linalg.norm(forward) < 1e-6:
        forward = shank[:, 2].copy()
        forward[1] = 0.0
    flat_frame = frame_from_up_forward(np.array([0.0, 1.0, 0.0]), forward)
    if flat >= 1.0:
        return flat_frame
    up = (1.0 - flat) * from_angle[:, 1] + flat * flat_frame[:, 1]
    fwd = (1.0 - flat) * from_angle[:, 2] + flat * flat_frame[:, 2]
    return frame_from_up_forward(up, fwd)


def pose_body(pose: Pose, dims: BodyDims = BodyDims()) -> Skeleton:
    """Joint positions for a pose, with the pelvis centre (hip joint midpoint) at the origin."""
    if pose.orientation not in ORIENTATIONS:
        raise ValueError(f"unknown orientation {pose.orientation!r}; choose from {', '.join(ORIENTATIONS)}")
    root = rot_y(pose.heading_deg) @ ORIENTATIONS[pose.orientation] @ rot_x(pose.pitch_deg)
    pelvis = root @ rot_y(pose.pelvic_rotation_deg) @ rot_z(-pose.pelvic_obliquity_deg) @ rot_x(pose.pelvic_tilt_deg)
    trunk = root @ rot_y(pose.trunk_twist_deg) @ rot_z(pose.trunk_lean_deg) @ rot_x(pose.trunk_flexion_deg)
    origin = np.zeros(3)
    points: dict[str, np.ndarray] = {"pelvis": origin}
    frames: dict[str, np.ndarray] = {"pelvis": pelvis, "trunk": trunk}

    shoulder_mid = trunk @ np.array([0.0, dims.trunk_length_m, 0.0])
    points["shoulder_mid"] = shoulder_mid
    points["waist"] = trunk @ np.array([0.0, 0.42 * dims.trunk_length_m, 0.0])
    head = trunk @ rot_x(pose.head_flexion_deg) @ rot_y(pose.head_turn_deg)
    frames["head"] = head
    neck_top = shoulder_mid + head @ np.array([0.0, dims.neck_length_m, 0.0])
    points["neck_top"] = neck_top
    rx, ry, rz = dims.head_radii_m
    head_center = neck_top + head @ np.array([0.0, 0.75 * ry, 0.15 * rz])
    points["head_center"] = head_center
    face = {
        "nose": (0.0, -0.12 * ry, 1.2 * rz),
        "left_eye_inner": (0.22 * rx, 0.22 * ry, 0.9 * rz),
        "left_eye": (0.42 * rx, 0.22 * ry, 0.84 * rz),
        "left_eye_outer": (0.62 * rx, 0.22 * ry, 0.72 * rz),
        "left_ear": (0.98 * rx, 0.0, -0.05 * rz),
        "mouth_left": (0.3 * rx, -0.45 * ry, 0.85 * rz),
    }
    for name, (x, y, z) in face.items():
        points[name] = head_center + head @ np.array([x, y, z])
        if name.startswith("left_") or name.endswith("_left"):
            mirrored = name.replace("left", "right")
            points[mirrored] = head_center + head @ np.array([-x, y, z])

    for side, sign in (("left", 1.0), ("right", -1.0)):
        hip = pelvis @ np.array([sign * dims.pelvis_width_m / 2, 0.0, 0.0])
        thigh = (
            pelvis
            @ rot_x(-_sided(pose, "hip_flexion_{s}_deg", side))
            @ rot_z(sign * _sided(pose, "hip_abduction_{s}_deg", side))
            @ rot_y(-sign * _sided(pose, "hip_rotation_{s}_deg", side))
        )
        knee = hip + thigh @ np.array([0.0, -dims.thigh_m, 0.0])
        shank = thigh @ rot_x(_sided(pose, "knee_flexion_{s}_deg", side)) @ rot_z(
            sign * _sided(pose, "knee_valgus_{s}_deg", side)
        )
        ankle = knee + shank @ np.array([0.0, -dims.shank_m, 0.0])
        foot = _foot_frame(shank, _sided(pose, "ankle_flexion_{s}_deg", side), _sided(pose, "foot_flat_{s}", side))
        sole = -dims.ankle_height_m
        points[f"{side}_hip"] = hip
        points[f"{side}_knee"] = knee
        points[f"{side}_ankle"] = ankle
        points[f"{side}_heel"] = ankle + foot @ np.array([0.0, sole + 0.015, -dims.heel_back_m])
        points[f"{side}_foot_index"] = ankle + foot @ np.array([-sign * 0.015, sole + 0.015, dims.toe_forward_m])
        frames[f"{side}_thigh"] = thigh
        frames[f"{side}_shank"] = shank
        frames[f"{side}_foot"] = foot

        shoulder = shoulder_mid + trunk @ np.array([sign * dims.shoulder_width_m / 2, 0.0, 0.0])
        upper_arm = (
            trunk
            @ rot_x(-_sided(pose, "shoulder_flexion_{s}_deg", side))
            @ rot_z(sign * _sided(pose, "shoulder_abduction_{s}_deg", side))
        )
        elbow = shoulder + upper_arm @ np.array([0.0, -dims.upper_arm_m, 0.0])
        forearm = upper_arm @ rot_x(-_sided(pose, "elbow_flexion_{s}_deg", side))
        wrist = elbow + forearm @ np.array([0.0, -dims.forearm_m, 0.0])
        hand_len = dims.hand_m
        points[f"{side}_shoulder"] = shoulder
        points[f"{side}_elbow"] = elbow
        points[f"{side}_wrist"] = wrist
        points[f"{side}_index"] = wrist + forearm @ np.array([-sign * 0.005, -0.8 * hand_len, 0.02])
        points[f"{side}_pinky"] = wrist + forearm @ np.array([-sign * 0.005, -0.68 * hand_len, -0.035])
        points[f"{side}_thumb"] = wrist + forearm @ np.array([-sign * 0.01, -0.42 * hand_len, 0.05])
        frames[f"{side}_upper_arm"] = upper_arm
        frames[f"{side}_forearm"] = forearm
    return Skeleton(points, frames, root)


def two_link_knee(hip_to_ankle_m: float, thigh_m: float, shank_m: float) -> float:
    """Knee flexion (degrees) that puts the ankle at a given distance from the hip (clamped to reach)."""
    d = min(max(hip_to_ankle_m, abs(thigh_m - shank_m) + 1e-6), thigh_m + shank_m - 1e-9)
    cos_inner = (thigh_m**2 + shank_m**2 - d**2) / (2 * thigh_m * shank_m)
    return 180.0 - math.degrees(math.acos(max(-1.0, min(1.0, cos_inner))))


def solve_channel(
    pose: Pose,
    channel: str,
    low: float,
    high: float,
    error: Callable[[Skeleton], float],
    dims: BodyDims = BodyDims(),
    iterations: int = 40,
) -> Pose:
    """Set one channel by bisection so that ``error(skeleton)`` crosses zero between ``low`` and ``high``.

    ``error`` must change sign over the interval; if it does not, the end with the smaller |error| is kept.
    """
    def at(value: float) -> float:
        return float(error(pose_body(pose.with_values(**{channel: value}), dims)))

    e_low, e_high = at(low), at(high)
    if e_low * e_high > 0:
        return pose.with_values(**{channel: low if abs(e_low) < abs(e_high) else high})
    for _ in range(iterations):
        mid = (low + high) / 2
        e_mid = at(mid)
        if e_low * e_mid <= 0:
            high = mid
        else:
            low, e_low = mid, e_mid
    return pose.with_values(**{channel: (low + high) / 2})



def sagittal_leg_angles(down_m: float, forward_m: float, dims: BodyDims = BodyDims()) -> tuple[float, float]:
    """Hip and knee flexion (degrees) that put the ankle ``down_m`` below and ``forward_m`` ahead of the hip,
    in the pelvis frame, knee bending forward of the hip-ankle line."""
    reach = math.hypot(down_m, forward_m)
    knee = two_link_knee(reach, dims.thigh_m, dims.shank_m)
    line = math.degrees(math.atan2(forward_m, down_m))
    reach = min(max(reach, 1e-6), dims.thigh_m + dims.shank_m)
    cos_hip = (dims.thigh_m**2 + reach**2 - dims.shank_m**2) / (2 * dims.thigh_m * reach)
    return line + math.degrees(math.acos(max(-1.0, min(1.0, cos_hip)))), knee


def knee_between(hip: np.ndarray, ankle: np.ndarray, bend_toward: np.ndarray, dims: BodyDims = BodyDims()
                 ) -> np.ndarray:
    """Where the knee is when the ankle must be at ``ankle``: in the plane of the hip-ankle line and
    ``bend_toward`` (a direction the knee points to), at the thigh's length from the hip."""
    line = ankle - hip
    reach = float(np.linalg.norm(line))
    axis = line / max(reach, 1e-9)
    reach = min(max(reach, abs(dims.thigh_m - dims.shank_m) + 1e-6), dims.thigh_m + dims.shank_m - 1e-9)
    along = (dims.thigh_m**2 - dims.shank_m**2 + reach**2) / (2 * reach)
    out = bend_toward - np.dot(bend_toward, axis) * axis
    out /= max(float(np.linalg.norm(out)), 1e-9)
    return hip + axis * along + out * math.sqrt(max(dims.thigh_m**2 - along**2, 0.0))


def leg_angles(pelvis: np.ndarray, hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, side: str
               ) -> dict[str, float]:
    """Hip flexion, abduction, rotation and knee flexion channels that put the knee and ankle where given
    (the inverse of ``pose_body``'s leg chain; knee valgus 0)."""
    sign = 1.0 if side == "left" else -1.0
    d = pelvis.T @ (knee - hip)
    d /= np.linalg.norm(d)
    abduction = math.degrees(math.asin(max(-1.0, min(1.0, sign * d[0]))))
    flexion = math.degrees(math.atan2(d[2], -d[1]))
    thigh = pelvis @ rot_x(-flexion) @ rot_z(sign * abduction)
    s = thigh.T @ (ankle - knee)
    s /= np.linalg.norm(s)
    knee_flexion = math.degrees(math.acos(max(-1.0, min(1.0, -s[1]))))
    twist = math.degrees(math.atan2(-s[0], -s[2])) if knee_flexion > 1e-3 else 0.0
    return {
        f"hip_flexion_{side}_deg": flexion,
        f"hip_abduction_{side}_deg": abduction,
        f"hip_rotation_{side}_deg": -sign * twist,
        f"knee_flexion_{side}_deg": knee_flexion,
        f"knee_valgus_{side}_deg": 0.0,
    }
