"""`formcheck today`: the exercises the plan says are due today, done live in turn with the plan's doses.

    outcome = run_today(TodayRequest(plan=Path("plan.toml"), day=date.today(), camera="0"))

The patient rates their pain (0 to 10) before the first exercise and after the last; each exercise is recorded
in the history as it is finished, the ratings with them (one visit), and the run ends with what is still due
this week.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from formcheck.errors import HistoryError
from formcheck.history.db import open_history
from formcheck.history.query import done_days
from formcheck.history.record import HistoryNote, HistoryTarget, record_pain
from formcheck.live import keys as k
from formcheck.live.pain import ask_in_terminal, ask_pain
from formcheck.live.session import LiveOutcome, LiveRequest, run_live
from formcheck.live.sound import SoundBoard
from formcheck.program.followed import Following
from formcheck.program.prescription import Prescription, load_plan
from formcheck.program.schedule import DueExercise, due_on, week_of, week_start, week_text


@dataclass(frozen=True)
class TodayRequest:
    """The inputs of one `formcheck today`."""

    plan: Path
    day: date = field(default_factory=date.today)
    camera: str = "0"
    window: bool = True
    voice: bool = True
    mirror: bool = False
    out_dir: Path | None = None
    record_dir: Path | None = None
    model: Path | None = None
    max_seconds: float | None = None  # per the whole live program
    pain_before: int | None = None  # given on the command line: not asked
    pain_after: int | None = None
    history: Path | None = None  # None: not recorded
    strict: bool = False


@dataclass(frozen=True)
class TodayOutcome:
    """What was due, how the live program went, the pain ratings, the week, and what was recorded."""

    prescription: Prescription
    due: tuple[DueExercise, ...]
    live: LiveOutcome | None
    pain_before: int | None
    pain_after: int | None
    week: tuple[str, ...]
    history: tuple[HistoryNote, ...]
    pain_errors: tuple[str, ...]
    summary: str


def run_today(request: TodayRequest, *, window_factory: Callable[[], object] | None = None,
              pain_keys: Callable[[], int] | None = None, ask: Callable[[str], int | None] | None = None,
              **live_parts) -> TodayOutcome:
    """Run today's program; `live_parts` (keys, sound, detect, capture) and the pain inputs are for tests."""
    prescription = load_plan(request.plan)
    due = tuple(due_on(prescription, request.day))
    target = _target(request, prescription)
    if not due:
        week = _week(prescription, request.day, target, due)
        summary = "\n".join([f"Nothing is due on {request.day:%a %d %b %Y}.", "This week:", *week])
        return TodayOutcome(prescription, due, None, None, None, tuple(week), (), (), summary)
    prompt = _Prompter(request, window_factory, pain_keys, ask, live_parts.get("sound"))
    pain_errors: list[str] = []
    before = request.pain_before if request.pain_before is not None else prompt("before")
    _record_pain(target, "before", before, pain_errors)
    live = run_live(LiveRequest(
        camera=request.camera, specs=tuple(item.spec for item in due),
        plans=tuple(Following(prescription.path, prescription.patient, item) for item in due),
        window=request.window, voice=request.voice,
        mirror=request.mirror, out_dir=request.out_dir, record_dir=request.record_dir, model=request.model,
        max_seconds=request.max_seconds, history=target, strict=request.strict,
    ), **live_parts)
    after = request.pain_after if request.pain_after is not None else prompt("after")
    _record_pain(target, "after", after, pain_errors)
    week = _week(prescription, request.day, target, due[: len(live.reports)] if target is None else ())
    pain = f"Pain before {_rating(before)}, after {_rating(after)} (0 to 10)."
    summary = "\n".join([live.summary, pain, "Still due this week:", *week])
    return TodayOutcome(prescription, due, live, before, after, tuple(week), live.history, tuple(pain_errors),
                        summary)


class _Prompter:
    """Asks the pain question: in a window, from scripted keys (tests), from the terminal, or not at all."""

    def __init__(self, request: TodayRequest, window_factory, pain_keys, ask, sound: SoundBoard | None) -> None:
        self.request = request
        self.window_factory = window_factory
        self.pain_keys = pain_keys
        self.ask = ask
        self.sound = sound

    def __call__(self, moment: str) -> int | None:
        if self.pain_keys is not None:
            return ask_pain(moment, k.NoWindow(self.pain_keys), self.sound, timeout_s=30.0)
        if self.request.window:
            if self.window_factory is None:
                k.check_display()
            window = self.window_factory() if self.window_factory is not None else k.Window("formcheck today")
            sound = self.sound or SoundBoard(voice=self.request.voice, tones=False)
            try:
                return ask_pain(moment, window, sound)
            finally:
                window.close()
                if sound is not self.sound:
                    sound.close(timeout=5.0)
        if self.ask is None:
            return None
        given = self.sound if self.sound is not None and self.sound.active else None  # live closes its own
        sound = given or (SoundBoard(voice=True, tones=False) if self.request.voice else None)
        try:
            return ask_in_terminal(moment, self.ask, sound)
        finally:
            if sound is not None and sound is not given:
                sound.close(timeout=5.0)


def _target(request: TodayRequest, prescription: Prescription) -> HistoryTarget | None:
    if request.history is None:
        return None
    started_at = None
    if request.day != date.today():  # a day given on the command line: the sessions are dated then
        started_at = datetime(request.day.year, request.day.month, request.day.day, 12, 0).astimezone().isoformat(
            timespec="seconds")
    return HistoryTarget(path=request.history, patient=prescription.patient, plan=prescription.path,
                         started_at=started_at, visit=uuid.uuid4().hex)


def _record_pain(target: HistoryTarget | None, moment: str, rating: int | None, errors: list[str]) -> None:
    if target is None or rating is None:
        return
    try:
        record_pain(target, moment, rating)
    except HistoryError as exc:
        errors.append(str(exc))


def _week(prescription: Prescription, day: date, target: HistoryTarget | None,
          done_now: tuple[DueExercise, ...]) -> list[str]:
    """The week's lines, what is done read from the history (or, unrecorded, what was just done)."""
    done: dict[str, set[date]] = {}
    if target is not None:
        try:
            with open_history(target.path, create=False) as db:
                done = done_days(db, prescription.patient, week_start(day))
        except HistoryError:
            done = {}
    for item in done_now:
        done.setdefault(item.spec.id, set()).add(day)
    return [f"  {line}" for line in week_text(week_of(prescription, day, done), day)]


def _rating(value: int | None) -> str:
    return "not rated" if value is None else str(value)
