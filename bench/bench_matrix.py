"""The placement matrix, timed: the full grid on exact tracks, then a rendered subset through the pose model.

    .venv/bin/python bench/bench_matrix.py [--render 12] [--out /tmp/matrix]

Writes OUT/exact.txt and OUT/exact.json (all clips x set-ups on exact landmark tracks) and, with --render N,
OUT/rendered.txt and OUT/rendered.json (N cells spread over the grid, clothes included, rendered and analysed
with MediaPipe: about a minute of CPU per cell). Prints the pass counts and the seconds each part took.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from formcheck.evaluate.matrix import matrix_clips, render_subset, run_matrix, run_rendered
from formcheck.evaluate.matrix_table import format_matrix, matrix_json
from formcheck.synth.setups import select_setups


def _save(matrix, out: Path, stem: str) -> None:
    (out / f"{stem}.txt").write_text(format_matrix(matrix) + "\n")
    (out / f"{stem}.json").write_text(json.dumps(matrix_json(matrix), indent=2) + "\n")
    cells = [c for c in matrix.cells if c.applicable]
    print(f"{stem}: {sum(c.passed for c in cells)} of {len(cells)} cells pass")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", type=int, default=0, help="rendered cells through the pose model")
    parser.add_argument("--out", type=Path, default=Path("/tmp/formcheck-matrix"))
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    clips = matrix_clips()
    start = time.perf_counter()
    _save(run_matrix(clips, select_setups(exact=True)), args.out, "exact")
    print(f"exact tracks: {time.perf_counter() - start:.0f} s")
    if args.render:
        start = time.perf_counter()
        pairs = render_subset(clips, select_setups(), args.render)
        _save(run_rendered(pairs, model=args.model), args.out, "rendered")
        print(f"rendered: {time.perf_counter() - start:.0f} s for {len(pairs)} cells")


if __name__ == "__main__":
    main()
