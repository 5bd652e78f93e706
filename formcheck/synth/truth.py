"""The truth of a simulated clip: its reps, holds and the windows where a rule was broken, as ``NAME.truth.json``.

Violations are computed from the exact 3D body, not from any picture, by the definitions the checkers use:
the exercise spec's rules (metric, operator, threshold, minimum duration, views) and its knee_above_hip safety
settings. Angles are anatomical (3D), e.g. knee flexion is the true bend even when a front view foreshortens it.
knee_above_hip follows the engine's definition on the exact 3D body, in every view: the thigh above horizontal
(3D thigh elevation > the spec's ``threshold_deg``) OR the hip flexed past ``hip_flexion_deg``; its ``rules_checked``
entry names the second measure under ``or``. Only the contract's rule ids are covered (``TRUTH_RULES``); the file
lists what it checked.

Schema ``formcheck.truth/1``::

    {"schema": "formcheck.truth/1", "clip": NAME, "exercise": ID, "side": "left"|"right"|null,
     "view": "front"|"side", "position": "standing"|..., "fps": 30.0, "frames": N, "duration_s": ..,
     "image_size": [W, H], "seed": S, "description": "...",
     "reps": [{"n": 1, "start_s": .., "end_s": .., "side": .., "full": true}],   # full=false: a partial rep
     "rep_count": FULL_REPS, "partial_reps": K,
     "holds": [{"n": 1, "start_s": .., "end_s": .., "duration_s": .., "side": ..}],
     "violations": [{"rule": "knee_valgus", "start_s": .., "end_s": .., "side": "right",
                     "metric": "knee_fppa_right", "peak": 17.2}],
     "rules_checked": [{"rule": .., "metric": .., "op": ">", "threshold": .., "min_duration_s": ..}],
     "faults_shown": ["knee_valgus"], "camera": {...}}

Reps run from the start of the movement to its end; holds from reaching the position to leaving it, except where the
exercise is timed by a foot off the floor (single-leg stance: from the lifted foot's lift-off to its touch-down, as
the clinical test is timed: the spec declares the stance measure). A violation's
``side`` follows the engine: the working side for one-sided exercises, the leg concerned for bilateral ones and
for knee_above_hip, null for unsided rules (trunk_lean).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np

from formcheck.errors import InputError
from formcheck.jsonfile import read_json_file
from formcheck.landmarks import BODY_SIDES, INDEX
from formcheck.kinematics.catalog import SIDE_PLACEHOLDER, other_side, parse_metric
from formcheck.specs.spec import ExerciseSpec, load_spec
from formcheck.synth.simulate import Simulation

SCHEMA = "formcheck.truth/1"
TRUTH_RULES: tuple[str, ...] = ("knee_above_hip", "knee_bent", "trunk_lean", "knee_valgus", "pelvic_drop")
MERGE_GAP_S = 0.1
FOOT_CONTACT_M = 0.01  # a foot is off the floor once its lowest point is this far above its resting height


def true_metrics(sim: Simulation) -> dict[str, np.ndarray]:
    """Per-frame metric values (degrees) from the exact 3D landmarks, named as in metric_catalog."""
    p = sim.landmarks
    up = np.array([0.0, 1.0, 0.0])
    left = sim.roots[:, :, 0].copy()
    left[:, 1] = 0.0
    norm = np.linalg.norm(left, axis=1, keepdims=True)
    fallback = sim.roots[:, :, 2].copy()  # lying on a side: use the front's horizontal direction rotated
    fallback = np.stack([fallback[:, 2], np.zeros(len(p)), -fallback[:, 0]], axis=1)
    left = np.where(norm > 0.3, left / np.maximum(norm, 1e-9), fallback)
    forward = sim.roots[:, :, 2]

    def pt(name: str) -> np.ndarray:
        return p[:, INDEX[name]]

    out: dict[str, np.ndarray] = {}
    hip_mid = (pt("left_hip") + pt("right_hip")) / 2
    trunk = (pt("left_shoulder") + pt("right_shoulder")) / 2 - hip_mid
    out["trunk_inclination"] = _angle(trunk, np.broadcast_to(up, trunk.shape))
    out["trunk_lateral_lean"] = np.degrees(np.arctan2(-_dot(trunk, left), _dot(trunk, up)))
    hip_line = pt("left_hip") - pt("right_hip")
    obliquity = np.degrees(np.arctan2(-_dot(hip_line, up), _dot(hip_line, left)))
    out["pelvic_obliquity"] = obliquity
    out["pelvic_drop_left"] = np.maximum(obliquity, 0.0)
    out["pelvic_drop_right"] = np.maximum(-obliquity, 0.0)
    for side in BODY_SIDES:
        hip, knee, ankle = (pt(f"{side}_{j}") for j in ("hip", "knee", "ankle"))
        thigh = knee - hip
        shank = ankle - knee
        flexion = 180.0 - _angle(trunk, thigh)  # the trunk line, not this side's shoulder (wider than the hip)
        ahead = forward - _dot(forward, trunk)[:, None] * trunk / _dot(trunk, trunk)[:, None]
        out[f"hip_flexion_{side}"] = np.where(_dot(thigh, ahead) < 0, -flexion, flexion)
        out[f"knee_flexion_{side}"] = _angle(thigh, shank)
        horizontal = np.linalg.norm(thigh - _dot(thigh, up)[:, None] * up, axis=1)
        out[f"thigh_elevation_{side}"] = np.degrees(np.arctan2(_dot(thigh, up), horizontal))
        # frontal plane: u along the body's left, v up
        u = np.stack([_dot(x, left) for x in (hip, knee, ankle)], axis=1)
        v = np.stack([_dot(x, up) for x in (hip, knee, ankle)], axis=1)
        t2 = np.stack([u[:, 1] - u[:, 0], v[:, 1] - v[:, 0]], axis=1)
        s2 = np.stack([u[:, 2] - u[:, 1], v[:, 2] - v[:, 1]], axis=1)
        bend = np.degrees(np.arctan2(np.abs(t2[:, 0] * s2[:, 1] - t2[:, 1] * s2[:, 0]), np.sum(t2 * s2, axis=1)))
        # the knee's sideways offset from the hip-ankle line at the knee's height, + toward the body's left
        drop = v[:, 2] - v[:, 0]
        along = np.where(np.abs(drop) > 1e-6, (v[:, 1] - v[:, 0]) / np.where(np.abs(drop) > 1e-6, drop, 1.0), 0.5)
        offset_left = u[:, 1] - (u[:, 0] + along * (u[:, 2] - u[:, 0]))
        medial = -offset_left if side == "left" else offset_left
        # undefined when the thigh points at the camera: the knee must hang clearly below the hip
        defined = (v[:, 0] - v[:, 1]) > 0.3 * np.linalg.norm(thigh, axis=1)
        out[f"knee_fppa_{side}"] = np.where(defined, np.where(medial > 0, bend, -bend), np.nan)
    return out


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, np.broadcast_to(b, a.shape))


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cross = np.linalg.norm(np.cross(a, b), axis=1)
    return np.degrees(np.arctan2(cross, _dot(a, b)))


def windows(t_s: np.ndarray, active: np.ndarray, min_duration_s: float, merge_gap_s: float = MERGE_GAP_S
            ) -> list[tuple[int, int]]:
    """Index ranges [first, last] where ``active`` holds, gaps up to ``merge_gap_s`` merged, lasting at least
    ``min_duration_s`` (from the first active frame to the frame after the last)."""
    idx = np.flatnonzero(active)
    if idx.size == 0:
        return []
    step = float(np.median(np.diff(t_s))) if len(t_s) > 1 else 0.0
    runs: list[list[int]] = [[int(idx[0]), int(idx[0])]]
    for i in idx[1:]:
        if t_s[i] - t_s[runs[-1][1]] <= merge_gap_s + step * 1.01:
            runs[-1][1] = int(i)
        else:
            runs.append([int(i), int(i)])
    return [(a, b) for a, b in runs if t_s[b] - t_s[a] + step >= min_duration_s - 1e-9]


def _rule_checks(spec: ExerciseSpec, sim: Simulation) -> list[dict]:
    """The truth rules of the spec for this clip's view: rule id, concrete metric, op, threshold, duration, side."""
    clip = sim.clip
    checks: list[dict] = []
    for rule in spec.rules:
        if rule.id not in TRUTH_RULES:
            continue
        if rule.positions and clip.position not in rule.positions:
            continue
        check = next((c for c in rule.all_checks() if c.views is None or clip.view in c.views), None)
        if check is None:
            continue
        ref = parse_metric(check.metric)
        if ref is None:
            continue
        if ref.is_template:
            legs = [clip.side] if clip.side else list(BODY_SIDES)
            for leg in legs:
                metric_side = leg if ref.side == SIDE_PLACEHOLDER else other_side(leg)
                checks.append(dict(rule=rule.id, metric=f"{ref.base}_{metric_side}", op=check.op, abs=check.abs,
                                   threshold=check.threshold, min_duration_s=rule.min_duration_s, side=leg))
        else:
            side = (clip.side or ref.side) if ref.side in BODY_SIDES else None
            checks.append(dict(rule=rule.id, metric=ref.text, op=check.op, abs=check.abs, threshold=check.threshold,
                               min_duration_s=rule.min_duration_s, side=side))
    kah = spec.safety.knee_above_hip
    if kah.enabled and clip.position in kah.positions:
        for leg in BODY_SIDES:  # thigh above horizontal or hip flexion past the limit, whatever the camera sees
            checks.append(dict(rule="knee_above_hip", metric=f"thigh_elevation_{leg}", op=">", abs=False,
                               threshold=kah.threshold_deg, min_duration_s=kah.min_duration_s, side=leg,
                               alternative=dict(metric=f"hip_flexion_{leg}", op=">", threshold=kah.hip_flexion_deg)))
    return checks


def find_violations(sim: Simulation, spec: ExerciseSpec) -> tuple[list[dict], list[dict]]:
    """Violation windows of the truth rules, and the list of checks made."""
    metrics = true_metrics(sim)
    t = sim.t_s
    step = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    found, checked = [], []
    for check in _rule_checks(spec, sim):
        if check["metric"] not in metrics:
            continue
        values = metrics[check["metric"]]
        signal = np.abs(values) if check["abs"] else values
        active = signal > check["threshold"] if check["op"] == ">" else signal < check["threshold"]
        entry = {k: check[k] for k in ("rule", "metric", "op", "abs", "threshold", "min_duration_s")}
        alt = check.get("alternative")
        if alt is not None:  # an OR of two "greater than" checks: the signal is the larger margin, in the first's units
            other = metrics[alt["metric"]]
            active = active | (other > alt["threshold"])
            signal = np.fmax(signal, other - alt["threshold"] + check["threshold"])
            entry["or"] = dict(alt)
        checked.append(entry)
        for a, b in windows(t, active, check["min_duration_s"]):
            part = signal[a : b + 1]
            peak = float(part.max() if check["op"] == ">" else part.min())
            found.append(dict(rule=check["rule"], start_s=_r(t[a]), end_s=_r(t[b] + step), side=check["side"],
                              metric=check["metric"], peak=round(peak, 2)))
    found.sort(key=lambda v: (v["start_s"], v["rule"]))
    unique = {json.dumps(c, sort_keys=True): c for c in checked}
    return found, list(unique.values())


def _r(x: float) -> float:
    return round(float(x), 3)


def marked_reps_and_holds(sim: Simulation) -> tuple[list[dict], list[dict]]:
    """Pair the script's start/end marks into reps and holds."""
    reps, holds = [], []
    open_mark = {"rep": None, "hold": None}
    for mark in sim.motion.marks:
        if mark.edge == "start":
            if open_mark[mark.kind] is not None:
                raise ValueError(f"clip {sim.clip.name}: {mark.kind} started twice at {mark.t_s:.2f} s")
            open_mark[mark.kind] = mark
            continue
        start = open_mark[mark.kind]
        if start is None:
            raise ValueError(f"clip {sim.clip.name}: {mark.kind} ended at {mark.t_s:.2f} s without a start")
        open_mark[mark.kind] = None
        if mark.kind == "rep":
            reps.append(dict(n=len(reps) + 1, start_s=_r(start.t_s), end_s=_r(mark.t_s), side=start.side,
                             full=bool(start.full and mark.full)))
        else:
            holds.append(dict(n=len(holds) + 1, start_s=_r(start.t_s), end_s=_r(mark.t_s),
                              duration_s=_r(mark.t_s - start.t_s), side=start.side))
    for kind, mark in open_mark.items():
        if mark is not None:
            raise ValueError(f"clip {sim.clip.name}: {kind} started at {mark.t_s:.2f} s never ends")
    return reps, holds


def foot_off_holds(sim: Simulation, holds: list[dict]) -> list[dict]:
    """Holds re-timed from the lifted foot's lift-off (before the marked start) to its touch-down (after the
    marked end); the lifted foot is the one not named by the hold's side."""
    t = sim.t_s
    out = []
    for hold in holds:
        if hold["side"] not in BODY_SIDES:
            out.append(hold)
            continue
        lifted = other_side(hold["side"])
        points = [INDEX[f"{lifted}_{part}"] for part in ("heel", "foot_index", "ankle")]
        height = sim.landmarks[:, points, 1].min(axis=1)
        down = height <= height.min() + FOOT_CONTACT_M
        first = int(np.searchsorted(t, hold["start_s"] - 1e-6))
        last = int(np.searchsorted(t, hold["end_s"] + 1e-6)) - 1
        before = np.flatnonzero(down[: first + 1])
        after = np.flatnonzero(down[last:])
        start = t[before[-1] + 1] if before.size else t[0]
        end = t[last + after[0]] if after.size else t[-1]
        out.append(dict(hold, start_s=_r(start), end_s=_r(end), duration_s=_r(end - start)))
    return out


def build_truth(sim: Simulation, spec: ExerciseSpec | None = None) -> dict:
    """The truth document of a simulated clip."""
    clip = sim.clip
    spec = spec or load_spec(clip.exercise)
    reps, holds = marked_reps_and_holds(sim)
    if spec.measure.kind == "stance":  # holds timed from lift-off to touch-down
        holds = foot_off_holds(sim, holds)
    violations, checked = find_violations(sim, spec)
    n = len(sim.t_s)
    cam = clip.camera
    return {
        "schema": SCHEMA,
        "clip": clip.name,
        "exercise": clip.exercise,
        "side": clip.side,
        "view": clip.view,
        "position": clip.position,
        "fps": clip.fps,
        "frames": n,
        "duration_s": _r(n / clip.fps),
        "image_size": [cam.width_px, cam.height_px],
        "seed": sim.seed,
        "description": clip.description,
        "reps": reps,
        "rep_count": sum(1 for r in reps if r["full"]),
        "partial_reps": sum(1 for r in reps if not r["full"]),
        "holds": holds,
        "violations": violations,
        "rules_checked": checked,
        "faults_shown": list(clip.faults),
        "camera": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cam).items()},
    }


def check_faults(truth: dict) -> list[str]:
    """Problems of a truth document against the faults its clip means to show (empty = consistent)."""
    seen = {v["rule"] for v in truth["violations"]}
    wanted = set(truth["faults_shown"])
    problems = [f"{truth['clip']}: fault {r} is meant to show but the truth has no window" for r in wanted - seen]
    problems += [f"{truth['clip']}: unintended {r} violation in the truth" for r in seen - wanted]
    return problems


def write_truth(truth: dict, path: str | os.PathLike) -> Path:
    """Write the truth document as indented JSON (stable key order)."""
    path = Path(path)
    path.write_text(json.dumps(truth, indent=1) + "\n")
    return path


def read_truth(path: str | os.PathLike) -> dict:
    """Read a truth document, checking its schema (one-line InputError naming the file otherwise)."""
    path = Path(path)
    data = read_json_file(path, "truth")
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InputError(f"{path}: not a {SCHEMA} document")
    return data

