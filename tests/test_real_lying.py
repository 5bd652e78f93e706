"""Lying-down exercises on real people (issue 12): the clamshell's last rep cut off by the end of a clip, the
straight leg raise with a second person in frame, and the counter and person choice behind them.

The synthetic tests need no footage; the real-clip tests skip without ../shared/videos (see conftest).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.engine import counter as rc
from formcheck.pose.estimator import choose_person, trunk_length_px
from formcheck.specs.spec import load_spec

FPS = 30.0


def _run(counter: rc.RepCounter, values: list[float]) -> list[int]:
    return [counter.update(i / FPS, v) for i, v in enumerate(values)]


def _ramp(a: float, b: float, seconds: float) -> list[float]:
    return list(np.linspace(a, b, int(seconds * FPS)))


# --- a rep cut off by the end of the recording -----------------------------------------------------------


def _clamshell_counter() -> rc.RepCounter:
    r = load_spec("clamshell").rep
    return rc.RepCounter(start=r.start, peak=r.peak, direction=1, hysteresis=r.hysteresis, min_phase_s=r.min_phase_s)


def test_an_opening_paused_at_the_top_when_the_clip_ends_is_a_rep() -> None:
    """clamshell_sidelying_front_hep.mp4: the clip ends with the knee open at the top for about a second."""
    pause = load_spec("clamshell").rep.top_pause_s
    counter = _clamshell_counter()
    values = _ramp(0.6, 2.3, 1.0) + [2.3] * int(FPS)  # open, then stay at the top for 1 s
    changes = _run(counter, values)
    assert rc.COUNTED not in changes  # not yet: it has not come back
    end = (len(values) - 1) / FPS
    assert counter.cut_off(end, pause) == rc.COUNTED
    assert counter.state == rc.REST and counter.end_s == end


def test_an_opening_that_only_just_reached_the_top_is_not_a_rep() -> None:
    pause = load_spec("clamshell").rep.top_pause_s
    counter = _clamshell_counter()
    values = _ramp(0.6, 2.3, 1.0) + [2.3] * int(0.2 * FPS)  # at the top for 0.2 s: the pause is 0.5 s
    _run(counter, values)
    assert counter.cut_off((len(values) - 1) / FPS, pause) == rc.NONE
    assert counter.in_rep  # left open: finishing the engine abandons it


def test_a_knee_already_open_at_the_first_frame_is_not_a_rep() -> None:
    """The same clip starts with the knee open: it closes, but its opening was never seen."""
    counter = _clamshell_counter()
    changes = _run(counter, [2.3] * 10 + _ramp(2.3, 0.6, 1.5) + [0.6] * 30)
    assert rc.COUNTED not in changes and rc.REJECTED in changes
    counter = _clamshell_counter()
    _run(counter, [2.3] * 45)  # open from the start to the end: still not seen opening
    assert counter.cut_off(44 / FPS, load_spec("clamshell").rep.top_pause_s) == rc.NONE


def test_specs_without_a_top_pause_keep_abandoning_a_cut_off_rep() -> None:
    """The bridge's labelled clip ends mid-rep with the hips up; its label counts only complete reps."""
    assert load_spec("bridge").rep.top_pause_s is None
    assert load_spec("straight_leg_raise").rep.top_pause_s is None


# --- the straight leg raise -------------------------------------------------------------------------------


def _slr_counter() -> rc.RepCounter:
    r = load_spec("straight_leg_raise").rep
    return rc.RepCounter(start=r.start, peak=r.peak, direction=1, hysteresis=r.hysteresis, min_phase_s=r.min_phase_s)


def test_a_raise_read_at_22_degrees_counts() -> None:
    """A 30-degree raise seen from above the bed (the clinic video's wide shot) reads about 22 degrees."""
    changes = _run(_slr_counter(), [-5.0] * 15 + _ramp(-5, 22, 1.2) + [22.0] * 120 + _ramp(22, -5, 1.0) + [-5.0] * 15)
    assert changes.count(rc.COUNTED) == 1


def test_a_leg_flicked_up_and_down_in_a_few_frames_is_not_a_raise() -> None:
    """The split screen of that video: landmarks jump between two cropped copies of the legs."""
    values = [0.0] * 10 + [50.0, 53.0, 49.0, 47.0, math.nan, math.nan, 59.0, 38.0, math.nan, 22.0, 0.0] + [0.0] * 10
    changes = _run(_slr_counter(), values)
    assert rc.COUNTED not in changes


def test_the_lifting_leg_is_the_one_that_moves() -> None:
    """Both knees straight (the clinic patient): the side is told by which thigh moves, not the bent knee."""
    sd = load_spec("straight_leg_raise").side_detect
    assert (sd.metric, sd.by, sd.pick) == ("thigh_elevation_{side}", "motion", "higher")


# --- choosing the person ----------------------------------------------------------------------------------


def _skeleton(shoulders: list[tuple[float, float]], hips: list[tuple[float, float]],
              legs: list[tuple[float, float]]) -> np.ndarray:
    """33 landmarks (normalised): the given shoulders and hips, the other points spread along the legs."""
    lm = np.zeros((33, 4))
    lm[:, 3] = 0.95
    lm[:, :2] = legs[0]
    for i, point in zip((11, 12, 23, 24), shoulders + hips):
        lm[i, :2] = point
    for i, point in zip((25, 26, 27, 28, 29, 30, 31, 32), legs * 4):
        lm[i, :2] = point
    lm[0, :2] = shoulders[0]
    return lm


SIZE = (360, 206)  # slr_supine_side_clinic_edit.mp4
# The patient lying on the bed, from that clip's landmarks: trunk about 96 px, a thin wide box.
PATIENT = _skeleton([(0.24, 0.75), (0.21, 0.84)], [(0.50, 0.78), (0.50, 0.84)], [(0.88, 0.81), (0.80, 0.90)])
# The nurse standing behind the bed, farther from the camera: trunk about 60 px, but MediaPipe spreads her
# hidden legs over the bed, so her box is twice the patient's.
NURSE = _skeleton([(0.51, 0.22), (0.40, 0.23)], [(0.50, 0.51), (0.41, 0.52)], [(0.20, 0.95), (0.86, 0.95)])


def test_the_nearer_person_wins_over_a_bigger_box() -> None:
    assert trunk_length_px(PATIENT, SIZE) > 1.5 * trunk_length_px(NURSE, SIZE)
    assert choose_person([NURSE, PATIENT], SIZE) == 1
    assert choose_person([PATIENT, NURSE], SIZE) == 0


def test_a_hidden_trunk_falls_back_to_the_box() -> None:
    hidden = PATIENT.copy()
    hidden[[11, 12], 3] = 0.1
    assert math.isnan(trunk_length_px(hidden, SIZE))
    assert choose_person([hidden, NURSE], SIZE) == 1  # the nurse's box is the larger


# --- real clips (skip without the folder) -----------------------------------------------------------------


@pytest.fixture(scope="module")
def lying_clips(real_videos, pose_model, tmp_path_factory):
    from real_footage import TrackCache

    return TrackCache(real_videos, pose_model, tmp_path_factory.mktemp("lying_tracks"))


def _analyse(clips, name: str, exercise: str):
    from formcheck.analyze import analyse_track

    return analyse_track(clips.track(name), load_spec(exercise)).result


@pytest.mark.slow
def test_real_clamshell_counts_both_openings(lying_clips) -> None:
    result = _analyse(lying_clips, "clamshell_sidelying_front_hep.mp4", "clamshell")
    assert [(round(r.start_s), round(r.end_s)) for r in result.reps] == [(3, 5), (7, 9)]
    assert result.stats.abandoned_reps == 0


@pytest.mark.slow
def test_real_slr_follows_the_patient_not_the_nurse(lying_clips) -> None:
    """The wide shot (0-24.5 s) has a nurse standing behind the bed: every pose found there is lying down."""
    from formcheck.pose.estimator import body_tilt_deg

    track = lying_clips.track("slr_supine_side_clinic_edit.mp4")
    wide = np.where((track.t_s < 24.5) & track.has_pose)[0]
    tilts = [body_tilt_deg(track.landmarks[i], track.image_size) for i in wide]
    assert sum(1 for t in tilts if t is not None and t[0] < 45) == 0


@pytest.mark.slow
def test_real_slr_counts_the_raises_outside_the_split_screen(lying_clips) -> None:
    """Reps 1 and 3 are counted; rep 2 is in the split-screen insert (24.5-35.5 s), cropped legs, no body."""
    result = _analyse(lying_clips, "slr_supine_side_clinic_edit.mp4", "straight_leg_raise")
    windows = [(r.start_s, r.end_s) for r in result.reps]
    assert len(windows) == 2
    assert 15.2 <= windows[0][0] <= 16.7 and 22.0 <= windows[0][1] <= 23.5
    assert 41.3 <= windows[1][0] <= 43.0 and 46.8 <= windows[1][1] <= 48.1
    assert not any(24.5 <= start <= 35.5 for start, _ in windows)
