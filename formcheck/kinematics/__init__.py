"""Landmarks to measurements: clean-up, smoothing, the metric catalog and formulas, body position and camera view."""
