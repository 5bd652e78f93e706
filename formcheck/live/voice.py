"""What live mode says and when: one line at a time, never piling up, and every line recorded.

    speech = Speech(rate_wpm=175)
    speech.offer(Line(12.0, "3", "count"))      # True: say it now; False: it waits (a count) or is held back
    narrator = Narrator(spec, audio_only=True)
    lines = narrator.frame(t_s, status, events)  # count-in, hold time left, rest countdown, set changes

`Speech` is the rate limit. A line is said only once the previous one has ended (its length estimated from
its words at the speaking rate), a cue not within `cue_gap_s` of the last cue, and the same cue or set-up
advice not again within `repeat_s`. A rep count that arrives while a line is being said waits up to
`count_wait_s` for it to end. Safety lines (`urgent`) always go out. Every line said is in `spoken`, every
line held back in `held_back` (with the reason), as report.json's `live` section lists them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from formcheck.engine.types import EngineStatus, Event
from formcheck.specs.spec import ExerciseSpec

KINDS = ("count", "hold", "cue", "setup", "summary")
DEFAULT_RATE_WPM = 175  # espeak-ng's own default speed
_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
          "sixteen seventeen eighteen nineteen").split()
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def in_words(n: int) -> str:
    """0..99 in words ("ten", "forty five"); larger numbers as digits."""
    if 0 <= n < 20:
        return _SMALL[n]
    if 20 <= n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _SMALL[n % 10])
    return str(n)


def speaking_time_s(text: str, rate_wpm: float = DEFAULT_RATE_WPM) -> float:
    """How long saying `text` takes: its words at `rate_wpm`, a short pause per comma or full stop.

    Fitted to espeak-ng's own WAV output at its default 175 words a minute: "3" 0.61 s, "Push your knees out
    over your toes" 1.99 s, a 13-word sentence with a comma 3.94 s (the estimates: 0.59, 2.03, 3.97 s).
    """
    words = len(re.findall(r"[\w']+", text))
    pauses = len(re.findall(r"[,.:;!?]", text))
    return 0.35 + words * 42.0 / rate_wpm + 0.25 * pauses


@dataclass(frozen=True)
class Line:
    """A line to say at `t_s` (the session's exercise time); `kind` is one of KINDS."""

    t_s: float
    text: str
    kind: str
    urgent: bool = False  # safety: never held back

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")

    def as_dict(self) -> dict:
        return {"t_s": round(self.t_s, 2), "text": self.text, "kind": self.kind}


class Speech:
    """The rate limit of speech and the record of what was said (see the module docstring)."""

    def __init__(self, *, rate_wpm: float = DEFAULT_RATE_WPM, repeat_s: float = 10.0, cue_gap_s: float = 3.0,
                 count_wait_s: float = 3.0) -> None:
        self.rate_wpm = rate_wpm
        self.repeat_s = repeat_s
        self.cue_gap_s = cue_gap_s
        self.count_wait_s = count_wait_s
        self.spoken: list[Line] = []
        self.held_back: list[tuple[Line, str]] = []
        self._busy_until = -math.inf
        self._last_cue_s = -math.inf
        self._last_said: dict[str, float] = {}
        self._waiting: Line | None = None

    def offer(self, line: Line) -> bool:
        """True when `line` is to be said now; otherwise it waits (a count) or is held back."""
        why = None if line.urgent else self._why_not(line)
        if why is None:
            self._speak(line)
            return True
        if line.kind == "count" and why == "speaking":
            if self._waiting is not None:
                self.hold_back(self._waiting, "a newer count came")
            self._waiting = line
            return False
        self.hold_back(line, why)
        return False

    def due(self, t_s: float) -> Line | None:
        """The count waiting for the line being said, when it can be said now (call once a frame)."""
        line = self._waiting
        if line is None:
            return None
        if t_s - line.t_s > self.count_wait_s:
            self._waiting = None
            self.hold_back(line, "speech was busy too long")
            return None
        if t_s < self._busy_until:
            return None
        self._waiting = None
        said = Line(t_s, line.text, line.kind, line.urgent)
        self._speak(said)
        return said

    def hold_back(self, line: Line, why: str) -> None:
        """Record a line that is not said, and why (a line offered again and again while held back: once)."""
        last = self.held_back[-1][0] if self.held_back else None
        if last is not None and last.text == line.text and line.t_s - last.t_s < self.repeat_s:
            return
        self.held_back.append((line, why))

    def busy(self, t_s: float) -> bool:
        """Is a line still being said at `t_s`?"""
        return t_s < self._busy_until

    def records(self) -> dict[str, list[dict]]:
        """`spoken` and `held_back` for report.json's live section."""
        return {"spoken": [line.as_dict() for line in self.spoken],
                "held_back": [{**line.as_dict(), "why": why} for line, why in self.held_back]}

    def _why_not(self, line: Line) -> str | None:
        if line.t_s < self._busy_until:
            return "speaking"
        if line.kind in ("cue", "setup") and line.t_s - self._last_said.get(line.text, -math.inf) < self.repeat_s:
            return "said a moment ago"
        if line.kind == "cue" and line.t_s - self._last_cue_s < self.cue_gap_s:
            return "too soon after the last cue"
        return None

    def _speak(self, line: Line) -> None:
        self.spoken.append(line)
        self._busy_until = max(self._busy_until if line.urgent else -math.inf, line.t_s) + speaking_time_s(
            line.text, self.rate_wpm)
        self._last_said[line.text] = line.t_s
        if line.kind == "cue":
            self._last_cue_s = line.t_s


def event_lines(events: Sequence[Event], *, audio_only: bool) -> list[Line]:
    """The lines to say for a frame's engine (and stance timer) events; safety first."""
    lines: list[Line] = []
    for event in sorted(events, key=lambda e: e.severity != "stop"):
        line = _event_line(event, audio_only)
        if line is not None:
            lines.append(line)
    return lines


def _event_line(event: Event, audio_only: bool) -> Line | None:
    kind, t_s = event.kind, event.t_s
    if kind == "pain_stop":
        return Line(t_s, event.message or "Stopped because of pain", "cue", urgent=True)
    if kind == "violation_start" and event.message:
        return Line(t_s, event.message, "cue", urgent=event.severity == "stop")
    if kind == "cue" and event.rule is None and event.message:  # a rule's cue is said at its violation_start
        return Line(t_s, event.message, "cue", urgent=event.severity == "stop")
    if kind == "rep" and audio_only and event.n is not None:
        return Line(t_s, str(event.n), "count")
    if kind == "set_done":
        rest = re.search(r"rest (\d+)", event.message or "")
        text = f"Set {event.n} done." + (f" Rest {in_words(int(rest.group(1)))} seconds." if rest else "")
        return Line(t_s, text, "count")
    if kind in ("hold_target_reached", "stance_target"):
        return Line(t_s, "Well done, you can let go", "hold")
    if kind == "stance_start" and audio_only:
        return Line(t_s, "Go", "hold")
    if kind in ("stance_end", "hold_end") and audio_only and event.n is not None:
        secs = re.match(r"(?:Hold \d+: )?(\d+)", event.message or "")
        return Line(t_s, f"Hold {event.n} done" + (f": {in_words(int(secs.group(1)))} seconds" if secs else ""),
                    "hold")
    return None


class Narrator:
    """Lines said from the engine's status over time: the hold count-in, hold time left, rest countdown, sets."""

    COUNT_IN = ("3", "2", "1", "hold")

    def __init__(self, spec: ExerciseSpec, *, audio_only: bool = False) -> None:
        self.holds = spec.mode == "hold"
        self.sets = spec.dose.sets
        self.audio_only = audio_only
        self._count_in: list[Line] = []
        self._armed = True
        self._left_said: float | None = None  # the last "N seconds to go" mark said
        self._rest_marks: set[int] = set()
        self._was_resting = False

    def frame(self, t_s: float, status: EngineStatus, events: Sequence[Event]) -> tuple[list[Line], list[Line]]:
        """(lines to say now, count-in lines dropped because the hold began or the patient left)."""
        kinds = {e.kind for e in events}
        dropped: list[Line] = []
        if "hold_start" in kinds or "stance_start" in kinds or not status.in_position or status.stopped_for_pain:
            dropped, self._count_in = self._count_in, []
        if "hold_end" in kinds or "stance_end" in kinds or not status.in_position:
            self._armed = True
        lines = self._start_count_in(t_s, status) + self._hold_left(status, t_s) + self._rest(status, t_s)
        lines += [line for line in self._count_in if line.t_s <= t_s]
        self._count_in = [line for line in self._count_in if line.t_s > t_s]
        return lines, dropped

    def _start_count_in(self, t_s: float, status: EngineStatus) -> list[Line]:
        if not (self.holds and self._armed and status.in_position and status.hold_elapsed_s is None
                and not status.resting and not status.stopped_for_pain):
            return []
        self._armed = False
        self._count_in = [Line(t_s + i, text, "hold") for i, text in enumerate(self.COUNT_IN)]
        return []

    def _hold_left(self, status: EngineStatus, t_s: float) -> list[Line]:
        target, elapsed = status.hold_target_s, status.hold_elapsed_s
        if elapsed is None or not target:
            self._left_said = None
            return []
        left = target - elapsed
        marks = [m for m in range(10, int(target), 10) if m <= left + 0.5] if target >= 15 else []
        if self.audio_only and target >= 8:
            marks.append(5)
        due = [m for m in marks if left <= m and (self._left_said is None or m < self._left_said)]
        if not due:
            return []
        self._left_said = min(due)
        return [Line(t_s, f"{in_words(self._left_said).capitalize()} seconds to go", "hold")]

    def _rest(self, status: EngineStatus, t_s: float) -> list[Line]:
        lines: list[Line] = []
        left = status.rest_left_s if status.resting else None
        more = status.set_no <= self.sets and not status.stopped_for_pain
        if left is not None and left > 0 and more:
            for mark in (10, 3, 2, 1):
                if left <= mark and mark not in self._rest_marks and left > mark - 1:
                    self._rest_marks.add(mark)
                    what = "one" if self.holds else "set"
                    text = f"Next {what} in ten seconds" if mark == 10 else str(mark)
                    lines.append(Line(t_s, text, "count"))
        elif self._was_resting and more and not self.holds:  # a hold's count-in follows its rest by itself
            lines.append(Line(t_s, f"Set {status.set_no}: go", "count"))
        if left is None or left <= 0:
            self._rest_marks = set()
        self._was_resting = left is not None and left > 0
        return lines
