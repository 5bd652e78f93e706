"""The placement matrix as text (a grid of clips x set-ups, then the failing cells in words) and as JSON
(schema ``formcheck.matrix/1``)."""

from __future__ import annotations

from typing import Any

from formcheck.evaluate.matrix import SCHEMA, Cell, Matrix

MARKS = {"pass": "ok", "fail": "x", "n/a": "-", "not run": "."}


def _mark(cell: Cell | None) -> str:
    if cell is None:
        return MARKS["not run"]
    if not cell.applicable:
        return MARKS["n/a"]
    return MARKS["pass"] if cell.passed else MARKS["fail"]


def format_grid(matrix: Matrix) -> str:
    """The legend (numbered set-ups with their cells passed), then one row per clip and one column per set-up:
    ok, x (failed), - (not applicable) or . (not run)."""
    names = [s.name for s in matrix.setups]
    legend = ["set-ups (cells passed):"]
    for i, setup in enumerate(matrix.setups):
        cells = [c for c in (matrix.cell(clip, setup.name) for clip in matrix.clips) if c is not None]
        passed = f"{sum(c.passed for c in cells)}/{sum(c.applicable for c in cells)}"
        legend.append(f"{i + 1:>3} {setup.name:16s} {passed:>6}  {setup.description}")
    width = max([len("clip"), *(len(c) for c in matrix.clips)])
    col = max(3, len(str(len(names))) + 1)
    header = "clip".ljust(width) + "".join(str(i + 1).rjust(col) for i in range(len(names))) + "  passed"
    rows = [header, "-" * len(header)]
    for clip in matrix.clips:
        cells = [matrix.cell(clip, name) for name in names]
        applicable = [c for c in cells if c is not None and c.applicable]
        rows.append(clip.ljust(width) + "".join(_mark(c).rjust(col) for c in cells)
                    + f"  {sum(c.passed for c in applicable)}/{len(applicable)}")
    return "\n".join([*legend, "", *rows])


def format_failures(matrix: Matrix) -> str:
    """Each failing cell in one line: clip, set-up, what failed (and what else was seen)."""
    lines = []
    for cell in matrix.failing:
        notes = cell.notes()
        extra = f" [{'; '.join(notes)}]" if notes else ""
        lines.append(f"{cell.clip} @ {cell.setup}: {'; '.join(cell.failures())}{extra}")
    return "\n".join(lines)


def format_matrix(matrix: Matrix) -> str:
    """The whole matrix as text: the grid, a total, and the failing cells."""
    kind = "rendered videos through the pose model" if matrix.rendered else "exact landmark tracks"
    applicable = [c for c in matrix.cells if c.applicable]
    total = f"{sum(c.passed for c in applicable)} of {len(applicable)} cells pass ({kind}, seed {matrix.seed})"
    parts = [f"Placement matrix on {kind}", "", format_grid(matrix), "", total]
    failures = format_failures(matrix)
    if failures:
        parts += ["", "failing cells:", failures]
    return "\n".join(parts)


def matrix_json(matrix: Matrix) -> dict[str, Any]:
    """The matrix as a JSON-ready dict (schema ``formcheck.matrix/1``)."""
    applicable = [c for c in matrix.cells if c.applicable]
    return {
        "schema": SCHEMA,
        "input": "rendered" if matrix.rendered else "exact_tracks",
        "seed": matrix.seed,
        "violation_tolerance_s": matrix.tolerances.violation_s,
        "hold_tolerance_s": matrix.tolerances.hold_s,
        "setups": [_setup_dict(s) for s in matrix.setups],
        "clips": list(matrix.clips),
        "passed": matrix.passed,
        "cells_passed": sum(c.passed for c in applicable),
        "cells": [c.to_dict() for c in matrix.cells],
    }


def _setup_dict(setup) -> dict[str, Any]:
    return {
        "name": setup.name, "group": setup.group, "description": setup.description, "height_m": setup.height_m,
        "distance_m": setup.distance_m, "yaw_deg": setup.yaw_deg, "turn_deg": setup.turn_deg,
        "scale": setup.scale, "legs": setup.legs, "trunk": setup.trunk, "stagger_m": setup.stagger_m,
        "clothes": setup.look is not None, "positions": list(setup.positions),
    }
