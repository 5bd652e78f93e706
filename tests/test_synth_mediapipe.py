"""MediaPipe finds the rendered mannequin, with joint angles close to the truth (skipped without a model).

They use the pose model of the `pose_model` fixture (see conftest.py).
"""

from __future__ import annotations


import numpy as np
import pytest

from formcheck.landmarks import INDEX
from formcheck.synth.render import Renderer, Stage
from formcheck.synth.scripts import find_clip
from formcheck.synth.simulate import simulate
from formcheck.synth.truetrack import true_landmarks
from formcheck.synth.verify import compare, detect_frames, image_angles


def detect_window(model, name: str, start_s: float, end_s: float, turn_deg: int = 0):
    clip = find_clip(name)
    sim = simulate(clip, 0)
    frames = np.flatnonzero((sim.t_s >= start_s) & (sim.t_s < end_s))
    renderer = Renderer(clip.camera, Stage(props=clip.props))
    images = [renderer.render(sim.shapes[i]) for i in frames]
    truth, _ = true_landmarks(sim.landmarks[frames], clip.camera)
    found = detect_frames(images, str(model), clip.fps, turn_deg=turn_deg)
    return clip, truth, found


@pytest.mark.slow
def test_side_view_knee_above_hip_is_seen_within_a_few_degrees(pose_model):
    # the far (left) knee held about 25 degrees above the hip, then lowered
    clip, truth, found = detect_window(pose_model, "safety_watch_knee_lifts_side", 12.0, 14.0)
    agreement = compare(truth, found, clip.camera.size)
    assert agreement.detected == 1.0
    assert agreement.angle_error_deg["hip_flexion_left"] < 6.0
    assert agreement.angle_error_deg["knee_flexion_left"] < 6.0
    xy = found[:, :, :2] * np.array(clip.camera.size)
    knee_above = xy[:, INDEX["left_knee"], 1] < xy[:, INDEX["left_hip"], 1]
    true_xy = truth[:, :, :2] * np.array(clip.camera.size)
    true_above = true_xy[:, INDEX["left_knee"], 1] < true_xy[:, INDEX["left_hip"], 1]
    assert np.mean(knee_above == true_above) > 0.9


@pytest.mark.slow
def test_front_view_single_leg_squat_angles(pose_model):
    clip, truth, found = detect_window(pose_model, "single_leg_squat_right_valgus_front", 1.8, 4.3)
    agreement = compare(truth, found, clip.camera.size)
    assert agreement.detected == 1.0
    assert agreement.landmark_error_px < 8.0
    errors = image_angles(found, clip.camera.size)["knee_flexion_right"] - \
        image_angles(truth, clip.camera.size)["knee_flexion_right"]
    assert np.median(np.abs(errors)) < 6.0

