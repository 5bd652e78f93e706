"""When a foot leaves the floor and when it comes back, timed to the frame it happens in.

A foot counts as up once its height above the floor line (``foot_height_{side}``, leg lengths) has
stayed above ``up_above`` for ``confirm_up_s``, and as down again once it has stayed below
``down_below`` for ``confirm_down_s`` (hysteresis plus a short confirmation, so noise never toggles
it). A foot that has stopped coming down below ``settle_below`` also counts as down: a foot put down
a little behind the other reads a little high in a front view. The event is then dated by looking
back: lift-off is the first frame of the rise that left the foot's own floor level (its recent
resting height + ``contact_margin``), touch-down the first frame of the descent within
``contact_margin`` of the height the foot settled at. Frames without a height (landmarks lost)
change nothing.

    foot = FootContact(ContactSettings())
    for t, h in zip(t_s, heights):
        change = foot.update(t, h)        # None, or Change("lift" | "touch", t_s of the real event)
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class ContactSettings:
    """Thresholds (leg lengths above the floor line) and confirmation times (s) of foot contact."""

    up_above: float = 0.04
    down_below: float = 0.02
    contact_margin: float = 0.015
    confirm_up_s: float = 0.1
    confirm_down_s: float = 0.08
    settle_below: float = 0.03
    settle_range: float = 0.006
    extrapolate: bool = False  # fast moves (jumps): date events by the steepest slope, ahead of filter lag
    lookback_s: float = 2.0
    rest_frames: int = 15
    relative: bool = False  # thresholds above the foot's own resting height (the far foot in a side view reads high)
    start_down_below: float | None = None  # first frame: down below this (default down_below)

    def __post_init__(self) -> None:
        if not 0 < self.down_below < self.up_above:
            raise ValueError(f"need 0 < down_below < up_above, got {self.down_below} and {self.up_above}")
        if self.contact_margin <= 0:
            raise ValueError(f"contact_margin must be > 0, got {self.contact_margin}")


class Change(NamedTuple):
    """A confirmed change of contact: ``kind`` "lift" or "touch", dated ``t_s`` (the real event)."""

    kind: str
    t_s: float
    seen: bool = True  # False: the foot was already up when it was first seen (no lift-off in view)


class FootContact:
    """Streaming up/down state of one foot (see the module docstring)."""

    def __init__(self, settings: ContactSettings = ContactSettings()) -> None:
        self.settings = settings
        self.state: str | None = None  # None (not seen yet), "down" or "up"
        self._history: deque[tuple[float, float]] = deque()
        self._rest: deque[float] = deque(maxlen=settings.rest_frames)
        self._since: float | None = None  # start of a pending change
        self._last_up = -math.inf  # last frame above up_above
        self._down_at = -math.inf  # when the foot last came down

    @property
    def resting(self) -> bool:
        """Down, with no lift pending."""
        return self.state == "down" and self._since is None

    @property
    def rest_level(self) -> float:
        """The foot's own height when it rests on the floor (median of its recent frames down, else 0)."""
        return float(np.median(self._rest)) if self._rest else 0.0

    def _base(self) -> float:
        """What the thresholds are measured from: the floor line, or the foot's own resting height."""
        return self.rest_level if self.settings.relative else 0.0

    def _contact_level(self) -> float:
        s = self.settings
        return min(self.rest_level + s.contact_margin, self._base() + s.up_above)

    def update(self, t_s: float, height: float) -> Change | None:
        """Feed one frame; returns the change confirmed by this frame, if any."""
        if height is None or not math.isfinite(height):
            return None
        s = self.settings
        self._history.append((t_s, height))
        while self._history and self._history[0][0] < t_s - s.lookback_s:
            self._history.popleft()
        if self.state is None:
            if height < (s.down_below if s.start_down_below is None else s.start_down_below):
                self.state = "down"
                self._rest.append(height)
            elif height > s.up_above:
                self.state = "up"
                return Change("lift", t_s, seen=False)
            return None
        if self.state == "down":
            return self._update_down(t_s, height)
        return self._update_up(t_s, height)

    def _update_down(self, t_s: float, height: float) -> Change | None:
        s = self.settings
        base = self._base()
        if height < base + s.settle_below and self._since is None:
            self._rest.append(height)
        if self._since is None:
            if height > base + s.up_above:
                self._since = t_s
        elif height < base + s.settle_below:
            self._since = None
        if self._since is not None and t_s - self._since >= s.confirm_up_s - 1e-9:
            self.state, self._since, self._last_up = "up", None, t_s
            return Change("lift", self._lift_time())
        return None

    def _update_up(self, t_s: float, height: float) -> Change | None:
        s = self.settings
        base = self._base()
        if height > base + s.up_above:
            self._since, self._last_up = None, t_s
            return None
        if self._since is None:
            if height < base + s.down_below or (height < base + s.settle_below and self.settled(t_s)):
                self._since = t_s
            return None
        if t_s - self._since >= s.confirm_down_s - 1e-9:
            touch = self._touch_time()
            self.state, self._since, self._down_at = "down", None, touch
            if not s.relative:  # relative thresholds keep the old resting height until new frames replace it
                self._rest.clear()
            return Change("touch", touch)
        return None

    def put_down(self, t_s: float) -> None:
        """The foot is on the floor since ``t_s``, as other evidence shows (see landing_time)."""
        self.state, self._since, self._down_at = "down", None, t_s
        if not self.settings.relative:
            self._rest.clear()

    def landing_time(self, margin: float) -> float:
        """When the foot came within ``margin`` of its latest height: the first frame of the run of frames, ending
        now, that stay within it (for a touch-down that other evidence shows before the thresholds confirm it)."""
        if not self._history:
            return -math.inf
        last_t, last_h = self._history[-1]
        start = last_t
        for t, h in reversed(self._history):
            if h > last_h + margin:
                break
            start = t
        return start

    def settled(self, t_s: float) -> bool:
        """The foot has stopped coming down (a foot put down a little behind the other reads slightly high)."""
        recent = [h for t, h in self._history if t >= t_s - self.settings.confirm_down_s - 1e-9]
        return len(recent) >= 3 and max(recent) - min(recent) < self.settings.settle_range

    def _lift_time(self) -> float:
        """First frame of the rise: the frame after the last one at the floor before the crossing."""
        level = self._contact_level()
        frames = [(t, h) for t, h in self._history if t >= self._down_at]
        up_at = self._base() + self.settings.up_above
        crossing = next((i for i in range(len(frames) - 1, -1, -1) if frames[i][1] <= up_at), None)
        if crossing is None:
            return frames[0][0]
        for i in range(crossing, -1, -1):
            if frames[i][1] <= level:
                found = frames[min(i + 1, len(frames) - 1)][0]
                return self._extrapolated(frames[i:], level, found, rising=True)
        return frames[0][0]

    def _touch_time(self) -> float:
        """First frame of the descent within ``contact_margin`` of the height the foot settled at."""
        frames = [(t, h) for t, h in self._history if t > self._last_up]
        settled = float(np.median([h for t, h in frames if t >= self._since])) if frames else 0.0
        level = min(settled + self.settings.contact_margin, self._base() + self.settings.up_above)
        for t, h in frames:
            if h <= level:
                descent = [f for f in self._history if t - 0.5 <= f[0] <= t]
                return self._extrapolated(descent, level, t, rising=False)
        return self._since

    def _extrapolated(self, frames: list[tuple[float, float]], level: float, found: float, rising: bool) -> float:
        """With ``extrapolate``: where the steepest part of the move crosses ``level`` (not later than ``found``
        for a touch-down, not earlier than the last floor frame for a lift-off)."""
        if not self.settings.extrapolate or len(frames) < 3:
            return found
        t = np.array([f[0] for f in frames])
        h = np.array([f[1] for f in frames])
        slope = np.diff(h) / np.maximum(np.diff(t), 1e-9)
        k = int(np.argmax(slope)) if rising else int(np.argmin(slope))
        if (slope[k] <= 0) if rising else (slope[k] >= 0):
            return found
        at = t[k] + (level - h[k]) / slope[k]
        return float(np.clip(at, t[0], found)) if rising else float(np.clip(at, t[k], found))


class RestingOffset:
    """What ``foot_lift_left`` reads while both feet stand on the floor: the feet's own floor levels.

    Feet side by side read 0; a foot placed ahead of the other reads a constant offset (camera pitch tilts the
    world landmarks' axes, and in the image a nearer foot reads lower). The offset is the median of the recent
    frames with both feet down; the first frame counts as both feet down when it reads within
    ``start_within`` of level (leg lengths), else the offset stays 0 until both feet have been down. A foot is
    lifted when it rises off its own level: ``foot_lift_left - offset`` (left), ``foot_lift_right + offset``.
    """

    def __init__(self, start_within: float = 0.1, frames: int = 15) -> None:
        self.start_within = start_within
        self._values: deque[float] = deque(maxlen=frames)
        self._started = False

    @property
    def offset(self) -> float:
        return float(np.median(self._values)) if self._values else 0.0

    def start(self, lift_left: float) -> None:
        """The first frame with both feet seen."""
        if not self._started and math.isfinite(lift_left):
            self._started = True
            if abs(lift_left) < self.start_within:
                self._values.append(lift_left)

    def restart(self, lift_left: float) -> None:
        """Both feet are down from now on at this reading (a foot landed off its old level)."""
        if math.isfinite(lift_left):
            self._values.clear()
            self._values.append(lift_left)

    def both_down(self, lift_left: float) -> None:
        """A frame with both feet resting on the floor."""
        if math.isfinite(lift_left):
            self._values.append(lift_left)


def corner_time(t_s: np.ndarray, heights: np.ndarray, at_s: float, kind: str, *, reach_s: float = 0.25,
                corner_s: float = 0.2) -> float:
    """Re-date a lift-off or touch-down found at ``at_s`` on an unsmoothed height signal (filters and
    confirmation delay an event; the shape of the raw curve does not move).

    Finds the foot's fastest rise ("lift") or descent ("touch") within ``reach_s`` of ``at_s`` (3-frame mean
    velocity), then fits a two-piece line by least squares to the heights in the ``corner_s`` before that
    rise (after that descent): its break point is where the foot left the floor (came to rest on it). A
    fit over many frames rather than a second difference keeps landmark noise from moving the corner.
    Returns ``at_s`` unchanged when too few frames were seen around it."""
    t = np.asarray(t_s, dtype=float)
    h = np.asarray(heights, dtype=float)
    ok = np.isfinite(h) & (t >= at_s - reach_s - corner_s) & (t <= at_s + reach_s + corner_s)
    t, h = t[ok], h[ok]
    if len(t) < 7:
        return at_s
    v = np.diff(h) / np.maximum(np.diff(t), 1e-9)
    v = np.convolve(v, np.ones(3) / 3, mode="same")
    near = np.abs(t[:-1] - at_s) <= reach_s
    if not near.any():
        return at_s
    idx = np.flatnonzero(near)
    k = int(idx[np.argmax(v[idx])] if kind == "lift" else idx[np.argmin(v[idx])])
    if (v[k] <= 0) if kind == "lift" else (v[k] >= 0):
        return at_s
    if kind == "lift":
        seg = np.flatnonzero((t >= t[k + 1] - corner_s) & (t <= t[k + 1]))
    else:
        seg = np.flatnonzero((t >= t[k]) & (t <= t[k] + corner_s))
    if len(seg) < 5:
        return at_s
    ts, hs = t[seg], h[seg]
    best, best_sse = at_s, np.inf
    for c in ts[1:-1]:
        design = np.column_stack([np.ones_like(ts), np.minimum(ts - c, 0.0), np.maximum(ts - c, 0.0)])
        coef, *_ = np.linalg.lstsq(design, hs, rcond=None)
        sse = float(np.sum((design @ coef - hs) ** 2))
        if sse < best_sse:
            best, best_sse = float(c), sse
    return best
