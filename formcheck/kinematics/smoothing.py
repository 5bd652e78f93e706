"""One Euro filtering of pose landmarks (Casiez, Roussel and Vogel, CHI 2012), never across a gap.

The One Euro filter is a low-pass filter whose cutoff rises with speed: still landmarks are smoothed
hard (little jitter), moving ones lightly (little lag). Per coordinate and time step ``dt``::

    alpha(fc) = 1 / (1 + 1 / (2 pi fc dt))
    dx_hat    = dx_hat + alpha(d_cutoff) * ((x - x_hat) / dt - dx_hat)     # filtered speed
    cutoff    = min_cutoff + beta * |dx_hat| / scale
    x_hat     = x_hat + alpha(cutoff) * (x - x_hat)

`min_cutoff` and `d_cutoff` are in Hz. `beta` is in Hz per (torso length per second): image landmarks are
filtered in pixels (so x and y mean the same on any aspect ratio) and their speed is divided by the running
torso length in pixels (see `quality.torso_scale`); world landmarks are filtered in metres, their speed
divided by the world torso length. One set of parameters therefore behaves the same for a person near or
far from the camera. A NaN sample (no pose, or a landmark the clean-up set to visibility 0) restarts the
filter for that coordinate: the first sample after it is passed through unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.kinematics.quality import TorsoScale, torso_scale
from formcheck.track import PoseTrack

# Chosen by measurement (tests/test_smoothing.py repeats it) on squat-like reps (0.6 torso lengths down and up
# in 1 to 2.5 s, 1 s holds between) with white jitter of 0.3 to 1% of body height, at 30 fps: during holds the
# error against the true position drops 2.5 to 3.4 times and the frame-to-frame jitter about 9 times, while the
# lag during a rep stays 36 to 50 ms (about one frame) and a rep's extreme falls short by 0.5 to 1.1% of a torso
# length (2% for a 0.6 s rep). Lower min_cutoff or beta smooth holds harder but lag more; at 10 fps the hold
# error drops about 2 times.
DEFAULT_MIN_CUTOFF_HZ = 0.5
DEFAULT_BETA = 2.0
DEFAULT_D_CUTOFF_HZ = 1.0
SCALE_WINDOW_FRAMES = 61
FALLBACK_WORLD_TORSO_M = 0.5


def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray | float:
    return 1.0 / (1.0 + 1.0 / (2.0 * math.pi * cutoff_hz * dt_s))


def _check_parameters(min_cutoff: float, beta: float, d_cutoff: float) -> None:
    if not (math.isfinite(min_cutoff) and min_cutoff > 0):
        raise ValueError(f"min_cutoff must be a positive number of Hz, got {min_cutoff}")
    if not (math.isfinite(beta) and beta >= 0):
        raise ValueError(f"beta must be >= 0, got {beta}")
    if not (math.isfinite(d_cutoff) and d_cutoff > 0):
        raise ValueError(f"d_cutoff must be a positive number of Hz, got {d_cutoff}")


class OneEuroFilter:
    """A One Euro filter over an array of any shape, fed samples with their time in seconds.

    ``filter(t_s, x, scale=1.0) -> x_hat``: `x` keeps its shape from call to call; the speed is divided
    by `scale` (broadcast to x) before `beta` applies. NaN elements pass through as NaN and restart
    those elements; the first sample of an element is returned unchanged. Time must increase.
    """

    def __init__(
        self,
        min_cutoff: float = DEFAULT_MIN_CUTOFF_HZ,
        beta: float = DEFAULT_BETA,
        d_cutoff: float = DEFAULT_D_CUTOFF_HZ,
    ) -> None:
        _check_parameters(min_cutoff, beta, d_cutoff)
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.reset()

    def reset(self) -> None:
        """Forget everything: the next sample passes through unchanged."""
        self._x_hat: np.ndarray | None = None
        self._dx_hat: np.ndarray | None = None
        self._t_s: float | None = None

    def __call__(self, t_s: float, x: np.ndarray, scale: np.ndarray | float = 1.0) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self._x_hat is None or self._t_s is None:
            self._x_hat = x.copy()
            self._dx_hat = np.where(np.isnan(x), np.nan, 0.0)
            self._t_s = t_s
            return x.copy()
        if x.shape != self._x_hat.shape:
            raise ValueError(f"sample has shape {x.shape}, the filter was started with {self._x_hat.shape}")
        dt_s = t_s - self._t_s
        if not dt_s > 0:
            raise ValueError(f"t_s must increase: got {t_s} after {self._t_s}")
        with np.errstate(invalid="ignore"):
            dx_hat = self._dx_hat + _alpha(self.d_cutoff, dt_s) * ((x - self._x_hat) / dt_s - self._dx_hat)
            cutoff = self.min_cutoff + self.beta * np.abs(dx_hat) / scale
            x_hat = self._x_hat + _alpha(cutoff, dt_s) * (x - self._x_hat)
        fresh = np.isnan(self._x_hat)  # no state yet (start or after a gap): pass the sample through
        x_hat = np.where(fresh, x, x_hat)  # NaN input gives NaN, which restarts that element next time
        dx_hat = np.where(fresh, 0.0, dx_hat)
        dx_hat[np.isnan(x)] = np.nan
        self._x_hat, self._dx_hat, self._t_s = x_hat, dx_hat, t_s
        return x_hat.copy()

    filter = __call__


@dataclass(frozen=True)
class _Columns:
    """How a (33, 4) landmarks row and a (33, 3) world row map to the filtered (33, 6) block."""

    image_size: tuple[int, int]

    def to_block(self, landmarks: np.ndarray, world: np.ndarray | None) -> np.ndarray:
        """(..., 33, 6): x, y, z in pixels (z on x's scale, as MediaPipe defines it), then world x, y, z."""
        width, height = self.image_size
        image = landmarks[..., :3] * np.array([width, height, width], dtype=float)
        # A landmark the clean-up distrusts (visibility exactly 0) is a gap for the filter.
        hidden = (landmarks[..., 3] == 0)[..., None]
        image = np.where(hidden, np.nan, image)
        if world is None:
            world_part = np.full(image.shape, np.nan)
        else:
            world_part = np.where(hidden, np.nan, world)
        return np.concatenate([image, world_part], axis=-1)

    def from_block(
        self, block: np.ndarray, landmarks: np.ndarray, world: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Filtered values back into copies of the inputs; hidden landmarks keep their raw values."""
        width, height = self.image_size
        out_landmarks = landmarks.copy()
        image = block[..., :3] / np.array([width, height, width], dtype=float)
        hidden = (landmarks[..., 3] == 0)[..., None]
        out_landmarks[..., :3] = np.where(hidden, landmarks[..., :3], image)
        out_world = None
        if world is not None:
            out_world = np.where(hidden, world, block[..., 3:])
        return out_landmarks, out_world


def _scales(torso_px: np.ndarray | float, torso_m: np.ndarray | float, image_height: int) -> np.ndarray:
    """(..., 1, 6) speed scales: torso length in pixels for image columns, in metres for world columns.

    Before any torso could be measured, a person filling the frame height (torso = height / 3) and a
    0.5 m world torso stand in.
    """
    torso_px, torso_m = np.broadcast_arrays(np.asarray(torso_px, dtype=float), np.asarray(torso_m, dtype=float))
    torso_px = np.where(np.isnan(torso_px), image_height / 3, torso_px)[..., None, None]
    torso_m = np.where(np.isnan(torso_m), FALLBACK_WORLD_TORSO_M, torso_m)[..., None, None]
    image_part = np.broadcast_to(torso_px, torso_px.shape[:-1] + (3,))
    world_part = np.broadcast_to(torso_m, torso_m.shape[:-1] + (3,))
    return np.concatenate([image_part, world_part], axis=-1)


def smooth_track(
    track: PoseTrack,
    *,
    min_cutoff: float = DEFAULT_MIN_CUTOFF_HZ,
    beta: float = DEFAULT_BETA,
    d_cutoff: float = DEFAULT_D_CUTOFF_HZ,
) -> PoseTrack:
    """The track with x, y, z and world landmarks One Euro filtered; visibility untouched.

    Never smooths across a gap (a frame without a pose, or a landmark at visibility 0). The settings are
    recorded in ``meta["smoothing"]``. Identical to `LandmarkSmoother` fed the same frames.
    """
    _check_parameters(min_cutoff, beta, d_cutoff)
    columns = _Columns(track.image_size)
    block = columns.to_block(track.landmarks, track.world)
    scales = _scales(
        torso_scale(block[..., 0:2], SCALE_WINDOW_FRAMES),
        torso_scale(block[..., 3:6], SCALE_WINDOW_FRAMES) if track.world is not None else 1.0,
        track.image_size[1],
    )
    scales = np.broadcast_to(scales, (len(track), 1, 6))
    one_euro = OneEuroFilter(min_cutoff, beta, d_cutoff)
    smoothed = np.empty_like(block)
    for i in range(len(track)):
        smoothed[i] = one_euro(float(track.t_s[i]), block[i], scales[i])
    landmarks, world = columns.from_block(smoothed, track.landmarks, track.world)
    meta = {**track.meta, "smoothing": {"min_cutoff_hz": min_cutoff, "beta": beta, "d_cutoff_hz": d_cutoff}}
    return track.replace(landmarks=landmarks, world=world, meta=meta)


class LandmarkSmoother:
    """Streaming twin of `smooth_track` for live use.

    ``update(t_s, landmarks (33, 4), world (33, 3) | None) -> (landmarks, world)``, frames in time order.
    """

    def __init__(
        self,
        image_size: tuple[int, int],
        *,
        min_cutoff: float = DEFAULT_MIN_CUTOFF_HZ,
        beta: float = DEFAULT_BETA,
        d_cutoff: float = DEFAULT_D_CUTOFF_HZ,
    ) -> None:
        self._columns = _Columns(image_size)
        self._filter = OneEuroFilter(min_cutoff, beta, d_cutoff)
        self._torso_px = TorsoScale(SCALE_WINDOW_FRAMES)
        self._torso_m = TorsoScale(SCALE_WINDOW_FRAMES)

    def reset(self) -> None:
        self._filter.reset()
        self._torso_px.reset()
        self._torso_m.reset()

    def update(
        self, t_s: float, landmarks: np.ndarray, world: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        landmarks = np.asarray(landmarks, dtype=float)
        world = None if world is None else np.asarray(world, dtype=float)
        block = self._columns.to_block(landmarks, world)
        torso_px = self._torso_px.update(block[:, 0:2])
        torso_m = self._torso_m.update(block[:, 3:6]) if world is not None else 1.0
        smoothed = self._filter(t_s, block, _scales(torso_px, torso_m, self._columns.image_size[1]))
        return self._columns.from_block(smoothed, landmarks, world)
