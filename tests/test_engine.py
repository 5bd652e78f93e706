"""The engine on built metric sequences: rules, not measured, views and positions, sides, sets, pain, API."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from formcheck.engine.engine import Engine, run
from formcheck.engine.summary import Summary, merge_results
from formcheck.engine.types import EngineResult, Event
from formcheck.errors import InputError
from formcheck.engine.plan import POSITIONS, VIEWS
from formcheck.kinematics.metrics import MetricTable
from formcheck.specs.spec import load_spec, parse_spec
from metric_sequences import NAMES, Timeline, lifted, rule_count


def spec_from(**changes):
    """A small valid rep spec (a straight leg raise like exercise) with changes applied."""
    data = {
        "id": "test_lift",
        "name": "Test lift",
        "category": "strength",
        "summary": "s",
        "start_position": "supine",
        "view": "side",
        "camera": "c",
        "sides": "both",
        "instructions": ["lift"],
        "dose": {"reps": {"target": 3, "min": 1, "max": 5}, "sets": 2, "rest_s": 20.0},
        "position": {"positions": ["supine"]},
        "side_detect": {"metric": "knee_flexion_{side}", "pick": "lower", "margin": 30.0},
        "rep": {
            "metric": "thigh_elevation_{side}",
            "direction": "up",
            "start": 12.0,
            "peak": 30.0,
            "hysteresis": 4.0,
            "min_phase_s": 0.2,
        },
        "rules": [
            {
                "id": "knee_bent",
                "description": "d",
                "cue": "Keep your {side} knee straight.",
                "metric": "knee_flexion_{side}",
                "op": ">",
                "threshold": 15.0,
                "hysteresis": 5.0,
                "views": ["side"],
            }
        ],
        "safety": {"knee_above_hip": {"enabled": False, "reason": "lying"}},
    }
    data.update(changes)
    return parse_spec(data, "test.toml")


def lifts(seq: Timeline, n: int, *, side: str = "left", knee: float = 0.0, high: float = 40.0) -> Timeline:
    """n straight leg raises on one side, the other knee bent."""
    other = "right" if side == "left" else "left"
    seq.set(**{f"knee_flexion_{other}": 90.0, f"thigh_elevation_{other}": 45.0, f"knee_flexion_{side}": knee})
    for _ in range(n):
        seq.ramp(1.0, **{f"thigh_elevation_{side}": (0.0, high)}).hold(0.5)
        seq.ramp(1.0, **{f"thigh_elevation_{side}": (high, 0.0)}).hold(0.5)
    return seq


def start(position="supine", view="side", **kw) -> Timeline:
    seq = Timeline(position=position, view=view, **kw)
    seq.hold(1.0, thigh_elevation=0.0, knee_flexion=0.0, hip_flexion=0.0, trunk_inclination=90.0)
    return seq


class TestReps:
    def test_counts_per_side_and_reports_the_side(self):
        seq = lifts(lifts(start(), 3, side="left"), 2, side="right")
        result, _ = seq.run(spec_from())
        assert [r.side for r in result.reps] == ["left"] * 3 + ["right"] * 2
        assert [r.n for r in result.reps] == [1, 2, 3, 1, 2]
        assert result.side == "both"
        summary = Summary.build(spec_from(), result, holds=result.holds, violations=result.violations,
                                pose_coverage=1.0, position="supine")
        assert summary.reps_by_side == {"left": 3, "right": 2} and summary.rep_count == 5

    def test_one_side_only_is_reported_as_that_side(self):
        result, _ = lifts(start(), 3, side="right").run(spec_from())
        assert result.side == "right" and len(result.reps) == 3

    def test_a_forced_side_counts_only_that_side(self):
        seq = lifts(lifts(start(), 3, side="left"), 2, side="right")
        result, _ = seq.run(spec_from(), side="right")
        assert [r.side for r in result.reps] == ["right", "right"]
        assert result.side == "right"

    def test_rep_records_peak_time_under_tension_and_faults(self):
        seq = lifts(start(), 1, side="left")
        lifts(seq, 1, side="left", knee=30.0)
        result, _ = seq.run(spec_from())
        first, second = result.reps
        assert first.peak == {"thigh_elevation_left": pytest.approx(40.0)}
        assert 1.0 < first.time_under_tension_s < 3.0
        assert first.violations == () and second.violations == ("knee_bent",)
        [violation] = result.violations
        assert (violation.rule, violation.side, violation.peak) == ("knee_bent", "left", pytest.approx(30.0))
        assert violation.message == "Keep your left knee straight."

    def test_sets_and_rest(self):
        seq = lifts(start(), 4, side="left")
        engine = Engine(spec_from(), NAMES)
        names, values, conf, pos, views, t_s = seq.arrays()
        events = []
        statuses = []
        for i in range(len(t_s)):
            events += engine.step(i, t_s[i], values[i], conf[i], pos[i], views[i])
            statuses.append(engine.status)
        [done] = [e for e in events if e.kind == "set_done"]
        assert done.n == 1
        assert any(s.resting and s.rest_left_s is not None and s.rest_left_s > 0 for s in statuses)
        assert statuses[-1].set_no == 2 and statuses[-1].side_reps == 4 and statuses[-1].rep_count == 4
        assert engine.finish().stats.sets_completed == 1


class TestRulesAndMeasurement:
    def test_a_rule_whose_metric_is_not_visible_is_not_measured_not_a_pass_nor_a_fault(self):
        seq = start()
        lifts(seq, 2, side="left")
        seq.gap(3.0, "knee_flexion_left")  # knee hidden for a while, but the lift still counts
        result, columns = seq.run(spec_from())
        col = columns["fault_knee_bent"]
        hidden = np.isnan(seq.arrays()[1][:, NAMES.index("knee_flexion_left")])
        assert np.isnan(col[hidden]).all()
        assert rule_count(result, "knee_bent") == 0

    def test_never_measured_rules_are_listed_with_a_reason(self):
        seq = start()
        lifts(seq, 2, side="left")
        names, values, conf, pos, views, t_s = seq.arrays()
        values[:, NAMES.index("knee_flexion_left")] = np.nan
        values[:, NAMES.index("knee_flexion_right")] = np.nan
        result, _ = run(spec_from(side_detect=None, sides="left"), MetricTable(names, values, conf), pos, views, t_s)
        assert len(result.reps) == 2
        assert "knee_bent" in result.not_measured
        assert "not visible" in result.not_measured["knee_bent"]
        assert result.stats.measured_fraction["knee_bent"] == 0.0

    def test_a_rule_needing_another_view_is_not_measured_in_this_one(self):
        seq = lifts(start(view="front"), 2, side="left", knee=30.0)
        result, columns = seq.run(spec_from())
        assert rule_count(result, "knee_bent") == 0
        assert "needs a side view" in result.not_measured["knee_bent"]
        assert np.isnan(columns["fault_knee_bent"]).all()

    def test_rule_columns_mark_faults_and_ok_frames(self):
        seq = lifts(start(), 1, side="left")
        lifts(seq, 1, side="left", knee=30.0)
        result, columns = seq.run(spec_from())
        col = columns["fault_knee_bent"]
        assert np.nansum(col == 1) > 0 and np.nansum(col == 0) > 0
        assert set(np.unique(col[~np.isnan(col)])) <= {0.0, 1.0}
        assert set(columns) >= {"in_position", "phase", "side", "rep_count", "hold_elapsed_s"}
        assert columns["rep_count"][-1] == 2


class TestKneeAboveHip:
    def safety(self):
        return load_spec("safety_watch")

    def test_side_view_thigh_above_level_while_standing(self):
        seq = Timeline(position="standing", view="side")
        seq.hold(2.0, thigh_elevation=-80.0, hip_flexion=10.0)
        seq.ramp(0.5, thigh_elevation_left=(-80.0, 15.0)).hold(1.0).ramp(0.5, thigh_elevation_left=(15.0, -80.0))
        seq.hold(1.0)
        result, _ = seq.run(self.safety())
        [v] = result.violations
        assert (v.rule, v.side) == ("knee_above_hip", "left")
        assert v.peak == pytest.approx(15.0)
        assert v.end_s - v.start_s == pytest.approx(1.3, abs=0.2)

    def test_front_view_uses_hip_flexion(self):
        seq = Timeline(position="standing", view="front")
        seq.hold(2.0, thigh_elevation=-80.0, hip_flexion=10.0)
        seq.hold(1.0, hip_flexion_right=110.0, thigh_elevation_right=-70.0).hold(1.0, hip_flexion_right=10.0)
        result, _ = seq.run(self.safety())
        assert [(v.rule, v.side) for v in result.violations] == [("knee_above_hip", "right")]

    def test_side_view_also_flags_hip_flexion_past_the_limit(self):
        """A squat to about parallel with the trunk leaning forward: thigh just below level, hip flexed 115."""
        seq = Timeline(position="standing", view="side")
        seq.hold(1.0, thigh_elevation=-80.0, hip_flexion=10.0)
        seq.hold(1.0, thigh_elevation_left=-5.0, hip_flexion_left=115.0).hold(1.0, thigh_elevation_left=-80.0,
                                                                              hip_flexion_left=10.0)
        result, _ = seq.run(self.safety())
        [v] = result.violations
        assert (v.rule, v.side, v.metric) == ("knee_above_hip", "left", "thigh_elevation_left")
        assert v.peak == pytest.approx(115.0 - 95.0)  # in thigh-elevation units: threshold + the largest margin

    def test_same_movement_same_verdict_in_both_views(self):
        for view in ("side", "front"):
            seq = Timeline(position="standing", view=view)
            seq.hold(1.0, thigh_elevation=-80.0, hip_flexion=10.0)
            seq.hold(1.0, thigh_elevation_right=-10.0, hip_flexion_right=105.0).hold(1.0, hip_flexion_right=10.0)
            seq.hold(1.0, thigh_elevation_right=-30.0, hip_flexion_right=85.0).hold(1.0, hip_flexion_right=10.0)
            result, _ = seq.run(self.safety())
            assert [(v.rule, v.side) for v in result.violations] == [("knee_above_hip", "right")], view

    def test_front_view_ignores_foreshortened_thigh_elevation(self):
        seq = Timeline(position="standing", view="front")
        seq.hold(1.0, thigh_elevation=-80.0, hip_flexion=10.0)
        seq.hold(1.0, thigh_elevation_left=20.0, hip_flexion_left=60.0).hold(1.0, thigh_elevation_left=-80.0)
        result, _ = seq.run(self.safety())
        assert result.violations == ()

    def test_hysteresis_and_minimum_duration_stop_flicker(self):
        seq = Timeline(position="sitting", view="side")
        seq.hold(1.0, thigh_elevation=-10.0)
        for k in range(60):  # noise around level: +1, -1, ...
            seq.hold(1 / 30, thigh_elevation_left=1.0 if k % 2 else -1.0)
        seq.hold(1.0, thigh_elevation_left=-10.0)
        seq.hold(0.2, thigh_elevation_left=20.0).hold(1.0, thigh_elevation_left=-10.0)  # too brief
        result, _ = seq.run(self.safety())
        assert rule_count(result, "knee_above_hip") == 1

    def test_lying_down_is_not_checked(self):
        seq = Timeline(position="supine", view="side")
        seq.hold(3.0, thigh_elevation=40.0, hip_flexion=120.0)
        result, columns = seq.run(self.safety())
        assert result.violations == ()
        assert np.isnan(columns["fault_knee_above_hip"]).all()
        assert result.stats.measured_fraction["knee_above_hip"] is None

    def test_unknown_position_is_not_measured(self):
        seq = Timeline(position="unknown", view="side")
        seq.hold(3.0, thigh_elevation=40.0)
        result, _ = seq.run(self.safety())
        assert result.violations == ()
        assert "position not recognised" in result.not_measured["knee_above_hip"]

    def test_a_cue_is_spoken_at_once_and_not_repeated_within_seconds(self):
        seq = Timeline(position="standing", view="side")
        seq.hold(1.0, thigh_elevation=-80.0)
        for _ in range(3):
            seq.hold(1.0, thigh_elevation_left=10.0).hold(0.5, thigh_elevation_left=-80.0)
        spec = self.safety()
        engine = Engine(spec, NAMES)
        names, values, conf, pos, views, t_s = seq.arrays()
        events = [e for i in range(len(t_s)) for e in engine.step(i, t_s[i], values[i], conf[i], pos[i], views[i])]
        starts = [e for e in events if e.kind == "violation_start"]
        cues = [e for e in events if e.kind == "cue"]
        assert len(starts) == 3
        assert 1 <= len(cues) < 3
        assert cues[0].t_s == starts[0].t_s and cues[0].severity == "stop"
        assert "left knee" in cues[0].message

    def test_a_custom_threshold(self):
        seq = Timeline(position="kneeling", view="side")
        seq.hold(1.0, thigh_elevation=-80.0, hip_flexion=0.0, knee_flexion=90.0)
        seq.hold(2.0, thigh_elevation_right=10.0).hold(1.0, thigh_elevation_right=-5.0)
        assert rule_count(seq.run(self.safety())[0], "knee_above_hip") == 1
        assert rule_count(seq.run(load_spec("hip_flexor_stretch"))[0], "knee_above_hip") == 0  # 15 deg there


class TestStepMatchesRun:
    @pytest.mark.parametrize("exercise", ["straight_leg_raise", "single_leg_stance", "safety_watch"])
    def test_frame_by_frame_and_batch_agree(self, exercise):
        rng = np.random.default_rng(3)
        seq = Timeline(
            position="supine" if exercise == "straight_leg_raise" else "standing",
            view="side" if exercise != "single_leg_stance" else "front",
            noise=1.0,
        )
        seq.hold(
            1.0,
            thigh_elevation=-80.0,
            knee_flexion=5.0,
            foot_lift=0.0,
            hip_flexion=5.0,
            pelvic_drop=0.0,
            trunk_lateral_lean=0.0,
            knee_fppa=0.0,
            knee_flexion_right=90.0,
        )
        for _ in range(4):
            seq.ramp(2.0, thigh_elevation_left=(-80.0, 40.0), foot_lift_right=(0.0, 0.2), foot_lift_left=(0.0, -0.2))
            seq.hold(float(rng.uniform(1, 4)), knee_flexion_left=float(rng.uniform(0, 30)))
            seq.ramp(2.0, thigh_elevation_left=(40.0, -80.0), foot_lift_right=(0.2, 0.0), foot_lift_left=(-0.2, 0.0))
            seq.gap(float(rng.uniform(0, 1.5)))
        spec = load_spec(exercise)
        batch, _ = seq.run(spec)
        engine = Engine(spec, NAMES)
        names, values, conf, pos, views, t_s = seq.arrays()
        for i in range(len(t_s)):
            engine.step(i, t_s[i], values[i], conf[i], pos[i], views[i])
        stepped = engine.finish(t_s[-1])
        assert stepped.reps == batch.reps
        assert stepped.holds == batch.holds
        assert stepped.violations == batch.violations
        assert stepped.stats == batch.stats
        assert len(batch.violations) + len(batch.reps) + len(batch.holds) > 0


class TestPainStopAndApi:
    def test_pain_stop_closes_everything_and_is_recorded(self):
        spec = load_spec("single_leg_stance")
        seq = Timeline(position="standing", view="front")
        seq.hold(1.0, foot_lift=0.0, pelvic_drop=0.0).hold(5.0, **lifted(0.1))
        engine = Engine(spec, NAMES)
        names, values, conf, pos, views, t_s = seq.arrays()
        for i in range(len(t_s)):
            engine.step(i, t_s[i], values[i], conf[i], pos[i], views[i])
        assert engine.status.hold_elapsed_s > 3.0
        events = engine.stop_for_pain(float(t_s[-1]))
        assert [e.kind for e in events][-1] == "pain_stop"
        assert any(e.kind == "hold_end" for e in events)
        assert engine.step(len(t_s), t_s[-1] + 0.1, values[-1], conf[-1], pos[-1], views[-1]) == []
        assert engine.status.stopped_for_pain and engine.status.phase == "stopped"
        result = engine.finish()
        assert result.stats.pain_stop is True
        assert result.stats.pain_stop_t_s == pytest.approx(t_s[-1])
        [hold] = result.holds
        assert hold.side == "left" and not hold.met

    def test_status_shows_active_violations_with_segments_to_draw(self):
        spec = load_spec("safety_watch")
        engine = Engine(spec, NAMES)
        row = np.full(len(NAMES), np.nan)
        row[NAMES.index("thigh_elevation_right")] = 20.0
        conf = np.where(np.isnan(row), 0.0, 0.9)
        for i in range(20):
            engine.step(i, i / 30, row, conf, POSITIONS.index("standing"), VIEWS.index("side"))
        status = engine.status
        [active] = status.violations
        rule, side, message, segments, severity = active
        assert (rule, side, severity) == ("knee_above_hip", "right", "stop")
        assert (24, 26) in segments  # right hip - right knee
        assert status.cue == message and status.cue_is_fault

    def test_events_and_results_are_frozen(self):
        result, _ = lifts(start(), 1).run(spec_from())
        assert isinstance(result, EngineResult)
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.reps[0].n = 5  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            Event("rep", 0.0).kind = "x"  # type: ignore[misc]

    def test_run_gives_what_stepping_gives_frame_by_frame(self):
        seq = lifts(start(), 2)
        names, values, conf, pos, views, t_s = seq.arrays()
        batch, columns = run(spec_from(), MetricTable(names, values, conf), pos, views, t_s)
        engine = Engine(spec_from(), NAMES)
        states = []
        for i in range(len(t_s)):
            engine.step(i, t_s[i], values[i], conf[i], pos[i], views[i])
            states.append(engine.frame_state())
        assert engine.finish() == batch and len(batch.reps) == 2
        assert [s.rep_count for s in states] == columns["rep_count"].tolist()
        assert [s.phase for s in states] == columns["phase"].tolist()
        assert [s.side or "" for s in states] == columns["side"].tolist()

    def test_bad_input_is_an_input_error(self):
        with pytest.raises(InputError, match="side must be"):
            Engine(spec_from(), NAMES, side="middle")
        names, values, conf, pos, views, t_s = lifts(start(), 1).arrays()
        with pytest.raises(InputError, match="one code per frame"):
            run(spec_from(), MetricTable(names, values, conf), pos[:-1], views, t_s)
        with pytest.raises(InputError, match="rows for"):
            run(spec_from(), MetricTable(names, values, conf), pos, views, t_s[:-1])

    def test_a_metric_missing_from_the_table_is_not_computed_not_a_crash(self):
        seq = lifts(start(), 2, knee=30.0)
        names, values, conf, pos, views, t_s = seq.arrays()
        keep = [j for j, n in enumerate(names) if not n.startswith("knee_flexion")]
        spec = spec_from(side_detect=None, sides="left")
        table = MetricTable(tuple(names[j] for j in keep), values[:, keep], conf[:, keep])
        result, _ = run(spec, table, pos, views, t_s)
        assert len(result.reps) == 2
        assert result.not_measured["knee_bent"] == "metric knee_flexion_left is not computed"


def test_time_in_position_is_summed():
    seq = Timeline(position="supine", view="side")
    seq.hold(10.0, knee_flexion=90.0, hip_flexion=45.0)
    seq.set(position="standing").hold(5.0)
    result, _ = seq.run(load_spec("pelvic_tilt"))
    assert result.stats.time_in_position_s == pytest.approx(10.0, abs=0.1)


class TestHoldsWithLostLandmarks:
    def stance(self, gap_s: float) -> Timeline:
        seq = Timeline(position="standing", view="front")
        seq.hold(1.0, foot_lift=0.0, pelvic_drop=0.0).hold(16.0, **lifted(0.1))
        return seq.gap(gap_s).hold(16.0).hold(2.0, **lifted(0.0))

    def test_a_gap_shorter_than_the_tolerance_does_not_split_the_hold(self):
        result, columns = self.stance(0.6).run(load_spec("single_leg_stance"))
        [hold] = result.holds
        assert hold.duration_s == pytest.approx(32.6, abs=0.1) and hold.met  # target 30 s
        assert np.nanmax(columns["hold_elapsed_s"]) == pytest.approx(32.6, abs=0.1)

    def test_a_longer_gap_splits_it(self):
        result, _ = self.stance(1.5).run(load_spec("single_leg_stance"))
        assert [round(h.duration_s) for h in result.holds] == [16, 16]
        assert not any(h.met for h in result.holds)


def test_cues_are_rate_limited_but_every_violation_is_recorded():
    seq = Timeline(position="standing", view="front")
    seq.hold(1.0, foot_lift=0.0, pelvic_drop=0.0, trunk_lateral_lean=0.0, knee_fppa=0.0)
    seq.hold(2.0, **lifted(0.1))
    seq.hold(1.0, pelvic_drop_right=8.0, trunk_lateral_lean=14.0)
    seq.hold(2.0, pelvic_drop_right=0.0, trunk_lateral_lean=0.0)
    seq.hold(1.0, pelvic_drop_right=8.0).hold(2.0, pelvic_drop_right=0.0)
    engine = Engine(load_spec("single_leg_stance"), NAMES)
    names, values, conf, pos, views, t_s = seq.arrays()
    events = [e for i in range(len(t_s)) for e in engine.step(i, t_s[i], values[i], conf[i], pos[i], views[i])]
    starts = [e.rule for e in events if e.kind == "violation_start"]
    cues = [e.rule for e in events if e.kind == "cue"]
    assert sorted(starts) == ["pelvic_drop", "pelvic_drop", "trunk_lean"]
    assert len(cues) == 1  # the second at the same moment, and the repeat 3 s later, are held back
    stats = engine.finish().stats
    assert stats.cues_spoken == 1 and stats.cues_held_back == 2


class TestSummaryAndCounts:
    def test_rep_count_is_the_total_and_side_reps_the_shown_sides(self):
        seq = lifts(lifts(start(), 3, side="left"), 2, side="right")
        engine = Engine(spec_from(), NAMES)
        names, values, conf, pos, views, t_s = seq.arrays()
        for i in range(len(t_s)):
            engine.step(i, t_s[i], values[i], conf[i], pos[i], views[i])
        status = engine.status
        assert (status.side, status.side_reps, status.rep_count) == ("right", 2, 5)
        assert engine.frame_state().rep_count == 5
        _, columns = seq.run(spec_from())
        assert columns["rep_count"][-1] == 5

    def test_the_summary_has_each_key_once_the_contract_first(self):
        result, _ = lifts(start(), 2).run(spec_from())
        summary = Summary.build(spec_from(), result, holds=result.holds, violations=result.violations,
                                pose_coverage=0.5, position="supine")
        data = summary.to_dict()
        assert list(data)[:3] == ["rep_count", "violation_count", "pose_coverage"]
        assert "reps_counted" not in data and "holds_counted" not in data
        assert (data["rep_count"], data["holds"], data["pose_coverage"]) == (2, 0, 0.5)
        assert data["frames"] == result.stats.frames and data["view_seen"] == "side"
        with pytest.raises(dataclasses.FrozenInstanceError):
            summary.rep_count = 3  # type: ignore[misc]

    def test_merged_runs_number_on_and_add_up(self):
        first, _ = lifts(start(), 2, side="left").run(spec_from())
        second, _ = lifts(start(), 3, side="right").run(spec_from())
        merged = merge_results([first, second])
        assert [r.n for r in merged.reps] == [1, 2, 3, 4, 5] and merged.side == "both"
        assert merged.stats.frames == first.stats.frames + second.stats.frames
        a, m = merged.stats.rule_frames["knee_bent"]
        assert (a, m) == tuple(x + y for x, y in zip(first.stats.rule_frames["knee_bent"],
                                                     second.stats.rule_frames["knee_bent"]))
        assert merge_results([first]) is first
