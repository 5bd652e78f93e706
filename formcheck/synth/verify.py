"""Check the renders against MediaPipe: detection rate and joint-angle error of the model versus the truth.

Angles are compared in the image plane (the same 2D formula on both), so the numbers measure how well the
model finds the drawn body, not camera projection effects. A lying body can be turned upright before detection
(clockwise by 90 or 270 degrees, formcheck's own `PoseEstimator` doing the turn and mapping the landmarks back).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from formcheck.landmarks import BODY_SIDES, INDEX, MIRROR, NUM_LANDMARKS
from formcheck.pose.estimator import PoseEstimator
from formcheck.track_io import read_track
from formcheck.synth.truth import read_truth

ANGLES: dict[str, tuple[str, str, str]] = {
    "hip_flexion": ("shoulder", "hip", "knee"),
    "knee_flexion": ("hip", "knee", "ankle"),
}


def detect_frames(frames: Iterable[np.ndarray], model_path: str | os.PathLike, fps: float, *,
                  turn_deg: int = 0) -> np.ndarray:
    """(n, 33, 4) landmarks (x, y normalised, z, visibility; NaN rows where nobody was found).

    Detected by formcheck's own `PoseEstimator` (VIDEO mode, one person), the frame turned clockwise by
    `turn_deg` (0, 90 or 270) before the model; the landmarks come back in the frame's own coordinates.
    """
    rows = []
    with PoseEstimator(model_path, num_poses=1, turn_deg=turn_deg) as estimator:
        for i, frame in enumerate(frames):
            detected = estimator.detect(frame, int(round(i * 1000 / fps)))
            rows.append(np.full((NUM_LANDMARKS, 4), np.nan) if detected is None else detected.landmarks)
    return np.stack(rows) if rows else np.zeros((0, NUM_LANDMARKS, 4))


def image_angles(landmarks: np.ndarray, size: tuple[int, int]) -> dict[str, np.ndarray]:
    """Per-frame 2D joint angles (degrees) in pixel space: hip and knee flexion per side."""
    xy = landmarks[..., :2] * np.array(size, dtype=float)
    out = {}
    for name, parts in ANGLES.items():
        for side in BODY_SIDES:
            a, b, c = (xy[:, INDEX[f"{side}_{p}"]] for p in parts)
            v1, v2 = a - b, c - b
            cross = np.abs(v1[:, 0] * v2[:, 1] - v1[:, 1] * v2[:, 0])
            out[f"{name}_{side}"] = 180.0 - np.degrees(np.arctan2(cross, np.sum(v1 * v2, axis=1)))
    return out


@dataclass(frozen=True)
class Agreement:
    """How well the model's landmarks agree with the truth over a clip."""

    frames: int
    detected: float  # fraction of frames with a pose
    angle_error_deg: dict[str, float]  # median |error| per angle over detected frames
    angle_error_p90_deg: dict[str, float]
    landmark_error_px: float  # median distance over the 12 body joints
    swapped: float  # fraction of detected frames where the legs fit better mirrored

    def summary(self) -> str:
        errs = " ".join(f"{k}={v:.1f}" for k, v in self.angle_error_deg.items())
        return (f"det {self.detected:.0%}  median |err| {errs}  p90 max "
                f"{max(self.angle_error_p90_deg.values(), default=math.nan):.1f}  "
                f"joints {self.landmark_error_px:.1f}px  legs swapped {self.swapped:.0%}")


BODY_JOINTS: tuple[str, ...] = tuple(f"{s}_{p}" for s in BODY_SIDES
                                      for p in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"))


def compare(truth: np.ndarray, found: np.ndarray, size: tuple[int, int]) -> Agreement:
    """Compare detected landmarks with the truth (both (n, 33, 4), normalised)."""
    n = len(truth)
    has = ~np.isnan(found[:, :, 0]).all(axis=1)
    if not has.any():
        return Agreement(n, 0.0, {}, {}, math.nan, 0.0)
    t_ang = image_angles(truth[has], size)
    f_ang = image_angles(found[has], size)
    med = {k: float(np.median(np.abs(f_ang[k] - t_ang[k]))) for k in t_ang}
    p90 = {k: float(np.percentile(np.abs(f_ang[k] - t_ang[k]), 90)) for k in t_ang}
    scale = np.array(size, dtype=float)
    idx = [INDEX[j] for j in BODY_JOINTS]
    t_xy = truth[has][:, idx, :2] * scale
    f_xy = found[has][:, idx, :2] * scale
    err = np.linalg.norm(t_xy - f_xy, axis=2)
    mirrored = found[has][:, list(MIRROR)][:, idx, :2] * scale
    err_m = np.linalg.norm(t_xy - mirrored, axis=2)
    swapped = float(np.mean(err_m.mean(axis=1) < 0.7 * err.mean(axis=1)))
    return Agreement(n, float(has.mean()), med, p90, float(np.median(err)), swapped)


def read_video_frames(path: str | os.PathLike) -> tuple[list[np.ndarray], float]:
    """All frames of a video file (BGR) and its frame rate."""
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames, float(fps)


@dataclass(frozen=True)
class ClipAgreement:
    """The model's agreement with one sample clip, upright and (for lying clips) turned by 90 degrees."""

    name: str
    position: str
    view: str
    upright: Agreement
    turned: Agreement | None
    turn: int  # clockwise degrees the frames were turned for `turned` (90 or 270; 0: not turned)


LYING = ("supine", "prone", "side_lying")


def verify_folder(folder: str | os.PathLike, model_path: str | os.PathLike, names: Iterable[str] = ()
                  ) -> list[ClipAgreement]:
    """Run the model on each clip's video in ``folder`` and compare with its ``NAME.track.csv``."""
    folder = Path(folder)
    wanted = set(names)
    results = []
    for truth_path in sorted(folder.glob("*.truth.json")):
        truth = read_truth(truth_path)
        name = truth["clip"]
        if wanted and name not in wanted:
            continue
        track = read_track(folder / f"{name}.track.csv")
        frames, fps = read_video_frames(folder / f"{name}.mp4")
        n = min(len(frames), len(track))
        upright = compare(track.landmarks[:n], detect_frames(frames[:n], model_path, fps), track.image_size)
        turned, turn = None, 0
        if truth["position"] in LYING:
            turn = _upright_turn(track.landmarks[:n])
            found = detect_frames(frames[:n], model_path, fps, turn_deg=turn)
            turned = compare(track.landmarks[:n], found, track.image_size)
        results.append(ClipAgreement(name, truth["position"], truth["view"], upright, turned, turn))
    return results


def _upright_turn(landmarks: np.ndarray) -> int:
    """90 (clockwise) when the head is to the image left of the hips, else 270: the turn that stands it up."""
    head_x = np.nanmedian(landmarks[:, INDEX["nose"], 0])
    hip_x = np.nanmedian((landmarks[:, INDEX["left_hip"], 0] + landmarks[:, INDEX["right_hip"], 0]) / 2)
    return 90 if head_x < hip_x else 270


def agreement_table(results: list[ClipAgreement]) -> str:
    """A markdown table of the results."""
    rows = ["## How MediaPipe sees them", "",
            "MediaPipe PoseLandmarker (full model, VIDEO mode) on the decoded mp4, compared with the true track: "
            "detection rate, median |error| of the image-plane hip and knee flexion angles (mean of the two sides), "
            "median joint position error, and frames where the legs came out swapped left/right. Lying clips "
            "also turned 90 degrees (head up) before detection.", "",
            "| clip | position | view | detected | hip err | knee err | joints px | legs swapped | turned 90: detected "
            "| hip err | knee err |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(f"| `{r.name}` | {r.position} | {r.view} | " + _cells(r.upright)
                    + (" | " + " | ".join(_cells(r.turned).split(" | ")[:3]) if r.turned else " | | |") + " |")
    return "\n".join(rows) + "\n"


def _cells(a: Agreement) -> str:
    if a.detected == 0:
        return "0% | - | - | - | -"
    hip = np.median([v for k, v in a.angle_error_deg.items() if k.startswith("hip")])
    knee = np.median([v for k, v in a.angle_error_deg.items() if k.startswith("knee")])
    return f"{a.detected:.0%} | {hip:.1f} | {knee:.1f} | {a.landmark_error_px:.1f} | {a.swapped:.0%}"
