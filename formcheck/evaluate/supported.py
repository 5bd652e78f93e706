"""Whether a placement-matrix cell lies inside the set-ups its exercise's spec declares (``[setup]``), and which
rules the report may then rightly call "not measured".

A spec is judged on exact tracks only where it says it can be judged from: its camera heights, its views with
the body turned at most ``max_turn_deg``, and for each frontal-plane rule the turn its measure is true within.
Beyond a rule's turn limit the right answer is "not measured: you are turned too far" (the report's
``not_measured`` names the rule with the turn reason), not a verdict. Within ``TURN_MARGIN_DEG`` of a limit
either answer is accepted: the body turn is estimated from the landmarks and a real body sways.

    support = cell_support(spec, sim)
    support.turn_deg, support.outside        # 30.0, ('camera 0.3 m high: checked from 0.6 to 1.6 m',)
    truth = support.truth_without(truth, report)   # the windows a rightly unmeasured rule was not asked for
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, Mapping

import numpy as np

from formcheck.engine.plan import rule_frontal_limit, view_distance
from formcheck.landmarks import LEFT_HIP, RIGHT_HIP
from formcheck.specs.spec import ExerciseSpec
from formcheck.synth.simulate import Simulation

TURN_MARGIN_DEG: Final = 5.0
TURN_WORD: Final = "turned"  # the engine's turn reason says "turned too far"
CAMERA_WORD: Final = "camera too low"  # analyze's reason when the camera is below a spec's heights


@dataclass(frozen=True)
class CellSupport:
    """What the spec supports of one cell: the true body turn, the rules past their turn limit (must be
    "not measured"), those near it (either answer), and why the set-up is outside the spec's declared ones."""

    turn_deg: float
    beyond: tuple[str, ...]
    near: tuple[str, ...]
    outside: tuple[str, ...]

    @property
    def supported(self) -> bool:
        return not self.outside

    def rightly_unmeasured(self, report: Mapping[str, Any]) -> tuple[str, ...]:
        """The rules past or near their turn limit that the report calls not measured for the turn, and, with
        the camera outside the spec's declared heights, those it calls not measured for the camera."""
        said = report.get("not_measured") or {}
        turned = [r for r in (*self.beyond, *self.near) if TURN_WORD in str(said.get(r, ""))]
        camera = [r for r, why in said.items() if self.outside and CAMERA_WORD in str(why) and r not in turned]
        return tuple(turned + camera)

    def truth_without(self, truth: Mapping[str, Any], report: Mapping[str, Any]) -> dict[str, Any]:
        """The truth less the violation windows of the rules the report rightly did not measure."""
        skip = set(self.rightly_unmeasured(report))
        return {**truth, "violations": [v for v in truth["violations"] if v.get("rule") not in skip]}


def true_turn_deg(sim: Simulation) -> float:
    """The body's true turn from facing the camera (0) to side-on (90): the hip line's angle out of the image
    plane seen from the camera, median over the clip (degrees)."""
    points = np.asarray(sim.landmarks, dtype=float)
    hips = points[:, RIGHT_HIP] - points[:, LEFT_HIP]
    mid = (points[:, RIGHT_HIP] + points[:, LEFT_HIP]) / 2
    to_camera = np.asarray(sim.clip.camera.position, dtype=float)[None, :] - mid
    a = _unit_horizontal(hips)
    d = _unit_horizontal(to_camera)
    with np.errstate(invalid="ignore"):
        turn = np.degrees(np.arcsin(np.clip(np.abs(np.sum(a * d, axis=1)), 0.0, 1.0)))
    return float(np.nanmedian(turn)) if np.isfinite(turn).any() else math.nan


def _unit_horizontal(v: np.ndarray) -> np.ndarray:
    flat = np.stack([v[:, 0], v[:, 2]], axis=1)
    norm = np.linalg.norm(flat, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return flat / norm


def cell_support(spec: ExerciseSpec, sim: Simulation, margin_deg: float = TURN_MARGIN_DEG) -> CellSupport:
    """The spec's declared set-ups against one simulated cell (its camera height and true body turn)."""
    turn = true_turn_deg(sim)
    outside: list[str] = []
    heights = spec.setup.camera_height_m
    height = float(sim.clip.camera.height_m)
    if heights is not None and not heights.min - 1e-6 <= height <= heights.max + 1e-6:
        outside.append(f"camera {height:g} m high: {spec.id} is checked from {heights.min:g} to {heights.max:g} m")
    away = float(view_distance(np.array([turn]), spec.setup_views)[0]) if math.isfinite(turn) else 0.0
    beyond: list[str] = []
    near: list[str] = []
    for rule in spec.rules:
        over = [away - spec.setup.max_turn_deg]  # as the engine gates it (`engine.plan.turned_too_far`)
        limit = rule_frontal_limit(rule, spec)
        if limit is not None and math.isfinite(turn):
            over.append(turn - limit)
        worst = max(over)
        if worst > margin_deg:
            beyond.append(rule.id)
        elif worst >= -margin_deg:
            near.append(rule.id)
    return CellSupport(turn, tuple(beyond), tuple(near), tuple(outside))
