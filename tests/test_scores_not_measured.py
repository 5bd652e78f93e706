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


def test_a_rep_inside_a_span_the_report_says_the_person_was_lost_is_not_held_against_it():
    truth = {**TRUTH, "rep_count": 3, "reps": [{"full": True, "start_s": a, "end_s": b}
                                               for a, b in ((15.7, 23.0), (27.3, 34.5), (41.8, 47.6))],
             "holds": [{"start_s": 28.5, "end_s": 33.8}]}
    reps = [{"start_s": 16.1, "end_s": 22.3}, {"start_s": 42.4, "end_s": 47.3}]
    lost = [{"start_s": 29.0, "end_s": 34.6, "found": 0.41}]
    score = score_clip(_report(reps=reps, pose_lost=lost), truth)
    assert score.passed and score.reps_lost == 1 and score.rep_error == 0, score.failures()
    assert "2/3 (1 lost)" in format_table([score])
    # without the reported span the same count is wrong, and so is a count missing a rep outside it
    assert not score_clip(_report(reps=reps), truth).passed
    assert not score_clip(_report(reps=reps[:1], pose_lost=lost), truth).passed
    # too many reps are never excused
    assert not score_clip(_report(reps=reps * 2, pose_lost=lost), truth).passed


def test_pose_lost_spans_are_found_merged_and_short_drops_ignored():
    import numpy as np

    from formcheck.kinematics.coverage import pose_lost_spans

    t = np.arange(0, 20, 1 / 30)
    found = np.ones(len(t), dtype=bool)
    found[(t > 5) & (t < 8)] = np.arange(((t > 5) & (t < 8)).sum()) % 3 == 0  # found 1 frame in 3
    found[(t > 8.4) & (t < 10)] = False  # 0.4 s later: the same span
    found[(t > 15) & (t < 15.3)] = False  # a 0.3 s drop: not a span
    spans = pose_lost_spans(t, found)
    assert len(spans) == 1
    assert spans[0]["start_s"] < 5.6 and spans[0]["end_s"] > 9.4 and spans[0]["found"] < 0.3


def test_with_reps_not_measured_the_rules_it_says_it_could_not_judge_are_not_asked_for():
    truth = {**TRUTH, "violations": [{"rule": "knee_valgus", "side": "right", "start_s": 1.0, "end_s": 1.4}],
             "rules_checked": [{"rule": "knee_valgus"}]}
    said = {"rep_count": "the feet were below the bottom of the picture", "knee_valgus": "judged only during a rep"}
    assert score_clip(_report(not_measured=said), truth).passed
    # a rule not said to be unjudged is still asked for
    assert not score_clip(_report(not_measured={"rep_count": said["rep_count"]}), truth).passed


def test_holds_reported_not_measured_with_a_reason_are_not_held_against_the_report():
    truth = {**TRUTH, "rep_count": 0, "reps": [], "holds": [{"start_s": 2.0, "end_s": 8.0}]}
    assert not score_clip(_report(), truth).passed
    said = {"holds": "both feet were in the picture in only 0% of the frames"}
    assert score_clip(_report(not_measured=said), truth).passed
