"""Rule evaluation over time: hysteresis and debounce turn per-frame readings into violations.

Each frame a rule gets a code (computed for whole tables at once in `plan.py`):

- ``OFF``: clearly fine (past the hysteresis band), ``BAND``: between the clear and the fault threshold,
  ``ON``: beyond the fault threshold;
- ``NA``: the rule does not apply now (its gate is closed: not in a rep, wrong body position);
- ``NM_*``: it applies but cannot be measured (landmarks not visible, wrong camera view, position unknown, the
  body turned too far from the camera for it).

A violation starts once ON (with BAND not interrupting) has lasted ``min_duration_s``; it is backdated to the
first ON frame. It ends once OFF has lasted ``clear_s``, when the rule stops applying, or when it has not been
measurable for longer than ``gap_s`` (then it ends at the last measured frame: not measured is never a fault).
"""

from __future__ import annotations

from typing import Final

OFF: Final = 0
BAND: Final = 1
ON: Final = 2
NA: Final = 3
NM_VALUE: Final = 4
NM_VIEW: Final = 5
NM_POSITION: Final = 6
NM_TURN: Final = 7  # the body turned too far from the camera (or the camera off to one side) for this rule
MEASURED_MAX: Final = ON  # codes <= ON are measured
NOT_MEASURED_MIN: Final = NM_VALUE

NOTHING: Final = 0
STARTED: Final = 1
ENDED: Final = 2


class RuleTracker:
    """The debounced state of one rule instance (one rule on one side).

    ``update(t_s, code, x)`` returns NOTHING, STARTED or ENDED; ``x`` is the reading normalised so that larger
    is worse (the sign of the rule's comparison applied). After STARTED read ``start_s``; after ENDED read
    ``start_s``, ``end_s`` and ``peak_x`` of the violation that just ended.
    """

    __slots__ = (
        "min_duration_s",
        "clear_s",
        "gap_s",
        "active",
        "cand_s",
        "start_s",
        "end_s",
        "peak_x",
        "clear_since_s",
        "last_measured_s",
    )

    def __init__(self, min_duration_s: float, clear_s: float, gap_s: float = 1.0) -> None:
        self.min_duration_s = min_duration_s
        self.clear_s = clear_s
        self.gap_s = gap_s
        self.active = False
        self.cand_s: float | None = None
        self.start_s = 0.0
        self.end_s = 0.0
        self.peak_x = float("-inf")
        self.clear_since_s: float | None = None
        self.last_measured_s = float("-inf")

    @property
    def idle(self) -> bool:
        """No violation and no candidate: an OFF frame changes nothing."""
        return not self.active and self.cand_s is None

    def update(self, t_s: float, code: int, x: float) -> int:
        if code <= ON:
            self.last_measured_s = t_s
        if not self.active:
            if code == ON:
                if self.cand_s is None:
                    self.cand_s = t_s
                    self.peak_x = x
                elif x > self.peak_x:
                    self.peak_x = x
                if t_s - self.cand_s >= self.min_duration_s:
                    self.active = True
                    self.start_s = self.cand_s
                    self.cand_s = None
                    self.clear_since_s = None
                    return STARTED
            elif code == BAND:
                pass
            elif code >= NOT_MEASURED_MIN and self.cand_s is not None and t_s - self.last_measured_s <= self.gap_s:
                pass
            else:
                self.cand_s = None
            return NOTHING
        if code == ON or code == BAND:
            self.clear_since_s = None
            if x > self.peak_x:
                self.peak_x = x
            return NOTHING
        if code == OFF:
            if self.clear_since_s is None:
                self.clear_since_s = t_s
            if t_s - self.clear_since_s >= self.clear_s:
                return self._end(self.clear_since_s)
            return NOTHING
        if code == NA:
            return self._end(self.last_measured_s if self.last_measured_s >= self.start_s else t_s)
        if t_s - self.last_measured_s > self.gap_s:
            return self._end(max(self.last_measured_s, self.start_s))
        return NOTHING

    def close(self, t_s: float) -> bool:
        """End an active violation at ``t_s`` (end of data, pain stop); True if one was active."""
        self.cand_s = None
        if not self.active:
            return False
        self._end(max(min(t_s, self.last_measured_s) if self.last_measured_s >= self.start_s else t_s, self.start_s))
        return True

    def _end(self, end_s: float) -> int:
        self.active = False
        self.end_s = end_s
        self.cand_s = None
        self.clear_since_s = None
        return ENDED
