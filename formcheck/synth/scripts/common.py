"""Building blocks of the motion scripts: the standing pose, per-leg channel helpers, cameras and colours."""

from __future__ import annotations

from formcheck.synth.body import Pose
from formcheck.synth.camera import Camera

STAND = Pose()


def other(side: str) -> str:
    """The other side."""
    return "right" if side == "left" else "left"


def leg(side: str, *, hip: float | None = None, knee: float | None = None, abd: float | None = None,
        rot: float | None = None, valgus: float | None = None, ankle: float | None = None,
        flat: float | None = None) -> dict[str, float]:
    """Channel values of one leg (degrees): hip flexion, knee flexion, abduction, internal rotation, ..."""
    names = {
        "hip": f"hip_flexion_{side}_deg", "knee": f"knee_flexion_{side}_deg", "abd": f"hip_abduction_{side}_deg",
        "rot": f"hip_rotation_{side}_deg", "valgus": f"knee_valgus_{side}_deg", "ankle": f"ankle_flexion_{side}_deg",
        "flat": f"foot_flat_{side}",
    }
    given = dict(hip=hip, knee=knee, abd=abd, rot=rot, valgus=valgus, ankle=ankle, flat=flat)
    return {names[k]: float(v) for k, v in given.items() if v is not None}


def arm(side: str, *, flexion: float | None = None, abduction: float | None = None,
        elbow: float | None = None) -> dict[str, float]:
    """Channel values of one arm (degrees)."""
    names = {"flexion": f"shoulder_flexion_{side}_deg", "abduction": f"shoulder_abduction_{side}_deg",
             "elbow": f"elbow_flexion_{side}_deg"}
    given = dict(flexion=flexion, abduction=abduction, elbow=elbow)
    return {names[k]: float(v) for k, v in given.items() if v is not None}


def both_legs(**kwargs: float) -> dict[str, float]:
    """The same leg values on both sides."""
    return {**leg("left", **kwargs), **leg("right", **kwargs)}


def both_arms(**kwargs: float) -> dict[str, float]:
    """The same arm values on both sides."""
    return {**arm("left", **kwargs), **arm("right", **kwargs)}


def pelvis_tilt_sideways(obliquity_deg: float) -> dict[str, float]:
    """Pelvic obliquity (+ = left hip lower) with both thighs kept hanging vertical (the stance hip adducts)."""
    return {"pelvic_obliquity_deg": obliquity_deg, "hip_abduction_left_deg": obliquity_deg,
            "hip_abduction_right_deg": -obliquity_deg}


# Cameras: 640x360, a webcam-like 60 degree horizontal field of view.
FRONT = Camera(yaw_deg=0.0, distance_m=3.3, height_m=1.0, target=(0.0, 0.88, 0.0))
SIDE_FROM_RIGHT = Camera(yaw_deg=-90.0, distance_m=3.3, height_m=1.0, target=(0.0, 0.88, 0.0))
SIDE_FROM_LEFT = Camera(yaw_deg=90.0, distance_m=3.3, height_m=1.0, target=(0.0, 0.88, 0.0))
