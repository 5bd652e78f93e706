"""Home set-ups: the same clip filmed from other camera placements, with another body, turned or staggered.

A ``Setup`` names one change from a clip's own (ideal) set-up; ``vary_clip`` applies it, ``simulate_setup``
also re-aims the camera at a body whose size changed (a person frames themselves). Conventions:

- ``height_m`` / ``distance_m``: the camera's height above the floor and horizontal distance from its target;
  the camera stays aimed at the target, so its pitch follows (a low camera looks up, a high one down).
- ``yaw_deg``: the camera moved around the target, + = counter-clockwise seen from above (``Camera.yaw_deg``).
- ``turn_deg``: the body (and its path) turned about the room's vertical axis, + = counter-clockwise seen from
  above: turning the body by +a looks like moving the camera by -a.
- ``scale``, ``legs``, ``trunk``: every body length times ``scale``, then thighs and shanks times ``legs`` and
  the trunk times ``trunk`` (varied proportions).
- ``stagger_m``: standing, the left foot this far ahead of the right (negative: the right foot ahead).
- ``look``: clothing colours; it changes only the rendered picture, not the exact track.

    clip = vary_clip(find_clip("bridge_side"), find_setup("low_0.3m"))
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Callable, Iterable

import numpy as np

from formcheck.errors import InputError
from formcheck.synth.body import BodyDims, Pose
from formcheck.synth.clip import Clip
from formcheck.synth.mannequin import Look
from formcheck.synth.simulate import Simulation, simulate


@dataclass(frozen=True)
class Setup:
    """One named home set-up: what differs from the clip's own camera and body (see the module docstring)."""

    name: str
    group: str
    description: str
    height_m: float | None = None
    distance_m: float | None = None
    yaw_deg: float = 0.0
    turn_deg: float = 0.0
    scale: float = 1.0
    legs: float = 1.0
    trunk: float = 1.0
    stagger_m: float = 0.0
    look: Look | None = None
    positions: tuple[str, ...] = ()  # clip positions it applies to (empty: every position)

    def __post_init__(self) -> None:
        if self.height_m is not None and not 0.05 <= self.height_m <= 3.0:
            raise ValueError(f"setup {self.name}: height_m must be 0.05 to 3.0 m, got {self.height_m}")
        if self.distance_m is not None and not 0.5 <= self.distance_m <= 10.0:
            raise ValueError(f"setup {self.name}: distance_m must be 0.5 to 10 m, got {self.distance_m}")
        if not 0.5 <= self.scale <= 1.5 or not 0.7 <= self.legs <= 1.3 or not 0.7 <= self.trunk <= 1.3:
            raise ValueError(f"setup {self.name}: scale, legs or trunk out of range")

    @property
    def resizes_body(self) -> bool:
        return (self.scale, self.legs, self.trunk) != (1.0, 1.0, 1.0)

    @property
    def moves_body(self) -> bool:
        """True when the simulated body differs from the clip's (not only the camera or the clothes)."""
        return self.resizes_body or self.turn_deg != 0.0 or self.stagger_m != 0.0

    @property
    def moves_camera(self) -> bool:
        return self.height_m is not None or self.distance_m is not None or self.yaw_deg != 0.0

    @property
    def render_only(self) -> bool:
        """Only the clothes change: the exact track is the clip's own."""
        return self.look is not None and not self.moves_body and not self.moves_camera

    def applies_to(self, clip: Clip) -> bool:
        return not self.positions or clip.position in self.positions


BASELINE = Setup("baseline", "baseline", "the clip's own set-up")

_DARK = Look(shirt=(35, 32, 30), shorts=(25, 25, 28), shoes=(40, 40, 45), socks=(50, 50, 55))
_LIGHT = Look(shirt=(232, 236, 238), shorts=(205, 210, 214), shoes=(235, 235, 235))
_BRIGHT = Look(shirt=(40, 40, 200), shorts=(150, 60, 20), shoes=(30, 160, 230))

SETUPS: tuple[Setup, ...] = (
    BASELINE,
    Setup("low_0.3m", "camera height", "camera 0.3 m above the floor (phone on the floor), aimed at the body",
          height_m=0.3),
    Setup("low_0.6m", "camera height", "camera 0.6 m above the floor (a low table)", height_m=0.6),
    Setup("high_1.3m", "camera height", "camera 1.3 m above the floor (a shelf)", height_m=1.3),
    Setup("high_1.6m", "camera height", "camera 1.6 m above the floor (a high shelf), looking down", height_m=1.6),
    Setup("near_2.5m", "distance", "camera 2.5 m from the body", distance_m=2.5),
    Setup("far_4.5m", "distance", "camera 4.5 m from the body", distance_m=4.5),
    Setup("yaw_-30", "camera yaw", "camera 30 degrees clockwise (seen from above) of the ideal view", yaw_deg=-30.0),
    Setup("yaw_-15", "camera yaw", "camera 15 degrees clockwise of the ideal view", yaw_deg=-15.0),
    Setup("yaw_+15", "camera yaw", "camera 15 degrees counter-clockwise of the ideal view", yaw_deg=15.0),
    Setup("yaw_+30", "camera yaw", "camera 30 degrees counter-clockwise of the ideal view", yaw_deg=30.0),
    Setup("turned_-30", "body turned", "the body turned 30 degrees clockwise (seen from above)", turn_deg=-30.0),
    Setup("turned_+30", "body turned", "the body turned 30 degrees counter-clockwise", turn_deg=30.0),
    Setup("small_0.85", "body", "a body 0.85 times the size (about 1.49 m)", scale=0.85),
    Setup("large_1.15", "body", "a body 1.15 times the size (about 2.01 m)", scale=1.15),
    Setup("long_legs", "body", "legs 8% longer, trunk 10% shorter", legs=1.08, trunk=0.9),
    Setup("short_legs", "body", "legs 8% shorter, trunk 10% longer", legs=0.92, trunk=1.1),
    Setup("staggered_left", "feet", "standing with the left foot 20 cm ahead of the right", stagger_m=0.2,
          positions=("standing",)),
    Setup("staggered_right", "feet", "standing with the right foot 20 cm ahead of the left", stagger_m=-0.2,
          positions=("standing",)),
    Setup("floor_phone", "combined", "phone on the floor close by and off to one side: 0.3 m high, 2.5 m away, "
          "yaw +20", height_m=0.3, distance_m=2.5, yaw_deg=20.0),
    Setup("shelf_far", "combined", "camera on a high shelf across the room: 1.6 m high, 4.5 m away, yaw -20",
          height_m=1.6, distance_m=4.5, yaw_deg=-20.0),
    Setup("dark_clothes", "clothes", "dark clothes and shoes (rendered clips only)", look=_DARK),
    Setup("light_clothes", "clothes", "light clothes close to the wall's colour (rendered clips only)", look=_LIGHT),
    Setup("bright_clothes", "clothes", "a red top, blue shorts, orange shoes (rendered clips only)", look=_BRIGHT),
)


def setup_names() -> tuple[str, ...]:
    return tuple(s.name for s in SETUPS)


def find_setup(name: str) -> Setup:
    """The set-up of that name; InputError listing the names when unknown."""
    for setup in SETUPS:
        if setup.name == name:
            return setup
    raise InputError(f"unknown set-up {name!r}; choose from {', '.join(setup_names())}")


def select_setups(names: Iterable[str] = (), *, exact: bool = False) -> list[Setup]:
    """The named set-ups (in the grid's order), else the whole grid; ``exact`` leaves out the render-only ones."""
    wanted = [find_setup(n).name for n in names]
    chosen = [s for s in SETUPS if s.name in wanted] if wanted else list(SETUPS)
    return [s for s in chosen if not (exact and s.render_only)]


def body_dims(dims: BodyDims, setup: Setup) -> BodyDims:
    """The clip's body resized by the set-up: every length times ``scale``, legs and trunk by their factors."""
    changes = {}
    for f in fields(BodyDims):
        value = getattr(dims, f.name)
        changes[f.name] = tuple(v * setup.scale for v in value) if isinstance(value, tuple) else value * setup.scale
    changes["thigh_m"] *= setup.legs
    changes["shank_m"] *= setup.legs
    changes["trunk_length_m"] *= setup.trunk
    return BodyDims(**changes)


@dataclass(frozen=True)
class PoseAdjust:
    """A clip's ``fix_pose`` followed by the set-up's changes: a stagger (hip and ankle angles, degrees) first,
    then the clip's own fix, then the whole body and its path turned about the vertical axis."""

    base: Callable[[Pose], Pose] | None = None
    stagger_deg: float = 0.0
    turn_deg: float = 0.0

    def __call__(self, pose: Pose) -> Pose:
        if self.stagger_deg:
            a = self.stagger_deg
            pose = replace(
                pose,
                hip_flexion_left_deg=pose.hip_flexion_left_deg + a,
                hip_flexion_right_deg=pose.hip_flexion_right_deg - a,
                ankle_flexion_left_deg=pose.ankle_flexion_left_deg - a,  # keep the soles level
                ankle_flexion_right_deg=pose.ankle_flexion_right_deg + a,
            )
        if self.base is not None:
            pose = self.base(pose)
        if self.turn_deg:
            c, s = math.cos(math.radians(self.turn_deg)), math.sin(math.radians(self.turn_deg))
            pose = replace(pose, heading_deg=pose.heading_deg + self.turn_deg,
                           x_m=c * pose.x_m + s * pose.z_m, z_m=-s * pose.x_m + c * pose.z_m)
        return pose


def _with_dims(fix: Callable[[Pose], Pose] | None, dims: BodyDims) -> Callable[[Pose], Pose] | None:
    """A clip's pose fix working on the resized body (the fixes are dataclasses with a ``dims`` field)."""
    if fix is not None and is_dataclass(fix) and any(f.name == "dims" for f in fields(fix)):
        return replace(fix, dims=dims)
    return fix


def vary_clip(clip: Clip, setup: Setup) -> Clip:
    """The clip filmed in the set-up (the camera keeps its target; see `simulate_setup` for re-aiming).

    The name stays, so the clip's random motion is the same; ``Clip.setup`` records the set-up."""
    if not setup.applies_to(clip):
        raise InputError(f"set-up {setup.name} does not apply to clip {clip.name} ({clip.position})")
    if setup == BASELINE:
        return clip
    cam = clip.camera
    camera = replace(cam, height_m=setup.height_m if setup.height_m is not None else cam.height_m,
                     distance_m=setup.distance_m if setup.distance_m is not None else cam.distance_m,
                     yaw_deg=cam.yaw_deg + setup.yaw_deg)
    dims = body_dims(clip.dims, setup) if setup.resizes_body else clip.dims
    fix = _with_dims(clip.fix_pose, dims)
    if setup.turn_deg or setup.stagger_m:
        stagger = math.degrees(math.asin(setup.stagger_m / 2 / (dims.thigh_m + dims.shank_m)))  # hip to ankle
        fix = PoseAdjust(fix, stagger_deg=stagger, turn_deg=setup.turn_deg)
    return replace(clip, camera=camera, dims=dims, fix_pose=fix, look=setup.look or clip.look, setup=setup.name)


def body_centre(landmarks: np.ndarray) -> np.ndarray:
    """The mean over frames of the centre of the landmarks' bounding box, (3,) metres."""
    points = np.asarray(landmarks, dtype=float)
    return ((points.min(axis=1) + points.max(axis=1)) / 2).mean(axis=0)


def simulate_setup(clip: Clip, setup: Setup, seed: int = 0, base: Simulation | None = None) -> Simulation:
    """Simulate the clip in the set-up. A resized body gets the camera re-aimed by how far its centre moved;
    ``base`` (the clip's own simulation, same seed) saves simulating the clip again."""
    varied = vary_clip(clip, setup)
    if not setup.moves_body:
        return replace(base, clip=varied) if base is not None else simulate(varied, seed)
    sim = simulate(varied, seed)
    if not setup.resizes_body:
        return sim
    base = base if base is not None else simulate(clip, seed)
    shift = body_centre(sim.landmarks) - body_centre(base.landmarks)
    target = tuple(float(v) for v in np.add(varied.camera.target, shift))
    return replace(sim, clip=replace(varied, camera=replace(varied.camera, target=target)))


def setup_clip(clip: Clip, setup: Setup, seed: int = 0) -> Clip:
    """The clip as `simulate_setup` films it (camera re-aimed where the body was resized), for rendering."""
    return simulate_setup(clip, setup, seed).clip if setup.resizes_body else vary_clip(clip, setup)
