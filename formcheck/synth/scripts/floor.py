"""Exercises on the floor: half-kneeling hip flexor stretch, bridge, straight leg raise, clamshell, butterfly stretch.

Feet that must stay planted are put in place each frame by inverse kinematics (the ``fix_pose`` classes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.synth.body import BodyDims, Pose, knee_between, leg_angles, pose_body, sagittal_leg_angles, solve_channel
from formcheck.synth.camera import Camera
from formcheck.synth.clip import Clip
from formcheck.synth.mannequin import build_mannequin
from formcheck.synth.motion import NoiseLevels, Timeline
from formcheck.synth.placement import Support
from formcheck.synth.scripts.common import STAND, arm, both_arms, both_legs, leg

DIMS = BodyDims()
BACK_PARTS = ("pelvis", "abdomen", "chest", "shoulders", "head")
FLOOR_NOISE = NoiseLevels(sway_m=0.002, trunk_deg=0.3, legs_deg=0.5, head_deg=1.5)


@dataclass(frozen=True)
class FrontFootPlanted:
    """Half-kneeling: put the front foot flat on the floor ``ahead_m`` in front of the kneeling knee."""

    back: str = "left"
    ahead_m: float = 0.5
    dims: BodyDims = DIMS

    def __call__(self, pose: Pose) -> Pose:
        front = "right" if self.back == "left" else "left"
        sk = pose_body(pose, self.dims)
        knee = sk.points[f"{self.back}_knee"]
        forward = sk.root[:, 2].copy()
        forward[1] = 0.0
        forward /= np.linalg.norm(forward)
        target = knee + forward * self.ahead_m
        target[1] = knee[1] - self.dims.thigh_radii_m[1] + self.dims.ankle_height_m
        rel = sk.frames["pelvis"].T @ (target - sk.points[f"{front}_hip"])
        hip, knee_flex = sagittal_leg_angles(-rel[1], rel[2], self.dims)
        return pose.with_values(**leg(front, hip=hip, knee=knee_flex, flat=1.0))


@dataclass(frozen=True)
class FeetPlantedSupine:
    """Lying on the back with knees bent: put each listed foot ``reach_m`` from the shoulders (along the floor),
    flat on a surface ``feet_on_m`` above the floor (0 = the floor, more = a ball), whatever the pelvis does.
    ``straight`` names a leg held straight in line with the first planted thigh (a single-leg bridge)."""

    sides: tuple[str, ...] = ("left", "right")
    reach_m: float = 0.95
    feet_on_m: float = 0.0
    straight: str | None = None
    dims: BodyDims = DIMS

    def __call__(self, pose: Pose) -> Pose:
        sk = pose_body(pose, self.dims)
        back = min(s.lowest_y() for s in build_mannequin(sk, self.dims) if s.part in BACK_PARTS)
        toward_feet = _horizontal(-sk.root[:, 1])
        target = sk.points["shoulder_mid"] + toward_feet * self.reach_m
        target[1] = back + self.feet_on_m + self.dims.ankle_height_m + 0.004
        values: dict[str, float] = {}
        for side in self.sides:
            rel = sk.frames["pelvis"].T @ (target - sk.points[f"{side}_hip"])
            hip, knee = sagittal_leg_angles(-rel[1], rel[2], self.dims)
            values.update(leg(side, hip=hip, knee=knee, flat=1.0 if self.feet_on_m == 0 else 0.0))
        if self.straight is not None:
            values.update(leg(self.straight, hip=values[f"hip_flexion_{self.sides[0]}_deg"], knee=0.0))
        return pose.with_values(**values)


@dataclass(frozen=True)
class ClamshellFeetTogether:
    """Side-lying clamshell: the top leg opens by abduction; its rotation is solved so the foot stays on the
    bottom foot."""

    top: str = "right"
    dims: BodyDims = DIMS

    def __call__(self, pose: Pose) -> Pose:
        rest = pose_body(pose.with_values(**leg(self.top, abd=0.0, rot=0.0)), self.dims)
        goal = rest.points[f"{self.top}_ankle"]
        channel = f"hip_rotation_{self.top}_deg"
        lateral = rest.root[:, 0]

        def error(sk) -> float:
            return float((sk.points[f"{self.top}_ankle"] - goal) @ lateral)

        return solve_channel(pose, channel, -80.0, 10.0, error, self.dims)


@dataclass(frozen=True)
class ButterflySit:
    """Seated butterfly: each ankle rests on the floor in front of the pelvis near the midline (soles together)
    and the knee falls outward by the opening angle the script writes in ``hip_abduction_{side}_deg``
    (0 = knees straight up, 90 = knees on the floor)."""

    feet_ahead_m: float = 0.45
    gap_m: float = 0.06
    dims: BodyDims = DIMS

    def __call__(self, pose: Pose) -> Pose:
        sk = pose_body(pose, self.dims)
        seat = min(s.lowest_y() for s in build_mannequin(sk, self.dims) if s.part == "pelvis")
        up = np.array([0.0, 1.0, 0.0])
        forward = _horizontal(sk.root[:, 2])
        lateral = _horizontal(sk.root[:, 0])
        values: dict[str, float] = {}
        for side, sign in (("left", 1.0), ("right", -1.0)):
            ankle = sk.points["pelvis"] + forward * self.feet_ahead_m + lateral * sign * self.gap_m
            ankle[1] = seat + 0.075
            opening = math.radians(getattr(pose, f"hip_abduction_{side}_deg"))
            bend = up * math.cos(opening) + lateral * sign * math.sin(opening)
            hip = sk.points[f"{side}_hip"]
            knee = knee_between(hip, ankle, bend, self.dims)
            values.update(leg_angles(sk.frames["pelvis"], hip, knee, ankle, side))
        return pose.with_values(**values)


def _horizontal(v: np.ndarray) -> np.ndarray:
    h = v.copy()
    h[1] = 0.0
    return h / np.linalg.norm(h)


# --- half-kneeling hip flexor stretch (left knee down) -------------------------------------------------------

KNEEL_REST = STAND.with_values(**leg("left", hip=32, knee=95, ankle=-75, flat=0), **both_arms(abduction=12))


def hip_flexor_stretch(rng: np.random.Generator) -> Timeline:
    """Two holds kneeling on the left knee, hips shifted forward; in the second the trunk pitches forward."""
    tl = Timeline(KNEEL_REST, rng, anchor="left_knee")
    tl.stay(1.0)
    for fault in (False, True):
        tl.move(1.2, hip_flexion_left_deg=-12)
        tl.mark("hold", "start", "left")
        if fault:
            tl.stay(1.4).move(0.8, trunk_flexion_deg=26, **both_arms(flexion=20)).stay(2.2)
            tl.move(0.8, trunk_flexion_deg=0, **both_arms(flexion=0)).stay(1.0)
        else:
            tl.stay(5.2)
        tl.mark("hold", "end", "left")
        tl.move(1.2, hip_flexion_left_deg=32)
        tl.stay(0.8)
    return tl


# --- bridge -----------------------------------------------------------------------------------------------------

SUPINE = Pose(orientation="supine", heading_deg=90.0, x_m=-0.5, **both_arms(abduction=14, elbow=5))
BRIDGE_TOP_PITCH = -24.0


def bridge(rng: np.random.Generator) -> Timeline:
    """Five bridges with a short hold at the top; the third stops half way (a partial rep)."""
    tl = Timeline(SUPINE, rng, anchor="shoulders")
    tl.stay(1.0)
    for depth in (1.0, 1.0, 0.4, 1.0, 1.0):
        pitch = BRIDGE_TOP_PITCH * depth
        tl.mark("rep", "start", full=depth == 1.0)
        tl.move(1.1, pitch_deg=pitch, head_flexion_deg=-pitch)
        tl.stay(0.6)
        tl.move(1.1, pitch_deg=0.0, head_flexion_deg=0.0)
        tl.mark("rep", "end", full=depth == 1.0)
        tl.stay(0.6)
    return tl


# --- straight leg raise (right leg lifts) -----------------------------------------------------------------------

def straight_leg_raise(rng: np.random.Generator) -> Timeline:
    """Five right straight-leg raises to about 42 degrees; in reps 4 and 5 the knee bends 30 degrees."""
    tl = Timeline(SUPINE.with_values(**leg("right", ankle=8, flat=0)), rng, anchor="shoulders")
    tl.stay(1.0)
    for bent in (False, False, False, True, True):
        tl.mark("rep", "start", "right")
        tl.move(1.2, **leg("right", hip=42, knee=30 if bent else 0))
        tl.stay(0.6)
        tl.move(1.2, **leg("right", hip=0, knee=0))
        tl.mark("rep", "end", "right")
        tl.stay(0.6)
    return tl


# --- clamshell (lying on the left side, right knee opens) -----------------------------------------------------

SIDE_LYING = Pose(orientation="left_down", x_m=0.0, **both_legs(hip=45, knee=90, ankle=-5),
                  foot_flat_left=0.0, foot_flat_right=0.0,
                  **arm("left", flexion=165, abduction=0, elbow=30), **arm("right", flexion=60, abduction=0, elbow=50),
                  head_flexion_deg=8.0)


def clamshell(rng: np.random.Generator) -> Timeline:
    """Six clamshells of the right (top) knee; the fourth opens only half way."""
    tl = Timeline(SIDE_LYING, rng, anchor="pelvis")
    tl.stay(1.0)
    for depth in (1.0, 1.0, 1.0, 0.4, 1.0, 1.0):
        tl.mark("rep", "start", "right", full=depth == 1.0)
        tl.move(1.0, hip_abduction_right_deg=32 * depth)
        tl.stay(0.4)
        tl.move(1.0, hip_abduction_right_deg=0.0)
        tl.mark("rep", "end", "right", full=depth == 1.0)
        tl.stay(0.5)
    return tl


# --- butterfly groin stretch (seated) ---------------------------------------------------------------------------

SEATED_REST = STAND.with_values(**both_legs(abd=40, flat=0, ankle=5),
                                **both_arms(flexion=30, abduction=12, elbow=35))


def groin_stretch(rng: np.random.Generator) -> Timeline:
    """Two butterfly holds; in the second the trunk leans 15 degrees to the side for about 2 s."""
    tl = Timeline(SEATED_REST, rng, anchor="pelvis")
    tl.stay(1.0)
    for fault in (False, True):
        tl.move(1.5, **both_legs(abd=66), **both_arms(flexion=38, elbow=25))
        tl.mark("hold", "start")
        if fault:
            tl.stay(1.6).move(0.7, trunk_lean_deg=15).stay(2.2).move(0.7, trunk_lean_deg=0).stay(1.2)
        else:
            tl.stay(5.0)
        tl.mark("hold", "end")
        tl.move(1.3, **both_legs(abd=40), **both_arms(flexion=30, elbow=35))
        tl.stay(0.8)
    return tl


FLOOR_CAMERA = Camera(yaw_deg=0.0, distance_m=2.8, height_m=0.8, target=(0.0, 0.3, 0.0))

CLIPS: tuple[Clip, ...] = (
    Clip("hip_flexor_stretch_left_side", "hip_flexor_stretch", "left", "side", "kneeling",
         Camera(yaw_deg=90.0, distance_m=3.0, height_m=0.85, target=(0.0, 0.55, 0.15)), hip_flexor_stretch,
         "Half-kneeling on the left knee, seen from the left: two holds with the hips shifted forward; in the "
         "second the trunk pitches forward 26 degrees for about 2 s, which bends the front hip to about 120 degrees.",
         faults=("trunk_lean", "knee_above_hip"),
         fix_pose=FrontFootPlanted("left"), noise=FLOOR_NOISE),
    Clip("bridge_side", "bridge", None, "side", "supine", FLOOR_CAMERA, bridge,
         "Five bridges seen from the right side; the third stops half way (a partial rep).",
         fix_pose=FeetPlantedSupine(), noise=FLOOR_NOISE),
    Clip("straight_leg_raise_right_side", "straight_leg_raise", "right", "side", "supine", FLOOR_CAMERA,
         straight_leg_raise,
         "Five right straight-leg raises seen from the right; in reps 4 and 5 the knee bends 30 degrees.",
         faults=("knee_bent",), fix_pose=FeetPlantedSupine(("left",)), noise=FLOOR_NOISE),
    Clip("clamshell_right_front", "clamshell", "right", "front", "side_lying",
         Camera(yaw_deg=0.0, distance_m=2.6, height_m=0.9, target=(0.1, 0.25, 0.0)), clamshell,
         "Six clamshells lying on the left side, camera in front; the fourth opens only half way.",
         fix_pose=ClamshellFeetTogether("right"), noise=FLOOR_NOISE),
    Clip("groin_stretch_front", "groin_stretch", None, "front", "sitting",
         Camera(yaw_deg=0.0, distance_m=2.8, height_m=0.75, target=(0.0, 0.45, 0.0)), groin_stretch,
         "Butterfly stretch seated on the floor: two holds; in the second the trunk leans 15 degrees to the side.",
         faults=("trunk_lean",), fix_pose=ButterflySit(), noise=FLOOR_NOISE,
         support=Support(contact_parts=("pelvis",))),
)
