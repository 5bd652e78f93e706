"""Keys of live mode and the window that shows the picture (or none, with --no-window).

space pause/resume, n next side, r reset the count, p pain (stop at once), t patient / therapist view,
q or Esc quit.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable

import cv2
import numpy as np

from formcheck.errors import InputError

PAUSE, NEXT, RESET, PAIN, VIEW, QUIT = "pause", "next", "reset", "pain", "view", "quit"
ESC = 27
KEY_ACTIONS: dict[int, str] = {
    ord(" "): PAUSE,
    ord("n"): NEXT,
    ord("r"): RESET,
    ord("p"): PAIN,
    ord("t"): VIEW,
    ord("q"): QUIT,
    ESC: QUIT,
}
KEY_HELP = "space pause   n next side   r reset   p pain   t view   q quit"


def action_for_key(code: int) -> str | None:
    """The action of a key code as `cv2.waitKey` returns it (-1: no key); upper case works too."""
    if code is None or code < 0:
        return None
    code &= 0xFF
    if ord("A") <= code <= ord("Z"):
        code += ord("a") - ord("A")
    return KEY_ACTIONS.get(code)


class ScriptedKeys:
    """Key presses for tests and benchmarks: ``{frame_number: key}`` or a list, one key per poll."""

    def __init__(self, keys: dict[int, int | str] | Iterable[int | str]) -> None:
        items = keys.items() if isinstance(keys, dict) else enumerate(keys)
        self._keys = {int(n): (ord(k) if isinstance(k, str) else int(k)) for n, k in items}
        self.polls = 0

    def __call__(self) -> int:
        key = self._keys.get(self.polls, -1)
        self.polls += 1
        return key


def check_display() -> None:
    """Raise InputError when a window cannot be opened (Linux without an X or Wayland display)."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise InputError("no display to open a window on (DISPLAY is not set); use --no-window")


class Window:
    """An OpenCV window: `show(image)`, `poll_key()`, `closed` when the patient closed it.

    `show_fn` is `cv2.imshow` unless injected (tests wrap it to see the exact image shown).
    """

    def __init__(self, title: str = "formcheck live", *, show_fn: Callable[[str, np.ndarray], None] | None = None,
                 size: tuple[int, int] | None = None) -> None:
        self.title = title
        self._show = show_fn or cv2.imshow
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO)
        if size is not None:
            cv2.resizeWindow(title, *size)
        self._shown = False
        self._open = True

    def show(self, image: np.ndarray) -> None:
        self._show(self.title, image)
        self._shown = True

    def poll_key(self) -> int:
        return cv2.waitKey(1)

    @property
    def closed(self) -> bool:
        """True once the window was closed by the patient (its close button)."""
        if not self._open:
            return True
        if not self._shown:
            return False
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def visible(self) -> bool:
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) >= 1
        except cv2.error:
            return False

    def close(self) -> None:
        if self._open:
            self._open = False
            try:
                cv2.destroyWindow(self.title)
                cv2.waitKey(1)
            except cv2.error:
                pass


class NoWindow:
    """--no-window: nothing is shown; keys come from `keys` (none by default)."""

    def __init__(self, keys: Callable[[], int] | None = None) -> None:
        self._keys = keys
        self.closed = False

    def show(self, image: np.ndarray) -> None:
        pass

    def poll_key(self) -> int:
        return self._keys() if self._keys is not None else -1

    def close(self) -> None:
        pass
