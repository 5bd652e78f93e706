"""Scoring of reports against truth (formcheck.evaluate) with hand-built documents, and the CLI around it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.errors import InputError
from formcheck.evaluate.folder import FolderRequest, evaluate_folder
from formcheck.evaluate.scores import (
    evaluation_json,
    format_table,
    read_report,
    read_truth,
    score_clip,
    summarise,
)


def truth_doc(*, reps=(), holds=(), violations=(), rules=("knee_valgus", "trunk_lean"), exercise="single_leg_squat",
              clip="clip_a") -> dict:
    reps = list(reps)
    return {
        "schema": "formcheck.truth/1",
        "clip": clip,
        "exercise": exercise,
        "reps": reps,
        "rep_count": sum(1 for r in reps if r.get("full", True)),
        "partial_reps": sum(1 for r in reps if not r.get("full", True)),
        "holds": list(holds),
        "violations": list(violations),
        "rules_checked": [{"rule": r} for r in rules],
    }


def report_doc(*, reps=0, holds=(), violations=(), exercise="single_leg_squat", partial=0) -> dict:
    return {
        "schema": "formcheck.report/1",
        "exercise": exercise,
        "reps": [{"n": i + 1, "start_s": 2.0 * i, "end_s": 2.0 * i + 1.5, "side": "left"} for i in range(reps)],
        "holds": list(holds),
        "violations": list(violations),
        "summary": {"partial_reps": partial},
    }


def rep(start, end, full=True):
    return {"start_s": start, "end_s": end, "side": "left", "full": full}


def hold(start, end, side="left"):
    return {"start_s": start, "end_s": end, "duration_s": end - start, "side": side}


def viol(rule, start, end, side=None):
    return {"rule": rule, "start_s": start, "end_s": end, "side": side}


# ---------------------------------------------------------------------------------------------- reps


def test_rep_count_exact_and_partial_reps_are_not_reps():
    truth = truth_doc(reps=[rep(1, 3), rep(4, 6, full=False), rep(7, 9)])
    score = score_clip(report_doc(reps=2, partial=1), truth)
    assert (score.reps_truth, score.reps_detected, score.rep_error) == (2, 2, 0)
    assert score.partial_truth == 1 and score.partial_detected == 1
    assert score.passed


def test_rep_count_error_is_signed_and_fails():
    truth = truth_doc(reps=[rep(1, 3), rep(4, 6)])
    assert score_clip(report_doc(reps=3), truth).rep_error == 1
    short = score_clip(report_doc(reps=0), truth)
    assert short.rep_error == -2 and not short.passed
    assert "reps 0 counted, 2 true" in short.failures()


# --------------------------------------------------------------------------------------------- holds


def test_holds_paired_by_overlap_with_signed_duration_error():
    truth = truth_doc(holds=[hold(2.0, 7.0), hold(10.0, 12.5)])
    report = report_doc(holds=[hold(9.8, 12.9), hold(1.9, 7.3)])
    score = score_clip(report, truth)
    errors = [round(h.error_s, 3) for h in score.holds]
    assert errors == [0.4, 0.6]
    assert score.max_hold_error_s == pytest.approx(0.6)
    assert not score.holds_ok  # 0.6 s > 0.5 s
    assert score_clip(report, truth, hold_tolerance_s=0.6).holds_ok


def test_hold_of_the_other_side_does_not_pair_and_counts_as_extra():
    truth = truth_doc(holds=[hold(2.0, 7.0, "left")])
    score = score_clip(report_doc(holds=[hold(2.0, 7.0, "right")]), truth)
    assert score.holds_missed == 1
    assert len(score.extra_holds) == 1
    assert not score.passed


def test_hold_without_side_pairs_with_either():
    truth = truth_doc(holds=[hold(2.0, 7.0, None)])
    score = score_clip(report_doc(holds=[hold(2.2, 7.0, "right")]), truth)
    assert score.holds_missed == 0 and score.holds[0].error_s == pytest.approx(-0.2)
    assert score.passed


def test_one_detected_hold_spanning_two_true_holds_pairs_once():
    truth = truth_doc(holds=[hold(1.0, 4.0), hold(5.0, 6.0)])
    score = score_clip(report_doc(holds=[hold(1.0, 6.0)]), truth)
    assert score.holds[0].detected is not None  # the larger overlap wins
    assert score.holds[1].detected is None
    assert score.holds_missed == 1 and not score.passed


def test_holds_that_do_not_overlap_do_not_pair():
    truth = truth_doc(holds=[hold(1.0, 4.0)])
    score = score_clip(report_doc(holds=[hold(4.0, 8.0)]), truth)
    assert score.holds_missed == 1 and len(score.extra_holds) == 1


# ---------------------------------------------------------------------------------------- violations


def test_no_violations_in_either_is_perfect():
    score = score_clip(report_doc(), truth_doc())
    assert score.precision == 1.0 and score.recall == 1.0 and score.passed


def test_detection_without_truth_is_a_false_alarm():
    score = score_clip(report_doc(violations=[viol("trunk_lean", 3, 4)]), truth_doc())
    assert score.precision == 0.0 and score.recall == 1.0
    assert not score.passed
    assert "false trunk_lean 3.0-4.0 s" in score.failures()


def test_missed_truth_window_lowers_recall():
    truth = truth_doc(violations=[viol("knee_valgus", 8.5, 9.7, "right"), viol("knee_valgus", 11.4, 12.6, "right")])
    score = score_clip(report_doc(violations=[viol("knee_valgus", 8.6, 9.5, "right")]), truth)
    assert score.recall == 0.5 and score.precision == 1.0
    assert "missed knee_valgus right 11.4-12.6 s" in score.failures()


def test_extra_detection_lowers_precision_only():
    truth = truth_doc(violations=[viol("knee_valgus", 8.5, 9.7, "right")])
    report = report_doc(violations=[viol("knee_valgus", 8.6, 9.5, "right"), viol("knee_valgus", 14.0, 14.5, "right")])
    score = score_clip(report, truth)
    assert score.recall == 1.0 and score.precision == 0.5


def test_wrong_rule_does_not_match():
    truth = truth_doc(violations=[viol("knee_valgus", 8.5, 9.7, "right")])
    score = score_clip(report_doc(violations=[viol("trunk_lean", 8.5, 9.7)]), truth)
    assert score.recall == 0.0 and score.precision == 0.0


def test_side_mismatch_does_not_match_but_a_missing_side_does():
    truth = truth_doc(violations=[viol("knee_valgus", 8.5, 9.7, "right")])
    assert score_clip(report_doc(violations=[viol("knee_valgus", 8.5, 9.7, "left")]), truth).recall == 0.0
    assert score_clip(report_doc(violations=[viol("knee_valgus", 8.5, 9.7, None)]), truth).recall == 1.0
    unsided = truth_doc(violations=[viol("trunk_lean", 2.0, 3.0, None)])
    assert score_clip(report_doc(violations=[viol("trunk_lean", 2.0, 3.0, "left")]), unsided).precision == 1.0


@pytest.mark.parametrize(
    ("start", "end", "tolerance", "matched"),
    [
        (11.5, 12.0, 0.5, True),  # starts exactly the tolerance after the true window ends: still a match
        (11.51, 12.0, 0.5, False),  # just beyond it
        (9.0, 9.5, 0.5, True),  # ends exactly the tolerance before the true window starts
        (8.9, 9.49, 0.5, False),
        (11.5, 12.0, 0.0, False),  # no tolerance: must overlap or touch
        (11.0, 12.0, 0.0, True),  # touching
        (9.5, 10.2, 0.5, True),  # overlapping
        (10.3, 10.6, 0.0, True),  # inside
    ],
)
def test_tolerance_boundaries(start, end, tolerance, matched):
    truth = truth_doc(violations=[viol("trunk_lean", 10.0, 11.0)])
    score = score_clip(report_doc(violations=[viol("trunk_lean", start, end)]), truth, violation_tolerance_s=tolerance)
    assert (score.recall == 1.0) is matched
    assert (score.precision == 1.0) is matched


def test_rules_the_truth_did_not_check_are_not_scored():
    truth = truth_doc(violations=[viol("trunk_lean", 2, 3)], rules=("trunk_lean",))
    report = report_doc(violations=[viol("trunk_lean", 2, 3), viol("feet_apart", 5, 6, "right")])
    score = score_clip(report, truth)
    assert score.precision == 1.0 and score.unscored_rules == ("feet_apart",)


def test_one_long_detection_finds_two_true_windows():
    truth = truth_doc(violations=[viol("trunk_lean", 2, 3), viol("trunk_lean", 3.3, 4)])
    score = score_clip(report_doc(violations=[viol("trunk_lean", 2, 4)]), truth)
    assert score.recall == 1.0 and score.precision == 1.0


# ------------------------------------------------------------------------------------ pooled and I/O


def test_pooled_scores_per_exercise_and_overall_are_micro_averages():
    a = score_clip(report_doc(violations=[viol("trunk_lean", 2, 3), viol("trunk_lean", 7, 8)]),
                   truth_doc(violations=[viol("trunk_lean", 2, 3)], clip="a"))
    b = score_clip(report_doc(exercise="bridge", reps=1), truth_doc(exercise="bridge", reps=[rep(1, 2), rep(3, 4)],
                                                                     violations=[viol("trunk_lean", 1, 2)], clip="b"))
    groups = summarise([a, b])
    assert set(groups) == {"single_leg_squat", "bridge", "overall"}
    overall = groups["overall"]
    assert overall.detections == 2 and overall.detections_matched == 1 and overall.precision == 0.5
    assert overall.truth_windows == 2 and overall.recall == 0.5
    assert overall.rep_abs_error == 1 and overall.clips_passed == 0
    data = evaluation_json([a, b])
    assert data["schema"] == "formcheck.evaluation/1" and data["passed"] is False
    assert data["exercises"]["bridge"]["rep_abs_error"] == 1
    json.dumps(data)  # JSON-ready
    table = format_table([a, b])
    assert "[overall]" in table and "b: reps 1 counted, 2 true" in table


def test_report_of_another_exercise_is_an_input_error():
    with pytest.raises(InputError, match="report is of exercise 'bridge', the truth of 'single_leg_squat'"):
        score_clip(report_doc(exercise="bridge"), truth_doc())


def write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_readers_check_file_and_schema(tmp_path):
    with pytest.raises(InputError, match="no such report file"):
        read_report(tmp_path / "missing.json")
    with pytest.raises(InputError, match="not a formcheck.truth/1 document"):
        read_truth(write(tmp_path / "t.json", report_doc()))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(InputError, match="not a JSON report file"):
        read_report(tmp_path / "bad.json")
    broken = report_doc()
    broken["violations"] = [{"rule": "x", "start_s": "soon", "end_s": 1}]
    with pytest.raises(InputError, match=r"violations\[0\].start_s must be a number"):
        read_report(write(tmp_path / "r.json", broken))


def test_cli_pair_prints_table_writes_json_and_strict_exit(tmp_path, capsys):
    truth = write(tmp_path / "clip_a.truth.json", truth_doc(reps=[rep(1, 3)], violations=[viol("trunk_lean", 2, 3)]))
    good = write(tmp_path / "good.json", report_doc(reps=1, violations=[viol("trunk_lean", 2.2, 2.8)]))
    bad = write(tmp_path / "bad.json", report_doc(reps=2))
    out_json = tmp_path / "scores.json"
    assert main(["evaluate", str(good), str(truth), "--json", str(out_json), "--strict"]) == 0
    assert "clip_a" in capsys.readouterr().out
    assert json.loads(out_json.read_text())["clips"][0]["passed"] is True
    assert main(["evaluate", str(bad), str(truth)]) == 0  # ran: 0 without --strict
    assert main(["evaluate", str(bad), str(truth), "--strict"]) == 1


def test_cli_bad_inputs_one_line_exit_2(tmp_path, capsys):
    truth = write(tmp_path / "clip_a.truth.json", truth_doc())
    other = write(tmp_path / "other.json", report_doc(exercise="bridge"))
    assert main(["evaluate", str(tmp_path / "nope.json"), str(truth)]) == 2
    assert main(["evaluate", str(other), str(truth)]) == 2
    assert main(["evaluate", str(truth), str(truth)]) == 2  # a truth file given as the report
    assert main(["evaluate", str(tmp_path / "no_folder")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("formcheck: error: ") for line in err)
    assert "nope.json: no such report file" in err[0]
    assert "not a formcheck.report/1 document" in err[2]


def test_folder_uses_existing_reports_and_names_missing_inputs(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    write(clips / "one.truth.json", truth_doc(reps=[rep(1, 3)], clip="one"))
    write(clips / "two.truth.json", truth_doc(clip="two"))
    reports = tmp_path / "reports"
    (reports / "one").mkdir(parents=True)
    write(reports / "one" / "report.json", report_doc(reps=1))
    scores, sources = evaluate_folder(FolderRequest(clips, reports=reports, only=("one",)))
    assert [s.clip for s in scores] == ["one"] and scores[0].passed
    assert sources["one"].endswith("one/report.json")
    with pytest.raises(InputError, match=r"two: no video for this truth file"):
        evaluate_folder(FolderRequest(clips, reports=reports))
    with pytest.raises(InputError, match=r"no track for this truth file"):
        evaluate_folder(FolderRequest(clips, reports=reports, tracks=True, only=("two",)))
    with pytest.raises(InputError, match="no truth file for three"):
        evaluate_folder(FolderRequest(clips, reports=reports, only=("three",)))
