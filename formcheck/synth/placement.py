"""Put a posed body on its support: the lowest point of the chosen parts on the floor (or a step), and an anchor
point (a foot, the pelvis, the shoulders) at the pose's horizontal position."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.synth.body import Pose, Skeleton
from formcheck.synth.shapes import Shape

ANCHOR_MIDPOINTS: dict[str, tuple[str, str]] = {
    "ankles": ("left_ankle", "right_ankle"),
    "shoulders": ("left_shoulder", "right_shoulder"),
    "knees": ("left_knee", "right_knee"),
}


@dataclass(frozen=True)
class Support:
    """What the body rests on: floor height, which parts touch it (None = whichever is lowest), the anchor."""

    floor_y_m: float = 0.0
    contact_parts: tuple[str, ...] | None = None
    anchor: str = "pelvis"


def anchor_point(sk: Skeleton, anchor: str) -> np.ndarray:
    """A named skeleton point, or the midpoint of a named pair ("ankles", "shoulders", "knees")."""
    if anchor in ANCHOR_MIDPOINTS:
        a, b = ANCHOR_MIDPOINTS[anchor]
        return (sk.points[a] + sk.points[b]) / 2
    if anchor not in sk.points:
        raise ValueError(f"unknown anchor {anchor!r}")
    return sk.points[anchor]


def place(sk: Skeleton, shapes: list[Shape], pose: Pose, support: Support) -> tuple[Skeleton, list[Shape]]:
    """Move the skeleton and its shapes onto the support."""
    touching = [s for s in shapes if support.contact_parts is None or s.part in support.contact_parts]
    if not touching:
        raise ValueError(f"no shape belongs to the contact parts {support.contact_parts}")
    lowest = min(s.lowest_y() for s in touching)
    anchor = anchor_point(sk, support.anchor)
    offset = np.array([pose.x_m - anchor[0], support.floor_y_m + pose.lift_m - lowest, pose.z_m - anchor[2]])
    return sk.translated(offset), [s.moved(offset) for s in shapes]
