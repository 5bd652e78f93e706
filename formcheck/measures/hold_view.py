"""Whether the holds could be timed at all: "not measured" with the true reason instead of "no hold".

A hold (the engine's timer on the spec's ``[hold]`` criteria, or the stance measure's lift-off to touch-down)
needs its criteria's metrics; where they have no value (their landmarks outside the picture or hidden) no hold
can start, and an empty list would say the patient held nothing. When no hold was timed and a criterion's metric
(on the working side, or on either side when none was found) was measured in fewer than ``MIN_SEEN_SHARE`` of
the frames with a person, the report's ``not_measured`` gets ``holds`` with the cause read from the track. A
phone on the floor 2.5 m away, for instance, cuts the standing foot off at the bottom of the picture, so a
single-leg stance cannot be told from two feet down (``foot_lift`` needs both ankles in the picture).

    unmeasured = holds_not_measured(spec, track, table, holds)   # {} or {"holds": "holds not timed: ..."}
"""

from __future__ import annotations

from typing import Final, Sequence

import numpy as np

from formcheck.engine.types import Hold
from formcheck.kinematics.metrics import MetricTable
from formcheck.landmarks import LANDMARK_NAMES
from formcheck.measures.unseen import (
    MIN_SEEN_SHARE,
    concrete_names,
    landmark_words,
    metric_points,
    outside_edges,
    rules_judged_only_while,
    seen_share,
    were,
)
from formcheck.specs.spec import ExerciseSpec
from formcheck.track import PoseTrack

# Metrics that read landmarks beyond their catalog parts (foot_lift compares the two ankles).
EXTRA_POINTS: Final[dict[str, tuple[str, ...]]] = {"foot_lift": ("left_ankle", "right_ankle")}


def holds_not_measured(spec: ExerciseSpec, track: PoseTrack, table: MetricTable,
                       holds: Sequence[Hold]) -> dict[str, str]:
    """``{"holds": reason}`` when no hold was timed because a criterion was seen too rarely, with the rules
    judged only while holding (``when = "active"``, no [rep]) as not judged; else ``{}``."""
    if spec.hold is None or holds or len(track) == 0:
        return {}
    people = track.has_pose
    if not people.any():
        return {}
    for criterion in spec.hold.criteria:
        names = concrete_names(criterion.metric)
        share = seen_share(table, names, people)
        if share < MIN_SEEN_SHARE:
            judged = {} if spec.rep is not None else rules_judged_only_while(spec, "hold", "holds")
            return {"holds": _reason(names, share, track, people), **judged}
    return {}


def _points(names: tuple[str, ...]) -> list[int]:
    points = set(metric_points(names))
    for name in names:
        for base, extra in EXTRA_POINTS.items():
            if name.startswith(base):
                points |= {LANDMARK_NAMES.index(p) for p in extra}
    return sorted(points)


def _reason(names: tuple[str, ...], share: float, track: PoseTrack, people: np.ndarray) -> str:
    """The words: how often the criterion was measured, and which landmarks were outside the picture."""
    head = f"holds not timed: {' or '.join(names)} was measured in only {share:.0%} of the frames"
    points = _points(names)
    if not points:
        return head
    edges = outside_edges(track, people, points)
    outside = edges["bottom"] | edges["top"] | edges["side"]
    share_out = outside.mean(axis=0)
    gone = [p for p, s in zip(points, share_out) if s >= 1.0 - MIN_SEEN_SHARE]
    if not gone:
        return f"{head}: the {landmark_words(points)} were hidden (not visible to the pose model); keep them in clear view"
    feet = any(n.startswith("foot_lift") for n in names)
    why = ", so a lifted foot cannot be told from one on the floor" if feet else ""
    fix = "aim the camera lower or move it back" if edges["bottom"].any() else \
        "move the camera back or turn it toward you"
    return (f"{head}: the {landmark_words(gone)} {were(gone)} outside the picture in "
            f"{float(share_out.max()):.0%} of them{why}; {fix} "
            "so that the whole body, feet included, stays in the picture")
