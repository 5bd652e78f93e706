"""Hands-free coaching of one live session: what is said each frame, the automatic pause, the summary.

    coach = Coach(sound, audio_only=True)
    coach.frame(run_index, spec, t_s, status, events)   # count-in, hold time to go, rest countdown, sets
    coach.away(t_s, gone=True)                          # the patient walked out of the picture: paused
    coach.summary(t_s, spec, results)                   # "Bridge done: 10 reps, no faults."

The session pauses by itself when the patient has been out of the picture for a moment (the set-up
guide's "nobody" after its `lost_s`): nothing is counted while nobody is there, the screen and the voice
say so, and it goes on when the checker sees the starting position again. Every pause is recorded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from formcheck.engine.types import EngineResult, EngineStatus, Event
from formcheck.live.sound import SoundBoard
from formcheck.live.voice import Line, Narrator, in_words
from formcheck.specs.spec import ExerciseSpec

AWAY_TEXT = "Paused. Come back into the picture and get into the starting position to go on"
BACK_TEXT = "Going on"


@dataclass(frozen=True)
class AutoPause:
    """A pause the session made by itself: from `start_s` to `end_s` (None: still paused at the end)."""

    start_s: float
    end_s: float | None

    def as_dict(self) -> dict:
        return {"start_s": round(self.start_s, 2), "end_s": None if self.end_s is None else round(self.end_s, 2)}


class Coach:
    """The spoken side of a session, one `Narrator` per exercise; see the module docstring."""

    def __init__(self, sound: SoundBoard, *, audio_only: bool = False) -> None:
        self.sound = sound
        self.audio_only = audio_only
        self._narrators: dict[int, Narrator] = {}
        self.pauses: list[AutoPause] = []
        self._gone = False
        self._reported = (0, 0)  # spoken and held-back lines already in an earlier exercise's report

    def live_fields(self, *, whole_session: bool = False) -> dict:
        """report.json's live fields of the voice: how it was set up, what was said and held back (since the
        last exercise's report, or in the whole session), and the automatic pauses."""
        records = self.sound.speech.records()
        if not whole_session:
            spoken, held = self._reported
            records = {"spoken": records["spoken"][spoken:], "held_back": records["held_back"][held:]}
        return {"voice": self.sound.voice_section(), **records,
                "auto_pauses": [pause.as_dict() for pause in self.pauses]}

    def mark_reported(self) -> None:
        """An exercise's report was written: the next report lists only the lines said after it."""
        self._reported = (len(self.sound.speech.spoken), len(self.sound.speech.held_back))

    @property
    def paused(self) -> bool:
        """Is the session paused because the patient walked out of the picture?"""
        return bool(self.pauses) and self.pauses[-1].end_s is None

    def frame(self, run_index: int, spec: ExerciseSpec, t_s: float, status: EngineStatus,
              events: Sequence[Event]) -> None:
        """Say what this frame calls for (the events' own lines are said by `SoundBoard.on_events`)."""
        narrator = self._narrators.get(run_index)
        if narrator is None:
            narrator = self._narrators[run_index] = Narrator(spec, audio_only=self.audio_only)
        if self.paused and status.in_position and not self._gone:
            self.pauses[-1] = AutoPause(self.pauses[-1].start_s, t_s)
            self.sound.announce(BACK_TEXT, t_s)
        lines, dropped = narrator.frame(t_s, status, events)
        for line in dropped:
            self.sound.speech.hold_back(line, "the hold began, or the patient left the starting position")
        for line in lines:
            self.sound.speak(line)
        self.sound.tick(t_s)

    def away(self, t_s: float, gone: bool, in_position: bool) -> tuple[str, str] | None:
        """Is the patient out of the picture (`gone`) mid-exercise? Pause and say so once; the banner (text, kind)."""
        self._gone = gone
        if gone and not self.paused:
            self.pauses.append(AutoPause(t_s, None))
            self.sound.announce(AWAY_TEXT, t_s)
        if gone:
            return AWAY_TEXT, "warning"
        if self.paused and not in_position:
            return "Paused: get into the starting position to go on", "info"
        return None

    def summarise(self, run, t_s: float) -> None:
        """Say the summary of an `ExerciseRun` not yet reported (its engine runs are closed, as the report does)."""
        if run.frames and run.report is None:
            self.summary(t_s, run.spec, [s.result for s in run.pipeline.finish() if s.kept and s.result is not None])

    def summary(self, t_s: float, spec: ExerciseSpec, results: Sequence[EngineResult]) -> Line:
        """Say the end-of-exercise summary (never held back) and return it."""
        line = Line(t_s, summary_sentence(spec, results), "summary", urgent=True)
        self.sound.speak(line)
        return line


def summary_sentence(spec: ExerciseSpec, results: Sequence[EngineResult]) -> str:
    """What was done, in words a patient takes in by ear: "Bridge done: ten reps. One fault, mostly: ..." """
    reps = sum(len(r.reps) for r in results)
    holds = [h for r in results for h in r.holds]
    parts = []
    if spec.mode == "reps":
        parts.append(f"{in_words(reps)} {'rep' if reps == 1 else 'reps'}")
    elif spec.mode == "hold":
        met = sum(1 for h in holds if h.met)
        parts.append(f"{in_words(len(holds))} {'hold' if len(holds) == 1 else 'holds'}, {in_words(met)} to the target")
    faults = [v for r in results for v in r.violations]
    head = f"{spec.name} done" + (f": {parts[0]}." if parts else ".")
    if any(r.stats.pain_stop for r in results):
        return f"{head} Stopped for pain."
    if not faults:
        return f"{head} No faults."
    common = Counter(v.message for v in faults).most_common(1)[0][0]
    count = f"{in_words(len(faults)).capitalize()} {'fault' if len(faults) == 1 else 'faults'}"
    return f"{head} {count}, mostly: {common}"
