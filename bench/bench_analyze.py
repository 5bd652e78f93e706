"""`formcheck analyze` against a bare MediaPipe VIDEO-mode loop, in one process, on the same clip.

The baseline decodes the clip with OpenCV and calls ``PoseLandmarker.detect_for_video`` on every frame,
nothing else. Then `formcheck analyze` runs on the same clip without and with the annotated video.
The runs are interleaved and repeated; each figure is the best of the repeats (the least disturbed by
other work on the machine). Prints frames per second and the ratio to the baseline; the issue's targets
on the 2-core machine are a ratio of at least 0.90 without the video and 0.80 with it.

    .venv/bin/python bench/bench_analyze.py [CLIP] [--model PATH] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import mediapipe as mp
from mediapipe.tasks.python import BaseOptions
from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

from formcheck.analyze import AnalyzeRequest, run_analyze
from formcheck.pose.model_store import resolve_model

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = ROOT / "sample_videos" / "single_leg_squat_right_valgus_front.mp4"
TARGETS = {"analyze --no-video": 0.90, "analyze": 0.80}


def bare_mediapipe(clip: Path, model: Path) -> tuple[int, float]:
    """Frames and seconds for decode + detect_for_video, the least any MediaPipe tool can do."""
    options = PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model)),
                                   running_mode=RunningMode.VIDEO, num_poses=1)
    capture = cv2.VideoCapture(str(clip))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    frames = 0
    started = time.perf_counter()
    with PoseLandmarker.create_from_options(options) as landmarker:
        while True:
            ok, image = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb),
                                        int(frames * 1000 / fps))
            frames += 1
    capture.release()
    return frames, time.perf_counter() - started


def formcheck_analyze(clip: Path, model: Path, *, video: bool) -> tuple[int, float]:
    """Frames and seconds for the whole `formcheck analyze` run, outputs included."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        outcome = run_analyze(AnalyzeRequest(input=clip, out_dir=Path(out), write_video=video, model=model,
                                             progress=False))
        return outcome.report["frames"], time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", nargs="?", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    model = resolve_model(args.model)
    runs = {
        "bare MediaPipe": lambda: bare_mediapipe(args.clip, model),
        "analyze --no-video": lambda: formcheck_analyze(args.clip, model, video=False),
        "analyze": lambda: formcheck_analyze(args.clip, model, video=True),
    }
    best: dict[str, float] = {}
    frames: dict[str, int] = {}
    runs["bare MediaPipe"]()  # warm-up: model load, caches
    for _ in range(args.repeat):
        for name, run in runs.items():
            n, seconds = run()
            frames[name] = n
            best[name] = max(best.get(name, 0.0), n / seconds)
    base = best["bare MediaPipe"]
    print(f"clip: {args.clip.name}, {frames['bare MediaPipe']} frames, best of {args.repeat}")
    print(f"{'run':<20} {'frames/s':>9} {'ratio':>7} {'target':>7}")
    failed = False
    for name, fps in best.items():
        target = TARGETS.get(name)
        ratio = fps / base
        failed |= target is not None and ratio < target
        print(f"{name:<20} {fps:9.1f} {ratio:7.2f} {'' if target is None else f'>= {target:.2f}':>7}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
