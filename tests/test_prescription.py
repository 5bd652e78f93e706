"""The prescription (plan) file: the contract keys, every problem at once with file, line and key, what is due
when, and specs tailored to the patient (the plan's dose, limits only ever stricter)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.errors import PlanError
from formcheck.program.prescription import load_plan, validate_plan_file
from formcheck.program.schedule import due_on, week_of, week_text, weekdays_of
from formcheck.program.tailor import PlannedDose, tailor_spec
from formcheck.specs.spec import load_spec

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"

ISSUE_PLAN = """\
schema = "formcheck.plan/1"
patient = "P-0042"            # a pseudonym; no real name is ever required
therapist = "Clinic name"     # optional
start = 2026-12-01
end = 2027-02-28              # optional
notes = "after arthroscopy, left hip"

[[exercise]]
id = "bridge"                 # a bundled id, or spec = "path/to/custom.toml"
sets = 3
reps = 12
per_week = 3                  # or days = ["mon", "wed", "fri"]

[[exercise]]
id = "single_leg_stance"
sides = ["left", "right"]
reps = 3
hold_s = 30
per_week = 7

[[exercise]]
id = "straight_leg_raise"
sides = ["left"]
sets = 2
reps = 10
per_week = 5
limits = { hip_flexion_deg = 80 }   # per-patient safety limits, only ever stricter than the spec's
progression = [ { from = 2026-12-15, reps = 15 } ]
"""


def _write(tmp_path: Path, text: str, name: str = "plan.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def plan_file(tmp_path: Path) -> Path:
    return _write(tmp_path, ISSUE_PLAN)


def test_the_issue_plan_validates_with_every_contract_key(plan_file):
    prescription = load_plan(plan_file)
    plan = prescription.plan
    assert (plan.patient, plan.therapist, plan.start, plan.end) == ("P-0042", "Clinic name", date(2026, 12, 1),
                                                                   date(2027, 2, 28))
    assert [s.id for s in prescription.specs] == ["bridge", "single_leg_stance", "straight_leg_raise"]
    assert plan.exercise[2].limits == {"hip_flexion_deg": 80}
    assert plan.exercise[2].progression[0].from_ == date(2026, 12, 15)
    assert validate_plan_file(plan_file) == []


def test_doses_replace_the_specs_and_progression_applies_from_its_date(plan_file):
    prescription = load_plan(plan_file)
    monday, later = date(2026, 12, 7), date(2026, 12, 16)  # a Monday; a Wednesday after the progression
    due = {item.spec.id: item for item in due_on(prescription, monday)}
    assert set(due) == {"bridge", "single_leg_stance", "straight_leg_raise"}
    bridge = due["bridge"].spec
    assert (bridge.dose.sets, bridge.dose.reps.target) == (3, 12)
    stance = due["single_leg_stance"].spec
    assert (stance.dose.holds.target, stance.dose.hold_s.target) == (3, 30.0)
    assert due["single_leg_stance"].sides == ("left", "right")
    assert due["straight_leg_raise"].spec.dose.reps.target == 10
    assert {i.spec.id: i for i in due_on(prescription, later)}["straight_leg_raise"].spec.dose.reps.target == 15
    assert load_spec("bridge").dose.reps.target == 10  # the bundled spec is untouched


def test_per_week_spreads_over_fixed_days_and_days_name_them(tmp_path, plan_file):
    prescription = load_plan(plan_file)
    exercises = prescription.plan.exercise
    assert weekdays_of(exercises[0], date(2026, 12, 7)) == (0, 2, 4)  # 3 a week: mon, wed, fri
    assert weekdays_of(exercises[2], date(2026, 12, 7)) == (0, 1, 2, 3, 4)
    tuesday = date(2026, 12, 8)
    assert [i.spec.id for i in due_on(prescription, tuesday)] == ["single_leg_stance", "straight_leg_raise"]
    assert due_on(prescription, date(2026, 11, 30)) == []  # before start
    assert due_on(prescription, date(2027, 3, 1)) == []  # after end
    days_plan = _write(tmp_path, ISSUE_PLAN.replace("per_week = 3                  # or days", "days = ['tue']  # or"),
                       "days.toml")
    assert [i.spec.id for i in due_on(load_plan(days_plan), tuesday)][0] == "bridge"


def test_the_week_says_what_is_still_due(plan_file):
    prescription = load_plan(plan_file)
    wednesday = date(2026, 12, 9)
    lines = week_text(week_of(prescription, wednesday, {"bridge": {date(2026, 12, 7)}}), wednesday)
    assert lines[0] == "Bridge: 1 of 3 done; still due: Wed 09 Dec, Fri 11 Dec"
    assert lines[1].startswith("Single-leg stance: 0 of 7 done; still due: Wed 09 Dec")


def test_limits_tighten_the_safety_rule_and_rules_and_add_a_rule_where_none_watches():
    squat = tailor_spec(load_spec("single_leg_squat"), PlannedDose(), {"hip_flexion_deg": 80})
    assert squat.safety.knee_above_hip.hip_flexion_deg == 80  # 95 in the spec
    assert "limit_hip_flexion" not in squat.rule_ids()
    bridge = tailor_spec(load_spec("bridge"), PlannedDose(), {"hip_overextension": -5})
    assert {r.id: r.threshold for r in bridge.rules}["hip_overextension"] == -5  # "<" rule: stricter is higher
    slr = tailor_spec(load_spec("straight_leg_raise"), PlannedDose(reps=12), {"hip_flexion_deg": 80,
                                                                                "thigh_elevation_deg": 45})
    rules = {rule.id: rule for rule in slr.rules}
    assert rules["lift_too_high"].threshold == 45  # tightened from 60
    assert rules["limit_hip_flexion"].threshold == 80 and rules["limit_hip_flexion"].op == ">"
    assert slr.dose.reps.target == 12
    by_rule_id = tailor_spec(load_spec("straight_leg_raise"), PlannedDose(), {"knee_bent": 10})
    assert {r.id: r.threshold for r in by_rule_id.rules}["knee_bent"] == 10
    assert {r.id: r.threshold for r in load_spec("straight_leg_raise").rules}["lift_too_high"] == 60


@pytest.mark.parametrize("exercise, limits, message", [
    ("single_leg_squat", {"hip_flexion_deg": 100}, "100 is looser than the spec's 95"),
    ("bridge", {"hip_overextension": -20}, "-20 is looser than the spec's -12"),
    ("bridge", {"banana_deg": 3}, "unknown limit"),
    ("bridge", {"hip_flexion_deg": 500}, "out of range"),
])
def test_a_looser_or_unknown_limit_is_refused(tmp_path, exercise, limits, message):
    key, value = next(iter(limits.items()))
    text = (f'schema = "formcheck.plan/1"\npatient = "P-1"\nstart = 2026-12-01\n\n[[exercise]]\nid = "{exercise}"\n'
            f"per_week = 3\nlimits = {{ {key} = {value} }}\n")
    problems = validate_plan_file(_write(tmp_path, text))
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'plan.toml'}:8: exercise[0].limits.{key}: ")
    assert message in problems[0]


BROKEN = """\
schema = "formcheck.plan/1"
patient = "P-0042"
start = 2026-12-01
end = 2026-11-01
colour = "blue"

[[exercise]]
id = "bridg"
sets = 0
reps = -3
per_week = 3

[[exercise]]
id = "bridge"
reps = 10
days = ["mon", "wed"]
frequency = 2
"""


def test_a_broken_plan_lists_every_problem_with_file_line_and_key(tmp_path):
    path = _write(tmp_path, BROKEN)
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    problems = caught.value.problems
    expected = [(4, "end", "before start"), (5, "colour", "unknown key"), (8, "exercise[0].id", "did you mean 'bridge'"),
                (9, "exercise[0].sets", "greater than or equal to 1"), (10, "exercise[0].reps", "got -3"),
                (17, "exercise[1].frequency", "unknown key")]
    assert len(problems) == len(expected), problems
    for line, (number, key, words) in zip(problems, expected):
        assert line.startswith(f"{path}:{number}: {key}: "), line
        assert words in line, line


def test_plan_validate_prints_one_line_per_problem_and_exits_2(tmp_path, capsys):
    path = _write(tmp_path, BROKEN)
    assert main(["plan", "validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 6 and all(line.startswith(f"formcheck: error: {path}:") for line in err)


@pytest.mark.parametrize("text, key", [
    ('schema = "formcheck.plan/2"\npatient = "P"\nstart = 2026-12-01\n[[exercise]]\nid = "bridge"\nper_week = 1\n',
     "schema"),
    ('schema = "formcheck.plan/1"\nstart = 2026-12-01\n[[exercise]]\nid = "bridge"\nper_week = 1\n', "patient"),
    ('schema = "formcheck.plan/1"\npatient = "P"\nstart = 2026-12-01\n[[exercise]]\nid = "bridge"\n', "exercise[0]"),
    ('schema = "formcheck.plan/1"\npatient = "P"\nstart = 2026-12-01\n[[exercise]]\nid = "bridge"\nper_week = 1\n'
     'hold_s = 0\n', "exercise[0].hold_s"),
    ('schema = "formcheck.plan/1"\npatient = "P"\nstart = 2026-12-01\n[[exercise]]\nid = "bridge"\nper_week = 1\n'
     'sides = ["left"]\n', "exercise[0].sides"),
    ('schema = "formcheck.plan/1"\npatient = "P"\nstart = 2026-12-01\n[[exercise]]\nid = "bridge"\nper_week = 1\n'
     'progression = [ { from = 2026-11-01, reps = 12 } ]\n', "exercise[0].progression[0].from"),
    ('schema = "formcheck.plan/1"\npatient = "P"\nstart = 2026-12-01\n[[exercise]]\nid = "bridge"\nper_week = 8\n',
     "exercise[0].per_week"),
])
def test_each_kind_of_problem_names_its_key(tmp_path, text, key):
    problems = validate_plan_file(_write(tmp_path, text))
    assert len(problems) == 1, problems
    assert f": {key}: " in problems[0], problems


def test_a_custom_spec_is_found_beside_the_plan(tmp_path):
    (tmp_path / "specs").mkdir()
    custom = load_spec("bridge").model_dump(mode="json", exclude_none=True)
    custom_text = (Path(load_spec("bridge").path).read_text(encoding="utf-8")
                   .replace('id = "bridge"', 'id = "my_bridge"'))
    (tmp_path / "specs" / "my_bridge.toml").write_text(custom_text, encoding="utf-8")
    path = _write(tmp_path, 'schema = "formcheck.plan/1"\npatient = "P"\nstart = 2026-12-01\n[[exercise]]\n'
                            'spec = "specs/my_bridge.toml"\nreps = 7\nper_week = 2\n')
    prescription = load_plan(path)
    assert custom["id"] == "bridge" and prescription.specs[0].id == "my_bridge"
    assert due_on(prescription, date(2026, 12, 7))[0].spec.dose.reps.target == 7


def test_plan_show_prints_the_day_and_the_week(plan_file, capsys):
    assert main(["plan", "show", str(plan_file), "--date", "2026-12-16"]) == 0
    out = capsys.readouterr().out
    assert "Due on Wed 16 Dec 2026:" in out
    assert "Straight leg raise (straight_leg_raise): 2 x 15 reps, left side; limits: hip_flexion_deg 80" in out
    assert "Bridge: 0 of 3 done; still due: Wed 16 Dec, Fri 18 Dec" in out


def test_analyze_with_a_plan_uses_its_dose_and_limits_and_records_the_patient(plan_file, tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["analyze", str(SAMPLES / "straight_leg_raise_right_side.track.csv"), "-e", "straight_leg_raise",
                   "--plan", str(plan_file), "--out", str(out), "--no-video", "--date", "2026-12-16"])
    assert status == 0, capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["rep_target"] == 15
    assert "limit_hip_flexion" in report["summary"]["measured_fraction"]
    assert "Recorded in the history as session 1" in capsys.readouterr().out
    assert main(["history", "list", "--json"]) == 0
    (session,) = json.loads(capsys.readouterr().out)
    assert (session["patient"], session["plan"], session["started_at"][:10]) == ("P-0042", str(plan_file),
                                                                                "2026-12-16")


def test_analyze_with_a_plan_refuses_an_exercise_it_does_not_have(plan_file, tmp_path, capsys):
    status = main(["analyze", str(SAMPLES / "clamshell_right_front.track.csv"), "-e", "clamshell",
                   "--plan", str(plan_file), "--out", str(tmp_path / "out"), "--no-video"])
    assert status == 2
    assert "the plan has no exercise 'clamshell'" in capsys.readouterr().err
    assert not (tmp_path / "out" / "report.json").exists()
