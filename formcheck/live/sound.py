"""Sounds of live mode: short tones on engine events and spoken cues, never blocking the video loop.

Tones play through the first audio player found (paplay, pw-play, aplay, afplay); speech through the
first text-to-speech command found (espeak-ng, espeak, spd-say, say). Both run on one background
thread fed by a small queue: when it is full, the newest sound replaces nothing and is dropped (a late
beep is worse than none). What is said, and when, is `voice.Speech`'s decision: one line at a time, safety
first, every line recorded (said or held back) for report.json.
"""

from __future__ import annotations

import io
import logging
import math
import queue
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from formcheck.engine.types import Event
from formcheck.errors import InputError
from formcheck.live.voice import DEFAULT_RATE_WPM, Line, Speech, event_lines

log = logging.getLogger(__name__)

PLAYERS: tuple[tuple[str, ...], ...] = (("paplay",), ("pw-play",), ("aplay", "-q"), ("afplay",))
SPEAKERS: tuple[tuple[str, ...], ...] = (("espeak-ng",), ("espeak",), ("spd-say", "--wait"), ("say",))
SAMPLE_RATE = 22050
COMMAND_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Tone:
    """A short beep: one or more (frequency Hz, duration s) notes."""

    name: str
    notes: tuple[tuple[float, float], ...]


TONES: dict[str, Tone] = {
    "rep": Tone("rep", ((880.0, 0.08),)),
    "hold_start": Tone("hold_start", ((660.0, 0.12),)),
    "hold_target_reached": Tone("hold_target_reached", ((660.0, 0.1), (990.0, 0.15))),
    "fault": Tone("fault", ((220.0, 0.25),)),
}
EVENT_TONES: dict[str, str] = {
    "rep": "rep",
    "hold_start": "hold_start",
    "hold_target_reached": "hold_target_reached",
    "violation_start": "fault",
    "pain_stop": "fault",
    "stance_start": "hold_start",  # single-leg stance: lift-off
    "stance_target": "hold_target_reached",
    "stance_end": "rep",  # touch-down
}


def tone_wav(tone: Tone, sample_rate: int = SAMPLE_RATE) -> bytes:
    """The tone as 16-bit mono WAV bytes (with 5 ms fades, so that it does not click)."""
    parts = []
    for freq, duration in tone.notes:
        t = np.arange(int(sample_rate * duration)) / sample_rate
        wave_ = np.sin(2 * math.pi * freq * t)
        fade = min(len(t) // 2, int(0.005 * sample_rate))
        if fade:
            ramp = np.linspace(0.0, 1.0, fade)
            wave_[:fade] *= ramp
            wave_[-fade:] *= ramp[::-1]
        parts.append(wave_)
    samples = (np.concatenate(parts) * 0.4 * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def find_command(candidates: Sequence[tuple[str, ...]], which: Callable[[str], str | None] = shutil.which
                 ) -> tuple[str, ...] | None:
    """The first candidate command whose program is installed."""
    for command in candidates:
        if which(command[0]):
            return command
    return None


def _run_command(args: list[str]) -> None:
    subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=COMMAND_TIMEOUT_S, check=False)


class SoundBoard:
    """Turns engine events into tones, and lines into speech, on a background thread.

    Args:
        voice: speak (when a text-to-speech command exists; the lines are recorded either way).
        tones: play tones (when an audio player exists).
        audio_only: say everything a patient who cannot see the screen needs: each rep count, each hold's
            time to go and end, besides the cues, set changes, count-ins and the summary said anyway.
        language, rate_wpm: the voice's language (an espeak-ng voice such as "en", "de", "fr") and speed in
            words per minute (None: the engine's own defaults).
        player, speaker: the commands to use (default: the first installed of PLAYERS / SPEAKERS).
        run: runs one command to completion (injectable for tests).
    """

    def __init__(
        self,
        *,
        voice: bool = True,
        tones: bool = True,
        audio_only: bool = False,
        language: str | None = None,
        rate_wpm: float | None = None,
        player: tuple[str, ...] | None = None,
        speaker: tuple[str, ...] | None = None,
        run: Callable[[list[str]], None] = _run_command,
        queue_size: int = 4,
    ) -> None:
        self.player = (player or find_command(PLAYERS)) if tones else None
        self.voice = voice
        self.speaker = (speaker or find_command(SPEAKERS)) if voice else None
        self.audio_only = audio_only
        self.language = language
        self.rate_wpm = rate_wpm
        self.speech = Speech(rate_wpm=rate_wpm or DEFAULT_RATE_WPM)
        self._voice_args = voice_arguments(self.speaker, language, rate_wpm)
        self._run = run
        self._queue: queue.Queue[list[str] | None] = queue.Queue(maxsize=queue_size)
        self._tone_files: dict[str, Path] = {}
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.dropped = 0
        self.played: deque[list[str]] = deque(maxlen=64)  # the latest commands run, for tests
        self._thread: threading.Thread | None = None
        if self.player or self.speaker:
            self._thread = threading.Thread(target=self._work, name="sound", daemon=True)
            self._thread.start()

    @property
    def active(self) -> bool:
        return self._thread is not None

    def describe(self) -> str:
        """One line saying what sound is available, for the start of a session."""
        tones = self.player[0] if self.player else "no audio player found"
        voice = self.speaker[0] if self.speaker else "off or no text-to-speech command found"
        return f"tones: {tones}; voice: {voice}" + (" (audio only)" if self.audio_only else "")

    def voice_section(self) -> dict:
        """How speech was set up, for report.json's live section beside `spoken` and `held_back`."""
        heard = self.speaker is not None
        note = None if heard or not self.voice else "no text-to-speech command was found: the lines were not heard"
        return {"engine": self.speaker[0] if heard else None, "language": self.language,
                "rate_wpm": self.rate_wpm, "audio_only": self.audio_only, "on": self.voice, "note": note}

    def on_events(self, events: Sequence[Event]) -> None:
        """Queue the tones and lines for this frame's events (returns at once)."""
        for event in events:
            tone = EVENT_TONES.get(event.kind)
            if tone is not None and self.player:
                self._offer([*self.player, str(self._tone_file(tone))])
        for line in event_lines(events, audio_only=self.audio_only):
            self.speak(line)

    def speak(self, line: Line) -> bool:
        """Say a line if the rate limit lets it through now (it is recorded either way); True if said."""
        if not self.voice:
            return False
        if self.speech.offer(line):
            self._say_now(line.text)
            return True
        return False

    def tick(self, t_s: float) -> None:
        """Say a rep count that waited for the line before it, once that has ended (call once a frame)."""
        if self.voice:
            line = self.speech.due(t_s)
            if line is not None:
                self._say_now(line.text)

    def say(self, text: str, t_s: float, severity: str = "warning") -> bool:
        """Speak a message of live mode itself (set-up advice, camera lost), rate-limited; True if it was.

        `t_s` is on the same clock as the events' times (the session's exercise time).
        """
        return self.speak(Line(t_s, text, "setup", urgent=severity == "stop"))

    def announce(self, text: str, t_s: float, kind: str = "setup") -> None:
        """Speak the answer to a key the patient pressed ("Next exercise: Clamshell") at once, never held back."""
        self.speak(Line(t_s, text, kind, urgent=True))

    def flush(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for what is queued to be played (the end-of-exercise summary)."""
        deadline = time.monotonic() + timeout
        while self._thread is not None and self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)

    def _say_now(self, text: str) -> None:
        if self.speaker:
            self._offer([*self.speaker, *self._voice_args, text])

    def close(self, timeout: float = 2.0) -> None:
        """Stop the sound thread (what is still queued is dropped)."""
        if self._thread is not None:
            while True:
                try:
                    self._queue.get_nowait()
                    self._queue.task_done()
                except queue.Empty:
                    break
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                pass
            self._thread.join(timeout)
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _offer(self, args: list[str]) -> None:
        try:
            self._queue.put_nowait(args)
        except queue.Full:
            self.dropped += 1

    def _tone_file(self, name: str) -> Path:
        path = self._tone_files.get(name)
        if path is None:
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="formcheck-tones-")
            path = Path(self._tmp.name) / f"{name}.wav"
            path.write_bytes(tone_wav(TONES[name]))
            self._tone_files[name] = path
        return path

    def _work(self) -> None:
        while True:
            args = self._queue.get()
            if args is None:
                self._queue.task_done()
                return
            try:
                self._run(args)
                self.played.append(args)
            except Exception as exc:  # a broken sound command must never stop the session
                log.warning("sound command failed: %s", exc)
            finally:
                self._queue.task_done()


def voice_arguments(speaker: tuple[str, ...] | None, language: str | None, rate_wpm: float | None) -> list[str]:
    """The speaker's options for a language and a rate (espeak-ng and espeak: -v, -s; macOS say: -r)."""
    if speaker is None:
        return []
    args: list[str] = []
    if speaker[0] in ("espeak-ng", "espeak"):
        if language:
            args += ["-v", language]
        if rate_wpm:
            args += ["-s", str(round(rate_wpm))]
    elif speaker[0] == "say" and rate_wpm:
        args += ["-r", str(round(rate_wpm))]
    elif speaker[0] == "spd-say" and language:
        args += ["-l", language]
    return args


def espeak_languages(which: Callable[[str], str | None] = shutil.which) -> tuple[str, ...] | None:
    """The languages the installed espeak-ng (or espeak) speaks; None when neither is installed."""
    speaker = find_command((("espeak-ng",), ("espeak",)), which)
    if speaker is None:
        return None
    done = subprocess.run([*speaker, "--voices"], capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
                          check=False)
    rows = [line.split() for line in done.stdout.splitlines()[1:]]
    return tuple(row[1] for row in rows if len(row) > 1)


def check_language(language: str | None, which: Callable[[str], str | None] = shutil.which) -> None:
    """Raise InputError when espeak-ng is the voice and does not speak `language` (listing some it does)."""
    if not language:
        return
    known = espeak_languages(which)
    if known is not None and language not in known:
        near = [k for k in known if k.split("-")[0] == language.split("-")[0]] or list(known[:12])
        raise InputError(f"--voice {language}: espeak-ng has no such language; try one of {', '.join(near)}")


WAV_SPEAKERS: tuple[tuple[str, ...], ...] = (("espeak-ng",), ("espeak",))  # engines that can write a WAV file


def speech_wav(text: str, path: Path, *, which: Callable[[str], str | None] = shutil.which,
               language: str | None = None, rate_wpm: float | None = None) -> Path | None:
    """Speak `text` into a WAV file with the text-to-speech engine live mode uses (None when none is installed)."""
    speaker = find_command(WAV_SPEAKERS, which)
    if speaker is None:
        return None
    subprocess.run([*speaker, *voice_arguments(speaker, language, rate_wpm), "-w", str(path), text], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT_S, check=True)
    return path
