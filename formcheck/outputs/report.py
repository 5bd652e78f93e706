"""The outputs of an analysis: `report.json` (schema `formcheck.report/1`) and `metrics.csv`.

Both are written atomically (temp file + rename) so that a crash never leaves a file that looks finished.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from formcheck.engine.summary import Summary
from formcheck.outputs.atomic import atomic_path

SCHEMA = "formcheck.report/1"
REP_FIELDS = ("n", "start_s", "end_s", "side", "peak", "violations")
HOLD_FIELDS = ("n", "start_s", "end_s", "duration_s", "side", "target_s", "met")
VIOLATION_FIELDS = ("rule", "start_s", "end_s", "side", "peak", "message")


def _plain(value: Any) -> Any:
    """JSON-ready value: numpy scalars to Python, NaN to None, floats rounded to a sensible precision."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return None if not math.isfinite(value) else round(value, 4)
    return value


def _pick(item: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The report fields of an engine record (a dataclass or a mapping), then any extra fields it has."""
    data = _plain(item)
    out = {name: data.get(name) for name in fields}
    for key, value in data.items():
        if key not in out:
            out[key] = value
    return out


def build_report(
    *,
    exercise: str,
    source: str,
    fps: float,
    duration_s: float,
    frames: int,
    frames_with_pose: int,
    view: str,
    reps: Iterable[Any],
    holds: Iterable[Any],
    violations: Iterable[Any],
    summary: Summary,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report as a dict in the `formcheck.report/1` contract (extra keys after the contract's)."""
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "exercise": exercise,
        "source": source,
        "fps": _plain(fps),
        "duration_s": _plain(duration_s),
        "frames": int(frames),
        "frames_with_pose": int(frames_with_pose),
        "view": view if view in ("front", "side") else "unknown",
        "reps": [_pick(r, REP_FIELDS) for r in reps],
        "holds": [_pick(h, HOLD_FIELDS) for h in holds],
        "violations": [_pick(v, VIOLATION_FIELDS) for v in violations],
        "summary": _plain(summary.to_dict()),
    }
    if extra:
        for key, value in extra.items():
            report.setdefault(key, _plain(value))
    return report


def _atomic_write(path: Path, write) -> Path:
    """Write a text file through ``write(handle)``, atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
        write(handle)
    return path


def write_report(path: str | os.PathLike, report: Mapping[str, Any]) -> Path:
    """Write report.json atomically."""
    return _atomic_write(Path(path), lambda h: json.dump(report, h, indent=2, allow_nan=False))


def write_metrics_csv(
    path: str | os.PathLike,
    *,
    frame: np.ndarray,
    t_s: np.ndarray,
    columns: Mapping[str, np.ndarray],
) -> Path:
    """Write metrics.csv: one row per frame, `frame,time_s`, then every column (NaN as an empty field)."""
    names = list(columns)
    arrays = [np.asarray(columns[name]) for name in names]

    def cell(value) -> str:
        if isinstance(value, (str, np.str_)):
            return str(value)
        value = float(value)
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e12 else f"{value:.4f}"

    def write(handle) -> None:
        writer = csv.writer(handle)
        writer.writerow(["frame", "time_s", *names])
        for i in range(len(t_s)):
            writer.writerow([int(frame[i]), f"{float(t_s[i]):.4f}", *(cell(a[i]) for a in arrays)])

    return _atomic_write(Path(path), write)
