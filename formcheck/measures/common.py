"""Small helpers the measure modules share: metric columns by name, views, "not measured" entries, rounding."""

from __future__ import annotations

from typing import Any

import numpy as np

from formcheck.kinematics.context import VIEWS
from formcheck.kinematics.metrics import MetricTable
from formcheck.specs.spec import ExerciseSpec


def not_measured(reason: str) -> dict[str, Any]:
    """The entry that stands in for a number a view or the data cannot give."""
    return {"measured": False, "reason": reason}


def col(table: MetricTable, name: str) -> np.ndarray:
    """Values of one metric (NaN where not measured)."""
    return table.column(name)[0]


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"


def view_of(views: np.ndarray, mask: np.ndarray | None = None) -> str:
    """The most common known view ("front" / "side") over the frames in ``mask`` (all frames by default)."""
    codes = np.asarray(views).astype(int)
    if mask is not None:
        codes = codes[mask]
    known = codes[codes > 0]
    if known.size == 0:
        return "unknown"
    return VIEWS[int(np.argmax(np.bincount(known, minlength=len(VIEWS))))]


def window(t_s: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    """Boolean mask of the frames from ``start_s`` to ``end_s`` inclusive."""
    return (t_s >= start_s - 1e-9) & (t_s <= end_s + 1e-9)


def r(value: float | None, digits: int = 3) -> float | None:
    """A JSON-friendly rounded float (None for NaN / None)."""
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), digits)


def nan_peak(values: np.ndarray) -> float:
    """Largest finite value (NaN when there is none)."""
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else float("nan")


def nan_mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def value_near(values: np.ndarray, i: int, reach: int = 2) -> float:
    """The value at frame i, else the median of the finite values within ``reach`` frames (NaN if none)."""
    if 0 <= i < len(values) and np.isfinite(values[i]):
        return float(values[i])
    lo, hi = max(0, i - reach), min(len(values), i + reach + 1)
    near = values[lo:hi]
    near = near[np.isfinite(near)]
    return float(np.median(near)) if near.size else float("nan")


def rule_threshold(spec: ExerciseSpec, rule_id: str, view: str = "front") -> tuple[str, float] | None:
    """(metric template, threshold) of a spec rule in a view, or None when the spec has no such rule."""
    for rule in spec.rules:
        if rule.id != rule_id:
            continue
        for check in rule.all_checks():
            if check.views is None or view in check.views:
                return check.metric, float(check.threshold)
    return None


def index_at(t_s: np.ndarray, when: float) -> int:
    """Index of the frame nearest to ``when``."""
    return int(np.clip(np.searchsorted(t_s, when - 1e-9), 0, len(t_s) - 1)) if len(t_s) else 0
