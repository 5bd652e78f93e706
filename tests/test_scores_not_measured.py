"""A report that says, with its reason, that reps are not counted is not scored as a wrong count; a report that
simply counts none is."""

from __future__ import annotations

from formcheck.evaluate.scores import format_table, score_clip

TRUTH = {"clip": "c", "exercise": "pelvic_tilt", "rep_count": 4, "partial_reps": 0,
         "reps": [{"full": True, "start_s": i, "end_s": i + 0.5} for i in range(4)], "holds": [], "violations": []}


def _report(**extra):
    return {"exercise": "pelvic_tilt", "reps": [], "holds": [], "violations": [], "not_measured": {}, **extra}


def test_reps_reported_not_measured_with_a_reason_pass():
    reason = "no landmark on the pelvis itself: reps are not counted"
    score = score_clip(_report(not_measured={"rep_count": reason}), TRUTH)
    assert score.passed and score.rep_error == 0 and score.reps_not_measured == reason
    assert score.to_dict()["reps"]["not_measured"] == reason
    table = format_table([score])
    assert "nm/4" in table and "reps not measured (no landmark" in table


def test_no_reps_counted_without_a_reason_fails():
    score = score_clip(_report(), TRUTH)
    assert not score.passed and score.rep_error == -4 and score.reps_not_measured is None
    assert "reps 0 counted, 4 true" in score.failures()


def test_a_not_measured_claim_with_reps_counted_is_scored_on_the_count():
    reps = [{"start_s": 0, "end_s": 1}]
    score = score_clip(_report(reps=reps, not_measured={"rep_count": "x"}), TRUTH)
    assert score.reps_not_measured is None and score.rep_error == -3
