"""The engine's state machines, sequence in / events out: rules, rep counter, hold timer, cue limiter."""

from __future__ import annotations

import math

import pytest

from formcheck.engine import counter as rc
from formcheck.engine import hold as hc
from formcheck.engine import rules as ru
from formcheck.engine.cues import CueLimiter
from formcheck.engine.side_motion import LEFT, RIGHT, UNDECIDED, RunningRange, SideByMotion

FPS = 30.0


def rule_code(x: float, on: float, hysteresis: float) -> int:
    if math.isnan(x):
        return ru.NM_VALUE
    return ru.ON if x > on else ru.BAND if x > on - hysteresis else ru.OFF


def run_rule(xs, *, on=10.0, hysteresis=5.0, min_duration_s=0.3, clear_s=0.2, gap_s=1.0, codes=None):
    """Feed readings at 30 fps; returns [(start_s, end_s, peak_x)] of finished violations (open ones closed)."""
    tracker = ru.RuleTracker(min_duration_s, clear_s, gap_s)
    found = []
    t = 0.0
    for k, x in enumerate(xs):
        t = k / FPS
        code = codes[k] if codes is not None else rule_code(x, on, hysteresis)
        if tracker.update(t, code, x) == ru.ENDED:
            found.append((tracker.start_s, tracker.end_s, tracker.peak_x))
    if tracker.close(t):
        found.append((tracker.start_s, tracker.end_s, tracker.peak_x))
    return found


class TestRuleTracker:
    def test_sustained_fault_is_one_violation_backdated_to_its_start(self):
        xs = [0.0] * 30 + [15.0] * 30 + [0.0] * 30
        [(start, end, peak)] = run_rule(xs)
        assert start == pytest.approx(1.0)
        assert end == pytest.approx(2.0)
        assert peak == 15.0

    def test_jitter_at_the_threshold_does_not_flicker(self):
        xs = [0.0] * 10 + [9.0 if k % 2 else 11.0 for k in range(90)] + [0.0] * 20
        assert len(run_rule(xs)) == 1
        # without hysteresis and debounce the same jitter is many violations
        assert len(run_rule(xs, hysteresis=0.0, min_duration_s=0.0, clear_s=0.0)) == 45

    def test_a_spike_shorter_than_the_minimum_duration_is_ignored(self):
        xs = [0.0] * 10 + [20.0] * 5 + [0.0] * 10  # 5 frames = 0.17 s < 0.3 s
        assert run_rule(xs) == []
        assert len(run_rule(xs, min_duration_s=0.1)) == 1

    def test_a_short_gap_keeps_the_violation_a_long_one_ends_it_at_the_last_measurement(self):
        short = [15.0] * 30 + [math.nan] * 15 + [15.0] * 30 + [0.0] * 10
        assert len(run_rule(short)) == 1
        long = [15.0] * 30 + [math.nan] * 60 + [15.0] * 30 + [0.0] * 10
        first, second = run_rule(long)
        assert first[1] == pytest.approx(29 / FPS)  # ended at the last measured frame, not in the gap
        assert second[0] == pytest.approx(90 / FPS)

    def test_not_measured_alone_is_never_a_fault(self):
        assert run_rule([math.nan] * 100) == []

    def test_closing_the_gate_ends_the_violation(self):
        xs = [15.0] * 60
        codes = [ru.ON] * 30 + [ru.NA] * 30
        [(start, end, _)] = run_rule(xs, codes=codes)
        assert end == pytest.approx(29 / FPS)


def run_counter(
    values,
    *,
    start=10.0,
    peak=30.0,
    direction=1,
    hysteresis=3.0,
    min_phase_s=0.2,
    max_rep_s=30.0,
    max_gap_s=1.0,
    fps=FPS,
):
    counter = rc.RepCounter(
        start=start,
        peak=peak,
        direction=direction,
        hysteresis=hysteresis,
        min_phase_s=min_phase_s,
        max_rep_s=max_rep_s,
        max_gap_s=max_gap_s,
    )
    outcomes = []
    for k, v in enumerate(values):
        result = counter.update(k / fps, v)
        if result not in (rc.NONE, rc.STARTED):
            outcomes.append(result)
    return outcomes


def ramp(a, b, seconds):
    n = int(seconds * FPS)
    return [a + (b - a) * i / (n - 1) for i in range(n)]


def rep(low=0.0, high=40.0, up_s=1.0, top_s=0.5, down_s=1.0, rest_s=0.5):
    return ramp(low, high, up_s) + [high] * int(top_s * FPS) + ramp(high, low, down_s) + [low] * int(rest_s * FPS)


class TestRepCounter:
    def test_counts_clean_reps(self):
        assert run_counter([0.0] * 10 + rep() * 5) == [rc.COUNTED] * 5

    def test_counts_downward_reps(self):
        values = [45.0] * 10 + [45 - v for v in rep(0, 43)] * 3
        assert run_counter(values, start=32, peak=15, direction=-1) == [rc.COUNTED] * 3

    def test_jitter_at_the_peak_threshold_counts_once(self):
        wobble = [29.0 if k % 2 else 31.0 for k in range(60)]
        values = ramp(0, 30, 1.0) + wobble + ramp(30, 0, 1.0) + [0.0] * 10
        assert run_counter(values) == [rc.COUNTED]

    def test_jitter_at_the_start_threshold_does_not_start_reps(self):
        values = [9.0 if k % 2 else 11.0 for k in range(120)]
        assert run_counter(values) == []  # it never reached the peak, and never looked like a rep

    def test_not_reaching_the_peak_is_a_partial_rep(self):
        assert run_counter(rep(high=20.0)) == [rc.PARTIAL]

    def test_a_rep_too_quick_to_be_real_is_rejected(self):
        glitch = [0.0] * 10 + [40.0] * 2 + [0.0] * 10
        assert run_counter(glitch) == [rc.REJECTED]

    def test_losing_the_metric_too_long_abandons_the_rep_then_waits_for_rest(self):
        values = ramp(0, 40, 1.0) + [math.nan] * 45 + [40.0] * 10 + ramp(40, 0, 1.0) + rep()
        assert run_counter(values) == [rc.ABANDONED, rc.COUNTED]

    def test_a_short_gap_does_not_break_the_rep(self):
        values = ramp(0, 40, 1.0) + [math.nan] * 15 + [40.0] * 10 + ramp(40, 0, 1.0)
        assert run_counter(values) == [rc.COUNTED]

    def test_staying_out_too_long_abandons_the_rep(self):
        values = ramp(0, 40, 1.0) + [40.0] * 120 + ramp(40, 0, 1.0)
        assert run_counter(values, max_rep_s=3.0) == [rc.ABANDONED]

    def test_cannot_start_unless_allowed(self):
        counter = rc.RepCounter(start=10, peak=30, direction=1)
        results = [counter.update(k / FPS, v, can_start=False) for k, v in enumerate(rep())]
        assert rc.COUNTED not in results and rc.STARTED not in results


def run_hold(codes, *, enter_s=0.5, exit_s=0.5, gap_s=1.0, min_hold_s=2.0, target_s=10.0):
    timer = hc.HoldTimer(
        target_s=target_s, enter_s=enter_s, exit_s=exit_s, gap_tolerance_s=gap_s, min_hold_s=min_hold_s
    )
    holds = []
    reached = []
    t = 0.0
    for k, code in enumerate(codes):
        t = k / FPS
        if timer.update(t, code) == hc.TURNED_OFF:
            holds.append((timer.start_s, timer.end_s))
        if timer.reached_target(t):
            reached.append(t)
    if timer.holding:
        timer.presence.close()
        holds.append((timer.start_s, timer.end_s))
    return holds, reached


def seconds(code, s):
    return [code] * int(round(s * FPS))


class TestHoldTimer:
    def test_a_hold_starts_after_the_entry_time_backdated_and_ends_after_the_exit_time(self):
        codes = seconds(hc.OUT, 1) + seconds(hc.IN, 12) + seconds(hc.OUT, 2)
        [(start, end)], reached = run_hold(codes)
        assert start == pytest.approx(1.0)
        assert end == pytest.approx(13.0 - 1 / FPS)
        assert reached == [pytest.approx(11.0)]

    def test_gaps_shorter_than_the_tolerance_do_not_split_a_hold(self):
        codes = seconds(hc.IN, 5) + seconds(hc.UNSEEN, 0.8) + seconds(hc.IN, 5) + seconds(hc.OUT, 1)
        holds, _ = run_hold(codes, gap_s=1.0)
        assert len(holds) == 1
        assert holds[0][1] - holds[0][0] == pytest.approx(10.8 - 1 / FPS)

    def test_gaps_longer_than_the_tolerance_split_a_hold(self):
        codes = seconds(hc.IN, 5) + seconds(hc.UNSEEN, 1.5) + seconds(hc.IN, 5) + seconds(hc.OUT, 1)
        first, second = run_hold(codes, gap_s=1.0)[0]
        assert first[1] == pytest.approx(5.0 - 1 / FPS)
        assert second[0] == pytest.approx(6.5)

    def test_a_brief_step_out_shorter_than_the_exit_time_does_not_end_the_hold(self):
        codes = seconds(hc.IN, 5) + seconds(hc.OUT, 0.3) + seconds(hc.IN, 5) + seconds(hc.OUT, 1)
        assert len(run_hold(codes, exit_s=0.5)[0]) == 1
        assert len(run_hold(codes, exit_s=0.1)[0]) == 2

    def test_jitter_at_a_criterion_threshold_does_not_flicker(self):
        codes = seconds(hc.IN, 2) + [hc.IN if k % 2 else hc.EDGE for k in range(300)] + seconds(hc.OUT, 1)
        assert len(run_hold(codes)[0]) == 1

    def test_holds_shorter_than_the_minimum_are_reported_by_length(self):
        codes = seconds(hc.IN, 1.5) + seconds(hc.OUT, 1)
        [(start, end)], _ = run_hold(codes)
        assert end - start < 2.0  # the engine drops these as "too short"


class TestCueLimiter:
    def test_at_most_one_cue_per_gap(self):
        limiter = CueLimiter(min_gap_s=3.0, repeat_s=10.0)
        assert limiter.allow(0.0, "a")
        assert not limiter.allow(1.0, "b")
        assert limiter.allow(3.5, "b")

    def test_the_same_message_is_not_repeated_soon(self):
        limiter = CueLimiter(min_gap_s=3.0, repeat_s=10.0)
        spoken = [t for t in range(0, 30) if limiter.allow(float(t), "keep your knee straight")]
        assert spoken == [0, 10, 20]

    def test_safety_cues_are_not_held_back_by_other_cues(self):
        limiter = CueLimiter(min_gap_s=3.0, repeat_s=10.0)
        assert limiter.allow(0.0, "chest up")
        assert limiter.allow(0.5, "knee below hip", "stop")
        assert not limiter.allow(1.0, "knee below hip", "stop")
        assert limiter.allow(4.0, "knee below hip", "stop")


class TestSideByMotion:
    def test_running_range_forgets_what_left_the_window(self):
        rng = RunningRange(1.0)
        assert math.isnan(rng.update(0.0, math.nan))
        assert rng.update(0.0, 5.0) == 0.0
        assert rng.update(0.5, 2.0) == 3.0
        assert rng.update(0.9, math.nan) == 3.0  # a missing reading changes nothing
        assert rng.update(1.2, 3.0) == 1.0  # the 5 at 0 s has left the window

    def test_the_still_side_is_picked_once_the_other_has_moved_enough(self):
        side = SideByMotion(2.0, 0.02, sign=-1.0)  # the stiller side works (the standing foot)
        codes = []
        for k in range(120):
            t = k / FPS
            swing = 0.05 * math.sin(math.pi * t) ** 2 if t > 1.0 else 0.0
            codes.append(side.update(t, 0.1 - swing, 0.1 + 0.002 * (k % 2)))
        assert codes[:30] == [UNDECIDED] * 30  # both feet still: no decision
        assert codes[-1] == RIGHT and LEFT not in codes
        mirrored = SideByMotion(2.0, 0.02, sign=1.0)  # the side that moves more works
        assert [mirrored.update(k / FPS, 0.0, 0.1 * (k % 3)) for k in range(10)][-1] == RIGHT

    def test_no_reading_on_one_side_is_undecided(self):
        side = SideByMotion(2.0, 0.02, sign=-1.0)
        assert {side.update(k / FPS, 0.1 * (k % 2), math.nan) for k in range(60)} == {UNDECIDED}
