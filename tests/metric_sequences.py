"""Build metric sequences for engine tests: pieces of constant values, ramps and gaps, frame by frame.

seq = Timeline(fps=30, position="supine", view="side")
seq.hold(1.0, hip_flexion=45, knee_flexion=90)      # a family name sets both sides
seq.ramp(1.0, hip_flexion=(45, 5))                   # linear change over one second
seq.gap(0.5, "hip_flexion_left")                     # landmarks lost (NaN)
result, columns = seq.run(load_spec("bridge"))
"""

from __future__ import annotations

import numpy as np

from formcheck.engine.engine import run
from formcheck.kinematics.metrics import MetricTable
from formcheck.kinematics.catalog import METRICS, all_metric_names
from formcheck.engine.plan import POSITIONS, VIEWS

NAMES = all_metric_names()
_INDEX = {name: j for j, name in enumerate(NAMES)}


def _family(name: str) -> str:
    return name.rsplit("_", 1)[0] if name.endswith(("_left", "_right")) else name


def _targets(key: str) -> list[str]:
    if key in _INDEX:
        return [key]
    if key in METRICS and METRICS[key].sided:
        return [f"{key}_left", f"{key}_right"]
    raise KeyError(f"unknown metric {key!r}")


class Timeline:
    """Frames at a fixed rate; every metric keeps its last value until changed (NaN until first set)."""

    def __init__(
        self, fps: float = 30.0, position: str = "unknown", view: str = "unknown", noise: float = 0.0, seed: int = 0
    ) -> None:
        self.fps = fps
        self.current = np.full(len(NAMES), np.nan)
        self.rows: list[np.ndarray] = []
        self.positions: list[int] = []
        self.views: list[int] = []
        self.position = POSITIONS.index(position)
        self.view = VIEWS.index(view)
        # noise in degrees for angles, a hundredth of it for lengths (leg lengths, hip widths)
        self.noise = noise * np.array([1.0 if METRICS[_family(n)].unit == "deg" else 0.01 for n in NAMES])
        self.rng = np.random.default_rng(seed)

    @property
    def t_s(self) -> float:
        return len(self.rows) / self.fps

    def set(self, *, position: str | None = None, view: str | None = None, **metrics: float) -> "Timeline":
        if position is not None:
            self.position = POSITIONS.index(position)
        if view is not None:
            self.view = VIEWS.index(view)
        for key, value in metrics.items():
            for name in _targets(key):
                self.current[_INDEX[name]] = value
        return self

    def _emit(self, frames: int, overrides: dict[int, np.ndarray] | None = None) -> None:
        for f in range(frames):
            row = self.current.copy()
            if overrides:
                for j, values in overrides.items():
                    row[j] = values[f]
            if self.noise.any():
                row = row + self.rng.normal(0.0, 1.0, row.shape) * self.noise
            self.rows.append(row)
            self.positions.append(self.position)
            self.views.append(self.view)

    def hold(self, duration_s: float, **metrics: float) -> "Timeline":
        self.set(**metrics)
        self._emit(int(round(duration_s * self.fps)))
        return self

    def ramp(self, duration_s: float, **metrics: tuple[float, float]) -> "Timeline":
        frames = int(round(duration_s * self.fps))
        overrides = {}
        for key, (a, b) in metrics.items():
            for name in _targets(key):
                overrides[_INDEX[name]] = np.linspace(a, b, frames)
        self._emit(frames, overrides)
        for key, (_, b) in metrics.items():
            self.set(**{key: b})
        return self

    def gap(self, duration_s: float, *keys: str) -> "Timeline":
        """Metrics not visible for a while (all of them when no key is given)."""
        saved = self.current.copy()
        names = [n for k in keys for n in _targets(k)] if keys else list(NAMES)
        for name in names:
            self.current[_INDEX[name]] = np.nan
        self._emit(int(round(duration_s * self.fps)))
        self.current = saved
        return self

    def arrays(self):
        values = np.array(self.rows)
        confidence = np.where(np.isnan(values), 0.0, 0.9)
        t_s = np.arange(len(self.rows)) / self.fps
        return NAMES, values, confidence, np.array(self.positions), np.array(self.views), t_s

    def table(self):
        """(MetricTable, positions, views, t_s): what `engine.run` takes."""
        names, values, confidence, positions, views, t_s = self.arrays()
        return MetricTable(names, values, confidence), positions, views, t_s

    def run(self, spec, side: str = "auto"):
        return run(spec, *self.table(), side=side)


def rule_count(result, rule: str, side: str | None = "any") -> int:
    return sum(1 for v in result.violations if v.rule == rule and (side == "any" or v.side == side))


def lifted(right: float = 0.0, left: float = 0.0) -> dict[str, float]:
    """``foot_lift`` values for a right foot raised ``right`` (or a left foot raised ``left``) leg lengths off
    the floor, the other foot down: ``foot_lift_{side}`` is this ankle above the other one, so the two sides read
    opposite values (both 0 with both feet down, level with each other)."""
    lift = right - left
    return {"foot_lift_right": lift, "foot_lift_left": -lift}
