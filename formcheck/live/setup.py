"""Set-up guidance before the exercise: light, whole body in the picture, distance, camera view, start position.

`SetupGuide.update(...)` is called per frame and says what to tell the patient, one thing at a time,
in this order: too dark, nobody in view, body cut off, too close / too far, wrong camera view, the body turned
outside the exercise's set-up (the same check its rules are gated by: "turn to face the camera"), the camera
clearly below the heights the exercise is judged from (`camera_watch`, when given the world landmarks); once
all is well for `settle_s`, "get into the starting position" until the engine sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.engine.plan import turn_problem
from formcheck.kinematics.context import VIEWS
from formcheck.live.camera_watch import CameraWatch
from formcheck.landmarks import INDEX
from formcheck.specs.spec import POSITION_OF_START, ExerciseSpec

MIN_BRIGHTNESS = 45.0  # mean grey level (0-255) below which the picture is too dark for the model
MIN_VISIBILITY = 0.5
EDGE_MARGIN = 0.01  # landmarks this close to the border (fraction of the frame) count as cut off
TOO_CLOSE_EXTENT = 0.95  # the body fills more than this fraction of the frame (width or height)
TOO_FAR_EXTENT = 0.35  # the body fills less than this fraction in both directions
BODY_PARTS: dict[str, tuple[str, ...]] = {
    "head": ("nose",),
    "shoulders": ("left_shoulder", "right_shoulder"),
    "hips": ("left_hip", "right_hip"),
    "knees": ("left_knee", "right_knee"),
    "feet": ("left_ankle", "right_ankle"),
}
SETUP, POSITION, EXERCISE = "setup", "position", "exercise"


@dataclass(frozen=True)
class SetupAdvice:
    """The stage of the session and what to tell the patient now (None: nothing)."""

    stage: str
    message: str | None
    problem: str | None = None  # "dark", "nobody", "cut_off", "too_close", "too_far", "view", "turned" or None


def brightness(image: np.ndarray) -> float:
    """Mean grey level of a BGR image (sampled every 8th pixel; 0-255)."""
    sample = image[::8, ::8].astype(np.float32)
    return float((sample[..., 0] * 0.114 + sample[..., 1] * 0.587 + sample[..., 2] * 0.299).mean())


def parts_out_of_frame(landmarks: np.ndarray) -> list[str]:
    """Body parts (head, shoulders, hips, knees, feet) not visible inside the frame."""
    missing = []
    for part, names in BODY_PARTS.items():
        rows = landmarks[[INDEX[n] for n in names]]
        inside = (rows[:, 0] >= EDGE_MARGIN) & (rows[:, 0] <= 1 - EDGE_MARGIN) & (rows[:, 1] >= EDGE_MARGIN) & (
            rows[:, 1] <= 1 - EDGE_MARGIN)
        seen = np.nan_to_num(rows[:, 3]) >= MIN_VISIBILITY
        if not (inside & seen).any():
            missing.append(part)
    return missing


def body_extent(landmarks: np.ndarray) -> float:
    """The larger of the body's width and height as fractions of the frame's (visible landmarks only)."""
    seen = np.nan_to_num(landmarks[:, 3]) >= MIN_VISIBILITY
    if seen.sum() < 4:
        return float("nan")
    xy = landmarks[seen, :2]
    span = xy.max(axis=0) - xy.min(axis=0)
    return float(max(span[0], span[1]))


def body_turn(values: np.ndarray, names: tuple[str, ...]) -> float:
    """The body turn (degrees) in a metric row with these column names; NaN when it has none."""
    return float(values[names.index("body_turn")]) if "body_turn" in names else float("nan")


def turn_advice(spec: ExerciseSpec, turn_deg: float) -> SetupAdvice | None:
    """How to move when the body is turned outside the exercise's set-up (the check its rules are gated by)."""
    found = turn_problem(spec, turn_deg)
    if found is None:
        return None
    seen = f"turned {found.seen_deg:.0f} degrees, needs under {found.limit_deg:g}"
    if found.kind == "frontal":
        return SetupAdvice(SETUP, f"Turn to face the camera squarely ({seen}): the knee and hip angles are "
                                  "read from the front", "turned")
    if spec.view == "side":
        return SetupAdvice(SETUP, f"Turn side-on to the camera, or move it to your side ({seen})", "turned")
    return SetupAdvice(SETUP, f"Turn to face the camera, or move it in front of you ({seen})", "turned")


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class SetupGuide:
    """Per-frame set-up advice for one exercise (see the module docstring)."""

    def __init__(self, spec: ExerciseSpec, *, settle_s: float = 1.0, lost_s: float = 2.0) -> None:
        self.spec = spec
        self.settle_s = settle_s
        self.lost_s = lost_s
        self.stage = SETUP
        self._good_since: float | None = None
        self._last_seen_s: float | None = None
        self._camera: CameraWatch | None = None

    def check(self, image: np.ndarray, landmarks: np.ndarray | None, view_code: int,
              turn_deg: float = float("nan")) -> SetupAdvice | None:
        """The first set-up problem in this frame, or None when the set-up is right (``turn_deg``: the body
        turn, the ``body_turn`` metric; NaN when unknown)."""
        if brightness(image) < MIN_BRIGHTNESS:
            return SetupAdvice(SETUP, "Too dark: turn on a light or face a window", "dark")
        if landmarks is None or np.isnan(landmarks[:, 0]).all():
            return SetupAdvice(SETUP, "Step into the picture so the camera sees all of you", "nobody")
        missing = parts_out_of_frame(landmarks)
        if missing:
            verb = "is" if len(missing) == 1 and not missing[0].endswith("s") else "are"
            return SetupAdvice(SETUP, f"Your {_join(missing)} {verb} out of the picture: move back or move the camera",
                               "cut_off")
        extent = body_extent(landmarks)
        if extent > TOO_CLOSE_EXTENT:
            return SetupAdvice(SETUP, "Too close: step back from the camera", "too_close")
        if extent < TOO_FAR_EXTENT:
            return SetupAdvice(SETUP, "Too far: come closer to the camera", "too_far")
        seen_view = VIEWS[view_code]
        if seen_view in ("front", "side") and seen_view != self.spec.view:
            want = "from the side" if self.spec.view == "side" else "from the front"
            return SetupAdvice(SETUP, f"Turn or move the camera: it should see you {want}", "view")
        turned = turn_advice(self.spec, turn_deg)
        if turned is not None:
            return turned
        low = self._camera.problem(self.spec) if self._camera is not None else None
        return SetupAdvice(SETUP, low, "camera_low") if low else None

    def update(self, t_s: float, image: np.ndarray, landmarks: np.ndarray | None, view_code: int,
               in_position: bool, turn_deg: float = float("nan"), world: np.ndarray | None = None) -> SetupAdvice:
        """Advance the guidance by one frame (``world``: the frame's world landmarks, for the camera height)."""
        has_pose = landmarks is not None and not np.isnan(landmarks[:, 0]).all()
        if world is not None and self.stage != EXERCISE:
            if self._camera is None:
                self._camera = CameraWatch((image.shape[1], image.shape[0]))
            self._camera.update(landmarks if has_pose else None, world)
        if has_pose:
            self._last_seen_s = t_s
        if self.stage == EXERCISE:
            if not has_pose and (self._last_seen_s is None or t_s - self._last_seen_s >= self.lost_s):
                return SetupAdvice(EXERCISE, "Step back into the picture", "nobody")
            return SetupAdvice(EXERCISE, None)
        if in_position:
            self.stage = EXERCISE
            return SetupAdvice(EXERCISE, None)
        problem = self.check(image, landmarks, view_code, turn_deg)
        if problem is not None:
            self._good_since = None
            if self.stage == POSITION and problem.problem in ("view", "turned", "too_close", "too_far"):
                problem = None  # moving into a lying position changes these; keep asking for the position
            else:
                self.stage = SETUP
                return problem
        if self._good_since is None:
            self._good_since = t_s
        if self.stage == SETUP and t_s - self._good_since < self.settle_s:
            return SetupAdvice(SETUP, "Hold still: checking the set-up")
        self.stage = POSITION
        start = POSITION_OF_START.get(self.spec.start_position, self.spec.start_position).replace("_", " ")
        return SetupAdvice(POSITION, f"Get into the starting position ({start})")
