"""Exercise specs: every bundled spec loads; broken specs name the file, the key and the problem; the CLI."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from formcheck import cli
from formcheck.commands.exercises_cmd import command
from formcheck.errors import SpecError
from formcheck.kinematics.catalog import METRICS, all_metric_names, metric_segments, parse_metric
from formcheck.kinematics import metrics
from formcheck.specs.describe import MEASURE_WORDS, describe
from formcheck.specs.spec import (
    MEASURE_KINDS,
    MEASURE_SECTIONS,
    bundled_ids,
    bundled_specs_dir,
    list_specs,
    load_spec,
    load_spec_file,
    parse_spec,
    resolve_spec,
    validate_file,
)

IDS = bundled_ids()
# What ran for each bundled exercise when measures were chosen by exercise id: (measure, dated on the unsmoothed
# track); every other exercise had none.
MEASURES_BEFORE = {
    "single_leg_stance": ("stance", True),
    "single_leg_squat": ("single_leg_squat", False),
    "jump_landing": ("jump", True),
    "single_leg_hop": ("hop", True),
}
STANDING_OR_SITTING = {"standing", "half_kneeling", "seated"}


def write(tmp_path: Path, text: str, name: str = "custom.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def bridge_text() -> str:
    return (bundled_specs_dir() / "bridge.toml").read_text()


def problem(path: Path) -> str:
    with pytest.raises(SpecError) as info:
        load_spec_file(path)
    return str(info.value)


class TestBundled:
    @pytest.mark.parametrize("exercise", IDS)
    def test_loads_and_is_complete(self, exercise):
        spec = load_spec(exercise)
        assert spec.id == exercise and spec.path.endswith(f"{exercise}.toml")
        assert len(spec.instructions) >= 3 and spec.camera and spec.summary
        assert spec.mode in ("reps", "hold", "watch")
        if spec.mode == "reps":
            assert spec.dose.reps is not None
        if spec.mode == "hold":
            assert spec.dose.hold_s is not None and spec.dose.holds is not None
        if spec.mode == "watch" and spec.category != "safety":
            assert spec.not_measured, "a spec that counts nothing must say what it cannot measure"
        text = describe(spec)
        assert "What formcheck checks" in text and "What formcheck does not check" in text

    @pytest.mark.parametrize("exercise", IDS)
    def test_knee_above_hip_is_on_where_it_means_something(self, exercise):
        spec = load_spec(exercise)
        kah = spec.safety.knee_above_hip
        if spec.start_position in STANDING_OR_SITTING:
            assert kah.enabled
        else:
            assert not kah.enabled and kah.reason

    def test_rule_ids_the_program_relies_on(self):
        rules = {spec.id: set(spec.rule_ids()) for spec in list_specs()}
        assert "knee_bent" in rules["straight_leg_raise"]
        assert rules["safety_watch"] == {"knee_above_hip"}
        for rule in ("knee_above_hip", "knee_bent", "trunk_lean", "knee_valgus", "pelvic_drop"):
            assert sum(rule in found for found in rules.values()) >= 2 or rule == "knee_bent"

    def test_stretch_doses(self):
        for spec in list_specs():
            if spec.category == "stretch":
                assert spec.dose.hold_s.min == 15 and spec.dose.hold_s.max == 30
                assert spec.dose.holds.min == 3 and spec.dose.holds.max == 5
        assert load_spec("single_leg_stance").dose.hold_s.target == 30
        assert {v.id for v in load_spec("single_leg_stance").variants} == {"eyes_closed", "unstable_surface"}

    def test_core_doses(self):
        for name in ("pelvic_clock", "pelvic_tilt", "prone_straight_leg_raise"):
            reps = load_spec(name).dose.reps
            assert (reps.min, reps.max) == (15, 20)

    def test_list_is_in_category_order(self):
        categories = [s.category for s in list_specs()]
        order = ["stretch", "strength", "core", "balance", "functional", "safety"]
        assert categories == sorted(categories, key=order.index)


class TestMeasureSection:
    @pytest.mark.parametrize("exercise", IDS)
    def test_every_bundled_spec_declares_the_measure_it_had(self, exercise):
        measure = load_spec(exercise).measure
        assert (measure.kind, measure.dates_on_unsmoothed) == MEASURES_BEFORE.get(exercise, ("none", False))

    def test_the_stance_contact_is_declared_and_the_hold_gate_opens_no_later(self):
        spec = load_spec("single_leg_stance")
        [lifted] = spec.hold.criteria  # foot_lift_{other} > 0.03: the engine's gate for the stance rules
        contact = spec.measure.contact
        assert (contact.up_above, contact.down_below) == (0.04, 0.02)  # the clinical timer's lift-off, touch-down
        assert lifted.metric == "foot_lift_{other}" and lifted.value <= contact.up_above

    def test_every_kind_has_words_and_a_report_section(self):
        kinds = set(MEASURE_KINDS) - {"none"}
        assert set(MEASURE_WORDS) == kinds and set(MEASURE_SECTIONS) == kinds

    def test_an_unknown_kind_is_one_line_naming_file_and_key(self, tmp_path):
        path = write(tmp_path, bridge_text() + '\n[measure]\nkind = "stanse"\n')
        assert problem(path) == (f"{path}: measure.kind: unknown measure kind 'stanse' (did you mean 'stance'? "
                                 "allowed: none, stance, single_leg_squat, jump, hop)")
        path = write(tmp_path, bridge_text() + '\n[measure]\nkind = "sprint"\n')
        assert problem(path) == (f"{path}: measure.kind: unknown measure kind 'sprint' "
                                 "(allowed: none, stance, single_leg_squat, jump, hop)")

    def test_unknown_key_in_the_section(self, tmp_path):
        path = write(tmp_path, bridge_text() + '\n[measure]\nkind = "jump"\nunsmoothed = true\n')
        assert "measure.unsmoothed: unknown key (did you mean 'unsmoothed_events'?)" in problem(path)

    def test_the_stance_timer_needs_its_contact_thresholds_in_order(self, tmp_path):
        path = write(tmp_path, bridge_text() + '\n[measure]\nkind = "stance"\n')
        assert problem(path) == (f"{path}: measure.contact: missing (the stance timer needs "
                                 "{ up_above, down_below }, leg lengths above the floor line)")
        text = bridge_text() + '\n[measure]\nkind = "stance"\ncontact = { up_above = 0.02, down_below = 0.03 }\n'
        assert "measure.contact: needs down_below < up_above, got 0.03 and 0.02" in problem(write(tmp_path, text))
        text = bridge_text() + '\n[measure]\nkind = "stance"\ncontact = { up_above = 0.04 }\n'
        assert "measure.contact.down_below: missing" in problem(write(tmp_path, text))

    def test_settings_a_kind_does_not_use_are_refused(self, tmp_path):
        text = bridge_text() + '\n[measure]\nkind = "jump"\ncontact = { up_above = 0.04, down_below = 0.02 }\n'
        assert "measure.contact: only used by the stance timer (kind = 'stance', not 'jump')" in problem(
            write(tmp_path, text))
        text = bridge_text() + '\n[measure]\nkind = "single_leg_squat"\nunsmoothed_events = true\n'
        assert "measure.unsmoothed_events: kind 'single_leg_squat' dates no events" in problem(write(tmp_path, text))
        hold = (bundled_specs_dir() / "single_leg_stance.toml").read_text().replace('kind = "stance"',
                                                                                     'kind = "single_leg_squat"')
        message = problem(write(tmp_path, hold))
        assert "measure.kind: 'single_leg_squat' measures each counted rep: needs a [rep] section" in message

    def test_a_custom_spec_can_declare_a_measure(self, tmp_path):
        text = bridge_text().replace('id = "bridge"', 'id = "my_test"') + '\n[measure]\nkind = "hop"\n'
        measure = load_spec_file(write(tmp_path, text)).measure
        assert measure.kind == "hop" and measure.dates_on_unsmoothed and measure.contact is None
        off = text + "unsmoothed_events = false\n"
        assert load_spec_file(write(tmp_path, off)).measure.dates_on_unsmoothed is False
        assert load_spec_file(write(tmp_path, bridge_text())).measure.kind == "none"


class TestBundledDir:
    def test_found_inside_an_installed_package(self, tmp_path):
        (tmp_path / "formcheck" / "exercise_specs").mkdir(parents=True)
        assert bundled_specs_dir(tmp_path / "formcheck") == tmp_path / "formcheck" / "exercise_specs"

    def test_found_beside_the_package_in_a_checkout(self, tmp_path):
        (tmp_path / "formcheck").mkdir()
        (tmp_path / "exercise_specs").mkdir()
        assert bundled_specs_dir(tmp_path / "formcheck") == tmp_path / "exercise_specs"

    def test_missing_is_a_spec_error(self, tmp_path):
        with pytest.raises(SpecError, match="exercise_specs folder not found"):
            bundled_specs_dir(tmp_path)


class TestBrokenSpecs:
    def test_unknown_metric_names_file_key_and_suggests(self, tmp_path):
        path = write(
            tmp_path,
            bridge_text().replace(
                'metric = "hip_flexion_{side}"\ndirection', 'metric = "hip_flexon_{side}"\ndirection'
            ),
        )
        message = problem(path)
        assert message.startswith(f"{path}: rep.metric: unknown metric 'hip_flexon_{{side}}'")
        assert "did you mean 'hip_flexion_{side}'" in message

    def test_wrong_type(self, tmp_path):
        path = write(tmp_path, bridge_text().replace("threshold = -12", 'threshold = "-12"'))
        message = problem(path)
        assert f"{path}: rules[0].threshold:" in message and "valid number" in message and "'-12'" in message

    def test_threshold_out_of_range(self, tmp_path):
        text = bridge_text().replace(
            'metric = "knee_separation"\nop = "<"\nthreshold = 0.7',
            'metric = "knee_separation"\nop = "<"\nthreshold = 40',
        )
        message = problem(write(tmp_path, text))
        assert "rules[1].threshold: 40 is out of range for knee_separation (0 to 10 hip widths)" in message

    def test_missing_dose(self, tmp_path):
        text = bridge_text().replace("[dose]\nreps = { target = 10, min = 8, max = 15 }\nsets = 2\nrest_s = 45\n", "")
        path = write(tmp_path, text)
        assert problem(path) == f"{path}: dose: missing"

    def test_dose_without_what_is_counted(self, tmp_path):
        text = bridge_text().replace("reps = { target = 10, min = 8, max = 15 }\n", "")
        assert "dose.reps: missing (the exercise counts reps" in problem(write(tmp_path, text))

    def test_dose_range_out_of_order(self, tmp_path):
        text = bridge_text().replace(
            "reps = { target = 10, min = 8, max = 15 }", "reps = { target = 20, min = 8, max = 15 }"
        )
        assert "dose.reps: needs min <= target <= max" in problem(write(tmp_path, text))

    def test_unknown_key_suggests_the_right_one(self, tmp_path):
        text = bridge_text().replace("threshold = -12", "thresold = -12")
        message = problem(write(tmp_path, text))
        assert "rules[0].thresold: unknown key (did you mean 'threshold'?)" in message

    def test_every_problem_is_reported_at_once(self, tmp_path):
        text = (
            bridge_text()
            .replace("threshold = -12", "threshold = -200")
            .replace('category = "strength"', 'category = "cardio"')
        )
        path = write(tmp_path, text)
        with pytest.raises(SpecError) as info:
            load_spec_file(path)
        assert "category:" in str(info.value)  # the schema pass stops before the second pass
        text = bridge_text().replace("threshold = -12", "threshold = -200").replace("threshold = 0.7", "threshold = 11")
        with pytest.raises(SpecError) as info:
            load_spec_file(write(tmp_path, text))
        assert len(info.value.problems) == 2 and ";" in str(info.value)

    def test_wrong_rep_direction(self, tmp_path):
        text = bridge_text().replace('direction = "down"', 'direction = "up"')
        assert "rep: with direction 'up' the peak (15) must be above start (32)" in problem(write(tmp_path, text))

    def test_other_side_in_a_bilateral_exercise(self, tmp_path):
        text = bridge_text().replace('metric = "knee_flexion_{side}"', 'metric = "knee_flexion_{other}"')
        assert "position.enter[0].metric: 'knee_flexion_{other}' uses {other}" in problem(write(tmp_path, text))

    def test_side_by_motion_needs_a_sided_template(self, tmp_path):
        data = tomllib.loads((bundled_specs_dir() / "hip_hike.toml").read_text())
        assert parse_spec(data).side_detect.by == "motion"
        data["side_detect"]["metric"] = "pelvic_obliquity"
        data["side_detect"]["positive"] = "left"
        with pytest.raises(SpecError, match=r"side_detect\.by: 'motion' compares the two sides"):
            parse_spec(data)

    def test_safety_rule_cannot_be_redefined_and_off_needs_a_reason(self, tmp_path):
        text = bridge_text().replace('id = "hip_overextension"', 'id = "knee_above_hip"')
        text = text.replace('reason = "You lie on your back', 'note_ = "')
        message = problem(write(tmp_path, text))
        assert "safety.knee_above_hip.note_: unknown key" in message
        text = bridge_text().replace('id = "hip_overextension"', 'id = "knee_above_hip"')
        message = problem(write(tmp_path, text))
        assert "rules[0].id: 'knee_above_hip' is the safety rule" in message

    def test_invalid_toml_names_the_line(self, tmp_path):
        path = write(tmp_path, bridge_text().replace("sets = 2", "sets = = 2"))
        message = problem(path)
        assert message.startswith(f"{path}: invalid TOML") and "line" in message

    def test_missing_file(self, tmp_path):
        assert problem(tmp_path / "nope.toml") == f"{tmp_path / 'nope.toml'}: no such file"

    def test_unknown_id_suggests(self):
        with pytest.raises(SpecError, match=r"unknown exercise 'brige' \(did you mean 'bridge'\?\)"):
            load_spec("brige")

    def test_a_bundled_file_must_match_its_id(self, tmp_path):
        path = write(tmp_path, bridge_text(), "bridge2.toml")
        with pytest.raises(SpecError, match="id: 'bridge' must match the file name 'bridge2'"):
            load_spec_file(path, bundled=True)


class TestCustomSpecs:
    def test_a_path_is_accepted_where_an_id_is(self, tmp_path):
        path = write(tmp_path, bridge_text().replace('id = "bridge"', 'id = "my_bridge"'), "mine.toml")
        assert load_spec(str(path)).id == "my_bridge"
        assert resolve_spec("bridge", path).id == "my_bridge"
        assert resolve_spec("bridge", None).id == "bridge"
        assert resolve_spec(None, None).id == "safety_watch"

    def test_validate_file_lists_problems(self, tmp_path):
        assert validate_file(bundled_specs_dir() / "bridge.toml") == []
        path = write(tmp_path, bridge_text().replace("threshold = -12", "threshold = -400"))
        [line] = validate_file(path)
        assert line.startswith(f"{path}: rules[0].threshold: -400 is out of range")

    def test_parse_spec_from_a_dict(self):
        data = tomllib.loads(bridge_text())
        assert parse_spec(data).id == "bridge"
        data["rules"][0]["metric"] = "pelvis_tilt"
        with pytest.raises(SpecError, match=r"<spec>: rules\[0\]\.metric: unknown metric 'pelvis_tilt'"):
            parse_spec(data)


class TestCatalog:
    def test_names_and_templates(self):
        names = all_metric_names()
        assert "hip_flexion_left" in names and "pelvic_obliquity" in names and "hip_flexion" not in names
        assert parse_metric("knee_fppa_{other}").base == "knee_fppa"
        assert parse_metric("knee_fppa") is None and parse_metric("pelvic_obliquity_left") is None
        assert parse_metric("hip_flexion_{side}").name_for("right") == "hip_flexion_right"
        assert parse_metric("hip_flexion_{other}").name_for("right") == "hip_flexion_left"

    def test_segments_point_at_the_right_landmarks(self):
        assert metric_segments("knee_flexion_left") == ((23, 25), (25, 27))
        assert set(metric_segments("hip_flexion")) == {(11, 23), (23, 25), (12, 24), (24, 26)}
        assert all(
            metric_segments(n)
            for n in all_metric_names()
            if METRICS[n.rsplit("_", 1)[0] if n.endswith(("_left", "_right")) else n].parts
        )

    def test_matches_the_metrics_module(self):
        assert set(all_metric_names()) <= set(metrics.METRIC_NAMES)


class TestCli:
    def test_list(self):
        result = CliRunner().invoke(command, [])
        assert result.exit_code == 0
        for exercise in IDS:
            assert exercise in result.output

    def test_show_says_what_is_and_is_not_checked(self):
        result = CliRunner().invoke(command, ["show", "pelvic_tilt"])
        assert result.exit_code == 0
        assert "Pelvic tilt" in result.output and "Camera: side view" in result.output
        assert "reps are not counted" in result.output
        out = CliRunner().invoke(command, ["show", "straight_leg_raise"]).output
        assert "knee_bent" in out and "10 reps (8 to 15)" in out and "is off" in out
        assert "1. Lie on your back" in out

    def test_show_a_spec_file(self, tmp_path):
        path = write(tmp_path, bridge_text().replace('name = "Bridge"', 'name = "My bridge"'))
        result = CliRunner().invoke(command, ["show", str(path)])
        assert result.exit_code == 0 and "My bridge (bridge)" in result.output

    def test_validate_good_and_bad(self, tmp_path):
        good = shutil.copy(bundled_specs_dir() / "clamshell.toml", tmp_path / "clamshell.toml")
        result = CliRunner().invoke(command, ["validate", str(good)])
        assert result.exit_code == 0 and "ok (clamshell)" in result.output
        bad = write(
            tmp_path,
            bridge_text().replace('metric = "trunk', 'metric = "trnk').replace("threshold = -12", "threshold = -300"),
        )
        result = CliRunner().invoke(command, ["validate", str(good), str(bad)])
        assert isinstance(result.exception, SpecError)
        assert f"{bad}: rules[0].threshold: -300 is out of range" in result.stderr
        assert "1 spec file invalid" in str(result.exception)

    def test_show_mentions_the_measure(self):
        out = CliRunner().invoke(command, ["show", "single_leg_stance"]).output
        assert 'Measure (stance): the single-leg stance timer' in out and 'report section "balance"' in out
        assert "above 0.04 leg lengths and back on it below 0.02" in out and "on the unsmoothed track" in out
        out = CliRunner().invoke(command, ["show", "single_leg_squat"]).output
        assert 'Measure (single_leg_squat)' in out and "dated on" not in out
        assert "Measure (" not in CliRunner().invoke(command, ["show", "bridge"]).output

    def test_validate_refuses_an_unknown_measure_kind(self, tmp_path, capsys):
        bad = write(tmp_path, bridge_text() + '\n[measure]\nkind = "sprint"\n')
        assert cli.main(["exercises", "validate", str(bad)]) == 2
        err = capsys.readouterr().err
        assert f"{bad}: measure.kind: unknown measure kind 'sprint' (allowed: " in err

    def test_validate_a_folder(self):
        result = CliRunner().invoke(command, ["validate", str(bundled_specs_dir())])
        assert result.exit_code == 0 and result.output.count(": ok (") == len(IDS)

    def test_exit_status_two_through_the_formcheck_cli(self, tmp_path, capsys):
        bad = write(tmp_path, bridge_text().replace("rest_s = 45", "rest_s = -5"))
        assert cli.main(["exercises", "validate", str(bad)]) == 2
        err = capsys.readouterr().err
        assert f"{bad}: dose.rest_s: input should be greater than or equal to 0" in err
        assert cli.main(["exercises", "show", "no_such_exercise"]) == 2
