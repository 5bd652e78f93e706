"""Being in a state for a while: the in-position gate and the hold timer share one debounced presence.

Each frame gets a code from the criteria (computed for whole tables in `plan.py`):
``IN`` all criteria met, ``EDGE`` none failing but one within its hysteresis, ``OUT`` one clearly failing,
``UNSEEN`` none failing but one not measurable (landmarks lost).

Presence turns on after IN has lasted ``enter_s`` (backdated to the first IN frame) and off after OUT has
lasted ``exit_s`` or nothing was seen for longer than ``gap_s``; it then ends at the last IN/EDGE frame.
EDGE keeps the current state, so a reading jittering at a threshold does not flicker. Short gaps (lost
landmarks) neither end nor split a hold.

A hold is entered part way through the movement into the position; `settled_span` gives the part of it spent
in the position (reached and not yet left), which is what the hold records.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, Protocol

import numpy as np

IN: Final = 0
EDGE: Final = 1
UNSEEN: Final = 2
OUT: Final = 3  # the codes are ordered so that combining criteria is a maximum

STAY: Final = 0
TURNED_ON: Final = 1
TURNED_OFF: Final = 2


class Presence:
    """``update(t_s, code, allowed)`` -> STAY, TURNED_ON or TURNED_OFF; ``since_s`` / ``last_in_s`` give the span."""

    __slots__ = ("enter_s", "exit_s", "gap_s", "on", "cand_s", "since_s", "last_in_s", "out_since_s")

    def __init__(self, enter_s: float, exit_s: float, gap_s: float) -> None:
        self.enter_s = enter_s
        self.exit_s = exit_s
        self.gap_s = gap_s
        self.on = False
        self.cand_s: float | None = None
        self.since_s = 0.0
        self.last_in_s = -math.inf
        self.out_since_s: float | None = None

    def update(self, t_s: float, code: int, allowed: bool = True) -> int:
        if not self.on:
            if code == IN and allowed:
                if self.cand_s is None or t_s - self.last_in_s > self.gap_s:
                    self.cand_s = t_s
                self.last_in_s = t_s
                if t_s - self.cand_s >= self.enter_s:
                    self.on = True
                    self.since_s = self.cand_s
                    self.cand_s = None
                    self.out_since_s = None
                    return TURNED_ON
            elif code == OUT or not allowed:
                self.cand_s = None
            elif code == EDGE and self.cand_s is not None:
                self.last_in_s = t_s
            return STAY
        if code == IN or code == EDGE:
            self.last_in_s = t_s
            self.out_since_s = None
            return STAY
        if code == OUT:
            if self.out_since_s is None:
                self.out_since_s = t_s
            if t_s - self.out_since_s >= self.exit_s:
                return self._off()
            return STAY
        if t_s - self.last_in_s > self.gap_s:
            return self._off()
        return STAY

    def close(self) -> bool:
        """Turn off now (end of data, pain stop); True if it was on."""
        self.cand_s = None
        if self.on:
            self._off()
            return True
        return False

    def _off(self) -> int:
        self.on = False
        self.out_since_s = None
        self.cand_s = None
        return TURNED_OFF


class HoldTimer:
    """A Presence that is a hold: elapsed time, the target, and a minimum length for a hold to count."""

    __slots__ = ("presence", "target_s", "min_hold_s", "target_reached")

    def __init__(
        self, *, target_s: float, enter_s: float, exit_s: float, gap_tolerance_s: float, min_hold_s: float
    ) -> None:
        self.presence = Presence(enter_s, exit_s, gap_tolerance_s)
        self.target_s = target_s
        self.min_hold_s = min_hold_s
        self.target_reached = False

    @property
    def holding(self) -> bool:
        return self.presence.on

    @property
    def start_s(self) -> float:
        return self.presence.since_s

    @property
    def end_s(self) -> float:
        """The last frame seen in position (valid after the hold ended)."""
        return self.presence.last_in_s

    def elapsed_s(self, t_s: float) -> float:
        """Time since the hold began (gaps within tolerance included); 0 when not holding.

        While the patient is seen out of position (before the exit time confirms it) the clock stops at the
        last frame in position, so it never shows more than the hold will be recorded as.
        """
        p = self.presence
        if not p.on:
            return 0.0
        return (p.last_in_s if p.out_since_s is not None else t_s) - p.since_s

    def update(self, t_s: float, code: int, allowed: bool = True) -> int:
        """STAY, TURNED_ON (a hold began) or TURNED_OFF (it ended: see ``start_s``, ``end_s``)."""
        change = self.presence.update(t_s, code, allowed)
        if change == TURNED_ON:
            self.target_reached = False
        return change

    def reached_target(self, t_s: float) -> bool:
        """True once, on the first frame the hold has lasted its target."""
        if self.presence.on and not self.target_reached and t_s - self.presence.since_s >= self.target_s:
            self.target_reached = True
            return True
        return False


SETTLE_FRACTION: Final = 0.25  # a recorded hold starts once the position is within this share of its reach
SETTLE_SPEED_PER_S: Final = 1.0  # still moving: approaching (or leaving) by over this many hystereses a second
MOVING_REACH: Final = 2.0  # speeds count where the level lies this many hystereses past the threshold


class HeldCondition(Protocol):
    """What `settled_span` reads of a compiled hold condition: ``x > on`` is in position (x: larger = further)."""

    @property
    def on(self) -> float: ...

    @property
    def hysteresis(self) -> float: ...


def settled_span(trace: Sequence[tuple[float, Sequence[float]]], start_s: float, end_s: float,
                 conditions: Sequence[HeldCondition]) -> tuple[float, float]:
    """The part of a hold [start_s, end_s] spent settled in the position, as (start, end) seconds.

    A hold is entered as soon as its conditions are met, which is part way through the movement into the
    position; the patient holds the position once it is reached, and leaves it when the movement back begins.
    ``trace`` holds (t, x per condition) frames, x normalised so that larger is further into the position. For
    each condition the position's own level is the median over the hold. The hold starts at the first frame
    where every condition is within ``max(hysteresis, SETTLE_FRACTION * reach)`` of its level (reach: how far
    the level lies beyond the threshold) and none is still coming in (short of its level and rising faster than
    ``SETTLE_SPEED_PER_S`` hystereses a second); it ends at the last such frame where none is on its way out
    (short of its level and falling that fast). Readings past the level, or changing more slowly (sway, a
    drift), are held; so is any speed of a condition held less than ``MOVING_REACH`` hystereses past its
    threshold (its speed is sway: the spec's threshold itself marks the movement's last part, as in the groin
    stretch). The recorded hold never grows, and is left as it is when no frame qualifies.
    """
    frames = [(t, xs) for t, xs in trace if start_s <= t <= end_s]
    if len(frames) < 3 or not conditions:
        return start_s, end_s
    t = np.array([f[0] for f in frames], dtype=float)
    near = np.ones(len(frames), dtype=bool)
    coming = np.zeros(len(frames), dtype=bool)
    going = np.zeros(len(frames), dtype=bool)
    for j, cond in enumerate(conditions):
        xs = np.array([f[1][j] for f in frames], dtype=float)
        finite = np.isfinite(xs)
        if finite.sum() < 3:
            continue
        level = float(np.median(xs[finite]))
        reach = level - cond.on
        if reach <= 0:
            continue
        near &= ~finite | (xs >= level - max(cond.hysteresis, SETTLE_FRACTION * reach))
        if reach < MOVING_REACH * cond.hysteresis:
            continue  # held within sway of its threshold: the threshold alone marks the movement's last part
        speed = np.gradient(xs, t)  # per second; NaN next to an unmeasured frame, which counts as still
        short = finite & (xs < level)
        limit = SETTLE_SPEED_PER_S * cond.hysteresis
        coming |= short & (speed > limit)
        going |= short & (speed < -limit)
    first = np.flatnonzero(near & ~coming)
    last = np.flatnonzero(near & ~going)
    if first.size == 0 or last.size == 0 or last[-1] < first[0]:
        return start_s, end_s
    return float(t[first[0]]), float(t[last[-1]])

