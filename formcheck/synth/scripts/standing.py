"""Standing exercises: safety watch, single-leg stance and squat, jump landing, hip hike, lateral band walk."""

from __future__ import annotations

import numpy as np

from formcheck.synth.camera import Camera
from formcheck.synth.clip import Clip
from formcheck.synth.motion import NoiseLevels, Timeline
from formcheck.synth.placement import Support
from formcheck.synth.rotations import rot_y
from formcheck.synth.shapes import Box, Material
from formcheck.synth.scripts.common import FRONT, STAND, arm, both_arms, both_legs, leg, other, pelvis_tilt_sideways

RELAXED = STAND.with_values(**leg("left", knee=3), **leg("right", knee=3))


def safety_watch(rng: np.random.Generator) -> Timeline:
    """Knee lifts while standing: four below hip height, two (one per side) held above it."""
    tl = Timeline(RELAXED, rng, anchor="ankles")
    tl.stay(1.0)
    lifts = [("right", 60, 70, 0.3), ("left", 65, 75, 0.3), ("right", 118, 100, 1.3),
             ("left", 70, 80, 0.3), ("left", 115, 105, 1.1), ("right", 55, 65, 0.3)]
    for side, hip, knee, hold in lifts:
        high = hip > 90
        tl.anchor(f"{other(side)}_ankle")
        tl.move(0.8, **leg(side, hip=hip, knee=knee, ankle=-15, flat=0), trunk_flexion_deg=-4 if high else 0,
                **arm(other(side), flexion=30, elbow=40), **arm(side, flexion=-15, elbow=20))
        tl.stay(hold)
        tl.move(0.8, **leg(side, hip=0, knee=3, ankle=0, flat=1), trunk_flexion_deg=0,
                **both_arms(flexion=0, elbow=10))
        tl.anchor("ankles")
        tl.stay(0.5)
    return tl


def single_leg_stance_holds(rng: np.random.Generator) -> Timeline:
    """On the left leg: a 5 s hold, a hold broken off after about 2.5 s (foot down early), then a 2.5 s hold."""
    tl = Timeline(RELAXED, rng, anchor="ankles")
    lifted = "right"
    up = leg(lifted, hip=25, knee=70, ankle=-10, flat=0)
    down = leg(lifted, hip=0, knee=3, ankle=0, flat=1)
    tl.stay(1.2)
    for hold_s, note in ((5.0, ""), (2.5, "foot touched down early"), (2.5, "")):
        tl.anchor("left_ankle")
        tl.move(0.7, **up, trunk_lean_deg=-2)
        tl.mark("hold", "start", "left")
        tl.stay(hold_s)
        tl.mark("hold", "end", "left", note=note)
        tl.move(0.35 if note else 0.7, **down, trunk_lean_deg=0)
        tl.anchor("ankles")
        tl.stay(1.2)
    return tl


def single_leg_stance_faults(rng: np.random.Generator) -> Timeline:
    """On the right leg: the left hip drops 10 degrees for 2.5 s, then a later hold with a 16 degree trunk lean."""
    tl = Timeline(RELAXED, rng, anchor="ankles")
    up = leg("left", hip=25, knee=70, ankle=-10, flat=0)
    down = leg("left", hip=0, knee=3, ankle=0, flat=1)
    tl.stay(1.2)
    tl.anchor("right_ankle").move(0.7, **up, trunk_lean_deg=2)
    tl.mark("hold", "start", "right").stay(1.5)
    # The dropping hip lowers the lifted foot (about 4 cm): its knee bends further to keep the foot clear of the
    # floor, as a person's does (with the knee at 70 degrees the foot of shorter legs sank into the floor).
    tl.move(0.6, **pelvis_tilt_sideways(10.0), **leg("left", knee=90)).stay(2.5)
    tl.move(0.6, **pelvis_tilt_sideways(0.0), **leg("left", knee=70)).stay(1.5)
    tl.mark("hold", "end", "right").move(0.7, **down, trunk_lean_deg=0)
    tl.anchor("ankles").stay(1.5)
    tl.anchor("right_ankle").move(0.7, **up, trunk_lean_deg=2)
    tl.mark("hold", "start", "right").stay(1.0)
    tl.move(0.6, trunk_lean_deg=16, **arm("left", abduction=30)).stay(2.0)
    tl.move(0.6, trunk_lean_deg=2, **arm("left", abduction=8)).stay(1.0)
    tl.mark("hold", "end", "right").move(0.7, **down, trunk_lean_deg=0)
    tl.anchor("ankles").stay(1.0)
    return tl


# The free leg of a single-leg squat: knee bent, foot behind, high enough to stay clear of the floor at the
# bottom of the squat (with the foot held forward and low, the mannequin ended up standing on its toes).
SQUAT_LIFTED_LEG = dict(hip=20.0, knee=100.0, ankle=-10.0, flat=0.0)


def _squat_rep(tl: Timeline, side: str, depth: float = 1.0, *, valgus: bool = False, drop: bool = False,
               lean: float = 0.0, full: bool = True) -> None:
    """One single-leg squat on ``side``: down about 1.1 s, a short pause, up about 1.1 s."""
    targets = leg(side, hip=50 * depth, knee=68 * depth)
    if valgus:
        targets.update(leg(side, rot=12, abd=-4, valgus=5))
    if drop:
        targets.update(pelvis_tilt_sideways(10.0 if side == "right" else -10.0))  # the lifted side's hip drops
        targets[f"hip_abduction_{side}_deg"] *= 0.3  # the standing thigh follows the pelvis a little, no valgus
    tl.mark("rep", "start", side, full=full)
    tl.move(1.1, **targets, trunk_flexion_deg=25 * depth, trunk_lean_deg=lean,
            **both_arms(flexion=35 * depth, elbow=25))
    tl.stay(0.3)
    reset = leg(side, hip=0, knee=3, rot=0, valgus=0)
    if valgus or drop:
        reset.update(pelvis_tilt_sideways(0.0))
    tl.move(1.1, **reset, trunk_flexion_deg=0, trunk_lean_deg=0, **both_arms(flexion=0, elbow=10))
    tl.mark("rep", "end", side, full=full)
    tl.stay(0.5)


def single_leg_squat_valgus(rng: np.random.Generator) -> Timeline:
    """Right-leg squats: two good, two with the knee caving in, one good."""
    tl = Timeline(RELAXED, rng, anchor="ankles")
    tl.stay(0.8)
    tl.anchor("right_ankle").move(0.7, **leg("left", **SQUAT_LIFTED_LEG)).stay(0.4)
    for valgus in (False, False, True, True, False):
        _squat_rep(tl, "right", valgus=valgus)
    return tl


def single_leg_squat_pelvis_trunk(rng: np.random.Generator) -> Timeline:
    """Left-leg squats: good, partial, pelvic drop, trunk lean, good."""
    tl = Timeline(RELAXED, rng, anchor="ankles")
    tl.stay(0.8)
    tl.anchor("left_ankle").move(0.7, **leg("right", **SQUAT_LIFTED_LEG)).stay(0.4)
    _squat_rep(tl, "left")
    _squat_rep(tl, "left", depth=0.45, full=False)
    _squat_rep(tl, "left", drop=True)
    _squat_rep(tl, "left", lean=-16)
    _squat_rep(tl, "left")
    return tl


def jump_landing(rng: np.random.Generator) -> Timeline:
    """Four counter-movement jumps: good, good, landing with both knees caving in, landing too deep."""
    tl = Timeline(RELAXED, rng, anchor="ankles")
    tl.stay(1.0)
    for kind in ("good", "good", "valgus", "deep"):
        tl.mark("rep", "start")
        tl.move(0.5, **both_legs(hip=45, knee=70), trunk_flexion_deg=30, **both_arms(flexion=-40, elbow=15))
        tl.move(0.18, exact=True, **both_legs(hip=0, knee=0, ankle=-35, flat=0), trunk_flexion_deg=5,
                **both_arms(flexion=70, elbow=10))
        tl.move(0.2, exact=True, lift_m=0.16, **both_legs(hip=10, knee=15, ankle=-25))
        tl.move(0.2, exact=True, lift_m=0.0, **both_legs(hip=15, knee=20, ankle=-30))
        if kind == "deep":
            landing = dict(**both_legs(hip=100, knee=125, ankle=0, flat=1), trunk_flexion_deg=42)
        elif kind == "valgus":
            landing = dict(**both_legs(hip=45, knee=62, ankle=0, flat=1, rot=12, abd=-4, valgus=6),
                           trunk_flexion_deg=30)
        else:
            landing = dict(**both_legs(hip=45, knee=62, ankle=0, flat=1), trunk_flexion_deg=30)
        tl.move(0.3, exact=True, **landing, **both_arms(flexion=40, elbow=30))
        tl.stay(0.35 if kind == "good" else 0.6)
        tl.move(0.8, **both_legs(hip=0, knee=3, rot=0, abd=0, valgus=0), trunk_flexion_deg=0,
                **both_arms(flexion=0, elbow=10))
        tl.mark("rep", "end")
        tl.stay(0.9)
    return tl


def hip_hike(rng: np.random.Generator) -> Timeline:
    """Standing on a step on the right leg: five drops and hikes of the left hip; rep 4 bends the standing knee,
    rep 5 leans the trunk."""
    tl = Timeline(RELAXED.with_values(**leg("left", knee=8)), rng, anchor="right_ankle")
    tl.stay(1.0)
    for kind in ("good", "good", "good", "knee", "lean"):
        knee = 25.0 if kind == "knee" else 3.0
        lean = 12.0 if kind == "lean" else 0.0
        tl.mark("rep", "start", "right")
        tl.move(0.9, **pelvis_tilt_sideways(8.0), **leg("right", knee=knee, hip=knee * 0.5), trunk_lean_deg=lean)
        tl.stay(0.4)
        tl.move(0.9, **pelvis_tilt_sideways(-4.0))
        tl.stay(0.3)
        tl.move(0.5, **pelvis_tilt_sideways(0.0), **leg("right", knee=3, hip=0), trunk_lean_deg=0)
        tl.mark("rep", "end", "right")
        tl.stay(0.4)
    return tl


HIP_WIDTH_M = 0.19
STEP_HEIGHT_M = 0.15


def lateral_band_walk(rng: np.random.Generator) -> Timeline:
    """Mini-squat side steps: four to the right, four back to the left; steps 3 and 6 sway the trunk."""
    base = dict(**both_legs(hip=28, knee=38, abd=3), trunk_flexion_deg=18, **both_arms(flexion=25, elbow=70))
    tl = Timeline(RELAXED.with_values(x_m=0.23), rng, anchor="ankles")
    tl.stay(0.6).move(0.8, **base).stay(0.4)
    step = 0
    for lead in ("right",) * 4 + ("left",) * 4:
        step += 1
        trail = other(lead)
        sway = (14.0 if lead == "right" else -14.0) if step in (3, 6) else 0.0
        tl.mark("rep", "start")
        tl.anchor(f"{trail}_ankle")
        tl.move(0.45, **leg(lead, abd=11, knee=62, hip=40), trunk_lean_deg=sway)
        tl.move(0.35, **leg(lead, knee=38, hip=28))
        tl.anchor(f"{lead}_ankle")
        tl.move(0.45, **leg(lead, abd=3), **leg(trail, knee=62, hip=40))
        tl.move(0.35, **leg(trail, knee=38, hip=28), trunk_lean_deg=0)
        tl.mark("rep", "end")
        tl.anchor("ankles").stay(0.35)
    tl.move(0.8, **both_legs(hip=0, knee=3, abd=0), trunk_flexion_deg=0, **both_arms(flexion=0, elbow=10))
    return tl


def _step_box() -> Box:
    """A step under the right foot (its ankle at x = 0), the left foot hanging past its edge."""
    return Box(np.array([-0.16, STEP_HEIGHT_M / 2, 0.05]), rot_y(0.0), np.array([0.22, STEP_HEIGHT_M / 2, 0.22]),
               Material((120, 150, 175)), "step")


STEADY = NoiseLevels()
LIVELY = NoiseLevels(sway_m=0.004, legs_deg=0.5, trunk_deg=0.5)

CLIPS: tuple[Clip, ...] = (
    Clip("safety_watch_knee_lifts_side", "safety_watch", None, "side", "standing",
         Camera(yaw_deg=-90.0, distance_m=3.3, height_m=1.0, target=(0.0, 0.88, 0.15)), safety_watch,
         "Standing knee lifts seen from the right: four below hip height, then one per side held above the hip.",
         faults=("knee_above_hip",)),
    Clip("single_leg_stance_left_holds_front", "single_leg_stance", "left", "front", "standing", FRONT,
         single_leg_stance_holds,
         "Single-leg stance on the left leg: a 5 s hold, a hold cut short when the foot touches down early, a "
         "2.5 s hold.", faults=()),
    Clip("single_leg_stance_right_faults_front", "single_leg_stance", "right", "front", "standing", FRONT,
         single_leg_stance_faults,
         "Single-leg stance on the right leg: the left hip drops 10 degrees for 2.5 s; in the second hold the "
         "trunk leans 16 degrees to the side for 2 s.", faults=("pelvic_drop", "trunk_lean")),
    Clip("single_leg_squat_right_valgus_front", "single_leg_squat", "right", "front", "standing", FRONT,
         single_leg_squat_valgus,
         "Five right-leg squats; in reps 3 and 4 the knee caves inward (knee valgus).", faults=("knee_valgus",)),
    Clip("single_leg_squat_left_pelvis_trunk_front", "single_leg_squat", "left", "front", "standing", FRONT,
         single_leg_squat_pelvis_trunk,
         "Five left-leg squats: good, partial (too shallow), pelvic drop, trunk lean, good.",
         faults=("pelvic_drop", "trunk_lean")),
    Clip("jump_landing_front", "jump_landing", None, "front", "standing",
         Camera(yaw_deg=0.0, distance_m=3.8, height_m=1.0, target=(0.0, 0.95, 0.0)), jump_landing,
         "Four jumps: two good landings, one with both knees caving in, one landing so deep that the knees rise "
         "above the hips.", faults=("knee_valgus", "knee_above_hip"), noise=LIVELY),
    Clip("hip_hike_right_step_front", "hip_hike", "right", "front", "standing",
         Camera(yaw_deg=0.0, distance_m=3.5, height_m=1.0, target=(0.0, 1.0, 0.0)), hip_hike,
         "Hip hikes standing on a step on the right leg: three good reps, one with the standing knee bent, one "
         "with the trunk leaning.", faults=("knee_bent", "trunk_lean"),
         support=Support(floor_y_m=STEP_HEIGHT_M, contact_parts=("right_foot",)), props=(_step_box(),)),
    Clip("lateral_band_walk_front", "lateral_band_walk", None, "front", "standing",
         Camera(yaw_deg=0.0, distance_m=3.6, height_m=0.95, target=(0.0, 0.8, 0.0)), lateral_band_walk,
         "Lateral band walk in a mini squat: four steps to the right and four back; the trunk sways sideways on "
         "steps 3 and 6.", faults=("trunk_lean",)),
)
