"""The pose model's variants side by side: speed (analyze frames/s, live FPS and latency) and accuracy.

    .venv/bin/python bench/bench_variants.py speed [--seconds 20]          # one interleaved run per variant
    .venv/bin/python bench/bench_variants.py accuracy --out /tmp/variants  # samples and real clips, lite and heavy
    .venv/bin/python bench/bench_variants.py compare --out /tmp/variants   # the tables, from the runs above

Speed: `formcheck analyze --no-video` (in-process, pose extraction included) on one sample clip, and
`formcheck live` with a 640x480 30 FPS file standing in for the camera (see bench_live.py), no window
unless $DISPLAY is set, for each variant in turn.

Accuracy: every sample video and every real clip of ../shared/videos analysed through the CLI with
each variant (`--model` the variant's bundle, obtained as `formcheck model --variant` does), the
clip's own exercise and, from the saved track, safety_watch; then compared with full: reps, holds,
violations, and the per-frame difference of every angle (deg) both measured. Full's outputs are
taken from a behaviour snapshot (bench/behaviour_snapshot.py) when `--reference DIR` is given, else
run too. Samples are also scored against their truth with `formcheck evaluate`.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
REAL = ROOT.parent / "shared" / "videos"
VARIANTS = ("lite", "full", "heavy")
SPEED_CLIP = SAMPLES / "single_leg_squat_right_valgus_front.mp4"
VIDEO_SUFFIXES = {".mp4", ".mov", ".gif"}
KEY_ANGLES = ("hip_flexion", "knee_flexion", "thigh_elevation", "pelvic_obliquity", "knee_fppa")


def formcheck() -> str:
    exe = Path(sys.executable).with_name("formcheck")
    return str(exe) if exe.exists() else "formcheck"


def model_path(variant: str) -> Path:
    """The variant's bundle, obtained (cache, download or build) as `formcheck model --variant` does."""
    from formcheck.pose.model_store import find_model

    return find_model(variant=variant, progress=False).path


# ------------------------------------------------------------------------------------------- accuracy


def jobs() -> list[tuple[str, Path, list[str]]]:
    """(name, video, exercises) for every clip: its own exercise first (the one the video is analysed with)."""
    out: list[tuple[str, Path, list[str]]] = []
    for truth in sorted(SAMPLES.glob("*.truth.json")):
        clip = truth.name.removesuffix(".truth.json")
        out.append((clip, SAMPLES / f"{clip}.mp4", [json.loads(truth.read_text())["exercise"]]))
    if REAL.is_dir():
        labels = json.loads((REAL / "labels.json").read_text())["clips"]
        for video in sorted(REAL.iterdir()):
            if video.suffix.lower() in VIDEO_SUFFIXES:
                labelled = [labels[video.name]["exercise"]] if video.name in labels else []
                out.append((f"real_{video.name}", video, labelled + ["safety_watch"]))
    return out


def folder_name(name: str, exercise: str) -> str:
    """The folder naming of bench/behaviour_snapshot.py: video_<clip> for samples, real_<file>_<exercise>."""
    return f"{name}_{exercise}" if name.startswith("real_") else f"video_{name}"


def run_accuracy(out: Path, variants: tuple[str, ...], only: tuple[str, ...] = ()) -> None:
    for variant in variants:
        model = model_path(variant)
        for name, video, exercises in jobs():
            if only and name.removeprefix("real_") not in only:
                continue
            track = out / variant / "tracks" / f"{name}.npz"
            track.parent.mkdir(parents=True, exist_ok=True)
            for k, exercise in enumerate(exercises):
                source = video if k == 0 else track
                extra = ["--save-track", str(track)] if k == 0 else []
                folder = out / variant / folder_name(name, exercise)
                if (folder / "report.json").is_file():
                    continue
                cmd = [formcheck(), "analyze", str(source), "-e", exercise, "--out", str(folder), "--no-video",
                       "--no-progress", "--model", str(model), *extra]
                started = time.perf_counter()
                done = subprocess.run(cmd, capture_output=True, text=True)
                print(f"{variant} {folder.name}: exit {done.returncode}, {time.perf_counter() - started:.1f} s"
                      + (f": {done.stderr.strip()[-300:]}" if done.returncode else ""), flush=True)
        evaluate_samples(out / variant)


def evaluate_samples(folder: Path) -> None:
    """`formcheck evaluate` of the sample reports in `folder` against their truth."""
    reports = folder / "eval"
    for truth in SAMPLES.glob("*.truth.json"):
        clip = truth.name.removesuffix(".truth.json")
        report = folder / f"video_{clip}" / "report.json"
        if report.is_file():
            (reports / clip).mkdir(parents=True, exist_ok=True)
            (reports / clip / "report.json").write_bytes(report.read_bytes())
    subprocess.run([formcheck(), "evaluate", str(SAMPLES), "--reports", str(reports), "--no-progress",
                    "--json", str(folder / "eval.json")], capture_output=True, text=True)


def _report(folder: Path) -> dict | None:
    path = folder / "report.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _angles(folder: Path) -> dict[str, np.ndarray]:
    """metrics.csv's angle columns (unit deg), NaN where not measured."""
    from formcheck.kinematics.catalog import lookup

    with open(folder / "metrics.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    columns: dict[str, np.ndarray] = {}
    for name in rows[0] if rows else []:
        found = lookup(name)
        if found is not None and found[0].unit == "deg":
            columns[name] = np.array([float(r[name]) if r[name] not in ("", None) else math.nan for r in rows])
    return columns


def compare_run(full: Path, other: Path) -> dict:
    """One clip and exercise: the variant's judgements and angles beside full's."""
    a, b = _report(full), _report(other)
    if a is None or b is None:
        return {"missing": True}
    row = {
        "reps": (len(a["reps"]), len(b["reps"])),
        "holds": (len(a["holds"]), len(b["holds"])),
        "hold_s": (round(sum(h["duration_s"] or 0 for h in a["holds"]), 2),
                   round(sum(h["duration_s"] or 0 for h in b["holds"]), 2)),
        "violations": (len(a["violations"]), len(b["violations"])),
    }
    angles_a, angles_b = _angles(full), _angles(other)
    diffs: dict[str, np.ndarray] = {}
    for name, values in angles_a.items():
        if name in angles_b and len(angles_b[name]) == len(values):
            both = np.isfinite(values) & np.isfinite(angles_b[name])
            diffs[name] = np.abs(values[both] - angles_b[name][both])
    row["angle_abs_diff_deg"] = diffs
    return row


def run_compare(out: Path, reference: Path | None, only: tuple[str, ...] = ()) -> dict:
    """Each variant beside full: judgements that differ, angle differences (samples and real clips apart)."""
    full_root = reference if reference is not None else out / "full"
    summary: dict = {}
    for variant in ("lite", "heavy"):
        rows, pooled, by_metric = {}, {"samples": [], "real": []}, {}
        for name, _video, exercises in jobs():
            if only and name.removeprefix("real_") not in only:
                continue
            for k, exercise in enumerate(exercises):
                folder = folder_name(name, exercise)
                row = compare_run(full_root / folder, out / variant / folder)
                if row.get("missing"):
                    continue
                diffs = row.pop("angle_abs_diff_deg")
                if k == 0:  # the same track for every exercise of a clip: its angles once
                    group = "real" if name.startswith("real_") else "samples"
                    pooled[group].extend(diffs.values())
                    for metric in KEY_ANGLES:
                        by_metric.setdefault(f"{group}: {metric}", []).extend(
                            d for m, d in diffs.items() if m.startswith(metric))
                rows[folder] = row
        same = {key: sum(1 for r in rows.values() if r[key][0] == r[key][1]) for key in ("reps", "holds", "violations")}
        summary[variant] = {
            "runs": len(rows), "same_as_full": same,
            "different": {folder: {k: v for k, v in r.items() if v[0] != v[1]} for folder, r in rows.items()
                          if any(v[0] != v[1] for k, v in r.items() if k != "hold_s")},
            "angle_abs_diff_deg": {group: _spread(parts) for group, parts in pooled.items()},
            "key_angle_abs_diff_deg": {key: _spread(parts) for key, parts in by_metric.items()},
            "sample_scores": _scores(out / variant / "eval.json"),
        }
    full_scores = (reference / "eval_videos.json") if reference else out / "full" / "eval.json"
    summary["full"] = {"sample_scores": _scores(full_scores)}
    return summary


def _spread(parts: list[np.ndarray]) -> dict | None:
    diffs = np.concatenate(parts) if parts else np.array([])
    if not diffs.size:
        return None
    return {"median": round(float(np.median(diffs)), 2), "p90": round(float(np.percentile(diffs, 90)), 2),
            "mean": round(float(np.mean(diffs)), 2), "values": int(diffs.size)}


def _scores(path: Path) -> dict | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return data.get("overall", data.get("summary"))


# ---------------------------------------------------------------------------------------------- speed


def analyze_speed(model: Path, clip: Path) -> dict:
    from formcheck.analyze import AnalyzeRequest, run_analyze

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        outcome = run_analyze(AnalyzeRequest(input=clip, out_dir=Path(out), exercise="single_leg_squat",
                                             write_video=False, model=model, progress=False))
        elapsed = time.perf_counter() - started
    frames = outcome.report["frames"]
    return {"frames": frames, "analyze_fps": round(frames / elapsed, 1),
            "pose_ms_per_frame": outcome.report["track"]["pose"]["ms_per_frame"]}


def live_speed(model: Path, seconds: float) -> dict:
    import os

    sys.path.insert(0, str(ROOT / "bench"))
    import bench_live

    video = Path(tempfile.gettempdir()) / "formcheck-bench-camera-640x480.mp4"
    if not video.is_file():
        bench_live.make_camera_video(video)
    window = bool(os.environ.get("DISPLAY"))
    result = bench_live.run_formcheck(video, model, seconds, window, "bridge")
    result.pop("rss", None)
    return {key: result.get(key) for key in ("displayed_fps", "latency_ms_median", "latency_ms_p95",
                                             "frames_displayed")} | {
        "window": window}


def run_speed(seconds: float) -> dict:
    results = {}
    for variant in VARIANTS:
        model = model_path(variant)
        results[variant] = analyze_speed(model, SPEED_CLIP) | live_speed(model, seconds)
        print(variant, json.dumps(results[variant]), flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("speed", "accuracy", "compare"))
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "formcheck-variants")
    parser.add_argument("--reference", type=Path, default=None, help="a behaviour snapshot of full's outputs")
    parser.add_argument("--variants", default="lite,heavy", help="for accuracy: the variants to run")
    parser.add_argument("--only", default="", help="for accuracy: these clips only (names, comma-separated)")
    parser.add_argument("--seconds", type=float, default=20.0, help="for speed: seconds of live per variant")
    args = parser.parse_args()
    if args.what == "speed":
        print(json.dumps(run_speed(args.seconds), indent=1))
    elif args.what == "accuracy":
        run_accuracy(args.out, tuple(args.variants.split(",")), tuple(filter(None, args.only.split(","))))
    else:
        only = tuple(filter(None, args.only.split(",")))
        print(json.dumps(run_compare(args.out, args.reference, only), indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
