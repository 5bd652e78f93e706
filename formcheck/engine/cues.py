"""Cue rate limiting, so that the patient hears what matters without being nagged.

- at most one cue every ``min_gap_s`` (safety cues, severity "stop", are never held back by this);
- the same message is not repeated within ``repeat_s`` (safety cues: within ``min_gap_s``).
"""

from __future__ import annotations

import math


class CueLimiter:
    """``allow(t_s, message, severity)`` says whether to speak a cue now, and records it if so."""

    __slots__ = ("min_gap_s", "repeat_s", "last_any_s", "last_by_message", "spoken", "held_back")

    def __init__(self, min_gap_s: float = 3.0, repeat_s: float = 12.0) -> None:
        self.min_gap_s = min_gap_s
        self.repeat_s = repeat_s
        self.last_any_s = -math.inf
        self.last_by_message: dict[str, float] = {}
        self.spoken = 0
        self.held_back = 0

    def allow(self, t_s: float, message: str, severity: str = "warning") -> bool:
        urgent = severity == "stop"
        repeat_s = self.min_gap_s if urgent else self.repeat_s
        if t_s - self.last_by_message.get(message, -math.inf) < repeat_s or (
            not urgent and t_s - self.last_any_s < self.min_gap_s
        ):
            self.held_back += 1
            return False
        self.note(t_s, message)
        return True

    def note(self, t_s: float, message: str) -> None:
        """Record a message as spoken (by `allow`, or without asking: an answer to a key press)."""
        self.last_any_s = t_s
        self.last_by_message[message] = t_s
        self.spoken += 1
