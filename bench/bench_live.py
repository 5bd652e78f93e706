"""Live mode against a bare MediaPipe loop: displayed FPS, capture-to-display latency and memory over time.

A 640x480, 30 FPS video file stands in for the camera (made once from a sample clip, padded to 4:3, looped
for longer runs) and is played at its own frame rate by the same capture thread in every configuration,
so frames are dropped when a pipeline lags, as with a real camera. Each configuration runs in its own
process (clean memory figures), with the full model:

- ``bare_live_stream``: MediaPipe LIVE_STREAM mode, ``detect_async`` with a result callback; the main
  thread shows each result's frame with its landmarks drawn. The baseline.
- ``bare_video_thread``: MediaPipe VIDEO mode on a worker thread, newest frame only; same display.
- ``formcheck``: ``formcheck live`` itself (capture, pose worker, clean-up, smoothing, metrics, engine,
  set-up guidance, the big status strip), no sound.

Latency is from the moment a frame is available to the moment the image made from it is handed to the
display (``cv2.imshow`` when a display exists, e.g. under ``xvfb-run -a``; otherwise the hand-over
point). Memory is the process RSS sampled every second; the drift is RSS at the end minus RSS after the
warm-up (the first 10 s).

    xvfb-run -a .venv/bin/python bench/bench_live.py [--seconds 60] [--exercise bridge] [--model PATH]
    xvfb-run -a .venv/bin/python bench/bench_live.py --seconds 600 --only formcheck   # 10-minute memory run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_videos" / "bridge_side.mp4"
CONFIGS = ("bare_live_stream", "bare_video_thread", "formcheck")
WARMUP_S = 10.0


# ------------------------------------------------------------------------------------------ the input


def make_camera_video(path: Path, source: Path = SAMPLE, size: tuple[int, int] = (640, 480)) -> Path:
    """The sample clip letterboxed to 640x480 at 30 FPS (mp4v)."""
    from formcheck.pose.sources import open_video
    from formcheck.outputs.video_writer import open_video_writer

    writer, _ = open_video_writer(path, 30.0, size)
    with open_video(source) as video:
        for frame in video:
            image = frame.image
            h, w = image.shape[:2]
            scale = min(size[0] / w, size[1] / h)
            resized = cv2.resize(image, (round(w * scale), round(h * scale)))
            canvas = np.zeros((size[1], size[0], 3), np.uint8)
            y0, x0 = (size[1] - resized.shape[0]) // 2, (size[0] - resized.shape[1]) // 2
            canvas[y0 : y0 + resized.shape[0], x0 : x0 + resized.shape[1]] = resized
            writer.write(canvas)
    writer.release()
    return path


class LoopingVideo:
    """A video file played over and over as one source with increasing frame times (for long runs)."""

    def __init__(self, path: Path) -> None:
        from formcheck.pose.sources import open_video

        self.path = path
        self._open = open_video
        probe = open_video(path)
        self.fps, self.size = probe.fps, probe.size
        probe.close()
        self._current = None

    def __iter__(self):
        from formcheck.pose.sources import Frame

        offset_ms, index = 0, 0
        while True:
            with self._open(self.path) as video:
                self._current = video
                last = 0
                for frame in video:
                    last = frame.t_ms
                    yield Frame(index, offset_ms + frame.t_ms, frame.image)
                    index += 1
            offset_ms += last + round(1000.0 / self.fps)

    def close(self) -> None:
        if self._current is not None:
            self._current.close()


# ------------------------------------------------------------------------------------------- helpers


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


class RssSampler:
    """RSS every `interval_s` on a thread: (seconds since start, MB)."""

    def __init__(self, interval_s: float = 1.0) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._start = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._interval = interval_s
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter() - self._start, rss_mb()))
            self._stop.wait(self._interval)

    def stop(self) -> list[tuple[float, float]]:
        """The samples taken while the run went on (not after it: report building is not the loop)."""
        self._stop.set()
        self._thread.join()
        return self.samples


def _capture(video: Path):
    from formcheck.live.capture import Capture

    return Capture(lambda: LoopingVideo(video), paced=True, first_source=LoopingVideo(video))


def _draw(image: np.ndarray, landmarks) -> np.ndarray:
    out = image.copy()
    h, w = out.shape[:2]
    for p in landmarks:
        cv2.circle(out, (int(p.x * w), int(p.y * h)), 4, (255, 255, 255), -1)
    return out


def _display_fn(window: bool):
    if not window:
        return lambda image: None
    cv2.namedWindow("bench", cv2.WINDOW_AUTOSIZE)

    def show(image):
        cv2.imshow("bench", image)
        cv2.waitKey(1)

    return show


def _figures(shown: list[float], latencies: list[float], seconds: float) -> dict:
    shown_arr = np.asarray(shown)
    steady = shown_arr[shown_arr >= shown_arr[0] + 2.0] if shown_arr.size else shown_arr
    fps = (len(steady) - 1) / (steady[-1] - steady[0]) if len(steady) > 1 else 0.0
    lat = np.asarray(latencies[len(latencies) // 20 :])  # skip the model's first frames
    return {
        "displayed_fps": round(float(fps), 2),
        "latency_ms_median": round(float(np.median(lat)), 1) if lat.size else None,
        "latency_ms_p95": round(float(np.percentile(lat, 95)), 1) if lat.size else None,
        "frames_displayed": len(shown),
    }


# ------------------------------------------------------------------------------------------- configs


def run_bare(video: Path, model: Path, seconds: float, window: bool, live_stream: bool) -> dict:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from formcheck.live.worker import PoseWorker

    capture = _capture(video)
    show = _display_fn(window)
    results: list = []
    lock = threading.Condition()

    if live_stream:
        def on_result(result, image, t_ms):
            with lock:
                results.append((t_ms, result))
                lock.notify()

        mode, callback = vision.RunningMode.LIVE_STREAM, on_result
    else:
        mode, callback = vision.RunningMode.VIDEO, None
    options = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model)),
                                           running_mode=mode, num_poses=1, result_callback=callback)
    landmarker = vision.PoseLandmarker.create_from_options(options)
    shown, latencies = [], []
    sampler = RssSampler()
    capture.start()
    start = time.perf_counter()
    if live_stream:
        frames_by_t: dict[int, object] = {}
        last_seq = -1
        while time.perf_counter() - start < seconds:
            got = capture.slot.get_newer(last_seq, timeout=0.005)
            if got is not None:
                last_seq, frame = got
                frames_by_t[frame.t_ms] = frame
                rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
                landmarker.detect_async(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), frame.t_ms)
            with lock:
                ready, results[:] = list(results), []
            for t_ms, result in ready:
                frame = frames_by_t.pop(t_ms, None)
                if frame is None:
                    continue
                for stale in [t for t in frames_by_t if t < t_ms]:  # dropped by MediaPipe's flow limiter
                    del frames_by_t[stale]
                poses = result.pose_landmarks
                show(_draw(frame.image, poses[0]) if poses else frame.image)
                now = time.perf_counter()
                shown.append(now - start)
                latencies.append((now - frame.captured_at) * 1000.0)
    else:
        def detect(image, t_ms):
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            return landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), t_ms)

        worker = PoseWorker(detect, capture.slot).start()
        last_seq = -1
        while time.perf_counter() - start < seconds:
            got = worker.results.get_newer(last_seq, timeout=0.05)
            if got is None:
                continue
            last_seq, res = got
            poses = res.detected.pose_landmarks
            show(_draw(res.frame.image, poses[0]) if poses else res.frame.image)
            now = time.perf_counter()
            shown.append(now - start)
            latencies.append((now - res.frame.captured_at) * 1000.0)
        worker.stop()
    capture.stop()
    landmarker.close()
    out = _figures(shown, latencies, seconds)
    out["captured"] = capture.slot.put_count
    out["rss"] = sampler.stop()
    return out


def run_formcheck(video: Path, model: Path, seconds: float, window: bool, exercise: str) -> dict:
    from formcheck.live import LiveRequest, run_live
    from formcheck.live import session as live_session
    from formcheck.live.keys import NoWindow, Window
    from formcheck.live.sound import SoundBoard

    shown: list[float] = []
    latencies: list[float] = []
    start = time.perf_counter()
    original = live_session.LiveSession._display

    def timed_display(self, canvas, frame):  # the same hand-over point as the bare loops
        original(self, canvas, frame)
        now = time.perf_counter()
        shown.append(now - start)
        latencies.append((now - frame.captured_at) * 1000.0)

    live_session.LiveSession._display = timed_display
    sampler = RssSampler()
    with tempfile.TemporaryDirectory() as out:
        outcome = run_live(
            LiveRequest(camera=str(video), exercise=exercise, out_dir=Path(out), window=window, voice=False,
                        tones=False, model=model, max_seconds=seconds),
            window=(Window() if window else NoWindow()), sound=SoundBoard(voice=False, tones=False),
            capture=_capture(video),
        )
    result = _figures(shown, latencies, seconds)
    result["captured"] = outcome.stats.frames_captured
    result["reps"] = len(outcome.report["reps"])
    result["rss"] = sampler.stop()
    return result


# ---------------------------------------------------------------------------------------------- main


def _memory(samples: list[tuple[float, float]], seconds: float) -> dict:
    arr = np.asarray(samples)
    arr = arr[arr[:, 0] <= seconds]  # while the loop ran (not the report building after it)
    after = arr[arr[:, 0] >= WARMUP_S]
    if len(after) < 2:
        after = arr
    slope = np.polyfit(after[:, 0], after[:, 1], 1)[0] * 60.0 if len(after) > 2 else float("nan")
    return {"rss_mb_start": round(float(after[0, 1]), 1), "rss_mb_end": round(float(after[-1, 1]), 1),
            "rss_mb_peak": round(float(arr[:, 1].max()), 1), "rss_drift_mb": round(float(after[-1, 1] - after[0, 1]), 1),
            "rss_slope_mb_per_min": round(float(slope), 2),
            "rss_mb_each_minute": [round(float(arr[np.argmin(np.abs(arr[:, 0] - m))][1]), 1)
                                   for m in range(0, int(arr[-1, 0]) + 1, 60)]}


def child(args: argparse.Namespace) -> None:
    window = bool(os.environ.get("DISPLAY")) and not args.no_window
    cpu_start = os.times()
    if args.config == "formcheck":
        result = run_formcheck(args.video, args.model, args.seconds, window, args.exercise)
    else:
        result = run_bare(args.video, args.model, args.seconds, window, args.config == "bare_live_stream")
    result.update(_memory(result.pop("rss"), args.seconds))
    cpu_end = os.times()
    cpu_s = (cpu_end.user - cpu_start.user) + (cpu_end.system - cpu_start.system)
    result["cpu_ms_per_frame"] = round(1000.0 * cpu_s / max(1, result["frames_displayed"]), 1)
    result["window"] = window
    print(json.dumps(result))


def _median_row(results: list[dict]) -> dict:
    row = dict(results[0])
    for key, value in results[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values = [r[key] for r in results if r.get(key) is not None]
            row[key] = round(float(np.median(values)), 2) if values else None
    return row


def _ratio(a, b) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--exercise", default="bridge")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--only", choices=CONFIGS, action="append")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each configuration, interleaved; medians")
    parser.add_argument("--no-window", action="store_true")
    parser.add_argument("--config", choices=CONFIGS, help=argparse.SUPPRESS)
    parser.add_argument("--video", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.model is None:
        shared = ROOT.parent / "shared" / "models" / "pose_landmarker_full.task"
        if os.environ.get("FORMCHECK_MODEL"):
            args.model = Path(os.environ["FORMCHECK_MODEL"])
        elif shared.is_file():
            args.model = shared
        else:
            from formcheck.pose.model_store import resolve_model

            args.model = resolve_model(progress=False)
    if args.config:
        child(args)
        return 0
    configs = args.only or list(CONFIGS)
    runs: dict[str, list[dict]] = {c: [] for c in configs}
    with tempfile.TemporaryDirectory() as tmp:
        video = make_camera_video(Path(tmp) / "camera_640x480_30fps.mp4")
        for round_no in range(args.repeat):
            for config in configs:
                cmd = [sys.executable, __file__, "--config", config, "--video", str(video), "--model",
                       str(args.model), "--seconds", str(args.seconds), "--exercise", args.exercise]
                cmd += ["--no-window"] if args.no_window else []
                print(f"run {round_no + 1}/{args.repeat}: {config} for {args.seconds:.0f} s ...", file=sys.stderr,
                      flush=True)
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode != 0:
                    print(done.stderr, file=sys.stderr)
                    return 1
                runs[config].append(json.loads(done.stdout.strip().splitlines()[-1]))
    rows = {c: _median_row(r) for c, r in runs.items()}
    keys = ("displayed_fps", "latency_ms_median", "latency_ms_p95", "cpu_ms_per_frame", "rss_mb_start", "rss_mb_end", "rss_drift_mb",
            "rss_slope_mb_per_min", "frames_displayed", "captured")
    base = rows.get("bare_live_stream")
    header = f"{'figure':24}" + "".join(f"{c:>20}" for c in rows) + (
        "".join(f"{c + ' / base':>28}" for c in rows if c != "bare_live_stream") if base else "")
    print(f"camera: 640x480 30 FPS video file, played at its own rate for {args.seconds:.0f} s, "
          f"{args.repeat} interleaved run(s) per configuration (medians); "
          f"window: {next(iter(rows.values()))['window']}; model: {args.model.name}")
    print(header)
    for key in keys:
        line = f"{key:24}" + "".join(f"{str(rows[c].get(key)):>20}" for c in rows)
        if base:
            line += "".join(f"{_ratio(rows[c].get(key), base.get(key)):>28}" for c in rows if c != "bare_live_stream")
        print(line)
    if args.seconds >= 120:
        for config, row in rows.items():
            print(f"RSS each minute, {config}: {row['rss_mb_each_minute']} MB")
    if "formcheck" in rows and "reps" in rows["formcheck"]:
        print(f"formcheck counted {rows['formcheck']['reps']} reps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
