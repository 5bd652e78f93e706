"""The recorded hold: from when the position is reached until the movement out of it begins (issue 12).

A hold is entered part way through the movement into the position (the criteria's threshold is passed long
before the position is reached) and left part way through the movement out; `settled_span` cuts both
movements off, and keeps the hold itself whole: sway, a slow drift, a reading going further into the
position, a position held within sway of its threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from formcheck.engine.hold import settled_span

FPS = 30.0


@dataclass(frozen=True)
class Cond:
    """A hold condition as `settled_span` reads it: in position when x > on."""

    on: float
    hysteresis: float


def _ease(s: np.ndarray) -> np.ndarray:
    s = np.clip(s, 0.0, 1.0)
    return s**3 * (10 - 15 * s + 6 * s * s)  # minimum jerk, as people move (and the synthetic clips)


def _hold_trace(rest: float, held: float, *, move_s: float, t_in: float, t_out: float, end_s: float,
                sway: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A reading moving from ``rest`` to ``held`` (reached at t_in), held, and back from t_out."""
    t = np.arange(0.0, end_s, 1.0 / FPS)
    x = rest + (held - rest) * (_ease((t - (t_in - move_s)) / move_s) - _ease((t - t_out) / move_s))
    if sway is not None:
        x = x + sway(t)
    return t, x


def _span(t: np.ndarray, x: np.ndarray, cond: Cond) -> tuple[float, float]:
    """The settled span of the frames where the condition is met (the hold as the timer entered it)."""
    inside = np.flatnonzero(x > cond.on)
    trace = [(float(ti), (float(xi),)) for ti, xi in zip(t, x)]
    return settled_span(trace, float(t[inside[0]]), float(t[inside[-1]]), [cond])


def test_a_supine_stretch_hold_is_timed_from_reaching_the_position_to_leaving_it():
    # piriformis stretch: the thigh drawn from 46 to 88 degrees of hip flexion in 1.5 s, held 5.5 s, let back
    t, x = _hold_trace(46.0, 88.0, move_s=1.5, t_in=2.5, t_out=8.0, end_s=11.0,
                       sway=lambda t: 0.8 * np.sin(2 * np.pi * 0.35 * t))
    start, end = _span(t, x, Cond(on=60.0, hysteresis=8.0))
    assert start == pytest.approx(2.5, abs=0.2)
    assert end == pytest.approx(8.0, abs=0.2)
    # within 8 degrees of the level alone (the old rule) counted about 0.3 s of each movement as held
    assert (end - start) - 5.5 < 0.35


def test_a_bridge_hold_loses_the_lift_and_the_lowering():
    # hips lifted from 52 to 3 degrees of hip flexion in 1.2 s ("hips up": flexion < 20, i.e. x = -flexion > -20)
    t, x = _hold_trace(-52.0, -3.0, move_s=1.2, t_in=2.0, t_out=7.0, end_s=9.5,
                       sway=lambda t: 1.0 * np.sin(2 * np.pi * 0.3 * t + 1.0))
    start, end = _span(t, x, Cond(on=-20.0, hysteresis=5.0))
    assert start == pytest.approx(2.0, abs=0.2)
    assert end == pytest.approx(7.0, abs=0.2)  # the old rule (within 5 degrees): 0.37 s of each movement


def test_sway_and_a_slow_drift_do_not_shorten_a_hold():
    # no movement in or out inside the frames given: sway of 1.5 degrees at 0.35 Hz and a drift of 3 degrees
    t = np.arange(0.0, 6.0, 1.0 / FPS)
    x = 85.0 + 1.5 * np.sin(2 * np.pi * 0.35 * t) - 0.5 * t
    trace = [(float(ti), (float(xi),)) for ti, xi in zip(t, x)]
    assert settled_span(trace, 0.0, float(t[-1]), [Cond(on=60.0, hysteresis=8.0)]) == (0.0, float(t[-1]))


def test_going_further_into_the_position_does_not_end_the_hold():
    # the last second: the reading rises fast past its level (deeper into the stretch), as on real clips
    t = np.arange(0.0, 6.0, 1.0 / FPS)
    x = np.where(t < 5.0, 85.0, 85.0 + 20.0 * (t - 5.0))
    trace = [(float(ti), (float(xi),)) for ti, xi in zip(t, x)]
    assert settled_span(trace, 0.0, float(t[-1]), [Cond(on=60.0, hysteresis=8.0)])[1] == pytest.approx(t[-1])


def test_a_position_held_within_sway_of_its_threshold_is_not_cut_by_its_sway():
    # groin stretch: the hip angle held 0.6 degrees past its threshold (the threshold marks the movement's
    # last part) and swaying by a degree at 3 degrees a second
    t = np.arange(0.0, 5.0, 1.0 / FPS)
    x = -105.9 + 0.5 * np.sin(2 * np.pi * 1.0 * t)
    trace = [(float(ti), (float(xi),)) for ti, xi in zip(t, x)]
    assert settled_span(trace, 0.0, float(t[-1]), [Cond(on=-106.5, hysteresis=1.0)]) == (0.0, float(t[-1]))


@pytest.mark.parametrize("exercise", ["isometric_hip_raise", "piriformis_stretch",
                                      "piriformis_stretch_knee_to_shoulder"])
def test_lying_side_view_holds_match_their_truth_on_exact_tracks(exercise):
    from formcheck.evaluate.matrix import exact_cell, matrix_clips
    from formcheck.synth.simulate import simulate

    (clip,) = matrix_clips([exercise])
    cell = exact_cell(simulate(clip, 0))
    assert cell.score.holds and all(abs(h.error_s) <= 0.45 for h in cell.score.holds), cell.score.failures()
    assert cell.passed, cell.score.failures()
