"""The floor under the body and heights above it from MediaPipe's world landmarks (metres), free of perspective.

Image heights above the floor line depend on the camera: seen from above, the feet in front of a seated
person are lower in the picture than the pelvis behind them, so the pelvis reads high (a butterfly stretch
seen from a 1.3 m shelf reads 0.46 image leg lengths, a standing threshold). The world landmarks put every
point in metres around the hips, with no perspective. Here the floor is the lowest point of the body that can
rest on it (shoulders, elbows, hips, knees, feet) in each frame, and heights are measured above it, in the person's
own leg lengths (hip to knee to ankle, which does not change with the pose).

World axes follow the camera (MediaPipe's, and the synthetic tracks'), so "up" is the camera's up: a camera
pitched by p degrees reads a height h a distance d in front of it as about h cos p - d sin p. A seated pelvis
behind the feet reads 0.09 (phone on the floor) to 0.35 (1.6 m shelf) leg lengths, a standing one about 1.0:
the positions stay far apart. Frames where the world skeleton is missing or implausible (a leg shorter than
``min_leg_m`` or longer than ``max_leg_m``) give NaN, and callers fall back to the image.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, Iterator

import numpy as np

from formcheck.landmarks import INDEX

# Points that can rest on the floor: the floor is the lowest of them.
SUPPORT: Final[tuple[int, ...]] = tuple(
    INDEX[f"{side}_{part}"]
    for part in ("shoulder", "elbow", "hip", "knee", "ankle", "heel", "foot_index")
    for side in ("left", "right")
)
# The heights computed here, named as the metric columns they stand in for in position detection.
HEIGHT_COLUMNS: Final[tuple[str, ...]] = ("pelvis_height", "shoulder_height", "knee_height_left", "knee_height_right")


@dataclass(frozen=True)
class FloorSettings:
    """When a world skeleton is believed: its leg (hip to knee to ankle) within these lengths, in metres."""

    min_leg_m: float = 0.45
    max_leg_m: float = 1.3


def world_leg_length_m(world: np.ndarray) -> np.ndarray:
    """(n,) hip-knee-ankle path length in metres, the mean of the two legs (one where the other is missing)."""
    legs = []
    for side in ("left", "right"):
        hip, knee, ankle = (world[:, INDEX[f"{side}_{p}"]] for p in ("hip", "knee", "ankle"))
        legs.append(np.linalg.norm(knee - hip, axis=1) + np.linalg.norm(ankle - knee, axis=1))
    with np.errstate(invalid="ignore"), _quiet():
        return np.nanmean(np.stack(legs, axis=1), axis=1)


def world_heights(world: np.ndarray | None, n: int, settings: FloorSettings | None = None) -> dict[str, np.ndarray]:
    """Heights above the body's own floor in leg lengths, per frame: the columns of ``HEIGHT_COLUMNS``.

    ``world`` is (n, 33, 3) in MediaPipe's axes (y down) or None; NaN where it is missing or implausible.
    """
    settings = settings or FloorSettings()
    if world is None:
        return {name: np.full(n, np.nan) for name in HEIGHT_COLUMNS}
    world = np.asarray(world, dtype=float)
    up = -world[:, :, 1]
    leg = world_leg_length_m(world)
    plausible = (leg >= settings.min_leg_m) & (leg <= settings.max_leg_m)
    with np.errstate(invalid="ignore"), _quiet():
        floor = np.nanmin(up[:, SUPPORT], axis=1)
    scale = np.where(plausible, leg, np.nan)

    def height(y: np.ndarray) -> np.ndarray:
        return (y - floor) / scale

    hips = (up[:, INDEX["left_hip"]] + up[:, INDEX["right_hip"]]) / 2
    shoulders = np.fmin(up[:, INDEX["left_shoulder"]], up[:, INDEX["right_shoulder"]])
    return {
        "pelvis_height": height(hips),
        "shoulder_height": height(shoulders),
        "knee_height_left": height(up[:, INDEX["left_knee"]]),
        "knee_height_right": height(up[:, INDEX["right_knee"]]),
    }


def combine_heights(image: dict[str, np.ndarray], world: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The context columns with each height the lower of the image's and the world's reading.

    Both readings err upward for a part behind the lowest point of the body (perspective in the image, the
    camera's pitch in the world), so the lower one is the better; either alone where the other is NaN.
    """
    out = dict(image)
    for name, value in world.items():
        if name in out:
            out[name] = np.fmin(out[name], value)
    return out


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence numpy's "all-NaN slice" / "mean of empty slice" warnings for frames without a pose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
