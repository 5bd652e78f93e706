"""Scripts for the other measurable exercises of the program, built on request (``formcheck synth --all``).

Bridges on one leg and on a ball, an isometric bridge hold, the two supine piriformis stretches, the prone
straight leg raise, a balance board hold, single-leg ball tosses and single-leg hops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.synth.body import BodyDims, Pose, knee_between, leg_angles, pose_body
from formcheck.synth.camera import Camera
from formcheck.synth.clip import Clip
from formcheck.synth.motion import Timeline
from formcheck.synth.placement import Support
from formcheck.synth.rotations import rot_y
from formcheck.synth.shapes import Box, Ellipsoid, Material
from formcheck.synth.scripts.common import FRONT, both_arms, both_legs, leg, pelvis_tilt_sideways
from formcheck.synth.scripts.floor import DIMS, FLOOR_CAMERA, FLOOR_NOISE, SUPINE, FeetPlantedSupine, _horizontal
from formcheck.synth.scripts.standing import RELAXED

BALL_RADIUS_M = 0.28
BALL_REACH_M = 1.22
# Where the heels rest on the ball, as a share of the leg beyond the trunk: 1.22 m from the shoulders for the
# clip's own body (trunk 0.50 m, legs 0.86 m). A person places the ball under their own calves, so a resized
# body keeps this share, not the 1.22 m (a 2 m body with the ball at 1.22 m lies with the hips flexed 72 degrees).
BALL_LEG_SHARE = (BALL_REACH_M - DIMS.trunk_length_m) / (DIMS.thigh_m + DIMS.shank_m)
BOARD_HEIGHT_M = 0.05


def _bridge_reps(tl: Timeline, depths: tuple[float, ...], top_pitch: float, side: str | None = None) -> None:
    for depth in depths:
        pitch = top_pitch * depth
        tl.mark("rep", "start", side, full=depth == 1.0)
        tl.move(1.2, pitch_deg=pitch, head_flexion_deg=-pitch).stay(0.7)
        tl.move(1.2, pitch_deg=0.0, head_flexion_deg=0.0)
        tl.mark("rep", "end", side, full=depth == 1.0)
        tl.stay(0.7)


def single_leg_bridge(rng: np.random.Generator) -> Timeline:
    """Bridges on the right foot, the left leg held straight; the third stops half way."""
    tl = Timeline(SUPINE, rng, anchor="shoulders").stay(1.0)
    _bridge_reps(tl, (1.0, 1.0, 0.4, 1.0), -22.0, "right")
    return tl


def ball_bridge(rng: np.random.Generator) -> Timeline:
    """Bridges with the heels on a gym ball; the third stops half way.

    The heels up on the ball raise the knees, so the trunk rises further than on the floor (28 degrees, not
    24) before shoulders, hips and knees are near the straight line the instructions ask for; at 24 the clip's
    body stopped 12 degrees short of it, long legs 15. The third rep lifts the trunk 10 degrees, as before."""
    tl = Timeline(SUPINE, rng, anchor="shoulders").stay(1.0)
    _bridge_reps(tl, (1.0, 1.0, 0.35, 1.0), -28.0)
    return tl


@dataclass(frozen=True)
class CalvesOnBall:
    """Heels on the ball, the ball placed at this body's own reach (``BALL_LEG_SHARE``), feet on its top."""

    dims: BodyDims = DIMS

    @property
    def reach_m(self) -> float:
        return self.dims.trunk_length_m + BALL_LEG_SHARE * (self.dims.thigh_m + self.dims.shank_m)

    def __call__(self, pose: Pose) -> Pose:
        planted = FeetPlantedSupine(reach_m=self.reach_m, feet_on_m=2 * BALL_RADIUS_M, dims=self.dims)
        return planted(pose)


def isometric_hip_raise(rng: np.random.Generator) -> Timeline:
    """Two bridge holds of about 5 s."""
    tl = Timeline(SUPINE, rng, anchor="shoulders").stay(1.0)
    for hold_s in (5.5, 5.0):
        tl.move(1.2, pitch_deg=-24.0, head_flexion_deg=24.0)
        tl.mark("hold", "start").stay(hold_s).mark("hold", "end")
        tl.move(1.2, pitch_deg=0.0, head_flexion_deg=0.0).stay(1.3)
    return tl


@dataclass(frozen=True)
class FigureFour:
    """Supine figure-4: the crossed leg's ankle rests on the other thigh just above the knee, its knee out."""

    crossed: str = "right"
    dims: BodyDims = DIMS

    def __call__(self, pose: Pose) -> Pose:
        other = "left" if self.crossed == "right" else "right"
        sk = pose_body(pose, self.dims)
        knee, hip = sk.points[f"{other}_knee"], sk.points[f"{other}_hip"]
        up = sk.root[:, 2]  # the front of a supine body faces the ceiling
        outward = sk.root[:, 0] * (1.0 if self.crossed == "left" else -1.0)
        thigh_dir = (hip - knee) / np.linalg.norm(hip - knee)
        ankle = knee + thigh_dir * 0.07 + up * (self.dims.thigh_radii_m[1] + self.dims.shank_radii_m[1])
        ankle += outward * 0.02
        crossed_hip = sk.points[f"{self.crossed}_hip"]
        bend = outward + 0.3 * _horizontal(-sk.root[:, 1])
        knee_at = knee_between(crossed_hip, ankle, bend, self.dims)
        return pose.with_values(**leg_angles(sk.frames["pelvis"], crossed_hip, knee_at, ankle, self.crossed))


def piriformis_stretch(rng: np.random.Generator) -> Timeline:
    """Right ankle over the left knee; two holds pulling the left thigh toward the chest."""
    rest = SUPINE.with_values(**leg("left", hip=46, knee=98, flat=1), **leg("right", flat=0))
    tl = Timeline(rest, rng, anchor="shoulders").stay(1.2)
    for hold_s in (6.0, 5.0):
        tl.move(1.5, **leg("left", hip=88, knee=92), **both_arms(flexion=48, abduction=12, elbow=15),
                head_flexion_deg=12)
        tl.mark("hold", "start", "right").stay(hold_s).mark("hold", "end", "right")
        tl.move(1.5, **leg("left", hip=46, knee=98), **both_arms(flexion=0, abduction=14, elbow=5),
                head_flexion_deg=0).stay(1.0)
    return tl


def piriformis_knee_to_shoulder(rng: np.random.Generator) -> Timeline:
    """The right knee pulled toward the left shoulder, two holds."""
    rest = SUPINE.with_values(**leg("right", hip=46, knee=98, flat=1))
    tl = Timeline(rest, rng, anchor="shoulders").stay(1.2)
    for hold_s in (5.5, 4.5):
        tl.move(1.5, **leg("right", hip=92, abd=-20, knee=112, flat=0), **arm_pull(), head_flexion_deg=12)
        tl.mark("hold", "start", "right").stay(hold_s).mark("hold", "end", "right")
        tl.move(1.5, **leg("right", hip=46, abd=0, knee=98, flat=1), **both_arms(flexion=0, abduction=14, elbow=5),
                head_flexion_deg=0).stay(1.0)
    return tl


def arm_pull() -> dict[str, float]:
    """Both hands reaching up to a knee held over the chest."""
    return both_arms(flexion=50, abduction=8, elbow=20)


PRONE = Pose(orientation="prone", heading_deg=90.0, x_m=0.45, head_turn_deg=-75.0,
             **both_legs(ankle=-60, flat=0), **both_arms(abduction=12, elbow=5))


def prone_straight_leg_raise(rng: np.random.Generator) -> Timeline:
    """Lying face down: five right leg lifts of about 14 degrees; in reps 4 and 5 the knee bends 35 degrees."""
    tl = Timeline(PRONE, rng, anchor="shoulders").stay(1.0)
    for bent in (False, False, False, True, True):
        tl.mark("rep", "start", "right")
        tl.move(1.0, **leg("right", hip=-14, knee=35 if bent else 0)).stay(0.7)
        tl.move(1.0, **leg("right", hip=0, knee=0)).mark("rep", "end", "right").stay(0.6)
    return tl


def balance_board(rng: np.random.Generator) -> Timeline:
    """On a balance board: feet apart into one long hold; the trunk leans 16 degrees, later both knees cave in."""
    tl = Timeline(RELAXED.with_values(**both_legs(abd=-3.5, knee=8)), rng, anchor="ankles").stay(1.0)
    tl.move(0.8, **both_legs(abd=5, knee=15, hip=8))
    tl.mark("hold", "start").stay(2.5)
    tl.move(0.6, trunk_lean_deg=16, **both_arms(abduction=35)).stay(2.0)
    tl.move(0.6, trunk_lean_deg=0, **both_arms(abduction=20)).stay(2.0)
    tl.move(0.6, **both_legs(knee=35, hip=25, rot=14, abd=0, valgus=7)).stay(1.6)
    tl.move(0.6, **both_legs(knee=15, hip=8, rot=0, abd=5, valgus=0)).stay(2.0)
    tl.mark("hold", "end").move(0.8, **both_legs(abd=-3.5, knee=8, hip=0)).stay(1.0)
    return tl


def single_leg_ball_toss(rng: np.random.Generator) -> Timeline:
    """On the right leg, tossing a (not drawn) ball with both hands; in the second hold the left hip drops."""
    tl = Timeline(RELAXED, rng, anchor="ankles").stay(1.0)
    up = leg("left", hip=25, knee=70, ankle=-10, flat=0)
    for drop in (False, True):
        tl.anchor("right_ankle").move(0.7, **up, trunk_lean_deg=2)
        tl.mark("hold", "start", "right")
        for toss in range(4):
            extra = pelvis_tilt_sideways(10.0) if drop and toss in (1, 2) else pelvis_tilt_sideways(0.0)
            tl.move(0.5, **both_arms(flexion=100, elbow=15), **extra)
            tl.move(0.6, **both_arms(flexion=30, elbow=90))
        tl.mark("hold", "end", "right")
        tl.move(0.7, **leg("left", hip=0, knee=3, ankle=0, flat=1), **pelvis_tilt_sideways(0.0), trunk_lean_deg=0,
                **both_arms(flexion=0, elbow=10))
        tl.anchor("ankles").stay(1.3)
    return tl


# The free leg held up behind, knee bent 95 degrees: its toes 18 cm off the floor standing, 6 cm in the deepest
# landing (held lower, the free foot touched the floor in each crouch and the hopping foot rose instead).
HOP_FREE_LEG = leg("left", hip=45, knee=95, ankle=10, flat=0)
HOP_LIFT_M = 0.14  # the hopping toe's height at the top of the flight (a 0.34 s flight: h = g t^2 / 8)


def single_leg_hop(rng: np.random.Generator) -> Timeline:
    """Five hops in place on the right leg, the left foot held up behind clear of the floor (``HOP_FREE_LEG``); each
    hop pushes off through the toe, flies about 14 cm high for a third of a second, lands toe first and absorbs
    the landing, held 2 s; the third lands with the knee caving in."""
    tl = Timeline(RELAXED, rng, anchor="ankles").stay(0.8)
    tl.anchor("right_ankle").move(0.7, **HOP_FREE_LEG).stay(0.5)
    for hop in range(5):
        valgus = hop == 2
        tl.mark("rep", "start", "right")
        tl.move(0.4, **leg("right", hip=35, knee=50), trunk_flexion_deg=15, **both_arms(flexion=-20))
        tl.move(0.15, exact=True, **leg("right", hip=0, knee=0, ankle=-30, flat=0), trunk_flexion_deg=5,
                **both_arms(flexion=40))
        tl.move(0.17, exact=True, lift_m=HOP_LIFT_M, **leg("right", hip=8, knee=12, ankle=-25))
        tl.move(0.17, exact=True, lift_m=0.0, **leg("right", hip=12, knee=15, ankle=-30))
        landing = leg("right", hip=38, knee=50, ankle=0, flat=1)
        if valgus:
            landing.update(leg("right", rot=12, abd=-4, valgus=6))
        tl.move(0.25, exact=True, **landing, trunk_flexion_deg=18, **both_arms(flexion=20))
        tl.stay(0.6 if valgus else 0.25)
        tl.move(0.6, **leg("right", hip=0, knee=3, rot=0, abd=0, valgus=0), trunk_flexion_deg=0,
                **both_arms(flexion=0))
        tl.mark("rep", "end", "right").stay(0.8)
    return tl.stay(0.5)  # the last landing, too, is seen held for 2 s


def _ball() -> Ellipsoid:
    center = np.array([SUPINE.x_m + BALL_REACH_M + 0.05, BALL_RADIUS_M, 0.0])
    return Ellipsoid(center, np.eye(3), np.full(3, BALL_RADIUS_M), Material((70, 70, 200), shine=0.5), "ball")


def _board() -> Box:
    return Box(np.array([0.0, BOARD_HEIGHT_M / 2, 0.06]), rot_y(0.0), np.array([0.32, BOARD_HEIGHT_M / 2, 0.2]),
               Material((80, 120, 160)), "board")


CLIPS: tuple[Clip, ...] = (
    Clip("single_leg_bridge_right_side", "single_leg_bridge", "right", "side", "supine", FLOOR_CAMERA,
         single_leg_bridge, "Single-leg bridges on the right foot, left leg straight; the third stops half way.",
         fix_pose=FeetPlantedSupine(("right",), straight="left"), noise=FLOOR_NOISE, sample=False),
    Clip("ball_bridge_side", "ball_bridge", None, "side", "supine",
         Camera(yaw_deg=0.0, distance_m=3.0, height_m=0.85, target=(0.15, 0.35, 0.0)), ball_bridge,
         "Bridges with the heels on a gym ball; the third stops half way.",
         fix_pose=CalvesOnBall(), noise=FLOOR_NOISE,
         props=(_ball(),), sample=False),
    Clip("isometric_hip_raise_side", "isometric_hip_raise", None, "side", "supine", FLOOR_CAMERA,
         isometric_hip_raise, "Two bridge holds of about 5 s.", fix_pose=FeetPlantedSupine(), noise=FLOOR_NOISE,
         sample=False),
    Clip("piriformis_stretch_right_side", "piriformis_stretch", "right", "side", "supine", FLOOR_CAMERA,
         piriformis_stretch, "Supine figure-4 with the right ankle on the left knee: two holds pulling the left "
         "thigh in.", fix_pose=FigureFour("right"), noise=FLOOR_NOISE, sample=False),
    Clip("piriformis_knee_to_shoulder_right_side", "piriformis_stretch_knee_to_shoulder", "right", "side", "supine",
         FLOOR_CAMERA, piriformis_knee_to_shoulder, "The right knee pulled toward the left shoulder: two holds.",
         fix_pose=FeetPlantedSupine(("left",)), noise=FLOOR_NOISE, sample=False),
    Clip("prone_straight_leg_raise_right_side", "prone_straight_leg_raise", "right", "side", "prone",
         FLOOR_CAMERA, prone_straight_leg_raise,
         "Face down: five right leg lifts; in reps 4 and 5 the knee bends 35 degrees.", faults=("knee_bent",),
         noise=FLOOR_NOISE, sample=False),
    Clip("balance_board_front", "balance_board", None, "front", "standing", FRONT, balance_board,
         "One long hold on a balance board: the trunk leans 16 degrees for 2 s, later both knees cave in.",
         faults=("trunk_lean", "knee_valgus"), support=Support(floor_y_m=BOARD_HEIGHT_M), props=(_board(),),
         sample=False),
    Clip("single_leg_ball_toss_right_front", "single_leg_ball_toss", "right", "front", "standing", FRONT,
         single_leg_ball_toss, "Two holds on the right leg tossing a ball; in the second the left hip drops.",
         faults=("pelvic_drop",), sample=False),
    Clip("single_leg_hop_right_front", "single_leg_hop", "right", "front", "standing", FRONT, single_leg_hop,
         "Five hops on the right leg; the third lands with the knee caving in.", faults=("knee_valgus",),
         sample=False),
)
