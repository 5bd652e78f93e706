"""Kinematics speed on a stored pose track (no video, no model): metrics, cleaning and smoothing.

The timing checks that used to sit in the tests live here: `compute_metrics` over 10,000 frames and
`clean_track` + `smooth_track` over 600 frames, each within 0.5 s (a regression catch with room for a
busy machine: 348 ms and 99 ms on the 2-core development machine under a load of 11, 2026-12-07). The
input is a bundled sample's true track with a little pixel noise, tiled to length. Prints the best of ``--repeat`` runs; exits 1 when one is over its limit.

    .venv/bin/python bench/bench_kinematics.py [--track sample_videos/bridge_side.track.csv] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from formcheck.kinematics.metrics import compute_metrics
from formcheck.kinematics.quality import clean_track
from formcheck.kinematics.smoothing import smooth_track
from formcheck.track import PoseTrack
from formcheck.track_io import read_track

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TRACK = ROOT / "sample_videos" / "bridge_side.track.csv"
LIMITS_S = {"compute_metrics, 10,000 frames": 0.5, "clean_track + smooth_track, 600 frames": 0.5}


def tiled(track: PoseTrack, frames: int, noise_px: float = 2.0, seed: int = 0) -> PoseTrack:
    """`frames` frames of the track repeated end to end at its frame rate, with pixel noise on x and y."""
    rng = np.random.default_rng(seed)
    reps = -(-frames // len(track))
    landmarks = np.tile(track.landmarks, (reps, 1, 1))[:frames].copy()
    landmarks[:, :, :2] += rng.normal(0, noise_px, (frames, landmarks.shape[1], 2)) / np.array(track.image_size)
    world = None if track.world is None else np.tile(track.world, (reps, 1, 1))[:frames]
    step_s = float(np.median(np.diff(track.t_s)))
    return PoseTrack(frame=np.arange(frames), t_s=np.arange(frames) * step_s, image_size=track.image_size,
                     landmarks=landmarks, world=world, source=track.source)


def best_seconds(work: Callable[[], object], repeat: int) -> float:
    """The shortest of `repeat` timed runs, after one warm-up run."""
    work()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--track", type=Path, default=DEFAULT_TRACK)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    source = read_track(args.track)
    long, short = tiled(source, 10_000), tiled(source, 600, seed=1)
    timings = {
        "compute_metrics, 10,000 frames": best_seconds(lambda: compute_metrics(long), args.repeat),
        "clean_track + smooth_track, 600 frames": best_seconds(lambda: smooth_track(clean_track(short)), args.repeat),
    }
    over = False
    for name, seconds in timings.items():
        limit = LIMITS_S[name]
        over |= seconds > limit
        print(f"{name:<42} {1000 * seconds:8.1f} ms   (limit {1000 * limit:.0f} ms)")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
