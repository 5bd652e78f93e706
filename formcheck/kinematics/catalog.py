"""The metrics an exercise spec may refer to: names, units, plausible ranges and the landmarks behind them.

This mirrors the metric table of docs/ARCHITECTURE.md (produced by `metrics.compute_metrics`). Specs are
checked against it, so a typo in a spec is caught on load instead of silently never measuring anything.

A spec refers to a metric by its full name (``pelvic_obliquity``, ``knee_flexion_left``) or, for sided
metrics, by a template: ``knee_flexion_{side}`` is the working side, ``knee_flexion_{other}`` the other one.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Final

from formcheck.landmarks import INDEX, SIDES

SIDE_PLACEHOLDER: Final = "{side}"
OTHER_PLACEHOLDER: Final = "{other}"


@dataclass(frozen=True)
class MetricInfo:
    """One metric family: sided or not, its unit, the range a threshold may take, the body parts behind it."""

    sided: bool
    unit: str
    low: float
    high: float
    parts: tuple[tuple[str, str], ...]  # segments as pairs of landmark names; "S_" means the metric's side
    meaning: str


_LEG = (("S_hip", "S_knee"),)
_TRUNK = (("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"), ("left_shoulder", "right_shoulder"))
_HIPS = (("left_hip", "right_hip"),)

METRICS: Final[dict[str, MetricInfo]] = {
    "hip_flexion": MetricInfo(
        True,
        "deg",
        -90,
        180,
        (("S_shoulder", "S_hip"), ("S_hip", "S_knee")),
        "angle between trunk and thigh: 0 in line, 90 sitting, negative = extension",
    ),
    "knee_flexion": MetricInfo(
        True, "deg", 0, 180, (("S_hip", "S_knee"), ("S_knee", "S_ankle")), "knee bend: 0 straight"
    ),
    "thigh_elevation": MetricInfo(
        True, "deg", -90, 90, _LEG, "thigh above the horizontal: -90 hanging down, 0 level, > 0 knee above hip"
    ),
    "hip_abduction": MetricInfo(True, "deg", -90, 90, _LEG + _HIPS, "thigh away from the midline (front view)"),
    "knee_fppa": MetricInfo(
        True,
        "deg",
        -90,
        90,
        (("S_hip", "S_knee"), ("S_knee", "S_ankle")),
        "knee frontal plane projection angle: + = knee caving in (valgus)",
    ),
    "pelvic_obliquity": MetricInfo(False, "deg", -90, 90, _HIPS, "hip line tilt: + = left hip lower"),
    "pelvic_drop": MetricInfo(True, "deg", 0, 90, _HIPS, "how far this side's hip is below the other"),
    "trunk_inclination": MetricInfo(False, "deg", 0, 180, _TRUNK, "trunk from vertical: 0 upright"),
    "trunk_lateral_lean": MetricInfo(False, "deg", -90, 90, _TRUNK, "sideways trunk lean: + toward the right"),
    "ankle_height": MetricInfo(True, "leg lengths", -1, 3, (("S_knee", "S_ankle"),), "ankle above the floor line"),
    "foot_height": MetricInfo(
        True,
        "leg lengths",
        -1,
        3,
        (("S_ankle", "S_heel"), ("S_heel", "S_foot_index"), ("S_ankle", "S_foot_index")),
        "foot above the floor line",
    ),
    "knee_separation": MetricInfo(
        False,
        "hip widths",
        0,
        10,
        (("left_hip", "left_knee"), ("right_hip", "right_knee")),
        "distance between the knees / hip width",
    ),
    "ankle_separation": MetricInfo(
        False,
        "hip widths",
        0,
        10,
        (("left_knee", "left_ankle"), ("right_knee", "right_ankle")),
        "distance between the ankles / hip width",
    ),
    "pelvis_height": MetricInfo(False, "leg lengths", -1, 3, _HIPS, "pelvis centre above the floor line"),
    "pelvis_depth": MetricInfo(
        False, "leg lengths", 0, 2, _HIPS, "pelvis centre below the person's own standing level (squat depth)"
    ),
    "pelvis_x": MetricInfo(False, "leg lengths", -10, 10, _HIPS, "pelvis centre across the image"),
    "leg_length_px": MetricInfo(False, "px", 0, 20000, (), "hip-to-ankle length in pixels"),
}


def all_metric_names() -> tuple[str, ...]:
    """Every concrete metric name, e.g. ``hip_flexion_left``, ``pelvic_obliquity``."""
    names: list[str] = []
    for base, info in METRICS.items():
        names.extend(f"{base}_{side}" for side in SIDES) if info.sided else names.append(base)
    return tuple(names)


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
    """Parse a spec's metric reference; None when it names no known metric."""
    if text in METRICS and not METRICS[text].sided:
        return MetricRef(text, text, None)
    for suffix in (SIDE_PLACEHOLDER, OTHER_PLACEHOLDER, *SIDES):
        ending = f"_{suffix}"
        if text.endswith(ending):
            base = text[: -len(ending)]
            if base in METRICS and METRICS[base].sided:
                return MetricRef(text, base, suffix)
    return None


def suggest_metric(text: str) -> str | None:
    """The closest known metric name or template, for 'did you mean' messages."""
    candidates = list(all_metric_names())
    candidates += [
        f"{b}_{p}" for b, info in METRICS.items() if info.sided for p in (SIDE_PLACEHOLDER, OTHER_PLACEHOLDER)
    ]
    found = difflib.get_close_matches(text, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def metric_segments(name: str) -> tuple[tuple[int, int], ...]:
    """Landmark index pairs (skeleton segments) behind a concrete metric name, or a family name (both sides)."""
    ref = parse_metric(name)
    if ref is None and name in METRICS:
        sides: tuple[str, ...] = SIDES
        base = name
    elif ref is None:
        return ()
    else:
        base = ref.base
        sides = (ref.side,) if ref.side in SIDES else SIDES
    pairs: list[tuple[int, int]] = []
    for a, b in METRICS[base].parts:
        for side in sides:
            pair = (INDEX[a.replace("S_", f"{side}_")], INDEX[b.replace("S_", f"{side}_")])
            if pair not in pairs:
                pairs.append(pair)
    return tuple(pairs)
