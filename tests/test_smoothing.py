"""One Euro smoothing: gaps restart the filter, time is in seconds, streaming equals batch, jitter goes down."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.landmarks import INDEX, LEFT_KNEE, NUM_LANDMARKS
from formcheck.kinematics.smoothing import (
    DEFAULT_BETA,
    DEFAULT_D_CUTOFF_HZ,
    DEFAULT_MIN_CUTOFF_HZ,
    LandmarkSmoother,
    OneEuroFilter,
    smooth_track,
)
from formcheck.track import PoseTrack

IMAGE_SIZE = (1280, 720)
TORSO_PX = 170.0
BODY_PX = 3.5 * TORSO_PX

# Joint positions in torso lengths from the hip centre (x right, y down); the rest sit near these.
_JOINTS = {
    "left_shoulder": (0.37, -1.0), "right_shoulder": (-0.37, -1.0), "left_elbow": (0.45, -0.45),
    "right_elbow": (-0.45, -0.45), "left_wrist": (0.5, 0.05), "right_wrist": (-0.5, 0.05),
    "left_hip": (0.23, 0.0), "right_hip": (-0.23, 0.0), "left_knee": (0.25, 0.8), "right_knee": (-0.25, 0.8),
    "left_ankle": (0.25, 1.57), "right_ankle": (-0.25, 1.57),
}


def _base_pose() -> np.ndarray:
    """(33, 2) a standing person in torso lengths."""
    rng = np.random.default_rng(4)
    pose = np.zeros((NUM_LANDMARKS, 2))
    for i, name in enumerate(INDEX):
        if name in _JOINTS:
            pose[i] = _JOINTS[name]
        elif "heel" in name or "foot" in name:
            pose[i] = np.array(_JOINTS[name.split("_")[0] + "_ankle"]) + rng.uniform(0, 0.1, 2)
        elif any(part in name for part in ("pinky", "index", "thumb")):
            pose[i] = np.array(_JOINTS[name.split("_")[0] + "_wrist"]) + rng.uniform(0, 0.1, 2)
        else:  # face
            pose[i] = (rng.uniform(-0.1, 0.1), -1.3 + rng.uniform(-0.05, 0.05))
    return pose


def rep_motion(t_s: np.ndarray, period_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Hip drop in torso lengths: 1 s hold, a rep of `period_s` (0.6 torso down and up), 1 s hold, ..."""
    phase = np.mod(t_s, period_s + 2.0)
    moving = (phase > 1.0) & (phase < 1.0 + period_s)
    drop = np.where(moving, 0.6 * (1 - np.cos(2 * np.pi * (phase - 1.0) / period_s)) / 2, 0.0)
    return drop, moving


def make_track(
    n: int = 600,
    fps: float = 30.0,
    noise_frac: float = 0.005,
    period_s: float = 1.5,
    scale: float = 1.0,
    seed: int = 0,
    t_s: np.ndarray | None = None,
) -> tuple[PoseTrack, PoseTrack]:
    """(noisy, true) tracks of a person doing squat-like reps; noise as a fraction of body height."""
    rng = np.random.default_rng(seed)
    t_s = np.arange(n) / fps if t_s is None else t_s
    drop, _ = rep_motion(t_s, period_s)
    pose = np.repeat(_base_pose()[None], len(t_s), axis=0)
    pose[:, :, 1] += drop[:, None]  # the whole body drops (knees and ankles too: simple, rigid)
    true_px = np.stack([640 + TORSO_PX * scale * pose[:, :, 0], 330 + TORSO_PX * scale * pose[:, :, 1]], axis=-1)
    true_world = np.concatenate([pose * 0.47, np.zeros((len(t_s), NUM_LANDMARKS, 1))], axis=-1)

    def build(px: np.ndarray, world: np.ndarray) -> PoseTrack:
        landmarks = np.concatenate(
            [px / np.array(IMAGE_SIZE, dtype=float), world[:, :, 2:3] * 0, np.full((len(t_s), NUM_LANDMARKS, 1), 0.9)],
            axis=-1,
        )
        return PoseTrack(frame=np.arange(len(t_s)), t_s=t_s, image_size=IMAGE_SIZE, landmarks=landmarks, world=world)

    noisy_px = true_px + rng.normal(0, noise_frac * BODY_PX * scale, true_px.shape)
    noisy_world = true_world + rng.normal(0, noise_frac * 3.5 * 0.47, true_world.shape)
    return build(noisy_px, noisy_world), build(true_px, true_world)


def lag_s(output: np.ndarray, t_s: np.ndarray, period_s: float, moving: np.ndarray, base: float) -> float:
    """Delay of `output` behind the true rep motion, by least squares over the moving frames."""
    delays = np.arange(0.0, 0.3, 0.002)
    errors = [np.mean((output[moving] - base - rep_motion(t_s[moving] - d, period_s)[0]) ** 2) for d in delays]
    return float(delays[int(np.argmin(errors))])


# --- the filter itself ---------------------------------------------------------------------------


def test_first_sample_and_constant_input_pass_unchanged():
    one_euro = OneEuroFilter()
    x = np.array([[1.5, -2.0], [3.0, 0.25]])
    for i in range(5):
        np.testing.assert_array_equal(one_euro(i / 30, x), x)


def test_nan_is_a_gap_that_restarts_only_that_element():
    one_euro = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(10, 3))
    samples[5, 1] = np.nan
    out = np.array([one_euro(i / 30, samples[i]) for i in range(10)])
    assert np.isnan(out[5, 1]) and not np.isnan(out[5, [0, 2]]).any()
    assert out[6, 1] == samples[6, 1]  # first sample after the gap: the raw input
    assert out[7, 1] != samples[7, 1]  # smoothing again from there
    assert out[6, 0] != samples[6, 0]  # the other elements kept smoothing through


def test_reset_forgets_the_state():
    one_euro = OneEuroFilter()
    one_euro(0.0, np.array([0.0]))
    one_euro.reset()
    np.testing.assert_array_equal(one_euro(0.0, np.array([5.0])), [5.0])


@pytest.mark.parametrize("fps", [10.0, 30.0, 60.0])
def test_time_is_in_seconds_ramp_lag_is_the_time_constant(fps):
    """With beta = 0 a ramp lags by 1 / (2 pi min_cutoff) seconds whatever the frame rate."""
    one_euro = OneEuroFilter(min_cutoff=2.0, beta=0.0)
    t_s = np.arange(int(5 * fps)) / fps
    out = np.array([one_euro(t, np.array([3.0 * t]))[0] for t in t_s])
    assert (t_s[-1] - out[-1] / 3.0) == pytest.approx(1 / (2 * math.pi * 2.0), rel=1e-6)


def test_variable_frame_intervals_keep_the_lag_in_seconds():
    rng = np.random.default_rng(3)
    t_s = np.cumsum(rng.uniform(0.5, 1.5, 300)) / 30.0
    one_euro = OneEuroFilter(min_cutoff=2.0, beta=0.0)
    out = np.array([one_euro(t, np.array([3.0 * t]))[0] for t in t_s])
    lags = t_s[100:] - out[100:] / 3.0
    assert np.all(np.abs(lags / (1 / (2 * math.pi * 2.0)) - 1) < 0.25)


def test_vectorised_equals_element_by_element():
    rng = np.random.default_rng(1)
    samples = np.cumsum(rng.normal(size=(40, 2, 3)), axis=0)
    together = OneEuroFilter(min_cutoff=0.8, beta=0.4)
    out = np.array([together(i / 25, samples[i]) for i in range(40)])
    for index in np.ndindex(2, 3):
        alone = OneEuroFilter(min_cutoff=0.8, beta=0.4)
        single = [alone(i / 25, np.array(samples[(i, *index)]))[()] for i in range(40)]
        np.testing.assert_allclose(out[(slice(None), *index)], single, rtol=1e-12)


def test_beta_makes_fast_motion_lag_less():
    t_s = np.arange(60) / 30
    lagging = [OneEuroFilter(min_cutoff=1.0, beta=beta) for beta in (0.0, 2.0)]
    outs = [[f(t, np.array([2.0 * t]))[0] for t in t_s] for f in lagging]
    assert outs[1][-1] > outs[0][-1]  # closer to the true 2 * t


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"min_cutoff": 0}, "min_cutoff"), ({"beta": -1}, "beta"), ({"d_cutoff": float("nan")}, "d_cutoff")],
)
def test_parameters_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OneEuroFilter(**kwargs)


def test_misuse_is_refused():
    one_euro = OneEuroFilter()
    one_euro(1.0, np.zeros(3))
    with pytest.raises(ValueError, match="t_s must increase"):
        one_euro(1.0, np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        one_euro(2.0, np.zeros(4))


# --- tracks ----------------------------------------------------------------------------------------


def test_smooth_track_keeps_visibility_gaps_and_input():
    noisy, _ = make_track(n=120)
    landmarks, world = noisy.landmarks.copy(), noisy.world.copy()
    landmarks[40:44] = np.nan
    world[40:44] = np.nan
    track = noisy.replace(landmarks=landmarks, world=world)
    before = track.landmarks.copy()
    smoothed = smooth_track(track)
    np.testing.assert_array_equal(smoothed.visibility, track.visibility)
    assert np.isnan(smoothed.landmarks[40:44]).all() and np.isnan(smoothed.world[40:44]).all()
    # never across the gap: the first frame after it is the raw input
    np.testing.assert_array_equal(smoothed.landmarks[44], track.landmarks[44])
    np.testing.assert_array_equal(smoothed.world[44], track.world[44])
    assert not np.allclose(smoothed.landmarks[45:, :, :2], track.landmarks[45:, :, :2])
    assert np.array_equal(track.landmarks, before, equal_nan=True)
    assert smoothed.meta["smoothing"] == {
        "min_cutoff_hz": DEFAULT_MIN_CUTOFF_HZ, "beta": DEFAULT_BETA, "d_cutoff_hz": DEFAULT_D_CUTOFF_HZ,
    }


def test_a_distrusted_landmark_is_a_gap_for_the_filter():
    noisy, _ = make_track(n=60)
    landmarks = noisy.landmarks.copy()
    landmarks[30, LEFT_KNEE, :2] += 0.3  # a glitch the clean-up hid
    landmarks[30, LEFT_KNEE, 3] = 0.0
    smoothed = smooth_track(noisy.replace(landmarks=landmarks))
    np.testing.assert_array_equal(smoothed.landmarks[30, LEFT_KNEE], landmarks[30, LEFT_KNEE])  # passed through
    np.testing.assert_array_equal(smoothed.landmarks[31, LEFT_KNEE], landmarks[31, LEFT_KNEE])  # restarted
    np.testing.assert_array_equal(smoothed.world[30:32, LEFT_KNEE], noisy.world[30:32, LEFT_KNEE])


@pytest.mark.parametrize("with_world", [True, False])
def test_streaming_smoother_equals_batch(with_world):
    rng = np.random.default_rng(2)
    t_s = np.cumsum(rng.uniform(0.5, 1.5, 300)) / 30.0
    noisy, _ = make_track(t_s=t_s)
    landmarks = noisy.landmarks.copy()
    landmarks[100:103] = np.nan
    landmarks[150, 5:9, 3] = 0.0
    track = noisy.replace(landmarks=landmarks, world=noisy.world if with_world else None)
    batch = smooth_track(track, min_cutoff=0.7, beta=3.0, d_cutoff=1.2)
    smoother = LandmarkSmoother(track.image_size, min_cutoff=0.7, beta=3.0, d_cutoff=1.2)
    for i in range(len(track)):
        lm, world = smoother.update(float(t_s[i]), track.landmarks[i], None if track.world is None else track.world[i])
        np.testing.assert_array_equal(lm, batch.landmarks[i])
        if with_world:
            np.testing.assert_array_equal(world, batch.world[i])
        else:
            assert world is None and batch.world is None


def test_the_same_motion_is_smoothed_the_same_near_or_far():
    """Speeds count in torso lengths: a person half as big gets exactly half the pixel correction."""
    near, _ = make_track(n=200, scale=1.0, seed=9)
    far, _ = make_track(n=200, scale=0.5, seed=9)
    centre = np.array([640, 330]) / np.array(IMAGE_SIZE)
    near_out = smooth_track(near).landmarks[:, :, :2] - centre
    far_out = smooth_track(far).landmarks[:, :, :2] - centre
    np.testing.assert_allclose(far_out, 0.5 * near_out, rtol=1e-9, atol=1e-12)


def test_x_and_y_are_smoothed_alike_on_a_wide_frame():
    """Filtering happens in pixels: the same pixel motion in x and y gets the same smoothing."""
    noisy, _ = make_track(n=200)
    landmarks = noisy.landmarks.copy()
    px = noisy.xy_px
    landmarks[:, :, 1] = (px[:, :, 0] - 640 + 360) / IMAGE_SIZE[1]  # y in pixels mirrors x in pixels
    out = smooth_track(noisy.replace(landmarks=landmarks)).xy_px
    np.testing.assert_allclose(out[:, :, 1] - 360, out[:, :, 0] - 640, atol=1e-6)


@pytest.mark.parametrize("noise_frac", [0.003, 0.005, 0.01])
def test_default_parameters_reduce_jitter_with_small_lag(noise_frac):
    """The measurement behind the defaults: 30 fps, squat-like reps of 1.5 s between 1 s holds."""
    noisy, true = make_track(n=900, noise_frac=noise_frac, period_s=1.5)
    smoothed = smooth_track(noisy)
    _, moving = rep_motion(noisy.t_s, 1.5)
    settled = ~np.convolve(moving, np.ones(10), mode="full")[: len(moving)].astype(bool)  # 0.3 s after a rep
    settled[:60] = False  # and after the running torso estimate settled
    knee = (slice(None), LEFT_KNEE, 1)

    def hold_error(track: PoseTrack) -> float:
        return float(np.sqrt(np.mean((track.xy_px[knee] - true.xy_px[knee])[settled] ** 2)))

    def hold_jitter(track: PoseTrack) -> float:
        return float(np.std(np.diff(track.xy_px[knee])[settled[1:] & settled[:-1]]))

    world_error = np.std((noisy.world - true.world)[settled]) / np.std((smoothed.world - true.world)[settled])
    lag = lag_s(smoothed.xy_px[knee] / TORSO_PX, noisy.t_s, 1.5, moving, true.xy_px[0, LEFT_KNEE, 1] / TORSO_PX)
    assert hold_error(noisy) / hold_error(smoothed) > 2.2
    assert hold_jitter(noisy) / hold_jitter(smoothed) > 6
    assert world_error > 2.2
    assert lag <= 0.05


def test_default_parameters_barely_shorten_a_rep():
    """Smoothing must not hide how far a joint went (the knee-above-hip rule looks at extremes)."""
    _, true = make_track(n=900, noise_frac=0.0, period_s=1.0)
    smoothed = smooth_track(true)
    knee_drop = true.xy_px[:, LEFT_KNEE, 1] - true.xy_px[0, LEFT_KNEE, 1]
    smoothed_drop = smoothed.xy_px[:, LEFT_KNEE, 1] - true.xy_px[0, LEFT_KNEE, 1]
    assert 0 < knee_drop.max() - smoothed_drop.max() < 0.02 * TORSO_PX
