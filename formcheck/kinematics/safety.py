"""The program's safety rule, knee above hip, defined once (README "The safety rule: knee above hip").

A leg is at fault when, standing, kneeling or sitting upright, its thigh rises above horizontal (thigh
elevation over ``threshold_deg``) OR its hip bends past ``hip_flexion_deg`` (90 plus 5 for measurement
error), for at least ``min_duration_s``; it clears ``hysteresis_deg`` below. From the side (or an unknown
view) both measures are checked, from the front only hip flexion: a thigh pointing at the camera is
foreshortened. 95 rather than 100 keeps the two views in agreement (a synchronised FMS squat reads 123
degrees from the side and 102 from the front at the same instant).

A spec may change the limits in its ``[safety.knee_above_hip]`` table (specs/spec.py, whose defaults are
``DEFAULT_LIMITS``); the engine's rule instances (engine/plan.py) and the per-frame test `knee_above_hip`
are both built from ``MEASURES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np

from formcheck.kinematics.context import POSITION_CODE, VIEWS
from formcheck.kinematics.metrics import MetricTable
from formcheck.landmarks import BODY_SIDES

RULE_ID: Final = "knee_above_hip"
SEVERITY: Final = "stop"
CUE: Final = "Keep your {side} knee below the level of your hip."
CLEAR_S: Final = 0.2  # a violation ends once the leg has been clear this long
DRAWN_METRIC: Final = "thigh_elevation"  # the thigh is drawn red, whichever measure fired


@dataclass(frozen=True)
class Limits:
    """The rule's limits (degrees, seconds) and the detected positions it applies in."""

    threshold_deg: float = 0.0  # thigh elevation above horizontal
    hip_flexion_deg: float = 95.0
    hysteresis_deg: float = 5.0
    min_duration_s: float = 0.3
    positions: tuple[str, ...] = ("standing", "kneeling", "sitting")


DEFAULT_LIMITS: Final = Limits()


class LimitsLike(Protocol):
    """Anything carrying the thresholds: `Limits`, or a spec's ``[safety.knee_above_hip]`` table."""

    threshold_deg: float
    hip_flexion_deg: float


@dataclass(frozen=True)
class Measure:
    """One way the knee can be above the hip: a sided catalog metric over one of the limits."""

    metric: str
    limit: str  # the field of `Limits` holding its threshold
    front_view: bool  # also measured in a front view

    def column(self, side: str) -> str:
        return f"{self.metric}_{side}"

    def threshold(self, limits: LimitsLike) -> float:
        return float(getattr(limits, self.limit))


# Thigh elevation first: where both are checked, a violation's peak reads as thigh elevation.
MEASURES: Final[tuple[Measure, ...]] = (
    Measure("thigh_elevation", "threshold_deg", front_view=False),
    Measure("hip_flexion", "hip_flexion_deg", front_view=True),
)


def measures_in_view(view: str) -> tuple[Measure, ...]:
    """The measures checked in a view ("front", "side" or "unknown")."""
    return tuple(m for m in MEASURES if view != "front" or m.front_view)


def description(limits: LimitsLike) -> str:
    """One line for reports and the engine's rule list."""
    return (
        f"knee above hip: thigh above horizontal (over {limits.threshold_deg:g} deg) "
        f"or hip flexion past {limits.hip_flexion_deg:g} deg"
    )


def knee_above_hip(
    table: MetricTable,
    positions: np.ndarray,
    views: np.ndarray | None = None,
    *,
    side: str = "either",
    limits: Limits = DEFAULT_LIMITS,
) -> np.ndarray:
    """The rule's test per frame, without its timing: 1.0 = knee above the hip, 0.0 = fine, NaN = not measured.

    ``positions`` and ``views`` are per-frame codes (context.POSITIONS, context.VIEWS; no views: unknown, both
    measures). ``side``: 'left', 'right' or 'either' (a fault on either leg).
    """
    if side not in (*BODY_SIDES, "either"):
        raise ValueError(f"side must be 'left', 'right' or 'either', got {side!r}")
    views = np.zeros(len(table), dtype=int) if views is None else np.asarray(views)
    legs = BODY_SIDES if side == "either" else (side,)
    per_leg = np.stack([_leg_flags(table, leg, views, limits) for leg in legs], axis=1)
    worst = np.nanmax(np.where(np.isnan(per_leg), -1.0, per_leg), axis=1)
    applies = np.isin(positions, [POSITION_CODE[p] for p in limits.positions])
    return np.where(applies & (worst >= 0), worst, np.nan)


def _leg_flags(table: MetricTable, leg: str, views: np.ndarray, limits: Limits) -> np.ndarray:
    """One leg: 1.0 where a measure of the frame's view is past its threshold, 0.0 where none is, NaN unmeasured."""
    out = np.full(len(table), np.nan)
    for code, view in enumerate(VIEWS):
        margins = np.stack([table.column(m.column(leg))[0] - m.threshold(limits) for m in measures_in_view(view)])
        measured = ~np.isnan(margins).all(axis=0)
        bad = np.nanmax(np.where(np.isnan(margins), -np.inf, margins), axis=0) > 0
        out = np.where((views == code) & measured, bad.astype(float), np.where(views == code, np.nan, out))
    return out
