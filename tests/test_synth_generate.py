"""Synthetic sample clips: every bundled script is consistent, generation is deterministic, files are readable."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from formcheck.commands import synth_cmd
from formcheck.errors import InputError
from formcheck.specs.spec import bundled_ids
from formcheck.synth import generate as generate_module
from formcheck.synth.body import Pose
from formcheck.synth.clip import Clip
from formcheck.synth.generate import MAX_DURATION_S, generate, select_clips
from formcheck.synth.motion import Timeline, add_noise, smooth_noise
from formcheck.synth.scripts import CLIPS, SAMPLES
from formcheck.synth.scripts.common import FRONT, leg
from formcheck.synth.simulate import simulate
from formcheck.synth.truetrack import true_track
from formcheck.synth.truth import build_truth, check_faults
from formcheck.track_io import read_track


@pytest.fixture(scope="module")
def simulations():
    return {clip.name: simulate(clip, 0) for clip in CLIPS}


def test_about_a_dozen_samples_and_a_script_for_every_measurable_exercise():
    assert 10 <= len(SAMPLES) <= 16
    assert len({c.name for c in CLIPS}) == len(CLIPS)
    assert {c.view for c in SAMPLES} == {"front", "side"}
    not_counted = {"pelvic_tilt", "pelvic_clock"}  # their specs count nothing
    assert {c.exercise for c in CLIPS} == set(bundled_ids()) - not_counted


@pytest.mark.parametrize("clip", CLIPS, ids=lambda c: c.name)
def test_each_clip_is_short_and_its_truth_shows_exactly_its_faults(clip, simulations):
    sim = simulations[clip.name]
    assert len(sim.t_s) / clip.fps <= MAX_DURATION_S
    truth = build_truth(sim)
    assert check_faults(truth) == []
    assert truth["reps"] or truth["holds"] or truth["violations"]
    for v in truth["violations"]:  # clear-cut: each window lasts at least half a second
        assert v["end_s"] - v["start_s"] >= 0.5, v


@pytest.mark.parametrize("clip", CLIPS, ids=lambda c: c.name)
def test_the_body_stays_in_the_picture_and_on_the_floor(clip, simulations):
    sim = simulations[clip.name]
    track = true_track(sim.landmarks, sim.t_s, clip.camera)
    xy = track.landmarks[:, :, :2]
    assert (xy > 0.01).all() and (xy < 0.99).all()
    lowest = np.array([min(s.lowest_y() for s in shapes) for shapes in sim.shapes])
    floor = clip.support.floor_y_m
    in_air = np.array([p.lift_m > 1e-3 for p in sim.poses])
    assert np.all(lowest[~in_air] <= floor + 0.01)
    assert np.all(lowest >= min(floor, 0.0) - 1e-6)


def test_same_seed_same_track_other_seed_other_track():
    clip = next(c for c in CLIPS if c.name == "single_leg_squat_right_valgus_front")
    a, b, c = simulate(clip, 7), simulate(clip, 7), simulate(clip, 8)
    assert np.array_equal(a.landmarks, b.landmarks)
    assert a.motion.marks == b.motion.marks
    assert build_truth(a) == build_truth(b)
    assert not np.array_equal(a.landmarks[: len(c.landmarks)], c.landmarks[: len(a.landmarks)])


def test_noise_is_smooth_and_seeded():
    one = smooth_noise(np.random.default_rng(1), 300, 30.0, 0.5)
    assert np.array_equal(one, smooth_noise(np.random.default_rng(1), 300, 30.0, 0.5))
    assert one.std() == pytest.approx(1.0)
    assert np.abs(np.diff(one)).max() < 0.3  # no frame-to-frame jumps


def test_timeline_keyframes_are_reached_and_jitter_stays_bounded():
    rng = np.random.default_rng(2)
    tl = Timeline(Pose(), rng, jitter=0.1).move(1.0, knee_flexion_left_deg=60).stay(1.0)
    assert 1.8 <= tl.t_s <= 2.2
    motion = tl.sample(30.0)
    knee = motion.channels["knee_flexion_left_deg"]
    assert knee[0] == 0.0 and knee[-1] == pytest.approx(60.0)
    assert np.all(np.diff(knee) >= -1e-9)  # minimum jerk easing never overshoots
    noisy = add_noise(motion, rng)
    assert np.all(noisy.channels["knee_flexion_right_deg"] >= 0.0)  # a knee never bends backward
    with pytest.raises(ValueError, match="unknown pose channel"):
        tl.move(1.0, knee_flex=3)


def tiny_script(rng):
    tl = Timeline(Pose(), rng, anchor="ankles")
    tl.stay(0.2).mark("rep", "start", "right").move(0.4, **leg("right", hip=40, knee=60))
    return tl.move(0.4, **leg("right", hip=0, knee=0)).mark("rep", "end", "right")


TINY = Clip("tiny_front", "single_leg_squat", "right", "front", "standing", FRONT, tiny_script, "A test clip.")


def test_generate_writes_video_track_truth_and_readme(tmp_path, monkeypatch):
    monkeypatch.setattr(generate_module, "CLIPS", (TINY,))
    monkeypatch.setattr(generate_module, "SAMPLES", (TINY,))
    [result] = generate(tmp_path, seed=3)
    assert result.problems == ()
    track = read_track(tmp_path / "tiny_front.track.csv")
    sim = simulate(TINY, 3)
    assert len(track) == result.frames == len(sim.t_s)
    assert track.landmarks[:, :, :2] == pytest.approx(true_track(sim.landmarks, sim.t_s, FRONT).landmarks[:, :, :2])
    truth = json.loads((tmp_path / "tiny_front.truth.json").read_text())
    assert truth["clip"] == "tiny_front" and truth["seed"] == 3 and truth["rep_count"] == 1
    video = cv2.VideoCapture(str(tmp_path / "tiny_front.mp4"))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == result.frames
    ok, frame = video.read()
    assert ok and frame.shape == (360, 640, 3)
    readme = (tmp_path / "README.md").read_text()
    assert "| `tiny_front` | single_leg_squat | front | right |" in readme


def test_unknown_clip_names_are_refused_with_the_choices():
    with pytest.raises(InputError, match="unknown sample clip 'nope'; choose from safety_watch"):
        select_clips(["nope"])
    assert [c.name for c in select_clips(["bridge_side", "bridge_side"])] == ["bridge_side"]


def test_command_lists_clips_and_reports_unknown_names():
    runner = CliRunner()
    listed = runner.invoke(synth_cmd.command, ["--list", "--only", "bridge_side,clamshell_right_front"])
    assert listed.exit_code == 0
    assert [line.split()[:2] for line in listed.output.splitlines()] == [["bridge_side", "sample"],
                                                                         ["clamshell_right_front", "sample"]]
    everything = runner.invoke(synth_cmd.command, ["--list", "--all"])
    assert len(everything.output.splitlines()) == len(CLIPS)
    bad = runner.invoke(synth_cmd.command, ["--only", "nope"])
    assert isinstance(bad.exception, InputError)


def test_command_builds_the_clips(tmp_path, monkeypatch):
    monkeypatch.setattr(generate_module, "CLIPS", (TINY,))
    monkeypatch.setattr(synth_cmd, "select_clips", lambda names, include_all: [TINY])
    result = CliRunner().invoke(synth_cmd.command, ["--out", str(tmp_path), "--quiet", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tiny_front.mp4").is_file()
    assert "tiny_front.mp4" in result.output


SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_videos"


@pytest.mark.skipif(not (SAMPLE_DIR / "README.md").is_file(), reason="no sample_videos folder")
@pytest.mark.parametrize("clip", SAMPLES, ids=lambda c: c.name)
def test_bundled_samples_match_their_scripts(clip, simulations):
    """The committed truth and tracks are what `formcheck synth --seed 0` makes from the scripts today."""
    sim = simulations[clip.name]
    truth = json.loads((SAMPLE_DIR / f"{clip.name}.truth.json").read_text())
    assert truth == json.loads(json.dumps(build_truth(sim)))
    track = read_track(SAMPLE_DIR / f"{clip.name}.track.csv")
    expected = true_track(sim.landmarks, sim.t_s, clip.camera)
    assert track.image_size == expected.image_size
    assert np.abs(track.landmarks - expected.landmarks).max() < 1e-5
    assert np.abs(track.world - expected.world).max() < 1e-4
    assert (SAMPLE_DIR / f"{clip.name}.mp4").stat().st_size > 100_000
    assert f"`{clip.name}`" in (SAMPLE_DIR / "README.md").read_text()
