"""Telling the working side by which side moves: the running range of a metric on each side.

Used for specs with ``[side_detect] by = "motion"``: in a hip hike both feet are at the same height at rest,
but the hanging foot goes down and up with the pelvis while the foot on the step stays still. Causal, so
the batch run and the live loop decide alike.
"""

from __future__ import annotations

import math
from collections import deque

LEFT = 0
RIGHT = 1
UNDECIDED = 2


class RunningRange:
    """Max minus min of the finite values seen over the last ``window_s`` seconds (monotonic deques)."""

    __slots__ = ("window_s", "_max", "_min")

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._max: deque[tuple[float, float]] = deque()
        self._min: deque[tuple[float, float]] = deque()

    def update(self, t_s: float, value: float) -> float:
        """Add one reading (NaN is skipped); returns the range over the window, NaN when it holds nothing."""
        if math.isfinite(value):
            while self._max and self._max[-1][1] <= value:
                self._max.pop()
            self._max.append((t_s, value))
            while self._min and self._min[-1][1] >= value:
                self._min.pop()
            self._min.append((t_s, value))
        oldest = t_s - self.window_s
        while self._max and self._max[0][0] <= oldest:
            self._max.popleft()
        while self._min and self._min[0][0] <= oldest:
            self._min.popleft()
        if not self._max:
            return math.nan
        return self._max[0][1] - self._min[0][1]


class SideByMotion:
    """``update(t_s, left, right) -> LEFT | RIGHT | UNDECIDED``.

    ``sign`` +1: the side whose value moves more (by more than ``margin``) is the working side;
    -1: the side that stays stiller is.
    """

    __slots__ = ("sign", "margin", "_left", "_right")

    def __init__(self, window_s: float, margin: float, sign: float) -> None:
        self.sign = sign
        self.margin = margin
        self._left = RunningRange(window_s)
        self._right = RunningRange(window_s)

    def update(self, t_s: float, left: float, right: float) -> int:
        d = (self._left.update(t_s, left) - self._right.update(t_s, right)) * self.sign
        if d > self.margin:
            return LEFT
        if d < -self.margin:
            return RIGHT
        return UNDECIDED  # also when either side has no reading in the window (d is NaN)
