"""Every metric, declared once: its name, unit, range, meaning, names for people and the overlay, and who reads it.

`metrics.compute_metrics` computes exactly these columns, in this order (``formulas.FORMULAS`` holds one
formula per entry); the overlay draws a metric with its ``label`` beside its ``anchor``; view and position
detection read the entries marked ``context``; specs may refer to the entries marked ``in_specs``, and are
checked against them, so a typo in a spec is caught on load instead of silently never measuring anything.

A sided metric is one entry for two columns, ``<name>_left`` and ``<name>_right``. A spec refers to a metric
by its full name (``pelvic_obliquity``, ``knee_flexion_left``) or, for sided metrics, by a template:
``knee_flexion_{side}`` is the working side, ``knee_flexion_{other}`` the other one.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Final

from formcheck.landmarks import INDEX, BODY_SIDES

SIDE_PLACEHOLDER: Final = "{side}"
OTHER_PLACEHOLDER: Final = "{other}"
# The one unit vocabulary: degrees, leg lengths (hip to ankle), hip widths, pixels, a sign (+1 / -1).
UNITS: Final[tuple[str, ...]] = ("deg", "leg lengths", "hip widths", "px", "sign")


@dataclass(frozen=True)
class MetricInfo:
    """One metric (two columns when sided): its unit, the range a threshold may take, the body parts behind it.

    ``parts`` are skeleton segments as pairs of landmark names, ``S_`` standing for the metric's side;
    ``anchor`` is the landmark the overlay writes it beside (``S_`` likewise; None: not drawn).
    """

    name: str
    sided: bool
    unit: str
    low: float
    high: float
    parts: tuple[tuple[str, str], ...]
    meaning: str
    plain: str  # for people: "hip flexion", "knee angle (front view)"
    label: str  # short, on the overlay: "hip", "FPPA"
    anchor: str | None = None
    context: bool = False  # read by view and position detection (context.py)
    in_specs: bool = True  # a spec may refer to it
    signs: tuple[str, str] = ()  # words for a positive and a negative value on screen ("above level", "below level")

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"{self.name}: unit must be one of {UNITS}, got {self.unit!r}")

    def columns(self) -> tuple[str, ...]:
        """The concrete column names: ``hip_flexion_left``, ``hip_flexion_right``; or just the name."""
        return tuple(f"{self.name}_{side}" for side in BODY_SIDES) if self.sided else (self.name,)


_LEG = (("S_hip", "S_knee"),)
_LEG_JOINTS = (("S_hip", "S_knee"), ("S_knee", "S_ankle"))
_TRUNK = (("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"), ("left_shoulder", "right_shoulder"))
_HIPS = (("left_hip", "right_hip"),)
_HEIGHT = dict(unit="leg lengths", low=-1, high=3)

_ENTRIES: Final[tuple[MetricInfo, ...]] = (
    MetricInfo("hip_flexion", True, "deg", -90, 180, (("S_shoulder", "S_hip"), ("S_hip", "S_knee")),
               "angle between trunk and thigh: 0 in line, 90 sitting, negative = extension",
               "hip flexion", "hip", anchor="S_hip"),
    MetricInfo("hip_angle", True, "deg", 0, 180, (("S_shoulder", "S_hip"), ("S_hip", "S_knee")),
               "angle between the thigh and the trunk line continued below the hip, in 3D (no sign, not projected "
               "on the side plane as hip_flexion is, so a thigh out to the side counts): 0 in line, 90 sitting",
               "hip angle", "hip angle", anchor="S_hip"),
    MetricInfo("knee_flexion", True, "deg", 0, 180, _LEG_JOINTS, "knee bend: 0 straight",
               "knee flexion", "knee", anchor="S_knee"),
    MetricInfo("thigh_elevation", True, "deg", -90, 90, _LEG,
               "thigh above the horizontal: -90 hanging down, 0 level, > 0 knee above hip",
               "thigh elevation", "thigh", anchor="S_knee", context=True, signs=("above level", "below level")),
    MetricInfo("shank_inclination", True, "deg", 0, 180, (("S_knee", "S_ankle"),),
               "shin (knee to ankle) from straight down: 0 vertical", "shank inclination", "shank",
               context=True, in_specs=False),
    MetricInfo("hip_abduction", True, "deg", -90, 90, _LEG + _HIPS, "thigh away from the midline (front view)",
               "hip abduction", "abd", anchor="S_hip"),
    MetricInfo("knee_fppa", True, "deg", -90, 90, _LEG_JOINTS,
               "knee frontal plane projection angle: + = knee caving in (valgus)",
               "knee angle (front view)", "FPPA", anchor="S_knee", signs=("inward", "outward")),
    MetricInfo("pelvic_obliquity", False, "deg", -90, 90, _HIPS, "hip line tilt: + = left hip lower",
               "pelvic obliquity", "pelvis", anchor="left_hip", context=True,
               signs=("left hip lower", "right hip lower")),
    MetricInfo("pelvic_drop", True, "deg", 0, 90, _HIPS, "how far this side's hip is below the other",
               "pelvic drop", "drop", anchor="S_hip"),
    MetricInfo("trunk_inclination", False, "deg", 0, 180, _TRUNK, "trunk from vertical: 0 upright",
               "trunk inclination", "trunk", anchor="left_shoulder", context=True),
    MetricInfo("trunk_lateral_lean", False, "deg", -90, 90, _TRUNK, "sideways trunk lean: + toward the right",
               "trunk lateral lean", "lean", anchor="left_shoulder", signs=("to the right", "to the left")),
    MetricInfo("trunk_tilt", False, "deg", -180, 180, _TRUNK,
               "signed trunk angle from the image vertical: + leaning to the image right",
               "trunk tilt", "trunk tilt", anchor="left_shoulder", context=True, in_specs=False,
               signs=("to the picture's right", "to the picture's left")),
    MetricInfo("ankle_height", True, **_HEIGHT, parts=(("S_knee", "S_ankle"),), meaning="ankle above the floor line",
               plain="ankle height", label="ankle height", anchor="S_ankle"),
    MetricInfo("ankle_level", True, "leg lengths", -10, 10, parts=(("S_knee", "S_ankle"),),
               meaning="ankle above the picture's bottom edge: with a fixed camera an absolute level, which the other "
                       "foot does not move (ankle_height is above the floor line, the lowest foot's, so a hanging "
                       "foot dipping below the standing one moves both)",
               plain="ankle level", label="ankle level", anchor=None),
    MetricInfo("foot_height", True, **_HEIGHT,
               parts=(("S_ankle", "S_heel"), ("S_heel", "S_foot_index"), ("S_ankle", "S_foot_index")),
               meaning="foot above the floor line", plain="foot height", label="foot height",
               anchor="S_foot_index"),
    MetricInfo("foot_lift", True, "leg lengths", -2, 2, parts=(("S_knee", "S_ankle"),),
               meaning="ankle above the other ankle (world landmarks, else the image): both feet down read a "
                       "constant, the feet's resting offset", plain="foot lift", label="lift", anchor="S_ankle"),
    MetricInfo("lower_foot_height", False, **_HEIGHT,
               parts=(("left_heel", "left_foot_index"), ("right_heel", "right_foot_index")),
               meaning="the lower of the two feet above the floor line: above 0 only while both feet are off the "
                       "floor (a jump's flight), whichever foot perspective puts higher in the picture",
               plain="lower foot height", label="lower foot", anchor=None),
    MetricInfo("knee_height", True, **_HEIGHT, parts=_LEG, meaning="knee above the floor line",
               plain="knee height", label="knee height", context=True, in_specs=False),
    MetricInfo("knee_separation", False, "hip widths", 0, 10, (("left_hip", "left_knee"), ("right_hip", "right_knee")),
               "distance between the knees / hip width", "knee separation", "knee separation", context=True),
    MetricInfo("ankle_separation", False, "hip widths", 0, 10,
               (("left_knee", "left_ankle"), ("right_knee", "right_ankle")),
               "distance between the ankles / hip width", "ankle separation", "ankle separation", context=True),
    MetricInfo("pelvis_height", False, **_HEIGHT, parts=_HIPS, meaning="pelvis centre above the floor line",
               plain="pelvis height", label="pelvis height", context=True),
    MetricInfo("pelvis_depth", False, "leg lengths", 0, 2, _HIPS,
               "pelvis centre below the person's own standing level (squat depth)", "pelvis depth", "depth"),
    MetricInfo("shoulder_height", False, **_HEIGHT, parts=(("left_shoulder", "right_shoulder"),),
               meaning="the lower shoulder above the floor line", plain="shoulder height", label="shoulder height",
               context=True, in_specs=False),
    MetricInfo("pelvis_x", False, "leg lengths", -10, 10, _HIPS, "pelvis centre across the image", "pelvis x",
               "pelvis x"),
    MetricInfo("leg_length_px", False, "px", 0, 20000, (), "hip-to-ankle length in pixels", "leg length (pixels)",
               "leg"),
    MetricInfo("body_yaw", False, "deg", 0, 90, _TRUNK, "torso turned from the camera: 0 front or back, 90 side",
               "body yaw", "yaw", context=True, in_specs=False),
    MetricInfo("body_turn", False, "deg", 0, 90, _TRUNK,
               "torso turned from the camera, from the hip and shoulder lines in metres (world landmarks) and at "
               "least the image estimate (body_yaw): 0 facing the camera (or the back to it), 90 side-on",
               "body turn", "turn", context=True, in_specs=False),
    MetricInfo("facing", False, "sign", -1, 1, (),
               "which way the front points in a side view: +1 image right, -1 image left",
               "facing", "facing", context=True, in_specs=False),
)

METRICS: Final[dict[str, MetricInfo]] = {m.name: m for m in _ENTRIES}
_SPEC_METRICS: Final[dict[str, MetricInfo]] = {m.name: m for m in _ENTRIES if m.in_specs}
_BY_COLUMN: Final[dict[str, tuple[MetricInfo, str | None]]] = {
    column: (m, column[len(m.name) + 1:] if m.sided else None) for m in _ENTRIES for column in m.columns()
}


def column_names() -> tuple[str, ...]:
    """Every column the metric table has, in its order (the order of metrics.csv)."""
    return tuple(_BY_COLUMN)


def all_metric_names() -> tuple[str, ...]:
    """Every concrete metric name a spec may use, e.g. ``hip_flexion_left``, ``pelvic_obliquity``."""
    return tuple(c for m in _SPEC_METRICS.values() for c in m.columns())


def context_columns() -> tuple[str, ...]:
    """The columns view and position detection read."""
    return tuple(c for m in _ENTRIES if m.context for c in m.columns())


def lookup(column: str) -> tuple[MetricInfo, str | None] | None:
    """The entry behind a concrete column name and its side (None: unsided); None for an unknown name."""
    return _BY_COLUMN.get(column)


@dataclass(frozen=True)
class MetricRef:
    """A parsed metric reference: ``base`` family and ``side`` ("left", "right", "{side}", "{other}" or None)."""

    text: str
    base: str
    side: str | None

    @property
    def info(self) -> MetricInfo:
        return METRICS[self.base]

    @property
    def is_template(self) -> bool:
        return self.side in (SIDE_PLACEHOLDER, OTHER_PLACEHOLDER)

    def name_for(self, working_side: str | None) -> str | None:
        """The concrete metric name for a working side; None for a sided template with no side (both averaged)."""
        if not self.is_template:
            return self.text
        if working_side is None:
            return None
        side = working_side if self.side == SIDE_PLACEHOLDER else other_side(working_side)
        return f"{self.base}_{side}"

    def display(self, working_side: str | None) -> str:
        """A readable name: the concrete one, or the family name when both sides are averaged."""
        return self.name_for(working_side) or self.base


def other_side(side: str) -> str:
    """``left`` <-> ``right``."""
    return "right" if side == "left" else "left"


def parse_metric(text: str) -> MetricRef | None:
    """Parse a spec's metric reference; None when it names no metric a spec may use."""
    if text in _SPEC_METRICS and not _SPEC_METRICS[text].sided:
        return MetricRef(text, text, None)
    for suffix in (SIDE_PLACEHOLDER, OTHER_PLACEHOLDER, *BODY_SIDES):
        ending = f"_{suffix}"
        if text.endswith(ending):
            base = text[: -len(ending)]
            if base in _SPEC_METRICS and _SPEC_METRICS[base].sided:
                return MetricRef(text, base, suffix)
    return None


def suggest_metric(text: str) -> str | None:
    """The closest metric name or template a spec may use, for 'did you mean' messages."""
    candidates = list(all_metric_names())
    candidates += [
        f"{b}_{p}" for b, info in _SPEC_METRICS.items() if info.sided for p in (SIDE_PLACEHOLDER, OTHER_PLACEHOLDER)
    ]
    found = difflib.get_close_matches(text, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def metric_segments(name: str) -> tuple[tuple[int, int], ...]:
    """Landmark index pairs (skeleton segments) behind a concrete metric name, or a family name (both sides)."""
    found = lookup(name)
    ref = parse_metric(name)
    if found is not None:
        info, side = found
        sides: tuple[str, ...] = BODY_SIDES if side is None else (side,)
    elif ref is not None:  # a template: both sides
        info, sides = ref.info, BODY_SIDES
    elif name in METRICS:
        info, sides = METRICS[name], BODY_SIDES
    else:
        return ()
    pairs: list[tuple[int, int]] = []
    for a, b in info.parts:
        for s in sides:
            pair = (INDEX[a.replace("S_", f"{s}_")], INDEX[b.replace("S_", f"{s}_")])
            if pair not in pairs:
                pairs.append(pair)
    return tuple(pairs)


def metric_anchor(name: str) -> int | None:
    """The landmark index the overlay writes a concrete metric beside (None: not drawn)."""
    found = lookup(name)
    if found is None or found[0].anchor is None:
        return None
    info, side = found
    return INDEX[info.anchor.replace("S_", f"{side}_")]
