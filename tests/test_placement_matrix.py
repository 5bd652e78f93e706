"""The placement matrix: home set-ups move the camera and the body as named, and the matrix scores every cell."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from formcheck.cli import main
from formcheck.errors import InputError
from formcheck.evaluate.matrix import SCHEMA, matrix_clips, render_subset, run_matrix
from formcheck.evaluate.matrix_table import format_matrix, matrix_json
from formcheck.landmarks import LANDMARK_NAMES
from formcheck.synth.scripts import CLIPS, find_clip
from formcheck.synth.setups import BASELINE, SETUPS, find_setup, select_setups, simulate_setup, vary_clip
from formcheck.synth.simulate import simulate
from formcheck.synth.truetrack import true_track
from formcheck.track_io import read_track

from conftest import SAMPLES

STANCE = "single_leg_stance_left_holds_front"  # standing, front view
BRIDGE = "bridge_side"  # supine, side view (camera yaw 0 with the body lying across the picture)
WATCH = "safety_watch_knee_lifts_side"  # standing, side view from the right
GRID_CLIPS = (STANCE, BRIDGE, WATCH)
GRID_SETUPS = ("baseline", "low_0.3m", "yaw_+15", "turned_+30", "small_0.85", "staggered_left")


def _idx(name: str) -> int:
    return LANDMARK_NAMES.index(name)


def _heading_deg(forward: np.ndarray) -> float:
    """Heading of a horizontal direction, degrees counter-clockwise seen from above (0 = +z)."""
    return math.degrees(math.atan2(forward[0], forward[2]))


def _pitch_deg(camera) -> float:
    """+ = the camera looks up."""
    forward = camera.rotation[2]
    return math.degrees(math.asin(forward[1]))


@pytest.fixture(scope="module")
def stance_sims():
    clip = find_clip(STANCE)
    base = simulate(clip, 0)
    return {name: simulate_setup(clip, find_setup(name), 0, base)
            for name in ("baseline", "turned_+30", "turned_-30", "small_0.85", "staggered_left")}


@pytest.fixture(scope="module")
def matrix():
    clips = [find_clip(n) for n in GRID_CLIPS]
    return run_matrix(clips, select_setups(GRID_SETUPS, exact=True), strict=True)


# ---------------------------------------------------------------------------------------------- the grid


def test_the_grid_covers_the_home_set_ups_the_issue_names():
    heights = [s.height_m for s in SETUPS if s.height_m is not None]
    distances = [s.distance_m for s in SETUPS if s.distance_m is not None]
    assert min(heights) == pytest.approx(0.3) and max(heights) == pytest.approx(1.6)
    assert min(distances) == pytest.approx(2.5) and max(distances) == pytest.approx(4.5)
    yaws = {s.yaw_deg for s in SETUPS if s.group == "camera yaw"}
    assert {-30.0, 30.0} <= yaws and max(abs(y) for y in yaws) == 30.0
    assert {-30.0, 30.0} <= {s.turn_deg for s in SETUPS}
    scales = [s.scale for s in SETUPS]
    assert min(scales) == pytest.approx(0.85) and max(scales) == pytest.approx(1.15)
    assert any(s.legs > 1 for s in SETUPS) and any(s.legs < 1 for s in SETUPS)  # varied proportions
    assert {math.copysign(1, s.stagger_m) for s in SETUPS if s.stagger_m} == {1.0, -1.0}
    assert len({s.look for s in SETUPS if s.look is not None}) >= 2  # clothing colours
    assert all(s.render_only for s in SETUPS if s.group == "clothes")
    assert len({s.name for s in SETUPS}) == len(SETUPS) and SETUPS[0] == BASELINE


def test_unknown_names_list_the_choices():
    with pytest.raises(InputError, match="choose from baseline, low_0.3m"):
        find_setup("low_0.2m")
    with pytest.raises(InputError, match="clips exist for .*bridge"):
        matrix_clips(["pelvic_clock"])
    assert select_setups(["yaw_+30", "baseline"]) == [BASELINE, find_setup("yaw_+30")]  # the grid's order
    assert not any(s.render_only for s in select_setups(exact=True))


@pytest.mark.parametrize("setup", [s for s in SETUPS if s.moves_camera], ids=lambda s: s.name)
@pytest.mark.parametrize("clip_name", [STANCE, BRIDGE])
def test_a_set_up_moves_the_camera_as_named(setup, clip_name):
    clip = find_clip(clip_name)
    own, cam = clip.camera, vary_clip(clip, setup).camera
    named = re.fullmatch(r"(low|high|near|far|yaw)_([-+]?\d+(\.\d+)?)m?", setup.name)
    if named:  # the name says the value
        field = {"low": "height_m", "high": "height_m", "near": "distance_m", "far": "distance_m", "yaw": "yaw_deg"}
        assert getattr(setup, field[named.group(1)]) == pytest.approx(float(named.group(2)))
    height = setup.height_m if setup.height_m is not None else own.height_m
    assert cam.height_m == pytest.approx(height) and cam.position[1] == pytest.approx(height)
    offset = cam.position - np.asarray(cam.target)
    distance = setup.distance_m if setup.distance_m is not None else own.distance_m
    assert math.hypot(offset[0], offset[2]) == pytest.approx(distance)
    before = _heading_deg(own.position - np.asarray(own.target))
    assert (_heading_deg(offset) - before + 180) % 360 - 180 == pytest.approx(setup.yaw_deg)
    # still aimed at the body: the target projects to the image centre, and the pitch follows the height
    (u, v), _ = cam.project(np.asarray(cam.target))
    assert (u, v) == pytest.approx(cam.principal_point)
    if cam.height_m < own.target[1]:
        assert _pitch_deg(cam) > 0  # a camera below the aim point looks up
    if setup.height_m is not None and setup.height_m > own.height_m:
        assert _pitch_deg(cam) < _pitch_deg(own)


def test_a_turned_body_turns_in_the_true_track_and_the_camera_stays(stance_sims):
    base = stance_sims["baseline"]
    for name, turn in (("turned_+30", 30.0), ("turned_-30", -30.0)):
        sim = stance_sims[name]
        assert sim.clip.camera == base.clip.camera
        heading = [_heading_deg(r[:, 2]) - _heading_deg(b[:, 2]) for r, b in zip(sim.roots, base.roots)]
        assert np.allclose(heading, turn, atol=1e-6)
        # in the true track's world landmarks (camera axes) the hips' axis turns by the same angle
        angles = []
        for s in (base, sim):
            world = true_track(s.landmarks, s.t_s, s.clip.camera).world
            hips = world[:, _idx("left_hip")] - world[:, _idx("right_hip")]
            angles.append(np.degrees(np.arctan2(hips[:, 2], hips[:, 0])))
        assert np.median(angles[1] - angles[0]) == pytest.approx(turn, abs=0.5)


def test_a_smaller_body_is_smaller_and_the_camera_is_re_aimed_at_it(stance_sims):
    base, small = stance_sims["baseline"], stance_sims["small_0.85"]

    def leg(sim):
        return np.linalg.norm(sim.point("left_hip")[0] - sim.point("left_ankle")[0])

    assert leg(small) / leg(base) == pytest.approx(0.85, rel=1e-3)
    assert small.clip.camera.target[1] < base.clip.camera.target[1]
    assert small.clip.camera.height_m == base.clip.camera.height_m


def test_staggered_feet_stand_one_ahead_of_the_other_and_only_standing(stance_sims):
    base, staggered = stance_sims["baseline"], stance_sims["staggered_left"]
    gaps = []
    for sim in (base, staggered):
        forward = sim.roots[0][:, 2]
        gaps.append((sim.point("left_ankle")[0] - sim.point("right_ankle")[0]) @ forward)
        heels = sim.point("left_heel")[0][1], sim.point("right_heel")[0][1]
        assert heels[0] == pytest.approx(heels[1], abs=0.005)  # both feet on the floor
    assert gaps[1] - gaps[0] == pytest.approx(0.2, abs=0.01)  # the left foot 20 cm further ahead
    assert not find_setup("staggered_left").applies_to(find_clip(BRIDGE))
    with pytest.raises(InputError, match="does not apply"):
        vary_clip(find_clip(BRIDGE), find_setup("staggered_left"))


def test_the_baseline_is_the_sample_clip_itself():
    clip = find_clip(BRIDGE)
    assert vary_clip(clip, BASELINE) is clip
    sim = simulate_setup(clip, BASELINE, 0)
    track = true_track(sim.landmarks, sim.t_s, clip.camera)
    sample = read_track(SAMPLES / f"{BRIDGE}.track.csv")
    assert np.array_equal(track.landmarks, sample.landmarks)
    assert np.allclose(track.t_s, sample.t_s, atol=1e-6)


# ---------------------------------------------------------------------------------------------- the matrix


def test_the_matrix_scores_every_applicable_cell(matrix):
    assert matrix.clips == GRID_CLIPS
    assert [s.name for s in matrix.setups] == list(GRID_SETUPS)
    assert len(matrix.cells) == len(GRID_CLIPS) * len(GRID_SETUPS)
    for cell in matrix.cells:
        if cell.applicable:
            assert cell.error is None and cell.score is not None, cell
            assert cell.score.exercise == cell.exercise
        else:
            assert (cell.clip, cell.setup) == (BRIDGE, "staggered_left")
    assert not matrix.cell(BRIDGE, "staggered_left").applicable


@pytest.mark.parametrize("clip_name", GRID_CLIPS)
def test_the_baseline_cell_passes_as_the_sample_does(matrix, clip_name):
    cell = matrix.cell(clip_name, "baseline")
    assert cell.passed, cell.failures()
    assert cell.view == find_clip(clip_name).view and cell.out_of_frame == 0.0


def test_the_matrix_prints_a_grid_and_the_failing_cells_and_writes_json(matrix):
    text = format_matrix(matrix)
    assert "Placement matrix on exact landmark tracks" in text
    for name in (*GRID_CLIPS, *GRID_SETUPS):
        assert name in text
    for cell in matrix.failing:
        assert f"{cell.clip} @ {cell.setup}: " in text
    data = json.loads(json.dumps(matrix_json(matrix)))
    assert data["schema"] == SCHEMA and data["input"] == "exact_tracks"
    assert len(data["cells"]) == len(matrix.cells)
    assert data["cells_passed"] == sum(c.passed for c in matrix.cells if c.supported)
    assert data["cells_supported"] + data["cells_outside"] == sum(c.applicable for c in matrix.cells)
    assert {c["setup"] for c in data["cells"]} == set(GRID_SETUPS)


def test_the_rendered_subset_is_spread_over_the_grid_and_fixed():
    clips = CLIPS[:4]
    setups = select_setups()
    picks = render_subset(clips, setups, 5)
    assert len(picks) == 5 and picks == render_subset(clips, setups, 5)
    assert len({c.name for c, _ in picks}) >= 3
    assert all(s.applies_to(c) for c, s in picks)
    assert render_subset(clips, setups, 0) == []


def test_the_command_prints_the_matrix_and_writes_json(tmp_path, capsys):
    out = tmp_path / "matrix.json"
    status = main(["evaluate", "--matrix", "--exercise", "safety_watch", "--setup", "baseline", "--setup",
                   "far_4.5m", "--json", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert status == 0 and WATCH in printed and "far_4.5m" in printed
    data = json.loads(out.read_text())
    assert [c["setup"] for c in data["cells"]] == ["baseline", "far_4.5m"]


def test_the_command_rejects_matrix_options_without_matrix(capsys):
    assert main(["evaluate", "--setup", "baseline"]) == 2
    assert "go with --matrix" in capsys.readouterr().err
    assert main(["evaluate", "--matrix", "--setup", "dark_clothes", "--no-progress"]) == 2
    assert "add --render N" in capsys.readouterr().err


def test_synth_lists_the_set_ups_and_the_variant_clips(capsys):
    assert main(["synth", "--list-setups"]) == 0
    listed = capsys.readouterr().out
    assert all(s.name in listed for s in SETUPS)
    assert main(["synth", "--list", "--only", BRIDGE, "--setup", "low_0.3m", "--setup", "staggered_left"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [f"{BRIDGE}__low_0.3m"]  # staggered feet: not lying down
