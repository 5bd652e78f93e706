"""Live form checking through a webcam (`formcheck live`).

    capture thread (newest frame only) -> pose worker (MediaPipe VIDEO mode) -> pipeline per frame
    (clean, smooth, metrics, context, engine) -> screen (skeleton, red segments, big status strip)
    -> window, sounds, optional recording; report.json at the end, as `analyze` writes it.

A program of several exercises is done in turn (`n` moves on): one report.json per exercise in
OUT/<n>_<exercise>/ and OUT/session.json indexing them.

Modules: capture, worker, pipeline, setup (set-up guidance), sound, keys (keys and window), screen,
program (the exercises of a session and session.json), session (the loop and the outputs).
"""

from formcheck.live.session import LiveOutcome, LiveRequest, LiveStats, run_live

__all__ = ["LiveRequest", "LiveOutcome", "LiveStats", "run_live"]
