"""Where the pose was lost: spans of a clip in which the person was found in too few frames to judge a movement.

A rep or a hold inside such a span is not counted, and saying only "2 reps" would hide why: the report lists
the spans (``pose_lost``) so that the patient, the therapist and `formcheck evaluate` know which part of the clip
was not measured. A span is where, over a sliding ``window_s``, the person was found in fewer than
``min_found`` of the frames, lasting at least ``min_span_s``::

    pose_lost_spans(t_s, has_pose)   # [{"start_s": 29.0, "end_s": 34.5, "found": 0.44}]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CoverageSettings:
    """What counts as the pose lost: found in under ``min_found`` of the frames of every ``window_s``."""

    window_s: float = 1.0
    min_found: float = 0.6
    min_span_s: float = 1.0
    merge_gap_s: float = 1.0  # spans closer than this are one


def pose_lost_spans(t_s: np.ndarray, found: np.ndarray,
                    settings: CoverageSettings = CoverageSettings()) -> list[dict[str, float]]:
    """The spans where the pose was lost, each with the share of its frames in which a person was found."""
    t = np.asarray(t_s, dtype=float)
    ok = np.asarray(found, dtype=bool)
    if len(t) < 2:
        return []
    half = settings.window_s / 2
    lo = np.searchsorted(t, t - half, side="left")
    hi = np.searchsorted(t, t + half, side="right")
    counts = np.concatenate([[0], np.cumsum(ok)])
    share = (counts[hi] - counts[lo]) / np.maximum(hi - lo, 1)
    lost = share < settings.min_found
    runs: list[list[int]] = []
    for i in np.flatnonzero(lost):
        if runs and t[i] - t[runs[-1][1]] <= settings.merge_gap_s:
            runs[-1][1] = int(i)
        else:
            runs.append([int(i), int(i)])
    return [{"start_s": round(float(t[i]), 3), "end_s": round(float(t[j]), 3),
             "found": round(float(ok[i:j + 1].mean()), 3)}
            for i, j in runs if t[j] - t[i] >= settings.min_span_s]
