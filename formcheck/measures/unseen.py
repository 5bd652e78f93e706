"""What could not be judged because its metric was not seen: the pieces `rep_view` and `hold_view` share.

A metric is "seen" in a frame where it has a value; it needs its landmarks in the picture and visible. These
helpers give a metric template's concrete columns, how often they were seen among the frames with a person,
which of their landmarks were outside the picture (and past which edge), the landmarks in words, and the rules
that are judged only during a rep or a hold (``when = "active"``)."""

from __future__ import annotations

from typing import Final, Iterable

import numpy as np

from formcheck.kinematics.catalog import metric_segments, parse_metric
from formcheck.kinematics.metrics import MetricTable
from formcheck.landmarks import BODY_SIDES, LANDMARK_NAMES
from formcheck.measures.common import col
from formcheck.specs.spec import ExerciseSpec
from formcheck.track import PoseTrack

MIN_SEEN_SHARE: Final = 0.5  # a metric measured in fewer frames with a person than this: not measured


def concrete_names(metric: str, side: str | None = None) -> tuple[str, ...]:
    """The metric's concrete columns: the given side's of a sided template, else both sides'."""
    ref = parse_metric(metric)
    if ref is None or not ref.is_template:
        return (metric,)
    sides = (side,) if side in BODY_SIDES else BODY_SIDES
    return tuple(n for n in (ref.name_for(s) for s in sides) if n is not None)


def seen_share(table: MetricTable, names: Iterable[str], people: np.ndarray) -> float:
    """The share of the frames with a person in which any of the columns has a value."""
    seen = np.zeros(len(people), dtype=bool)
    for name in names:
        seen |= np.isfinite(col(table, name))
    return float(seen[people].mean())


def metric_points(names: Iterable[str]) -> list[int]:
    """The landmarks the columns are computed from (catalog segments), sorted."""
    return sorted({i for name in names for pair in metric_segments(name) for i in pair})


def outside_edges(track: PoseTrack, people: np.ndarray, points: list[int]) -> dict[str, np.ndarray]:
    """(frames with a person, points) masks: each landmark below, above or off the side of the picture."""
    xy = track.xy_px[people][:, points]
    width, height = track.image_size
    with np.errstate(invalid="ignore"):
        return {"bottom": xy[..., 1] > height, "top": xy[..., 1] < 0,
                "side": (xy[..., 0] < 0) | (xy[..., 0] > width)}


def landmark_words(points: list[int]) -> str:
    """"left heel, right heel and left toes": the landmarks in words."""
    names = [LANDMARK_NAMES[i].replace("foot_index", "toes").replace("_", " ") for i in points]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def were(points: list[int]) -> str:
    return "were" if len(points) > 1 else "was"


def rules_judged_only_while(spec: ExerciseSpec, what: str, counted: str) -> dict[str, str]:
    """Rule id -> why it was not judged: the rules judged only during a rep or a hold (``what``), when none
    could be counted (``counted``: the not_measured key that says why)."""
    why = f"judged only during a {what}, and no {what} could be {'counted' if what == 'rep' else 'timed'} " \
          f"(see {counted})"
    return {rule.id: why for rule in spec.rules if rule.when == "active"}
