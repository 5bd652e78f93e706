"""Single-leg squat per rep: depth (knee flexion), and at peak depth the knee's frontal plane projection
angle (FPPA), contralateral pelvic drop and trunk lateral lean, each against the spec's rule threshold.

FPPA, pelvic drop and lateral lean are frontal-plane angles: measured in a front view only, otherwise
"not measured" with the reason.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from formcheck.engine.types import EngineResult
from formcheck.kinematics.metrics import MetricTable
from formcheck.specs.spec import ExerciseSpec
from formcheck.track import PoseTrack
from formcheck.measures.common import col, nan_peak, not_measured, other_side, r, rule_threshold, value_near, view_of, window

# (report key, spec rule id, metric template, how the rep's value is taken)
FRONTAL_ITEMS = (
    ("knee_fppa_at_peak_deg", "knee_valgus", "knee_fppa_{side}", "at_peak"),
    ("pelvic_drop_peak_deg", "pelvic_drop", "pelvic_drop_{other}", "peak"),
    ("trunk_lean_peak_deg", "trunk_lean", "trunk_lateral_lean", "abs_peak"),
)


def measure_single_leg_squat(spec: ExerciseSpec, track: PoseTrack, table: MetricTable, views: np.ndarray,
                             result: EngineResult) -> dict[str, Any]:
    """The "single_leg_squat" report section: one record per counted rep and a summary."""
    t_s = np.asarray(track.t_s, dtype=float)
    reps = [_rep_record(spec, rep, t_s, table, views, result.side) for rep in result.reps]
    section: dict[str, Any] = {"test": "single_leg_squat", "reps": reps}
    if not reps:
        section["summary"] = not_measured(_why_no_squat(spec, table, result))
        return section
    summary: dict[str, Any] = {"reps": len(reps),
                               "max_depth_deg": r(max((x["depth_deg"] or 0.0) for x in reps), 1)}
    for key, rule_id, _, _ in FRONTAL_ITEMS:
        values = [x[key] for x in reps if isinstance(x[key], (int, float))]
        summary[key] = {"max": r(max(values), 1), "mean": r(float(np.mean(values)), 1)} if values else \
            not_measured(next(x[key]["reason"] for x in reps if isinstance(x[key], dict)))
        summary[f"{rule_id}_reps"] = sum(1 for x in reps if x["flags"].get(rule_id) is True)
    section["summary"] = summary
    return section


def _why_no_squat(spec: ExerciseSpec, table: MetricTable, result: EngineResult) -> str:
    """Why no squat was counted: the standing leg never told (its metric unseen on a side), or simply none."""
    detect = spec.side_detect
    if result.side in ("left", "right") or detect is None or "{side}" not in detect.metric:
        return "no squat was counted"
    seen = {side: float(np.isfinite(col(table, detect.metric.format(side=side))).mean()) for side in ("left", "right")}
    unseen = [f"{detect.metric.format(side=side)} {share:.0%}" for side, share in seen.items() if share < 0.5]
    if not unseen:
        return "no squat was counted: the standing leg could not be told"
    return (f"no squat was counted: the standing leg could not be told, since both legs must be seen "
            f"(measured in {', '.join(unseen)} of the frames: keep both feet in the picture)")


def _rep_record(spec: ExerciseSpec, rep, t_s: np.ndarray, table: MetricTable, views: np.ndarray,
                fallback_side: str | None) -> dict[str, Any]:
    side = rep.side if rep.side in ("left", "right") else fallback_side
    mask = window(t_s, rep.start_s, rep.end_s)
    view = view_of(views, mask)
    record: dict[str, Any] = {"n": rep.n, "side": side, "start_s": r(rep.start_s), "end_s": r(rep.end_s),
                              "view": view}
    if side not in ("left", "right"):
        record.update({"depth_deg": None, "flags": {}})
        for key, *_ in FRONTAL_ITEMS:
            record[key] = not_measured("the standing leg is not known")
        return record
    knee = np.where(mask, col(table, f"knee_flexion_{side}"), np.nan)
    if not np.isfinite(knee).any():
        record["depth_deg"] = None
        peak_i = int(np.flatnonzero(mask)[len(np.flatnonzero(mask)) // 2])
    else:
        peak_i = int(np.nanargmax(knee))
        record["depth_deg"] = r(float(knee[peak_i]), 1)
    record["peak_depth_s"] = r(float(t_s[peak_i]))
    flags: dict[str, bool | None] = {}
    for key, rule_id, template, how in FRONTAL_ITEMS:
        if view != "front":
            record[key] = not_measured(f"a frontal-plane angle: needs a front view (this rep was seen from the {view})")
            flags[rule_id] = None
            continue
        values = col(table, template.format(side=side, other=other_side(side)))
        if how == "at_peak":
            value = value_near(values, peak_i)
        elif how == "abs_peak":
            value = nan_peak(np.abs(values[mask]))
        else:
            value = nan_peak(values[mask])
        if not np.isfinite(value):
            record[key] = not_measured("the landmarks it needs were not visible in this rep")
            flags[rule_id] = None
            continue
        record[key] = r(value, 1)
        rule = rule_threshold(spec, rule_id, "front")
        flags[rule_id] = None if rule is None else bool(value > rule[1])
    record["flags"] = flags
    return record
