"""The metric catalog is the one declaration of every metric, and the safety rule has one definition.

Every catalog entry has a formula and every computed column an entry; what metrics, context, the overlay and
spec validation use comes from the catalog; the engine's knee_above_hip instances and the per-frame test in
kinematics/safety.py agree frame by frame on a sample track.
"""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.engine import rules as rule_codes
from formcheck.engine.plan import AnyCondition, CompiledCondition, compile_plan, prepare
from formcheck.kinematics import catalog, context, safety
from formcheck.kinematics.formulas import FORMULAS
from formcheck.kinematics.metrics import METRIC_NAMES, MetricsStream, compute_metrics
from formcheck.kinematics.quality import clean_track
from formcheck.kinematics.smoothing import smooth_track
from formcheck.landmarks import INDEX, LANDMARK_NAMES
from formcheck.outputs.overlay import metric_label
from formcheck.specs.spec import KneeAboveHip, load_spec
from formcheck.track_io import read_track

from conftest import SAMPLES


def test_every_entry_has_a_formula_and_every_formula_an_entry():
    assert set(FORMULAS) == set(catalog.METRICS)


def test_every_computed_column_has_an_entry_in_catalog_order():
    table = compute_metrics(read_track(SAMPLES / "bridge_side.track.csv"))
    assert table.names == METRIC_NAMES == catalog.column_names()
    assert all(catalog.lookup(name) is not None for name in table.names)
    assert MetricsStream((640, 360)).names == METRIC_NAMES


def test_column_names_are_the_entries_expanded_by_side():
    expected = [c for info in catalog.METRICS.values() for c in info.columns()]
    assert list(catalog.column_names()) == expected
    assert catalog.lookup("knee_flexion_left") == (catalog.METRICS["knee_flexion"], "left")
    assert catalog.lookup("pelvic_obliquity") == (catalog.METRICS["pelvic_obliquity"], None)
    assert catalog.lookup("knee_flexion") is None and catalog.lookup("knee_flexion_{side}") is None


def test_units_come_from_one_vocabulary():
    assert {info.unit for info in catalog.METRICS.values()} <= set(catalog.UNITS)
    with pytest.raises(ValueError, match="unit must be one of"):
        catalog.MetricInfo("x", False, "degrees", 0, 1, (), "x", "x", "x")


def test_entries_name_real_landmarks():
    names = set(LANDMARK_NAMES)
    for info in catalog.METRICS.values():
        sides = ("left", "right") if info.sided else ("",)
        for side in sides:
            for a, b in info.parts:
                assert {a.replace("S_", f"{side}_"), b.replace("S_", f"{side}_")} <= names, info.name
            if info.anchor is not None:
                assert info.anchor.replace("S_", f"{side}_") in names, info.name
        assert info.low < info.high and info.meaning and info.plain and info.label


def test_context_reads_the_columns_marked_in_the_catalog():
    assert context._COLUMNS == catalog.context_columns()
    assert {"body_yaw", "facing", "trunk_inclination", "thigh_elevation_left"} <= set(context._COLUMNS)


def test_specs_may_use_the_entries_marked_for_specs():
    assert catalog.parse_metric("knee_fppa_{side}").info is catalog.METRICS["knee_fppa"]
    assert catalog.parse_metric("body_yaw") is None  # computed for context, not offered to specs
    assert set(catalog.all_metric_names()) <= set(METRIC_NAMES)
    assert catalog.suggest_metric("hip_flexon_{side}") == "hip_flexion_{side}"


def test_overlay_labels_and_anchors_come_from_the_catalog():
    label = metric_label("knee_fppa_right", 12.4, fault=True)
    assert (label.anchor, label.text, label.fault) == (INDEX["right_knee"], "! right knee angle (front view) 12\u00b0 "
                                                                            "inward", True)
    assert metric_label("foot_height_left", 0.123).text == "left foot height 0.12 leg lengths"
    assert metric_label("trunk_inclination", 5.0).anchor == INDEX["left_shoulder"]
    assert metric_label("body_yaw", 40.0) is None  # no anchor: not drawn
    assert metric_label("hip_flexion_left", float("nan")) is None


# ----------------------------------------------------------------------------------------------
# The safety rule, defined once


def test_spec_defaults_are_the_rules_defaults():
    kah = KneeAboveHip()
    limits = safety.DEFAULT_LIMITS
    assert (kah.threshold_deg, kah.hip_flexion_deg, kah.hysteresis_deg, kah.min_duration_s) == (
        limits.threshold_deg, limits.hip_flexion_deg, limits.hysteresis_deg, limits.min_duration_s)
    assert tuple(kah.positions) == limits.positions and kah.cue == safety.CUE


def test_engine_instances_are_built_from_the_definition():
    spec = load_spec("safety_watch")
    plan = compile_plan(spec, METRIC_NAMES)
    instances = [r for r in plan.rules if r.rule_id == safety.RULE_ID]
    assert [r.side for r in instances] == ["left", "right"]
    for rule in instances:
        front, side = rule.by_view[context.VIEW_CODE["front"]], rule.by_view[context.VIEW_CODE["side"]]
        assert isinstance(front, CompiledCondition) and front.source.name == f"hip_flexion_{rule.side}"
        assert isinstance(side, AnyCondition)
        assert [p.source.name for p in side.parts] == [f"thigh_elevation_{rule.side}", f"hip_flexion_{rule.side}"]
        assert [p.on for p in side.parts] == [0.0, 95.0] and rule.severity == safety.SEVERITY
        assert rule.description == safety.description(safety.DEFAULT_LIMITS)


@pytest.mark.parametrize("clip", ["safety_watch_knee_lifts_side", "jump_landing_front"])
def test_engine_and_per_frame_test_agree(clip):
    track = smooth_track(clean_track(read_track(SAMPLES / f"{clip}.track.csv")))
    table = compute_metrics(track)
    positions = context.detect_position(track, table)
    views, _ = context.detect_view(track, table)
    plan = compile_plan(load_spec("safety_watch"), table.names)
    prepared = prepare(plan, table.values, table.confidence, positions, views)
    for i, rule in enumerate(plan.rules):
        codes = np.array(prepared.rule_codes[i])
        flags = safety.knee_above_hip(table, positions, views, side=rule.side)
        measured = codes <= rule_codes.MEASURED_MAX
        assert np.array_equal(measured, ~np.isnan(flags))
        assert np.array_equal(codes[measured] == rule_codes.ON, flags[measured] == 1.0)
        assert (flags == 1.0).any()  # the clips lift a knee above the hip on each side
