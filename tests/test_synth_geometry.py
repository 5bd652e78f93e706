"""Synthetic body and camera: projection geometry, joint angles round-trip, inverse kinematics, ray casting."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck.synth.body import (
    ORIENTATIONS,
    BodyDims,
    Pose,
    knee_between,
    leg_angles,
    pose_body,
    sagittal_leg_angles,
    two_link_knee,
)
from formcheck.synth.camera import Camera
from formcheck.synth.mannequin import build_mannequin
from formcheck.synth.placement import Support, place
from formcheck.synth.rotations import angle_between_deg
from formcheck.synth.shapes import Ellipsoid, Material, RoundCone

DIMS = BodyDims()


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """180 minus the angle at b: 0 for a straight line."""
    return 180.0 - angle_between_deg(a - b, c - b)


# --- camera ---------------------------------------------------------------------------------------------------

def test_target_projects_to_image_centre():
    cam = Camera(width_px=640, height_px=360, focal_px=500, distance_m=3.0, height_m=1.4, yaw_deg=37,
                 target=(0.2, 0.9, -0.1))
    uv, depth = cam.project(np.array([cam.target]))
    assert uv[0] == pytest.approx([320.0, 180.0], abs=1e-9)
    assert depth[0] == pytest.approx(math.hypot(3.0, 0.5))


def test_pinhole_projection_of_offsets_in_a_level_front_view():
    cam = Camera(width_px=640, height_px=360, focal_px=500, distance_m=4.0, height_m=1.0, yaw_deg=0,
                 target=(0.0, 1.0, 0.0))
    # the camera stands at z = 4 looking along -z: world +x is image right, +y is image up
    uv, depth = cam.project(np.array([[0.4, 1.0, 0.0], [0.0, 1.5, 0.0], [0.4, 1.0, -4.0]]))
    assert uv[0] == pytest.approx([320 + 500 * 0.4 / 4.0, 180.0])
    assert uv[1] == pytest.approx([320.0, 180 - 500 * 0.5 / 4.0])
    assert uv[2] == pytest.approx([320 + 500 * 0.4 / 8.0, 180.0])  # twice as far, half the offset
    assert depth == pytest.approx([4.0, 4.0, 8.0])


def test_side_camera_sees_the_subject_facing_image_left():
    left_side = Camera(yaw_deg=90.0, height_m=0.9, target=(0.0, 0.9, 0.0))
    right_side = Camera(yaw_deg=-90.0, height_m=0.9, target=(0.0, 0.9, 0.0))
    ahead = np.array([[0.0, 0.9, 0.5]])  # in front of a subject facing +z
    assert left_side.project(ahead)[0][0, 0] < left_side.width_px / 2
    assert right_side.project(ahead)[0][0, 0] > right_side.width_px / 2


@given(st.floats(-180, 180), st.floats(1.5, 6.0), st.floats(0.3, 2.0))
@settings(max_examples=40, deadline=None)
def test_rotation_is_orthonormal_and_looks_at_the_target(yaw, distance, height):
    cam = Camera(yaw_deg=yaw, distance_m=distance, height_m=height)
    r = cam.rotation
    assert r @ r.T == pytest.approx(np.eye(3), abs=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)
    view = np.asarray(cam.target) - cam.position
    assert r[2] == pytest.approx(view / np.linalg.norm(view))
    assert r[0][1] == pytest.approx(0.0, abs=1e-12)  # no roll: image rows stay level


def test_supersampled_camera_scales_pixels():
    cam = Camera(yaw_deg=20)
    point = np.array([[0.3, 1.2, 0.1]])
    assert cam.scaled(2).project(point)[0] == pytest.approx(2 * cam.project(point)[0])


# --- body -----------------------------------------------------------------------------------------------------

@given(st.floats(-30, 130), st.floats(0, 150), st.sampled_from(["left", "right"]))
@settings(max_examples=60, deadline=None)
def test_hip_and_knee_flexion_round_trip(hip, knee, side):
    pose = Pose(**{f"hip_flexion_{side}_deg": hip, f"knee_flexion_{side}_deg": knee})
    sk = pose_body(pose)
    p = sk.points
    # trunk upright, pelvis level: the angle between the trunk line and the thigh is the hip flexion
    measured_hip = 180.0 - angle_between_deg(p["shoulder_mid"] - p["pelvis"], p[f"{side}_knee"] - p[f"{side}_hip"])
    assert measured_hip == pytest.approx(abs(hip), abs=1e-6)
    assert (p[f"{side}_knee"] - p[f"{side}_hip"])[2] * hip >= -1e-9  # flexion moves the knee forward (+z)
    assert joint_angle(p[f"{side}_hip"], p[f"{side}_knee"], p[f"{side}_ankle"]) == pytest.approx(knee, abs=1e-6)


@given(st.floats(-40, 40), st.floats(-30, 30), st.floats(-15, 15))
@settings(max_examples=40, deadline=None)
def test_trunk_and_pelvis_angles_round_trip(flexion, lean, obliquity):
    p = pose_body(Pose(trunk_flexion_deg=flexion, trunk_lean_deg=lean, pelvic_obliquity_deg=obliquity)).points
    trunk = p["shoulder_mid"] - p["pelvis"]
    # lean alone is the angle in the frontal plane: + toward the body's right (-x)
    if flexion == 0:
        assert math.degrees(math.atan2(-trunk[0], trunk[1])) == pytest.approx(lean, abs=1e-6)
    assert angle_between_deg(trunk, np.array([0.0, 1.0, 0.0])) == pytest.approx(
        math.degrees(math.acos(math.cos(math.radians(flexion)) * math.cos(math.radians(lean)))), abs=1e-6)
    hips = p["left_hip"] - p["right_hip"]
    assert math.degrees(math.atan2(-hips[1], hips[0])) == pytest.approx(obliquity, abs=1e-6)  # + = left lower


def test_standing_body_has_adult_proportions_and_mirrors():
    p = pose_body(Pose()).points
    assert p["left_shoulder"][0] > 0 > p["right_shoulder"][0]  # the body's left is +x
    assert p["left_hip"][1] - p["left_ankle"][1] == pytest.approx(DIMS.thigh_m + DIMS.shank_m)
    for name in ("eye", "ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index"):
        left, right = p[f"left_{name}"], p[f"right_{name}"]
        assert left[1:] == pytest.approx(right[1:], abs=1e-9)
        assert left[0] == pytest.approx(-right[0], abs=1e-9)
    assert p["nose"][2] > p["left_ear"][2]  # the face looks forward
    assert p["left_foot_index"][2] > p["left_heel"][2]


def test_body_scales_with_height():
    tall = BodyDims.for_height(1.9)
    assert tall.thigh_m == pytest.approx(DIMS.thigh_m * 1.9 / 1.75)
    assert tall.head_radii_m[1] == pytest.approx(DIMS.head_radii_m[1] * 1.9 / 1.75)


def test_unknown_orientation_is_refused():
    with pytest.raises(ValueError, match="unknown orientation 'upside_down'"):
        pose_body(Pose(orientation="upside_down"))


@pytest.mark.parametrize("orientation", sorted(ORIENTATIONS))
def test_leg_angles_invert_the_leg_chain(orientation):
    rng = np.random.default_rng(3)
    for _ in range(40):
        side = str(rng.choice(["left", "right"]))
        pose = Pose(orientation=orientation, heading_deg=float(rng.uniform(-180, 180)),
                    pelvic_obliquity_deg=float(rng.uniform(-10, 10)),
                    **{f"hip_flexion_{side}_deg": float(rng.uniform(-20, 120)),
                       f"hip_abduction_{side}_deg": float(rng.uniform(-20, 60)),
                       f"hip_rotation_{side}_deg": float(rng.uniform(-60, 40)),
                       f"knee_flexion_{side}_deg": float(rng.uniform(5, 140))})
        sk = pose_body(pose)
        values = leg_angles(sk.frames["pelvis"], sk.points[f"{side}_hip"], sk.points[f"{side}_knee"],
                            sk.points[f"{side}_ankle"], side)
        again = pose_body(pose.with_values(**values)).points
        for joint in ("knee", "ankle"):
            assert again[f"{side}_{joint}"] == pytest.approx(sk.points[f"{side}_{joint}"], abs=1e-9)


def test_two_link_and_sagittal_reach():
    assert two_link_knee(DIMS.thigh_m + DIMS.shank_m, DIMS.thigh_m, DIMS.shank_m) == pytest.approx(0.0, abs=0.01)
    assert two_link_knee(5.0, DIMS.thigh_m, DIMS.shank_m) == pytest.approx(0.0, abs=0.01)  # out of reach: straight
    assert two_link_knee(math.hypot(DIMS.thigh_m, DIMS.shank_m), DIMS.thigh_m, DIMS.shank_m) == pytest.approx(90.0)
    hip, knee = sagittal_leg_angles(0.5, 0.3)
    p = pose_body(Pose(hip_flexion_left_deg=hip, knee_flexion_left_deg=knee)).points
    assert (p["left_ankle"] - p["left_hip"])[1:] == pytest.approx([-0.5, 0.3], abs=1e-9)


def test_knee_between_keeps_segment_lengths_and_bends_toward_the_hint():
    hip, ankle = np.zeros(3), np.array([0.1, -0.5, 0.4])
    knee = knee_between(hip, ankle, np.array([1.0, 0.0, 0.0]))
    assert np.linalg.norm(knee - hip) == pytest.approx(DIMS.thigh_m)
    assert np.linalg.norm(ankle - knee) == pytest.approx(DIMS.shank_m)
    assert knee[0] > 0.1


# --- shapes and placement -------------------------------------------------------------------------------------

def test_ellipsoid_ray_hit_matches_a_sphere():
    sphere = Ellipsoid(np.array([0.0, 0.0, 5.0]), np.eye(3), np.array([1.0, 1.0, 1.0]), Material((0, 0, 0)), "x")
    dirs = np.array([[0.0, 0.0, 1.0], [0.1, 0.0, 1.0], [0.5, 0.0, 1.0]])
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    t, normal, _ = sphere.intersect(dirs)
    assert t[0] == pytest.approx(4.0)
    assert normal[0] == pytest.approx([0.0, 0.0, -1.0])
    closest = 5.0 * dirs[1, 2]  # distance along the ray to the point nearest the centre
    assert t[1] == pytest.approx(closest - math.sqrt(1.0 - (25.0 - closest**2)))
    assert np.isinf(t[2])  # passes beside it


def _union_of_spheres_hit(dirs, a, b, ra, rb, count=4000):
    """Brute force: first hit on many spheres along the axis (exactly a capsule when ra == rb)."""
    best = np.full(len(dirs), np.inf)
    for s in np.linspace(0.0, 1.0, count):
        c, r = a + (b - a) * s, ra + (rb - ra) * s
        proj = dirs @ c
        disc = proj**2 - (c @ c - r * r)
        best = np.minimum(best, np.where(disc >= 0, proj - np.sqrt(np.maximum(disc, 0.0)), np.inf))
    return best


def test_round_cone_hits_match_brute_force():
    rng = np.random.default_rng(5)
    dirs = rng.normal(size=(3000, 3)) * 0.1 + np.array([0.0, 0.0, 1.0])
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    a, b = np.array([-0.3, 0.1, 3.0]), np.array([0.25, -0.2, 3.3])
    capsule = RoundCone(a, b, 0.12, 0.12, Material((0, 0, 0)), "x")
    t, normal, along = capsule.intersect(dirs)
    brute = _union_of_spheres_hit(dirs, a, b, 0.12, 0.12)
    assert np.array_equal(np.isfinite(t), np.isfinite(brute))
    hit = np.isfinite(t)
    assert hit.sum() > 100
    assert t[hit] == pytest.approx(brute[hit], abs=1e-4)
    assert np.linalg.norm(normal[hit], axis=1) == pytest.approx(1.0)
    assert ((along >= 0) & (along <= 1)).all()
    # a tapered cone is the hull of its end spheres: it contains their union, and hugs it closely
    cone = RoundCone(a, b, 0.2, 0.08, Material((0, 0, 0)), "x")
    t, _, _ = cone.intersect(dirs)
    brute = _union_of_spheres_hit(dirs, a, b, 0.2, 0.08)
    both = np.isfinite(brute)
    assert np.isfinite(t[both]).all()
    assert (t[both] <= brute[both] + 1e-9).all()
    assert np.max(brute[both] - t[both]) < 0.01


@pytest.mark.parametrize("orientation", sorted(ORIENTATIONS))
def test_placement_rests_the_lowest_point_on_the_floor(orientation):
    pose = Pose(orientation=orientation, x_m=0.3, z_m=-0.2, hip_flexion_left_deg=40, knee_flexion_left_deg=60)
    sk = pose_body(pose)
    shapes = build_mannequin(sk)
    sk, shapes = place(sk, shapes, pose, Support(anchor="pelvis"))
    assert min(s.lowest_y() for s in shapes) == pytest.approx(0.0, abs=1e-12)
    assert sk.points["pelvis"][[0, 2]] == pytest.approx([0.3, -0.2])


def test_placement_on_a_step_uses_only_the_contact_parts():
    pose = Pose(hip_flexion_left_deg=20, knee_flexion_left_deg=90)
    sk = pose_body(pose)
    sk, shapes = place(sk, build_mannequin(sk), pose, Support(floor_y_m=0.15, contact_parts=("left_foot",),
                                                               anchor="left_ankle"))
    left_foot = min(s.lowest_y() for s in shapes if s.part == "left_foot")
    right_foot = min(s.lowest_y() for s in shapes if s.part == "right_foot")
    assert left_foot == pytest.approx(0.15)
    assert right_foot < left_foot  # the straight leg hangs below the bent one's foot
