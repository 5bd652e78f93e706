"""When a foot leaves the floor and when it comes back, timed to the frame it happens in.

A foot counts as up once its height above the floor line (``foot_height_{side}``, leg lengths) has
stayed above ``up_above`` for ``confirm_up_s``, and as down again once it has stayed below
``down_below`` for ``confirm_down_s`` (hysteresis plus a short confirmation, so noise never toggles
it). The event is then dated by looking back: lift-off is the first frame of the rise that left the
foot's own floor level (its recent resting height + ``contact_margin``), touch-down the first frame
back at that level (or, if it is not reached within the confirmation, the first frame below
``down_below``). Frames without a height (landmarks lost) change nothing.

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
    lookback_s: float = 2.0
    rest_frames: int = 15

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

    @property
    def rest_level(self) -> float:
        """The foot's own height when it rests on the floor (median of recent down frames, else 0)."""
        return float(np.median(self._rest)) if self._rest else 0.0

    def _contact_level(self) -> float:
        s = self.settings
        return min(self.rest_level + s.contact_margin, s.up_above)

    def update(self, t_s: float, height: float) -> Change | None:
        """Feed one frame; returns the change confirmed by this frame, if any."""
        if height is None or not math.isfinite(height):
            return None
        s = self.settings
        self._history.append((t_s, height))
        while self._history and self._history[0][0] < t_s - s.lookback_s:
            self._history.popleft()
        if self.state is None:
            if height < s.down_below:
                self.state = "down"
            elif height > s.up_above:
                self.state = "up"
                return Change("lift", t_s, seen=False)
            return None
        if self.state == "down":
            return self._update_down(t_s, height)
        return self._update_up(t_s, height)

    def _update_down(self, t_s: float, height: float) -> Change | None:
        s = self.settings
        if height < s.down_below:
            self._rest.append(height)
        if self._since is None:
            if height > s.up_above:
                self._since = t_s
        elif height < s.down_below:
            self._since = None
        if self._since is not None and t_s - self._since >= s.confirm_up_s - 1e-9:
            self.state, self._since = "up", None
            return Change("lift", self._lift_time())
        return None

    def _update_up(self, t_s: float, height: float) -> Change | None:
        s = self.settings
        if self._since is None:
            if height < s.down_below:
                self._since = t_s
        elif height > s.up_above:
            self._since = None
        if self._since is not None and t_s - self._since >= s.confirm_down_s - 1e-9:
            touch = self._touch_time(self._since)
            self.state, self._since = "down", None
            return Change("touch", touch)
        return None

    def _lift_time(self) -> float:
        """First frame of the rise: the frame after the last one at the floor before the crossing."""
        level = self._contact_level()
        frames = list(self._history)
        crossing = next((i for i in range(len(frames) - 1, -1, -1) if frames[i][1] <= self.settings.up_above), None)
        if crossing is None:
            return frames[0][0]
        for i in range(crossing, -1, -1):
            if frames[i][1] <= level:
                return frames[i + 1][0]
        return frames[0][0]

    def _touch_time(self, below_since: float) -> float:
        """First frame back at the floor level in the confirmed descent (else the first frame below)."""
        level = self._contact_level()
        for t, h in self._history:
            if t >= below_since and h <= level:
                return t
        # the descent may have started a little earlier than the frame that went below `down_below`
        return below_since
