"""Whether the reps could be counted at all: "not measured" with the true reason instead of a count of 0.

The engine counts a rep on the spec's ``[rep]`` metric; where that metric has no value (its landmarks outside
the picture or hidden) no rep can start, and a count of 0 would say the patient did none. When the engine
counted no rep and the rep metric (on the working side, or on either side when none was found) was measured in
fewer than ``MIN_SEEN_SHARE`` of the frames with a person, the report's ``not_measured`` gets ``rep_count``
with the cause read from the track: the metric's landmarks were outside the picture (and past which edge, with
what to do), or inside it but hidden. A camera 2.5 m from a standing adult at hip height, for instance, cuts the
feet off at the bottom of the picture, so the take-off and landing of a jump are never seen.

    reason = reps_not_measured(spec, track, table, result)   # None, or "reps not counted: ..."
    unjudged = rules_not_judged(spec, reason)                 # {"knee_valgus": "judged only during a rep, ..."}

The rules judged only while a rep is going on (``when = "active"``) are then not judged either, and say so.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from formcheck.engine.types import EngineResult
from formcheck.kinematics.metrics import MetricTable
from formcheck.measures.common import col
from formcheck.measures.unseen import (
    MIN_SEEN_SHARE,
    concrete_names,
    landmark_words,
    metric_points,
    outside_edges,
    rules_judged_only_while,
    were,
)
from formcheck.specs.spec import ExerciseSpec
from formcheck.track import PoseTrack

# Where the landmarks left the picture, in words, and what to do about it.
EDGES: Final[dict[str, tuple[str, str]]] = {
    "bottom": ("below the bottom of the picture", "aim the camera lower or move it back"),
    "top": ("above the top of the picture", "aim the camera higher or move it back"),
    "side": ("off the side of the picture", "move the camera back or turn it toward you"),
}


def reps_not_measured(spec: ExerciseSpec, track: PoseTrack, table: MetricTable, result: EngineResult) -> str | None:
    """Why the reps were not counted, or None when they were (or could have been: the rep metric was seen)."""
    if spec.rep is None or result.reps or len(track) == 0:
        return None
    people = track.has_pose
    if not people.any():
        return None
    for name in concrete_names(spec.rep.metric, result.side):
        share = float(np.isfinite(col(table, name))[people].mean())
        if share < MIN_SEEN_SHARE:
            return _reason(name, share, track, people)
    return None


def rules_not_judged(spec: ExerciseSpec, reps_reason: str | None) -> dict[str, str]:
    """Rule id -> why it was not judged, for the rules judged only during a rep when no rep could be counted."""
    if reps_reason is None or spec.hold is not None:
        return {}
    return rules_judged_only_while(spec, "rep", "rep_count")


def _reason(name: str, share: float, track: PoseTrack, people: np.ndarray) -> str:
    """The words: how often the metric was measured, and where its landmarks were instead."""
    points = metric_points([name])
    head = f"reps not counted: {name} was measured in only {share:.0%} of the frames"
    if not points:
        return head
    edges = outside_edges(track, people, points)
    outside = np.any([e.any(axis=1) for e in edges.values()], axis=0)
    words = landmark_words(points)
    if outside.mean() >= 1.0 - MIN_SEEN_SHARE:
        edge = max(edges, key=lambda k: int(edges[k].any(axis=1).sum()))
        where, fix = EDGES[edge]
        return (f"{head}: the body left the picture (the {words} {were(points)} {where} in {outside.mean():.0%} "
                f"of them); {fix} so that the whole body stays in the picture")
    return f"{head}: the {words} {were(points)} hidden (not visible to the pose model); keep them in clear view"
