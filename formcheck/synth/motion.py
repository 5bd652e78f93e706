"""Motion scripts: keyframes over time with smooth (minimum-jerk) moves, timing jitter, sway and tremor.

A script is written with a ``Timeline``: ``move`` to new joint angles over a duration, ``stay``, and drop marks
where reps and holds start and end. ``sample`` turns it into per-frame channels; ``add_noise`` adds sway.

    tl = Timeline(Pose(), rng)
    tl.stay(1.0).mark("rep", "start").move(1.2, knee_flexion_left_deg=60).move(1.2, knee_flexion_left_deg=0)
    tl.mark("rep", "end")
    motion = add_noise(tl.sample(fps=30), rng, NoiseLevels())
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from formcheck.synth.body import POSE_CHANNELS, Pose


@dataclass(frozen=True)
class Mark:
    """A moment of the script: a rep or hold starting or ending (``full`` False = a partial rep)."""

    t_s: float
    kind: str  # "rep" | "hold"
    edge: str  # "start" | "end"
    side: str | None = None
    full: bool = True
    note: str = ""


@dataclass(frozen=True)
class Motion:
    """A sampled script: times, one array per pose channel, the anchor in use per frame, and the marks."""

    t_s: np.ndarray
    channels: dict[str, np.ndarray]
    orientation: str
    anchors: tuple[str, ...]
    marks: tuple[Mark, ...]

    def __len__(self) -> int:
        return len(self.t_s)

    def pose(self, i: int) -> Pose:
        """The pose of frame ``i``."""
        return Pose(orientation=self.orientation, **{k: float(v[i]) for k, v in self.channels.items()})


@dataclass
class _Key:
    t_s: float
    values: dict[str, float]


class Timeline:
    """Builds a motion script keyframe by keyframe; durations get seeded jitter of +-``jitter`` (a fraction)."""

    def __init__(self, start: Pose, rng: np.random.Generator, *, jitter: float = 0.08, anchor: str = "pelvis"):
        self.orientation = start.orientation
        self._rng = rng
        self._jitter = jitter
        self._keys: list[_Key] = [_Key(0.0, {name: float(getattr(start, name)) for name in POSE_CHANNELS})]
        self._marks: list[Mark] = []
        self._anchors: list[tuple[float, str]] = [(0.0, anchor)]

    @property
    def t_s(self) -> float:
        """Time reached so far."""
        return self._keys[-1].t_s

    @property
    def current(self) -> dict[str, float]:
        """Channel values at the end of the script so far."""
        return dict(self._keys[-1].values)

    def _duration(self, duration_s: float, exact: bool) -> float:
        if exact or self._jitter <= 0:
            return duration_s
        return duration_s * (1.0 + self._rng.uniform(-self._jitter, self._jitter))

    def move(self, duration_s: float, exact: bool = False, **targets: float) -> "Timeline":
        """Move smoothly to new channel values (the others stay) over about ``duration_s``."""
        unknown = set(targets) - set(POSE_CHANNELS)
        if unknown:
            raise ValueError(f"unknown pose channel(s): {', '.join(sorted(unknown))}")
        values = self.current
        values.update({k: float(v) for k, v in targets.items()})
        self._keys.append(_Key(self.t_s + self._duration(duration_s, exact), values))
        return self

    def stay(self, duration_s: float, exact: bool = False) -> "Timeline":
        """Keep still (apart from the noise added later) for about ``duration_s``."""
        return self.move(duration_s, exact)

    def mark(self, kind: str, edge: str, side: str | None = None, full: bool = True, note: str = "") -> "Timeline":
        """Note that a rep or hold starts or ends now."""
        if kind not in ("rep", "hold") or edge not in ("start", "end"):
            raise ValueError(f"bad mark {kind}/{edge}")
        self._marks.append(Mark(self.t_s, kind, edge, side, full, note))
        return self

    def anchor(self, name: str) -> "Timeline":
        """From now on keep this point (e.g. the foot that bears the weight) fixed on the floor."""
        self._anchors.append((self.t_s, name))
        return self

    def sample(self, fps: float, duration_s: float | None = None) -> Motion:
        """Channels at ``fps`` from 0 to the script's end (or ``duration_s``), eased with minimum jerk."""
        end = self.t_s if duration_s is None else duration_s
        n = int(np.floor(end * fps + 1e-9)) + 1
        t = np.arange(n) / fps
        key_t = np.array([k.t_s for k in self._keys])
        channels = {}
        for name in POSE_CHANNELS:
            key_v = np.array([k.values[name] for k in self._keys])
            channels[name] = _min_jerk_interp(t, key_t, key_v)
        anchor_t = np.array([a[0] for a in self._anchors])
        idx = np.searchsorted(anchor_t, t, side="right") - 1
        anchors = tuple(self._anchors[i][1] for i in idx)
        return Motion(t, channels, self.orientation, anchors, tuple(self._marks))


def _min_jerk_interp(t: np.ndarray, key_t: np.ndarray, key_v: np.ndarray) -> np.ndarray:
    """Piecewise minimum-jerk easing between keyframes (flat before the first and after the last)."""
    out = np.empty_like(t)
    seg = np.clip(np.searchsorted(key_t, t, side="right") - 1, 0, len(key_t) - 1)
    for i, k in enumerate(seg):
        if k >= len(key_t) - 1:
            out[i] = key_v[-1]
            continue
        span = key_t[k + 1] - key_t[k]
        s = 0.0 if span <= 0 else min(max((t[i] - key_t[k]) / span, 0.0), 1.0)
        ease = s * s * s * (10 - 15 * s + 6 * s * s)
        out[i] = key_v[k] + (key_v[k + 1] - key_v[k]) * ease
    return out


@dataclass(frozen=True)
class NoiseLevels:
    """Amplitudes (standard deviations) of slow sway and faster tremor, per channel group."""

    sway_m: float = 0.006  # horizontal position of the anchor
    trunk_deg: float = 0.6
    head_deg: float = 2.0
    legs_deg: float = 0.6
    arms_deg: float = 2.0
    tremor_deg: float = 0.25
    sway_hz: float = 0.35
    tremor_hz: float = 3.0
    extra: dict[str, float] = field(default_factory=dict)  # channel -> extra sway amplitude


_GROUPS: dict[str, tuple[str, ...]] = {
    "sway_m": ("x_m", "z_m"),
    "trunk_deg": ("trunk_flexion_deg", "trunk_lean_deg", "trunk_twist_deg", "pelvic_rotation_deg"),
    "head_deg": ("head_flexion_deg", "head_turn_deg"),
    "legs_deg": tuple(
        f"{j}_{s}_deg" for j in ("hip_flexion", "hip_abduction", "knee_flexion") for s in ("left", "right")
    ),
    "arms_deg": tuple(
        f"{j}_{s}_deg" for j in ("shoulder_flexion", "shoulder_abduction", "elbow_flexion") for s in ("left", "right")
    ),
}
NON_NEGATIVE: tuple[str, ...] = ("knee_flexion_left_deg", "knee_flexion_right_deg", "elbow_flexion_left_deg",
                                 "elbow_flexion_right_deg")


def smooth_noise(rng: np.random.Generator, n: int, fps: float, cutoff_hz: float) -> np.ndarray:
    """Unit-variance noise band-limited below about ``cutoff_hz`` (Gaussian-filtered white noise)."""
    if n == 0:
        return np.zeros(0)
    sigma = max(fps / (2 * np.pi * cutoff_hz), 0.5)
    radius = int(4 * sigma)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    white = rng.standard_normal(n + 2 * radius)
    smooth = np.convolve(white, kernel, mode="valid")[:n]
    std = smooth.std()
    return smooth / std if std > 0 else smooth


def add_noise(motion: Motion, rng: np.random.Generator, levels: NoiseLevels = NoiseLevels(), *,
              fps: float | None = None, quiet: tuple[str, ...] = ()) -> Motion:
    """Add slow sway and faint tremor to the channels (``quiet`` channels get none)."""
    n = len(motion)
    if n < 2:
        return motion
    fps = fps or float(1.0 / np.median(np.diff(motion.t_s)))
    amplitudes: dict[str, float] = {}
    for group, names in _GROUPS.items():
        for name in names:
            amplitudes[name] = float(getattr(levels, group))
    amplitudes.update(levels.extra)
    channels = {}
    for name in (f.name for f in fields(Pose) if f.name != "orientation"):
        values = motion.channels[name].copy()
        if name not in quiet:
            amp = amplitudes.get(name, 0.0)
            if amp > 0:
                values += amp * smooth_noise(rng, n, fps, levels.sway_hz)
            if name.endswith("_deg") and levels.tremor_deg > 0 and name in amplitudes:
                values += levels.tremor_deg * smooth_noise(rng, n, fps, levels.tremor_hz)
        if name in NON_NEGATIVE:
            values = np.maximum(values, 0.0)
        channels[name] = values
    return Motion(motion.t_s, channels, motion.orientation, motion.anchors, motion.marks)
