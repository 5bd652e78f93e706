"""Being in a state for a while: the in-position gate and the hold timer share one debounced presence.

Each frame gets a code from the criteria (computed for whole tables in `plan.py`):
``IN`` all criteria met, ``EDGE`` none failing but one within its hysteresis, ``OUT`` one clearly failing,
``UNSEEN`` none failing but one not measurable (landmarks lost).

Presence turns on after IN has lasted ``enter_s`` (backdated to the first IN frame) and off after OUT has
lasted ``exit_s`` or nothing was seen for longer than ``gap_s``; it then ends at the last IN/EDGE frame.
EDGE keeps the current state, so a reading jittering at a threshold does not flicker. Short gaps (lost
landmarks) neither end nor split a hold.
"""

from __future__ import annotations

import math
from typing import Final

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
