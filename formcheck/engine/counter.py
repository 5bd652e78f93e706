"""The rep counter: a state machine over one metric with hysteresis and minimum phase durations.

Values are normalised so that the movement goes up (``x = value * direction``). A rep:

    REST --x > start--> OUT --x >= peak--> TOP --x < start - hysteresis--> REST (counted)

- counted only if going out (leaving rest to the turning point, the most extreme value) and coming back
  (turning point to rest) each lasted ``min_phase_s``; a quicker one is rejected as a glitch;
- back to rest without reaching the peak is a partial rep (not counted);
- a rep that lasts longer than ``max_rep_s``, or loses the metric for longer than ``max_gap_s``, is abandoned:
  the counter then waits for the value to come back to rest before a new rep can start;
- a rep is counted when it comes back to rest, so jitter at the peak threshold can never count twice;
- at the end of the data, a rep that reached the peak and has paused at the top for a given time is counted
  (`cut_off`): the recording stopped before the return, but the work of the rep was done.
"""

from __future__ import annotations

import math
from typing import Final

REST: Final = 0
OUT: Final = 1
TOP: Final = 2
WAIT: Final = 3  # after an abandoned rep: wait for rest

NONE: Final = 0
STARTED: Final = 1
COUNTED: Final = 2
PARTIAL: Final = 3
REJECTED: Final = 4
ABANDONED: Final = 5
NOISE: Final = 6  # left rest and came back within min_phase_s without reaching the peak
# How long before a start was allowed the crossing it is dated from may be (see `RepCounter.pending_s`).
BACKDATE_MAX_S: Final = 1.0


class RepCounter:
    """``update(t_s, value, can_start)`` -> NONE, STARTED, COUNTED, PARTIAL, REJECTED, ABANDONED or NOISE.

    After COUNTED (or the other endings) ``start_s``, ``end_s`` and ``extreme`` (in the metric's own units)
    describe the rep that just finished.
    """

    __slots__ = (
        "direction",
        "start",
        "peak",
        "hysteresis",
        "min_phase_s",
        "max_rep_s",
        "max_gap_s",
        "state",
        "start_s",
        "end_s",
        "best_s",
        "best_x",
        "last_valid_s",
        "top_s",
        "pending_s",
    )

    def __init__(
        self,
        *,
        start: float,
        peak: float,
        direction: int,
        hysteresis: float = 0.0,
        min_phase_s: float = 0.3,
        max_rep_s: float = 30.0,
        max_gap_s: float = 1.0,
    ) -> None:
        self.direction = direction
        self.start = start * direction
        self.peak = peak * direction
        self.hysteresis = hysteresis
        self.min_phase_s = min_phase_s
        self.max_rep_s = max_rep_s
        self.max_gap_s = max_gap_s
        self.state = REST
        self.start_s = 0.0
        self.end_s = 0.0
        self.best_s = 0.0
        self.best_x = -math.inf
        self.last_valid_s = -math.inf
        self.top_s = math.inf  # when the current rep first reached the peak
        # When the metric crossed `start` while a rep could not start yet (e.g. the working side not yet told by
        # motion): a start allowed soon after is dated from that crossing, not from the moment it was allowed.
        self.pending_s = math.nan

    @property
    def extreme(self) -> float:
        """The most extreme value reached in the current or last rep, in the metric's units."""
        return self.best_x * self.direction

    @property
    def in_rep(self) -> bool:
        return self.state == OUT or self.state == TOP

    def update(self, t_s: float, value: float, can_start: bool = True) -> int:
        state = self.state
        if value != value:  # NaN: the metric is not visible
            if (state == OUT or state == TOP) and t_s - self.last_valid_s > self.max_gap_s:
                return self._abandon(t_s)
            return NONE
        self.last_valid_s = t_s
        x = value * self.direction
        if state == REST:
            if x <= self.start:
                self.pending_s = math.nan
            elif not can_start and self.pending_s != self.pending_s:
                self.pending_s = t_s
            if x > self.start and can_start:
                self.state = TOP if x >= self.peak else OUT
                late = t_s - self.pending_s  # NaN: no earlier crossing
                self.start_s = self.best_s = t_s
                if late <= BACKDATE_MAX_S:
                    self.start_s = self.pending_s
                self.pending_s = math.nan
                self.top_s = t_s if x >= self.peak else math.inf
                self.best_x = x
                return STARTED
            return NONE
        if state == WAIT:
            if x < self.start - self.hysteresis:
                self.state = REST
            return NONE
        if x > self.best_x:
            self.best_x = x
            self.best_s = t_s
        if t_s - self.start_s > self.max_rep_s:
            return self._abandon(t_s)
        back = x < self.start - self.hysteresis
        if state == OUT:
            if x >= self.peak:
                self.state = TOP
                self.top_s = t_s
            elif back:
                self.state = REST
                self.end_s = t_s
                return PARTIAL if t_s - self.start_s >= self.min_phase_s else NOISE
            return NONE
        if back:  # TOP, and back at rest: the rep is complete
            self.state = REST
            self.end_s = t_s
            going = self.best_s - self.start_s
            coming = t_s - self.best_s
            if going >= self.min_phase_s and coming >= self.min_phase_s:
                return COUNTED
            return REJECTED
        return NONE

    def cut_off(self, t_s: float, pause_s: float) -> int:
        """The data ends at ``t_s``: COUNTED for a rep at the top that went out for ``min_phase_s`` and has stayed
        at the top for ``pause_s`` (the recording stopped before the return), else NONE (the rep stays open)."""
        if self.state != TOP or self.best_s - self.start_s < self.min_phase_s or t_s - self.top_s < pause_s:
            return NONE
        self.state = REST
        self.end_s = t_s
        return COUNTED

    def abandon(self, t_s: float) -> bool:
        """Drop a rep in progress (pain stop, side switch); True if there was one."""
        if self.in_rep:
            self._abandon(t_s)
            return True
        return False

    def _abandon(self, t_s: float) -> int:
        self.state = WAIT
        self.end_s = t_s
        return ABANDONED
