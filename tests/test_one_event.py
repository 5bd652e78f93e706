"""One event per movement (issue 12, item 5): the same rule broken on both sides at overlapping times is one
violation with side "both" (each side's window and peak inside), counted once in the summary, the printed
line, the session page and the history, announced once live; one side after the other stays two events.

The finding: "every bilateral deep squat is reported twice, one window per knee ('knee above hip x4' for two
squats)".
"""

from __future__ import annotations

import pytest

from formcheck.analyze import analyse_track, make_report, summary_text
from formcheck.engine.engine import Engine
from formcheck.engine.merge import RuleFacts, one_event_per_movement
from formcheck.engine.plan import compile_plan
from formcheck.engine.types import Violation
from formcheck.evaluate.scores import score_clip
from formcheck.history.db import open_history
from formcheck.history.query import get_session, list_sessions
from formcheck.history.record import HistoryTarget, record_report
from formcheck.reports.session_data import fault_rows, moments
from formcheck.specs.spec import load_spec
from formcheck.track_io import read_track
from metric_sequences import NAMES, Timeline
from conftest import SAMPLES

STAND = dict(thigh_elevation=-80.0, hip_flexion=10.0)


def squats(n: int = 2) -> Timeline:
    """Standing side view, ``n`` deep squats: both thighs past level together (the left a little deeper)."""
    seq = Timeline(position="standing", view="side").hold(1.5, **STAND)
    for _ in range(n):
        seq.ramp(0.5, thigh_elevation_left=(-80.0, 15.0), thigh_elevation_right=(-80.0, 10.0))
        seq.hold(1.0)
        seq.ramp(0.5, thigh_elevation_left=(15.0, -80.0), thigh_elevation_right=(10.0, -80.0))
        seq.hold(1.5)
    return seq


def knee_lifts_one_after_the_other() -> Timeline:
    """The left knee above the hip, then (after it is down again) the right."""
    seq = Timeline(position="standing", view="side").hold(1.5, **STAND)
    seq.ramp(0.5, thigh_elevation_left=(-80.0, 15.0)).hold(1.0).ramp(0.5, thigh_elevation_left=(15.0, -80.0))
    seq.hold(1.5)
    seq.ramp(0.5, thigh_elevation_right=(-80.0, 12.0)).hold(1.0).ramp(0.5, thigh_elevation_right=(12.0, -80.0))
    return seq.hold(1.5)


def violation(side, start_s, end_s, peak, rule="knee_above_hip", metric=None) -> Violation:
    return Violation(rule, start_s, end_s, side, peak, f"{side} message", "stop",
                     metric or f"thigh_elevation_{side}")


def stepped_events(seq: Timeline, spec):
    engine = Engine(spec, NAMES)
    names, values, conf, pos, views, t_s = seq.arrays()
    events = [e for i in range(len(t_s)) for e in engine.step(i, t_s[i], values[i], conf[i], pos[i], views[i])]
    return engine, events


# ------------------------------------------------------------------------------------------- engine


def test_two_bilateral_squats_are_two_events_not_four():
    result, columns = squats(2).run(load_spec("safety_watch"))
    assert [(v.rule, v.side) for v in result.violations] == [("knee_above_hip", "both")] * 2
    for v in result.violations:
        assert set(v.sides) == {"left", "right"}
        assert v.sides["left"].peak == pytest.approx(15.0) and v.sides["right"].peak == pytest.approx(10.0)
        assert v.peak == pytest.approx(15.0) and v.metric == "thigh_elevation_left"  # the worse side's
        assert v.start_s == min(s.start_s for s in v.sides.values())
        assert v.end_s == max(s.end_s for s in v.sides.values())
        assert v.message == "Keep your knee below the level of your hip."  # no side word for both sides
    # time at fault is the union of the windows, not their sum
    union = sum(v.end_s - v.start_s for v in result.violations)
    assert result.stats.violation_time_s["knee_above_hip"] == pytest.approx(union, abs=1e-3)
    assert columns["fault_knee_above_hip"].max() == 1.0


def test_one_knee_after_the_other_stays_two_events():
    result, _ = knee_lifts_one_after_the_other().run(load_spec("safety_watch"))
    assert [(v.rule, v.side) for v in result.violations] == [("knee_above_hip", "left"), ("knee_above_hip", "right")]
    assert all(v.sides is None for v in result.violations)
    assert result.violations[0].end_s < result.violations[1].start_s


def test_a_bilateral_squat_is_announced_once_live():
    engine, events = stepped_events(squats(1), load_spec("safety_watch"))
    starts = [e for e in events if e.kind == "violation_start"]
    cues = [e for e in events if e.kind == "cue" and e.rule == "knee_above_hip"]
    assert len(starts) == 1 and len(cues) == 1
    assert len(engine.finish().violations) == 1


def test_one_knee_after_the_other_is_announced_each_time():
    _, events = stepped_events(knee_lifts_one_after_the_other(), load_spec("safety_watch"))
    starts = [e.side for e in events if e.kind == "violation_start"]
    assert starts == ["left", "right"]


# ------------------------------------------------------------------------------------------- merging


def test_partly_overlapping_windows_join_into_their_union():
    facts = {"knee_above_hip": RuleFacts(1.0, "Keep your knee down.")}
    [v] = one_event_per_movement([violation("left", 1.0, 3.0, 5.0), violation("right", 2.5, 4.0, 8.0)], facts)
    assert (v.side, v.start_s, v.end_s, v.peak, v.metric) == ("both", 1.0, 4.0, 8.0, "thigh_elevation_right")
    assert (v.sides["left"].start_s, v.sides["left"].end_s, v.sides["right"].start_s) == (1.0, 3.0, 2.5)
    assert v.message == "Keep your knee down."


def test_the_worse_peak_follows_the_rules_direction():
    """A rule broken below its threshold (sign -1): the smaller peak is the worse."""
    facts = {"hip_not_extended": RuleFacts(-1.0, None)}
    pair = [violation("left", 1.0, 2.0, -5.0, "hip_not_extended"),
            violation("right", 1.5, 2.5, -9.0, "hip_not_extended")]
    [v] = one_event_per_movement(pair, facts)
    assert v.peak == -9.0 and v.message == "left message"  # no both-sides cue known: the first side's


def test_touching_is_not_overlapping_and_other_rules_and_unsided_windows_stay_apart():
    facts: dict = {}
    items = [violation("left", 1.0, 2.0, 1.0), violation("right", 2.01, 3.0, 1.0),
             violation("left", 5.0, 6.0, 1.0, rule="knee_valgus"), violation("right", 5.5, 6.5, 1.0),
             violation(None, 8.0, 9.0, 1.0, rule="trunk_lean", metric="trunk_lean"),
             violation(None, 8.5, 9.5, 1.0, rule="trunk_lean", metric="trunk_lean")]
    out = one_event_per_movement(items, facts)
    assert [(v.rule, v.side) for v in out] == [("knee_above_hip", "left"), ("knee_above_hip", "right"),
                                                ("knee_valgus", "left"), ("knee_above_hip", "right"),
                                                ("trunk_lean", None), ("trunk_lean", None)]


def test_merging_twice_changes_nothing():
    facts = {"knee_above_hip": RuleFacts(1.0, "Keep your knee down.")}
    once = one_event_per_movement([violation("left", 1.0, 3.0, 5.0), violation("right", 2.5, 4.0, 8.0)], facts)
    assert one_event_per_movement(once, facts) == once


# ------------------------------------------------------------------------------------- report and beyond


@pytest.fixture(scope="module")
def jump_analysis():
    """The jump-landing sample: both knees cave in at one landing, both hips fold past 90 at another."""
    return analyse_track(read_track(SAMPLES / "jump_landing_front.track.csv"), load_spec("jump_landing"))


@pytest.fixture(scope="module")
def jump_report(jump_analysis) -> dict:
    return make_report(jump_analysis, source="jump_landing_front.track.csv")


def test_the_report_lists_each_movement_once_with_the_per_side_peaks(jump_report):
    faults = [(v["rule"], v["side"]) for v in jump_report["violations"]]
    assert faults == [("knee_valgus", "both"), ("knee_above_hip", "both")]
    for v in jump_report["violations"]:
        assert list(v)[:6] == ["rule", "start_s", "end_s", "side", "peak", "message"]  # the contract's keys first
        assert set(v["sides"]) == {"left", "right"}
        assert {"start_s", "end_s", "peak", "metric"} <= set(v["sides"]["left"])
    summary = jump_report["summary"]
    assert summary["violation_count"] == 2
    assert summary["violations_by_rule"] == {"knee_valgus": 1, "knee_above_hip": 1}


def test_the_printed_line_counts_events(jump_report):
    text = summary_text(jump_report)
    assert "knee valgus x1 (both sides)" in text and "knee above hip x1 (both sides)" in text


def test_the_session_page_has_one_row_per_event_with_each_sides_worst_value(jump_report):
    rows = fault_rows(jump_report, load_spec("jump_landing"))
    assert len(rows) == 2
    rule, side, window, peak, _ = rows[1]
    assert (rule, side) == ("knee above hip", "left and right")
    assert peak.startswith("left ") and ", right " in peak


def test_the_session_pages_fault_picture_draws_both_sides_red(jump_report, jump_analysis):
    plan = compile_plan(jump_analysis.spec, jump_analysis.table.names)
    picture = moments(jump_report, jump_analysis, plan)[1]  # the knee-above-hip event
    for side in ("left", "right"):
        rule = next(r for r in plan.rules if r.rule_id == "knee_above_hip" and r.side == side)
        assert set(rule.segments) <= set(picture.segments)


def test_the_history_counts_events(jump_report, tmp_path):
    target = HistoryTarget(path=tmp_path / "h.sqlite")
    sid = record_report(target, jump_report, kind="analyze", report_path=None)
    with open_history(target.path) as db:
        (listed,) = list_sessions(db)
        full = get_session(db, sid)
    assert listed["violations"] == {"knee_above_hip": 1, "knee_valgus": 1}
    assert [v["side"] for v in full["violation_list"]] == ["both", "both"]


def test_a_both_sides_event_matches_truth_listing_each_side():
    """A truth file may list one movement as a left and a right window: the "both" event matches each."""
    truth = {"schema": "formcheck.truth/1", "exercise": "safety_watch", "reps": [], "holds": [],
             "violations": [{"rule": "knee_above_hip", "side": "left", "start_s": 2.0, "end_s": 3.0},
                            {"rule": "knee_above_hip", "side": "right", "start_s": 2.0, "end_s": 3.0}]}
    report = {"exercise": "safety_watch", "reps": [], "holds": [], "summary": {},
              "violations": [{"rule": "knee_above_hip", "side": "both", "start_s": 2.1, "end_s": 3.1}]}
    score = score_clip(report, truth)
    assert score.precision == 1.0 and score.recall == 1.0
