"""What native libraries (FFmpeg, MediaPipe) write straight to the process's stderr, captured safely.

File descriptor 2 is one per process, so this module is its one owner: every redirection of it in
formcheck goes through `captured_stderr`, which holds one lock while fd 2 points at its sink. Threads that
capture at the same moment take turns, so fd 2 always comes back to what it was; a capture nested inside
another on the same thread works too (the lock is re-entrant) and hands fd 2 back to the outer sink. While
fd 2 is redirected, whatever any thread writes to it lands in the sink, so blocks stay short: opening a
file, a camera or a video writer, creating or resetting a pose model::

    with captured_stderr() as native_log:
        capture = cv2.VideoCapture(path)
    reason = native_log.text
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator

STDERR_FD = 2
_FD2_LOCK = threading.RLock()  # held while fd 2 is redirected; the only guard of the process-wide descriptor


class CapturedStderr:
    """What native code wrote to fd 2 inside `captured_stderr`; ``text`` is filled when the block ends."""

    __slots__ = ("text",)

    def __init__(self) -> None:
        self.text = ""


@contextlib.contextmanager
def captured_stderr() -> Iterator[CapturedStderr]:
    """Send fd 2 to a temporary file while the block runs; its text is ``.text`` afterwards.

    Python's own ``sys.stderr`` is flushed first so that nothing written before lands in the capture.
    Other threads that capture wait until this block ends (keep the block short). When fd 2 cannot be
    duplicated (the process has no stderr), nothing is redirected and ``text`` stays empty.
    """
    captured = CapturedStderr()
    with _FD2_LOCK:
        try:
            saved = os.dup(STDERR_FD)
        except OSError:
            yield captured
            return
        try:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            with tempfile.TemporaryFile() as sink:
                os.dup2(sink.fileno(), STDERR_FD)
                try:
                    yield captured
                finally:
                    with contextlib.suppress(Exception):
                        sys.stderr.flush()
                    os.dup2(saved, STDERR_FD)
                    sink.seek(0)
                    captured.text = sink.read().decode("utf-8", errors="replace")
        finally:
            os.close(saved)
