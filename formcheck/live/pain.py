"""The pain rating asked before the first exercise and after the last: 0 to 10 by one key press.

Keys: 0 to 9 give that rating, t gives 10 (for "ten"); q or Esc skips the question. The question is shown
on screen and spoken. Without a window the rating comes from the command line (--pain-before/--pain-after),
else from the terminal, the question spoken there too when a voice is available.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from formcheck.live.screen import Banner, Screen
from formcheck.live.sound import SoundBoard

TEN_KEY = "t"
SKIP_KEYS = (ord("q"), 27)
KEY_HINT = "Press 0 (no pain) to 9, or t for 10 (the worst pain); q to skip."
QUESTIONS = {
    "before": "Before you start: how much pain do you have right now, from 0 to 10?",
    "after": "All done. How much pain do you have now, from 0 to 10?",
}
POLL_S = 0.03
SPOKEN_HINT = "Press a number, or t for ten."
TERMINAL_HINT = "Type a number from 0 to 10, then Enter."
BACKGROUND_BGR = (48, 44, 40)


def rating_for_key(code: int | None) -> int | None:
    """The rating a key press gives: '0'..'9' -> 0..9, 't' -> 10; None for any other key or none."""
    if code is None or code < 0:
        return None
    char = chr(code & 0xFF).lower()
    if char.isdigit():
        return int(char)
    return 10 if char == TEN_KEY else None


def ask_pain(moment: str, window, sound: SoundBoard | None, *, size: tuple[int, int] = (640, 480),
             timeout_s: float | None = None, clock: Callable[[], float] = time.monotonic) -> int | None:
    """Show and speak the question, then wait for a rating key; None when skipped, the window closed or timed out."""
    question = QUESTIONS[moment]
    speak_question(moment, sound)
    screen = Screen(size)
    background = np.empty((screen.height, screen.width, 3), np.uint8)
    background[:] = BACKGROUND_BGR
    canvas = screen.compose(background, banner=Banner(f"{question} {KEY_HINT}"))
    started = clock()
    while True:
        window.show(canvas)
        code = window.poll_key()
        rating = rating_for_key(code)
        if rating is not None:
            return rating
        if code is not None and code >= 0 and (code & 0xFF) in SKIP_KEYS:
            return None
        if window.closed or (timeout_s is not None and clock() - started >= timeout_s):
            return None
        time.sleep(POLL_S)


def speak_question(moment: str, sound: SoundBoard | None, hint: str = SPOKEN_HINT) -> None:
    """Say the pain question (when there is a voice; the line is recorded either way)."""
    if sound is not None:
        sound.announce(f"{QUESTIONS[moment]} {hint}", 0.0)


def ask_in_terminal(moment: str, ask: Callable[[str], int | None], sound: SoundBoard | None) -> int | None:
    """The pain question asked on the terminal (no window): spoken as well, then answered by `ask`."""
    speak_question(moment, sound, TERMINAL_HINT)  # said on the sound thread while the prompt waits
    return ask(moment)
