"""Live form checking through a webcam (`formcheck live`).

    capture thread (newest frame only) -> pose worker (MediaPipe VIDEO mode) -> pipeline per frame
    (clean, smooth, metrics, context, engine) -> screen (skeleton, red segments, big status strip)
    -> window, sounds, optional recording; report.json at the end, as `analyze` writes it.

Modules: capture, worker, pipeline, setup (set-up guidance), sound, keys (keys and window), screen,
session (the loop and the outputs).
"""

from .session import LiveOutcome, LiveRequest, LiveStats, run_live

__all__ = ["LiveRequest", "LiveOutcome", "LiveStats", "run_live"]
