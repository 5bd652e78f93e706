"""The placement matrix as text (a grid of clips x set-ups, then the failing cells in words) and as JSON
(schema ``formcheck.matrix/1``)."""

from __future__ import annotations

from typing import Any

from formcheck.evaluate.matrix import SCHEMA, Cell, Matrix

MARKS = {"pass": "ok", "not measured": "nm", "fail": "x", "outside": "o", "n/a": "-", "not run": "."}
LEGEND = ("ok right; nm right, with rules rightly not measured (the body turned past their limit, or a camera "
          "too low); x wrong; "
          "o wrong, outside the set-ups the spec declares (not counted); - not applicable; . not run")


def _mark(cell: Cell | None) -> str:
    if cell is None:
        return MARKS["not run"]
    if not cell.applicable:
        return MARKS["n/a"]
    if cell.passed:
        return MARKS["not measured"] if cell.unmeasured else MARKS["pass"]
    return MARKS["fail"] if cell.supported else MARKS["outside"]


def _count(cells: list[Cell]) -> str:
    """Passed of the cells that count (inside the declared set-ups), and the outside ones right, if any."""
    inside = [c for c in cells if c.supported]
    outside = [c for c in cells if c.applicable and c.outside]
    text = f"{sum(c.passed for c in inside)}/{len(inside)}"
    return text + (f" +{sum(c.passed for c in outside)}/{len(outside)}o" if outside else "")


def format_grid(matrix: Matrix) -> str:
    """The legend (numbered set-ups with their cells passed), then one row per clip and one column per set-up
    (marks: `LEGEND`)."""
    names = [s.name for s in matrix.setups]
    legend = ["set-ups (cells passed):"]
    for i, setup in enumerate(matrix.setups):
        cells = [c for c in (matrix.cell(clip, setup.name) for clip in matrix.clips) if c is not None]
        legend.append(f"{i + 1:>3} {setup.name:16s} {_count(cells):>12}  {setup.description}")
    width = max([len("clip"), *(len(c) for c in matrix.clips)])
    col = max(3, len(str(len(names))) + 1)
    header = "clip".ljust(width) + "".join(str(i + 1).rjust(col) for i in range(len(names))) + "  passed"
    rows = [header, "-" * len(header)]
    for clip in matrix.clips:
        cells = [matrix.cell(clip, name) for name in names]
        rows.append(clip.ljust(width) + "".join(_mark(c).rjust(col) for c in cells)
                    + f"  {_count([c for c in cells if c is not None])}")
    return "\n".join([*legend, "", LEGEND, "", *rows])


def format_failures(cells: tuple[Cell, ...]) -> str:
    """Each failing cell in one line: clip, set-up, what failed (and what else was seen)."""
    lines = []
    for cell in cells:
        notes = cell.notes()
        extra = f" [{'; '.join(notes)}]" if notes else ""
        lines.append(f"{cell.clip} @ {cell.setup}: {'; '.join(cell.failures())}{extra}")
    return "\n".join(lines)


def format_matrix(matrix: Matrix) -> str:
    """The whole matrix as text: the grid, a total, and the failing cells."""
    kind = "rendered videos through the pose model" if matrix.rendered else "exact landmark tracks"
    inside = [c for c in matrix.cells if c.supported]
    outside = [c for c in matrix.cells if c.applicable and c.outside]
    total = (f"{sum(c.passed for c in inside)} of {len(inside)} cells inside the specs' declared set-ups pass"
             f" ({kind}, seed {matrix.seed}); outside them {sum(c.passed for c in outside)} of {len(outside)}"
             " are right anyway")
    parts = [f"Placement matrix on {kind}", "", format_grid(matrix), "", total]
    if matrix.failing:
        parts += ["", "failing cells:", format_failures(matrix.failing)]
    if matrix.failing_outside:
        parts += ["", "wrong outside the declared set-ups (not counted):", format_failures(matrix.failing_outside)]
    return "\n".join(parts)


def matrix_json(matrix: Matrix) -> dict[str, Any]:
    """The matrix as a JSON-ready dict (schema ``formcheck.matrix/1``)."""
    inside = [c for c in matrix.cells if c.supported]
    return {
        "schema": SCHEMA,
        "input": "rendered" if matrix.rendered else "exact_tracks",
        "seed": matrix.seed,
        "violation_tolerance_s": matrix.tolerances.violation_s,
        "hold_tolerance_s": matrix.tolerances.hold_s,
        "setups": [_setup_dict(s) for s in matrix.setups],
        "clips": list(matrix.clips),
        "passed": matrix.passed,
        "cells_passed": sum(c.passed for c in inside),
        "cells_supported": len(inside),
        "cells_outside_passed": sum(c.passed for c in matrix.cells if c.applicable and c.outside),
        "cells_outside": sum(1 for c in matrix.cells if c.applicable and c.outside),
        "cells": [c.to_dict() for c in matrix.cells],
    }


def _setup_dict(setup) -> dict[str, Any]:
    return {
        "name": setup.name, "group": setup.group, "description": setup.description, "height_m": setup.height_m,
        "distance_m": setup.distance_m, "yaw_deg": setup.yaw_deg, "turn_deg": setup.turn_deg,
        "scale": setup.scale, "legs": setup.legs, "trunk": setup.trunk, "stagger_m": setup.stagger_m,
        "clothes": setup.look is not None, "positions": list(setup.positions),
    }
