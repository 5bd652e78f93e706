"""Sounds of live mode: short tones on engine events and spoken cues, never blocking the video loop.

Tones play through the first audio player found (paplay, pw-play, aplay, afplay); speech through the
first text-to-speech command found (espeak-ng, espeak, spd-say, say). Both run on one background
thread fed by a small queue: when it is full, the newest sound replaces nothing and is dropped (a late
beep is worse than none). Speech is rate-limited with `cues.CueLimiter`; safety cues get through first.
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
import wave
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from formcheck.engine.cues import CueLimiter
from formcheck.engine.types import Event

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
SPOKEN_KINDS = ("cue", "violation_start", "pain_stop", "set_done", "hold_target_reached")


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


def spoken_text(event: Event) -> str | None:
    """What to say for an event (None: nothing)."""
    if event.kind == "set_done":
        return event.message or "Set done. Rest."
    if event.kind == "hold_target_reached":
        return "Well done, you can let go"
    if event.kind in ("cue", "violation_start", "pain_stop"):
        return event.message
    return None


def _run_command(args: list[str]) -> None:
    subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=COMMAND_TIMEOUT_S, check=False)


class SoundBoard:
    """Turns engine events into tones and speech on a background thread.

    Args:
        voice: speak cues (when a text-to-speech command exists).
        tones: play tones (when an audio player exists).
        player, speaker: the commands to use (default: the first installed of PLAYERS / SPEAKERS).
        run: runs one command to completion (injectable for tests).
        limiter: rate limit for speech.
    """

    def __init__(
        self,
        *,
        voice: bool = True,
        tones: bool = True,
        player: tuple[str, ...] | None = None,
        speaker: tuple[str, ...] | None = None,
        run: Callable[[list[str]], None] = _run_command,
        limiter: CueLimiter | None = None,
        queue_size: int = 4,
    ) -> None:
        self.player = (player or find_command(PLAYERS)) if tones else None
        self.speaker = (speaker or find_command(SPEAKERS)) if voice else None
        self.limiter = limiter or CueLimiter(min_gap_s=3.0, repeat_s=10.0)
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
        return f"tones: {tones}; voice: {voice}"

    def on_events(self, events: Sequence[Event]) -> None:
        """Queue the sounds for this frame's events (returns at once)."""
        for event in events:
            tone = EVENT_TONES.get(event.kind)
            if tone is not None and self.player:
                self._offer([*self.player, str(self._tone_file(tone))])
        for event in sorted(events, key=lambda e: e.severity != "stop"):
            if self.speaker and event.kind in SPOKEN_KINDS:
                text = spoken_text(event)
                if text and self.limiter.allow(event.t_s, text, event.severity or "warning"):
                    self._offer([*self.speaker, text])

    def say(self, text: str, t_s: float, severity: str = "warning") -> bool:
        """Speak a message of live mode itself (set-up advice, camera lost), rate-limited; True if it was.

        `t_s` is on the same clock as the events' times (the session's exercise time).
        """
        if self.speaker and self.limiter.allow(t_s, text, severity):
            self._offer([*self.speaker, text])
            return True
        return False

    def announce(self, text: str, t_s: float) -> None:
        """Speak the answer to a key the patient pressed ("Next exercise: Clamshell") at once, never held back."""
        if self.speaker:
            self.limiter.note(t_s, text)
            self._offer([*self.speaker, text])

    def close(self, timeout: float = 2.0) -> None:
        """Stop the sound thread (what is still queued is dropped)."""
        if self._thread is not None:
            while True:
                try:
                    self._queue.get_nowait()
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
                return
            try:
                self._run(args)
                self.played.append(args)
            except Exception as exc:  # a broken sound command must never stop the session
                log.warning("sound command failed: %s", exc)


WAV_SPEAKERS: tuple[tuple[str, ...], ...] = (("espeak-ng",), ("espeak",))  # engines that can write a WAV file


def speech_wav(text: str, path: Path, *, which: Callable[[str], str | None] = shutil.which) -> Path | None:
    """Speak `text` into a WAV file with the text-to-speech engine live mode uses (None when none is installed)."""
    speaker = find_command(WAV_SPEAKERS, which)
    if speaker is None:
        return None
    subprocess.run([*speaker, "-w", str(path), text], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT_S, check=True)
    return path
