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
from formcheck.kinematics.catalog import metric_segments, parse_metric
from formcheck.kinematics.metrics import MetricTable
from formcheck.landmarks import BODY_SIDES, LANDMARK_NAMES
from formcheck.measures.common import col
from formcheck.specs.spec import ExerciseSpec
from formcheck.track import PoseTrack

MIN_SEEN_SHARE: Final = 0.5  # a hold criterion measured in fewer frames than this: holds are not timed
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
        names = _concrete(criterion.metric)
        seen = np.zeros(len(track), dtype=bool)
        for name in names:
            seen |= np.isfinite(col(table, name))
        share = float(seen[people].mean())
        if share < MIN_SEEN_SHARE:
            return {"holds": _reason(names, share, track, people), **_rules_not_judged(spec)}
    return {}


def _rules_not_judged(spec: ExerciseSpec) -> dict[str, str]:
    """The rules judged only during a hold, when no hold could be timed."""
    if spec.rep is not None:
        return {}
    why = "judged only during a hold, and no hold could be timed (see holds)"
    return {rule.id: why for rule in spec.rules if rule.when == "active"}


def _concrete(metric: str) -> tuple[str, ...]:
    """The metric's concrete columns: both sides of a sided template."""
    ref = parse_metric(metric)
    if ref is None or not ref.is_template:
        return (metric,)
    return tuple(n for n in (ref.name_for(s) for s in BODY_SIDES) if n is not None)


def _points(names: tuple[str, ...]) -> list[int]:
    points = {i for name in names for pair in metric_segments(name) for i in pair}
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
    xy = track.xy_px[people][:, points]
    width, height = track.image_size
    with np.errstate(invalid="ignore"):
        outside = (xy[..., 1] > height) | (xy[..., 1] < 0) | (xy[..., 0] < 0) | (xy[..., 0] > width)
    share_out = outside.mean(axis=0)
    gone = [p for p, s in zip(points, share_out) if s >= 1.0 - MIN_SEEN_SHARE]
    if not gone:
        return f"{head}: the {_words(points)} were hidden (not visible to the pose model); keep them in clear view"
    feet = any(n.startswith("foot_lift") for n in names)
    why = ", so a lifted foot cannot be told from one on the floor" if feet else ""
    below = bool((xy[..., 1] > height).any())
    fix = "aim the camera lower or move it back" if below else "move the camera back or turn it toward you"
    return (f"{head}: the {_words(gone)} {'were' if len(gone) > 1 else 'was'} outside the picture in "
            f"{float(share_out.max()):.0%} of them{why}; {fix} "
            "so that the whole body, feet included, stays in the picture")


def _words(points: list[int]) -> str:
    names = [LANDMARK_NAMES[i].replace("foot_index", "toes").replace("_", " ") for i in points]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
