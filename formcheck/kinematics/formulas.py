"""One formula per catalog entry: ``FORMULAS[name](inputs, side) -> (value, landmarks used, extra validity)``.

Adding a metric is its entry in catalog.py plus its formula here, under the same name. The formulas work
on n frames at once, in the up frame of geometry.py (pixels, y up; world landmarks in metres); masking by
visibility, and the frames without a pose, are handled by the caller (metrics.py, which also documents the
conventions). ``side`` is "left" or "right" for a sided metric, None for the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Final, Mapping

import numpy as np

from formcheck import geometry as geo
from formcheck.kinematics.catalog import other_side
from formcheck.landmarks import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER, side_index

LS, RS, LH, RH = LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP
TORSO = (LS, RS, LH, RH)

# Typical (shoulder width + hip width) / 2 / torso length of a person seen from the front (MediaPipe
# landmarks); the reference when no world landmarks give the person's own ratio.
FRONT_WIDTH_RATIO = 0.58
IMAGE_RATIO_SLACK = 0.05  # body_turn_deg: the image-over-world width ratio's error facing the camera
# Body yaw (deg) range over which 3D angles move from world landmarks to image pixels.
WORLD_TO_IMAGE_YAW_DEG = (55.0, 75.0)
# FPPA is an angle between projections: it means something while the thigh lies roughly in the image
# plane. Below this image length of the thigh per image length of the shank (the thigh about 60 deg out of
# the plane, pointing at the camera: a deep squat or landing, the knee near hip level) it is not measured.
FPPA_MIN_THIGH_PER_SHANK = 0.5

Column = tuple[np.ndarray, tuple[int, ...], np.ndarray | None]  # value, landmarks used, extra validity


def body_yaw_deg(xy: np.ndarray, world: np.ndarray | None, slack: float = 0.0) -> np.ndarray:
    """How far the torso is turned from the camera: 0 = front or back view, 90 = side view.

    cos(yaw) = the image width ratio of the torso over the person's own front-view ratio (from the
    world landmarks when present, else a typical value).
    """
    ratio = _width_ratio(xy)
    reference = np.full(ratio.shape, FRONT_WIDTH_RATIO)
    if world is not None:
        world_ratio = _width_ratio(world)
        reference = np.where(np.isfinite(world_ratio) & (world_ratio > 0), world_ratio, reference)
    with np.errstate(invalid="ignore"):
        return np.degrees(np.arccos(np.clip(ratio / reference + slack, 0.0, 1.0)))


def _width_ratio(points: np.ndarray) -> np.ndarray:
    """(shoulder width + hip width) / 2 / torso length of (n, 33, d) points."""
    shoulders = geo.norm(points[:, LS] - points[:, RS])
    hips = geo.norm(points[:, LH] - points[:, RH])
    torso = geo.norm((points[:, LS] + points[:, RS]) / 2 - (points[:, LH] + points[:, RH]) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(torso > 0, (shoulders + hips) / 2 / torso, np.nan)


@dataclass(frozen=True)
class Inputs:
    """What the formulas read for n frames: the landmarks, the shared trunk geometry and the causal windows."""

    xy: np.ndarray  # (n, 33, 2) px, y up
    world: np.ndarray | None  # (n, 33, 3) m, y up
    image_size: tuple[int, int]
    floor_y: np.ndarray  # the floor line (px, y up)
    leg_length_px: np.ndarray
    facing: np.ndarray  # +1, -1 or 0 (unknown)
    hip_mid: np.ndarray
    trunk: np.ndarray  # hip centre -> shoulder centre
    trunk_3d: np.ndarray | None
    hips_apart: np.ndarray  # a usable hip line (none in an exact side view; rounding leaves ~1e-13 px)
    yaw: np.ndarray
    image_weight: np.ndarray  # weight of the image angle in 3D-by-nature angles (1 = image only)

    @staticmethod
    def of(xy: np.ndarray, world: np.ndarray | None, image_size: tuple[int, int], *, floor_y: np.ndarray,
           leg_length_px: np.ndarray, facing: np.ndarray) -> "Inputs":
        hip_mid = (xy[:, LH] + xy[:, RH]) / 2
        trunk = (xy[:, LS] + xy[:, RS]) / 2 - hip_mid
        trunk_3d = None if world is None else (world[:, LS] + world[:, RS]) / 2 - (world[:, LH] + world[:, RH]) / 2
        hips_apart = geo.norm(xy[:, RH] - xy[:, LH]) > 1e-6 * geo.norm(trunk)
        yaw = body_yaw_deg(xy, world)
        image_weight = np.where(np.isnan(yaw), 1.0, geo.smoothstep(yaw, *WORLD_TO_IMAGE_YAW_DEG))
        return Inputs(xy, world, image_size, floor_y, leg_length_px, facing, hip_mid, trunk, trunk_3d, hips_apart,
                      yaw, image_weight)

    def blend(self, image_value: np.ndarray, world_value: np.ndarray | None) -> np.ndarray:
        """Image angle in side view, world angle in front/oblique view, a ramp between."""
        if world_value is None:
            return image_value
        w = self.image_weight
        mixed = np.where(w == 0.0, world_value, np.where(w == 1.0, image_value, w * image_value + (1.0 - w) * world_value))
        return np.where(np.isnan(world_value), image_value, mixed)

    def segment(self, side: str, start: str, end: str) -> tuple[np.ndarray, np.ndarray | None]:
        """The image vector and the world vector (None without world landmarks) from one landmark to another."""
        a, b = side_index(side, start), side_index(side, end)
        return self.xy[:, b] - self.xy[:, a], None if self.world is None else self.world[:, b] - self.world[:, a]

    def height(self, y: np.ndarray) -> np.ndarray:
        """Up-frame image heights above the floor line, in leg lengths."""
        return (y - self.floor_y) / self.leg_length_px

    @property
    def scale_ok(self) -> np.ndarray:
        """Where heights and positions in leg lengths are measurable (a floor line and a leg length)."""
        leg = self.leg_length_px
        return np.isfinite(leg) & (leg > 0) & np.isfinite(self.floor_y)


Formula = Callable[[Inputs, "str | None"], Column]


# ------------------------------------------------------------------------------ sagittal (image / world blend)


def _hip_flexion(x: Inputs, s: str) -> Column:
    """From the trunk axis continued below the hip to the thigh, + = thigh ahead of the trunk line. Image: the
    sign comes from `facing`. World: the signed angle about the hip axis (right hip - left hip)."""
    thigh, thigh_3d = x.segment(s, "hip", "knee")
    mag_2d = geo.angle_between_deg(-x.trunk, thigh)
    sign_2d = np.where(geo.cross_2d(-x.trunk, thigh) < 0, -1.0, 1.0) * x.facing
    mag_3d = None
    sign_3d = np.zeros(len(mag_2d))
    if x.world is not None:
        flex_3d = geo.angle_about_axis_deg(-x.trunk_3d, thigh_3d, x.world[:, RH] - x.world[:, LH])
        mag_3d = np.abs(flex_3d)
        sign_3d = np.where(np.isnan(flex_3d), 0.0, np.where(flex_3d < 0, -1.0, 1.0))
    image_first = x.image_weight >= 0.5
    primary, secondary = np.where(image_first, sign_2d, sign_3d), np.where(image_first, sign_3d, sign_2d)
    sign = np.where(primary != 0, primary, np.where(secondary != 0, secondary, 1.0))
    return sign * x.blend(mag_2d, mag_3d), (*TORSO, side_index(s, "knee")), None


def _hip_angle(x: Inputs, s: str) -> Column:
    """The unsigned 3D angle from the trunk axis continued below the hip to the thigh (world landmarks in a front
    or oblique view, the image in a side view, where the thigh moves in the image plane)."""
    thigh, thigh_3d = x.segment(s, "hip", "knee")
    angle_3d = None if x.world is None else geo.angle_between_deg(-x.trunk_3d, thigh_3d)
    return x.blend(geo.angle_between_deg(-x.trunk, thigh), angle_3d), (*TORSO, side_index(s, "knee")), None


def _knee_flexion(x: Inputs, s: str) -> Column:
    (thigh, thigh_3d), (shank, shank_3d) = x.segment(s, "hip", "knee"), x.segment(s, "knee", "ankle")
    knee_3d = None if x.world is None else geo.angle_between_deg(thigh_3d, shank_3d)
    used = tuple(side_index(s, p) for p in ("hip", "knee", "ankle"))
    return x.blend(geo.angle_between_deg(thigh, shank), knee_3d), used, None


def _thigh_elevation(x: Inputs, s: str) -> Column:
    thigh, thigh_3d = x.segment(s, "hip", "knee")
    elev_3d = None if x.world is None else geo.elevation_deg(thigh_3d)
    return x.blend(geo.elevation_deg(thigh), elev_3d), (side_index(s, "hip"), side_index(s, "knee")), None


def _shank_inclination(x: Inputs, s: str) -> Column:
    shank, shank_3d = x.segment(s, "knee", "ankle")
    incl_3d = None if x.world is None else 180.0 - geo.inclination_deg(shank_3d)
    used = (side_index(s, "knee"), side_index(s, "ankle"))
    return x.blend(180.0 - geo.inclination_deg(shank), incl_3d), used, None


def _trunk_inclination(x: Inputs, _side: None) -> Column:
    incl_3d = None if x.trunk_3d is None else geo.inclination_deg(x.trunk_3d)
    return x.blend(geo.inclination_deg(x.trunk), incl_3d), TORSO, None


# ------------------------------------------------------------------------------ frontal (image angles)


def _lateral(x: Inputs, s: str) -> np.ndarray:
    """This side's hip minus the other's, in the image."""
    return x.xy[:, side_index(s, "hip")] - x.xy[:, side_index(other_side(s), "hip")]


def _hip_abduction(x: Inputs, s: str) -> Column:
    """The thigh from the pelvis perpendicular (pointing away from the shoulders), + lateral."""
    hip, other_hip, knee = side_index(s, "hip"), side_index(other_side(s), "hip"), side_index(s, "knee")
    thigh, lateral = x.xy[:, knee] - x.xy[:, hip], _lateral(x, s)
    down = geo.rotate_cw_2d(lateral)
    down = np.where((geo.dot(down, x.trunk) > 0)[:, None], -down, down)
    outward = np.sign(geo.cross_2d(down, lateral))
    return geo.signed_angle_2d_deg(down, thigh) * outward, (LS, RS, hip, other_hip, knee), x.hips_apart


def _knee_fppa(x: Inputs, s: str) -> Column:
    """The knee's deviation from the hip-ankle line, + when the knee is medial (valgus)."""
    hip, other_hip, knee, ankle = (side_index(s, "hip"), side_index(other_side(s), "hip"), side_index(s, "knee"),
                                   side_index(s, "ankle"))
    thigh, shank = x.xy[:, knee] - x.xy[:, hip], x.xy[:, ankle] - x.xy[:, knee]
    hip_to_ankle = x.xy[:, ankle] - x.xy[:, hip]
    medial_side = np.sign(geo.cross_2d(hip_to_ankle, -_lateral(x, s)))
    medial_side = np.where(medial_side == 0, np.nan, medial_side)
    knee_side = np.where(geo.cross_2d(hip_to_ankle, thigh) < 0, -1.0, 1.0)
    fppa = geo.angle_between_deg(thigh, shank) * knee_side * medial_side
    in_plane = geo.norm(thigh) >= FPPA_MIN_THIGH_PER_SHANK * geo.norm(shank)
    return fppa, (hip, other_hip, knee, ankle), x.hips_apart & in_plane


def _obliquity(x: Inputs) -> np.ndarray:
    hip_line = x.xy[:, RH] - x.xy[:, LH]
    obliquity = np.degrees(np.arctan2(hip_line[:, 1], np.abs(hip_line[:, 0])))
    return np.where(geo.norm(hip_line) == 0, np.nan, obliquity)


def _pelvic_obliquity(x: Inputs, _side: None) -> Column:
    return _obliquity(x), (LH, RH), None


def _pelvic_drop(x: Inputs, s: str) -> Column:
    lower = _obliquity(x) if s == "left" else -_obliquity(x)
    return np.maximum(lower, 0.0), (LH, RH), None


def _trunk_lateral_lean(x: Inputs, _side: None) -> Column:
    xy, trunk = x.xy, x.trunk
    subject_right = np.sign((xy[:, RH] - xy[:, LH] + xy[:, RS] - xy[:, LS])[:, 0])
    lean = np.degrees(np.arctan2(trunk[:, 0] * subject_right, trunk[:, 1]))
    return np.where((subject_right == 0) | (geo.norm(trunk) == 0), np.nan, lean), TORSO, None


def _separation(part: str) -> Formula:
    """Distance between the two knees (or ankles) over the hip width."""

    def formula(x: Inputs, _side: None) -> Column:
        left, right = side_index("left", part), side_index("right", part)
        hip_width = geo.norm(x.xy[:, RH] - x.xy[:, LH])
        return geo.norm(x.xy[:, left] - x.xy[:, right]) / hip_width, (LH, RH, left, right), x.hips_apart

    return formula


def _trunk_tilt(x: Inputs, _side: None) -> Column:
    return geo.tilt_deg(x.trunk), TORSO, None


def _body_yaw(x: Inputs, _side: None) -> Column:
    return x.yaw, TORSO, None


def body_turn_deg(xy: np.ndarray, world: np.ndarray | None) -> np.ndarray:
    """How far the torso is turned from the camera (0 facing it or the back to it, 90 side-on), the larger of two
    estimates: the hip and shoulder lines' angle out of the image plane in metres (world landmarks, whose axes
    are the camera's), and the image width ratio (`body_yaw_deg`), which a torso bent toward the camera or seen
    from above makes read too small, never too large. Without world landmarks: the image estimate alone."""
    if world is None:
        return body_yaw_deg(xy, world)
    # The image ratio over MediaPipe's world ratio is a few percent off even facing the camera (the two sets of
    # landmarks do not share their proportions): 4% reads 16 degrees (lateral_band_walk_front.mp4, rendered
    # square to the camera: 13.6/16.6/21.8 degrees at the 10th/50th/90th percentile, the world lines 5.4 median),
    # enough to gate every frontal-plane measure off. That error is allowed for; at 45 degrees it costs 4.
    image = body_yaw_deg(xy, world, slack=IMAGE_RATIO_SLACK)
    angles = []
    for a, b in ((LH, RH), (LS, RS)):
        line = world[:, b] - world[:, a]
        with np.errstate(invalid="ignore"):
            angles.append(np.degrees(np.arctan2(np.abs(line[:, 2]), np.hypot(line[:, 0], line[:, 1]))))
    hips, shoulders = angles
    lines = np.where(np.isfinite(hips) & np.isfinite(shoulders), (hips + shoulders) / 2, np.fmax(hips, shoulders))
    return np.fmax(image, lines)


def _body_turn(x: Inputs, _side: None) -> Column:
    return body_turn_deg(x.xy, x.world), TORSO, None


def _facing(x: Inputs, _side: None) -> Column:
    return np.where(x.facing == 0, np.nan, x.facing), (), x.facing != 0


# ------------------------------------------------------------------------------ heights, in leg lengths


def _ankle_height(x: Inputs, s: str) -> Column:
    ankle = side_index(s, "ankle")
    return x.height(x.xy[:, ankle, 1]), (ankle,), x.scale_ok


def _ankle_level(x: Inputs, s: str) -> Column:
    """The ankle above the picture's bottom edge, in leg lengths: not above the floor line, which the lowest foot
    sets, so another foot dipping below this one (a hip hike's hanging foot) does not move it."""
    ankle = side_index(s, "ankle")
    return (x.xy[:, ankle, 1] + x.image_size[1]) / x.leg_length_px, (ankle,), x.scale_ok


def _foot_height(x: Inputs, s: str) -> Column:
    heel, toe = side_index(s, "heel"), side_index(s, "foot_index")
    return x.height(np.minimum(x.xy[:, heel, 1], x.xy[:, toe, 1])), (heel, toe), x.scale_ok


def _foot_lift(x: Inputs, s: str) -> Column:
    """This ankle above the other ankle, in leg lengths (the ankle: the foot's best-tracked point, and still in
    the picture when the heels and toes are cut off at its edge). From the world landmarks (metres over the
    world leg length, the longer leg's hip-knee-ankle), so neither perspective (a foot nearer the camera reads
    lower in the picture) nor the floor line's visibility moves it; from the image (pixels over the image leg
    length) when the track has no world landmarks. Both feet on the floor read a constant (0 when level with
    each other); the stance timer measures a lift from the feet's own resting offset (measures/contact.py).
    World: measured while both ankles are inside the picture, however hidden (MediaPipe places a far foot the
    body hides in a side view from the whole body; a foot out of the picture is not measured)."""
    ankle, other = side_index(s, "ankle"), side_index(other_side(s), "ankle")
    if x.world is None:
        return (x.xy[:, ankle, 1] - x.xy[:, other, 1]) / x.leg_length_px, (ankle, other), x.scale_ok
    width, height = x.image_size
    feet = x.xy[:, [ankle, other]]
    with np.errstate(invalid="ignore"):
        in_picture = np.all((feet[..., 0] >= 0) & (feet[..., 0] <= width) & (feet[..., 1] <= 0)
                            & (feet[..., 1] >= -height), axis=1)
    legs = []
    for side in ("left", "right"):
        hip, knee, foot = (side_index(side, p) for p in ("hip", "knee", "ankle"))
        legs.append(geo.norm(x.world[:, knee] - x.world[:, hip]) + geo.norm(x.world[:, foot] - x.world[:, knee]))
    leg = np.fmax(legs[0], legs[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = np.where(leg > 0, (x.world[:, ankle, 1] - x.world[:, other, 1]) / leg, np.nan)
    return lift, (), in_picture & np.isfinite(lift)


def _lower_foot_height(x: Inputs, _side: None) -> Column:
    """The lower foot's lowest point (heel or toe) above the floor line, in leg lengths: NaN unless both feet are
    seen, since "both feet off the floor" cannot be told with one of them out of view. A foot further from the
    camera rests higher in the picture (perspective, a foot placed behind the other, an oblique view), which
    an average of the two feet would read as a lift; the lower one rests on the floor line."""
    points = [(side_index(s, "heel"), side_index(s, "foot_index")) for s in ("left", "right")]
    lowest = np.minimum.reduce([x.xy[:, p, 1] for pair in points for p in pair])
    return x.height(lowest), tuple(p for pair in points for p in pair), x.scale_ok


def _knee_height(x: Inputs, s: str) -> Column:
    knee = side_index(s, "knee")
    return x.height(x.xy[:, knee, 1]), (knee,), x.scale_ok


def _pelvis_height(x: Inputs, _side: None) -> Column:
    return x.height(x.hip_mid[:, 1]), (LH, RH), x.scale_ok


def _pelvis_depth(x: Inputs, _side: None) -> Column:
    """A placeholder: the depth needs the frames before (metrics.py fills it in from pelvis_height)."""
    return np.full(len(x.leg_length_px), np.nan), (LH, RH), x.scale_ok


def _shoulder_height(x: Inputs, _side: None) -> Column:
    return x.height(np.minimum(x.xy[:, LS, 1], x.xy[:, RS, 1])), (LS, RS), x.scale_ok


def _pelvis_x(x: Inputs, _side: None) -> Column:
    return (x.hip_mid[:, 0] - x.image_size[0] / 2) / x.leg_length_px, (LH, RH), x.scale_ok


def _leg_length_px(x: Inputs, _side: None) -> Column:
    return x.leg_length_px, (), x.scale_ok


FORMULAS: Final[Mapping[str, Formula]] = MappingProxyType({
    "hip_flexion": _hip_flexion,
    "hip_angle": _hip_angle,
    "knee_flexion": _knee_flexion,
    "thigh_elevation": _thigh_elevation,
    "shank_inclination": _shank_inclination,
    "hip_abduction": _hip_abduction,
    "knee_fppa": _knee_fppa,
    "pelvic_obliquity": _pelvic_obliquity,
    "pelvic_drop": _pelvic_drop,
    "trunk_inclination": _trunk_inclination,
    "trunk_lateral_lean": _trunk_lateral_lean,
    "trunk_tilt": _trunk_tilt,
    "ankle_height": _ankle_height,
    "ankle_level": _ankle_level,
    "foot_height": _foot_height,
    "foot_lift": _foot_lift,
    "lower_foot_height": _lower_foot_height,
    "knee_height": _knee_height,
    "knee_separation": _separation("knee"),
    "ankle_separation": _separation("ankle"),
    "pelvis_height": _pelvis_height,
    "pelvis_depth": _pelvis_depth,
    "shoulder_height": _shoulder_height,
    "pelvis_x": _pelvis_x,
    "leg_length_px": _leg_length_px,
    "body_yaw": _body_yaw,
    "body_turn": _body_turn,
    "facing": _facing,
})
