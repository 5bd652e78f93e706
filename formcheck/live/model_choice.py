"""Which pose model live runs: the variant asked for, or by default full, unless full is too slow here.

With `--model-variant auto` (the default) live starts on full and times the model over its first
`PROBE_S` seconds. When the median time per frame leaves fewer than `TARGET_FPS` frames a second,
it obtains lite (cache, download or build, on a background thread so the session goes on), switches
to it between two frames and says so on screen. A variant named, or a file given with --model, is
kept whatever its speed. `LiveModel.detect` is what the pose worker calls.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from formcheck.errors import FormcheckError
from formcheck.pose.model_store import VARIANTS, ModelFile, find_model

AUTO = "auto"
LIVE_VARIANTS: tuple[str, ...] = (AUTO, *VARIANTS)
FALLBACK_VARIANT = "lite"
TARGET_FPS = 25.0
PROBE_S = 3.0  # the first seconds of frames over which the model is timed
WARMUP_FRAMES = 5  # the first frames are slow (graph start-up) and not counted
MIN_PROBE_FRAMES = 15
NOTICE_S = 8.0  # how long the switch stays on screen


class Estimator(Protocol):
    """What live needs of a pose estimator (`formcheck.pose.estimator.PoseEstimator`)."""

    def detect(self, image: np.ndarray, t_ms: int): ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SpeedCheck:
    """The model's speed over the first seconds: frames timed and their median time."""

    frames: int
    pose_ms_median: float

    @property
    def fps(self) -> float:
        return 1000.0 / self.pose_ms_median if self.pose_ms_median > 0 else float("inf")

    @property
    def keeps_up(self) -> bool:
        return self.fps >= TARGET_FPS

    def as_dict(self) -> dict:
        return {"frames": self.frames, "pose_ms_median": round(self.pose_ms_median, 1),
                "fps": round(min(self.fps, 1000.0), 1), "target_fps": TARGET_FPS}


def check_speed(pose_ms: list[float]) -> SpeedCheck:
    """The speed of the frames after the warm-up."""
    timed = pose_ms[WARMUP_FRAMES:] or pose_ms
    return SpeedCheck(len(timed), float(np.median(timed)) if timed else 0.0)


class LiveModel:
    """The pose model of a live session; `detect(image, t_ms)` runs on the pose worker's thread.

    Args:
        model: the model the session starts with.
        open_estimator: makes an estimator for a model file.
        auto: time the model over the first seconds and switch to the fallback when it is too slow.
        find_fallback: obtains the fallback model (lite); may raise FormcheckError.
    """

    def __init__(self, model: ModelFile, open_estimator: Callable[[Path], Estimator], *, auto: bool,
                 find_fallback: Callable[[], ModelFile], clock: Callable[[], float] = time.perf_counter) -> None:
        self.model = model
        self.auto = auto
        self.speed: SpeedCheck | None = None
        self.switched_from: str | None = None
        self.note: str | None = None
        self._note_at = 0.0
        self._open = open_estimator
        self._find_fallback = find_fallback
        self._clock = clock
        self._estimator = open_estimator(model.path)
        self._probing = auto
        self._times: list[float] = []
        self._started: float | None = None
        self._lock = threading.Lock()
        self._pending: tuple[ModelFile, Estimator] | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "LiveModel":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def detect(self, image: np.ndarray, t_ms: int):
        """The pose in one frame, by the model in use (switched to the fallback between frames when due)."""
        self._swap_if_ready()
        started = self._clock()
        detected = self._estimator.detect(image, t_ms)
        if self._probing:
            self._time(started, self._clock())
        return detected

    def notice(self, now: float) -> str | None:
        """The on-screen note about the model, while it is fresh."""
        return self.note if self.note is not None and now - self._note_at < NOTICE_S else None

    def report_fields(self) -> dict:
        """The model's entries in report.json's track.pose section."""
        choice = {"asked": AUTO if self.auto else self.model.variant, "switched_from": self.switched_from,
                  "speed_check": self.speed.as_dict() if self.speed else None, "note": self.note}
        return {**self.model.report_fields(), "model_choice": choice}

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=60.0)
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            pending[1].close()
        self._estimator.close()

    def _time(self, started: float, ended: float) -> None:
        self._times.append((ended - started) * 1000.0)
        self._started = started if self._started is None else self._started
        if ended - self._started < PROBE_S or len(self._times) < WARMUP_FRAMES + MIN_PROBE_FRAMES:
            return
        self._probing = False
        self.speed = check_speed(self._times)
        if not self.speed.keeps_up:
            self._thread = threading.Thread(target=self._obtain_fallback, name="model-fallback", daemon=True)
            self._thread.start()

    def _obtain_fallback(self) -> None:
        """On a background thread: obtain and open the fallback model, for the worker to switch to."""
        assert self.speed is not None
        try:
            model = self._find_fallback()
            estimator = self._open(model.path)
        except FormcheckError as exc:
            self._set_note(f"The {self.model.variant} pose model runs at {self.speed.fps:.0f} FPS here; "
                           f"the {FALLBACK_VARIANT} model is not available ({str(exc)[:120]})")
            return
        with self._lock:
            self._pending = (model, estimator)

    def _swap_if_ready(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is None:
            return
        old, slow = self._estimator, self.model
        self.model, self._estimator = pending
        old.close()
        self.switched_from = slow.variant
        assert self.speed is not None
        self._set_note(f"Switched to the {self.model.variant} pose model: {slow.variant} ran at "
                       f"{self.speed.fps:.0f} FPS here (below {TARGET_FPS:.0f})")

    def _set_note(self, text: str) -> None:
        self.note, self._note_at = text, self._clock()


def open_live_model(model_path: str | os.PathLike | None, variant: str = AUTO) -> LiveModel:
    """The session's model: --model, else the variant asked for; `auto` may switch a full model to lite."""
    from formcheck.pose.estimator import PoseEstimator

    auto = variant == AUTO
    model = find_model(model_path, variant=None if auto else variant, progress=True)
    can_switch = auto and model.source != "option" and model.variant == "full"
    return LiveModel(model, PoseEstimator, auto=can_switch,
                     find_fallback=lambda: find_model(variant=FALLBACK_VARIANT, progress=False))
