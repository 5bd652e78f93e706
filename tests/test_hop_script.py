"""The synthetic single-leg hop clip is a plausible hop test, and its hops are counted from every camera height
the spec declares: the free foot held clear of the floor throughout, each hop a flight of 10-25 cm."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.evaluate.matrix import exact_cell
from formcheck.landmarks import INDEX
from formcheck.synth.scripts import CLIPS
from formcheck.synth.setups import find_setup, simulate_setup
from formcheck.synth.simulate import simulate
from formcheck.synth.truth import build_truth

CLIP = next(c for c in CLIPS if c.name == "single_leg_hop_right_front")


@pytest.fixture(scope="module")
def sim():
    return simulate(CLIP, 0)


def _foot_bottom(points: np.ndarray, side: str) -> np.ndarray:
    """Height (m, world y up) of a foot's lower point, heel or toe, per frame."""
    return np.minimum(points[:, INDEX[f"{side}_heel"], 1], points[:, INDEX[f"{side}_foot_index"], 1])


def test_free_foot_stays_clear_of_the_floor_while_hopping(sim):
    truth = build_truth(sim)
    t = np.asarray(sim.t_s)
    first, last = truth["reps"][0]["start_s"], truth["reps"][-1]["end_s"]
    during = (t >= first) & (t <= last)
    free = _foot_bottom(np.asarray(sim.landmarks), "left")[during]
    rest = float(np.median(_foot_bottom(np.asarray(sim.landmarks), "left")[t < 0.5]))
    # clearly up (at least 5 cm above where it rests on the floor) even in the deepest landing
    assert free.min() - rest > 0.05


def test_each_hop_flies_10_to_25_cm_and_lands(sim):
    truth = build_truth(sim)
    t = np.asarray(sim.t_s)
    hop = _foot_bottom(np.asarray(sim.landmarks), "right")
    rest = float(np.median(hop[t < 0.5]))
    assert truth["rep_count"] == 5
    for rep in truth["reps"]:
        inside = (t >= rep["start_s"]) & (t <= rep["end_s"])
        rise = hop[inside] - rest
        assert 0.10 <= rise.max() <= 0.25, rep
        assert rise[-5:].max() < 0.005  # back on the floor at the end of the rep


@pytest.mark.parametrize("setup", ["baseline", "low_0.3m", "low_0.6m", "high_1.6m", "far_4.5m", "short_legs",
                                   "long_legs", "staggered_left", "staggered_right", "yaw_+30"])
def test_hops_counted_right_in_every_declared_setup(sim, setup):
    cell = exact_cell(simulate_setup(CLIP, find_setup(setup), 0, sim))
    assert not cell.outside, cell.outside
    assert cell.score is not None and cell.score.rep_error == 0, cell.notes if hasattr(cell, "notes") else cell
    assert cell.score.reps_detected == 5
