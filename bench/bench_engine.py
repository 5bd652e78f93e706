"""Engine throughput on a stored pose track (no video, no model): frames per second for every bundled spec.

Each spec runs over a synthetic 10,000-frame metric table (30 fps) built for it: the rep metric swings
through its thresholds, hold criteria go in and out, every other metric wanders with noise so that the rules
fire now and then, and a few landmark gaps appear. Prints frames/s per spec and the minimum; exits 1 when
the minimum is below the floor (20,000 frames/s by default).

    .venv/bin/python bench/bench_engine.py [--frames 10000] [--floor 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from formcheck.engine.engine import run
from formcheck.landmarks import BODY_SIDES
from formcheck.kinematics.metrics import MetricTable
from formcheck.kinematics.catalog import METRICS, all_metric_names, parse_metric
from formcheck.kinematics.context import POSITIONS, VIEWS
from formcheck.specs.spec import POSITION_OF_START, ExerciseSpec, list_specs

NAMES = all_metric_names()


def _columns_for(text: str) -> list[int]:
    ref = parse_metric(text)
    if ref is None:
        return []
    if ref.is_template:
        return [NAMES.index(f"{ref.base}_{s}") for s in BODY_SIDES]
    return [NAMES.index(ref.name_for(None))]


def synthetic_table(spec: ExerciseSpec, frames: int, fps: float = 30.0, seed: int = 0):
    """A metric table that exercises the spec's rep, hold and rules over ``frames`` frames."""
    rng = np.random.default_rng(seed)
    t_s = np.arange(frames) / fps
    values = np.empty((frames, len(NAMES)))
    for j, name in enumerate(NAMES):
        ref = parse_metric(name)
        info = METRICS[ref.base]
        mid = (info.low + info.high) / 2 if info.high - info.low < 50 else 20.0
        span = min(info.high - info.low, 60.0) / 6
        values[:, j] = mid + span * np.sin(2 * np.pi * t_s / rng.uniform(3, 9) + rng.uniform(0, 6))
        values[:, j] += rng.normal(0, span / 10, frames)
    phase = np.sin(2 * np.pi * t_s / 4.0)  # a rep every 4 s, a hold every 4 s
    if spec.rep is not None:
        r = spec.rep
        low, high = (r.start, r.peak) if r.direction == "up" else (r.peak, r.start)
        swing = (high - low) * 0.8
        for j in _columns_for(r.metric):
            values[:, j] = (low + high) / 2 + (high - low) / 2 * phase + swing * np.sign(phase) * (np.abs(phase) > 0.7)
    if spec.hold is not None:
        for cond in spec.hold.criteria:
            margin = abs(cond.value) * 0.2 + 1.0
            target = cond.value + margin if cond.op == ">" else cond.value - margin
            for j in _columns_for(cond.metric):
                values[:, j] = np.where(
                    np.sin(2 * np.pi * t_s / 40.0) > -0.3, target, cond.value - (target - cond.value)
                )
    for cond in spec.position.enter:  # in position most of the time
        margin = abs(cond.value) * 0.3 + 1.0
        target = cond.value + margin if cond.op == ">" else cond.value - margin
        for j in _columns_for(cond.metric):
            values[:, j] = np.where(np.sin(2 * np.pi * t_s / 90.0) > -0.8, target, cond.value - (target - cond.value))
    if spec.side_detect is not None:  # the left side works in the first half, the right in the second
        sd = spec.side_detect
        cols = _columns_for(sd.metric)
        lead = 1.0 if (sd.pick or "higher") == "higher" else -1.0
        step = (sd.margin + 1.0) * lead * np.where(t_s < t_s[-1] / 2, 1.0, -1.0)
        if len(cols) == 2:
            values[:, cols[1]] = values[:, cols[0]] - step
        else:
            values[:, cols[0]] = step * (1.0 if sd.positive == "left" else -1.0)
    gaps = rng.random(frames) < 0.01
    values[gaps] = np.nan
    confidence = np.where(np.isnan(values), 0.0, 0.9)
    position = POSITIONS.index(POSITION_OF_START[spec.start_position])
    positions = np.full(frames, position)
    views = np.full(frames, VIEWS.index(spec.view))
    views[(t_s % 60) > 55] = VIEWS.index("unknown")
    return values, confidence, positions, views, t_s


def bench_spec(spec: ExerciseSpec, frames: int, repeat: int) -> tuple[float, int]:
    """Best frames/s over ``repeat`` runs, and the events' worth (reps + holds + violations) of one run."""
    values, confidence, positions, views, t_s = synthetic_table(spec, frames)
    best = 0.0
    found = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result, _columns = run(spec, MetricTable(NAMES, values, confidence), positions, views, t_s)
        elapsed = time.perf_counter() - start
        best = max(best, frames / elapsed)
        found = len(result.reps) + len(result.holds) + len(result.violations)
    return best, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--floor", type=float, default=20_000.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rates = {}
    for spec in list_specs():
        rate, found = bench_spec(spec, args.frames, args.repeat)
        rates[spec.id] = rate
        print(f"{spec.id:<38} {rate:>10,.0f} frames/s   ({found} reps/holds/violations)")
    slowest = min(rates, key=rates.get)
    print(f"{'minimum':<38} {rates[slowest]:>10,.0f} frames/s   ({slowest}); floor {args.floor:,.0f}")
    return 0 if rates[slowest] >= args.floor else 1


if __name__ == "__main__":
    sys.exit(main())
