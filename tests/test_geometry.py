"""Vector maths against analytic values and invariances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from formcheck import geometry as geo

coords = st.floats(-1e3, 1e3, allow_nan=False)
vec2 = st.tuples(coords, coords).map(np.array)
vec3 = st.tuples(coords, coords, coords).map(np.array)
angles_deg = st.floats(-179.0, 179.0)


def _rot3(axis: np.ndarray, angle_deg: float) -> np.ndarray:
    """Rodrigues rotation matrix."""
    k = axis / np.linalg.norm(axis)
    a = np.radians(angle_deg)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(a) * kx + (1 - np.cos(a)) * kx @ kx


@pytest.mark.parametrize(
    ("u", "v", "expected"),
    [
        ((1, 0), (1, 0), 0.0),
        ((1, 0), (0, 1), 90.0),
        ((1, 0), (-1, 0), 180.0),
        ((1, 0), (1, 1), 45.0),
        ((2, 0), (-3, 3 * np.sqrt(3)), 120.0),
        ((1, 0, 0), (0, 0, 5), 90.0),
        ((1, 1, 0), (1, 1, np.sqrt(2)), 45.0),
    ],
)
def test_angle_between_known_values(u, v, expected):
    assert geo.angle_between_deg(np.array(u, float), np.array(v, float)) == pytest.approx(expected, abs=1e-9)


def test_angle_between_is_precise_near_zero_and_straight():
    tiny = 1e-7
    assert geo.angle_between_deg(np.array([1.0, 0.0]), np.array([1.0, tiny])) == pytest.approx(np.degrees(tiny), rel=1e-6)
    assert geo.angle_between_deg(np.array([1.0, 0.0]), np.array([-1.0, tiny])) == pytest.approx(180 - np.degrees(tiny), abs=1e-9)


@settings(max_examples=200)
@given(u=vec3, v=vec3)
def test_angle_between_matches_arccos_where_arccos_is_well_conditioned(u, v):
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    assume(nu > 1e-3 and nv > 1e-3)
    cosine = np.dot(u, v) / nu / nv
    assume(abs(cosine) < 0.99)
    assert geo.angle_between_deg(u, v) == pytest.approx(np.degrees(np.arccos(cosine)), abs=1e-7)


@settings(max_examples=200)
@given(u=vec2, v=vec2, turn=angles_deg, scale=st.floats(1e-3, 1e3), shift=vec2)
def test_joint_angle_ignores_rotation_scale_and_translation(u, v, turn, scale, shift):
    assume(np.linalg.norm(u) > 1e-2 and np.linalg.norm(v) > 1e-2)
    b = np.array([3.0, -2.0])
    a, c = b + u, b + v
    r = geo.rotation_2d(turn)
    moved = [scale * (r @ p) + shift for p in (a, b, c)]
    assert geo.joint_angle_deg(*moved) == pytest.approx(geo.joint_angle_deg(a, b, c), abs=1e-6)


@settings(max_examples=200)
@given(angle=angles_deg, start=st.floats(-180, 180), length=st.floats(1e-2, 1e3))
def test_signed_angle_is_counter_clockwise_positive(angle, start, length):
    u = geo.rotation_2d(start) @ np.array([length, 0.0])
    v = geo.rotation_2d(angle) @ u * 2.0
    assert geo.signed_angle_2d_deg(u, v) == pytest.approx(angle, abs=1e-6)
    assert geo.signed_angle_2d_deg(v, u) == pytest.approx(-angle, abs=1e-6)


def test_elevation_inclination_and_tilt():
    up, right, down_left = np.array([0.0, 1.0]), np.array([1.0, 0.0]), np.array([-1.0, -1.0])
    assert geo.elevation_deg(up) == 90.0 and geo.elevation_deg(right) == 0.0
    assert geo.elevation_deg(down_left) == pytest.approx(-45.0)
    assert geo.inclination_deg(up) == 0.0 and geo.inclination_deg(right) == 90.0
    assert geo.inclination_deg(down_left) == pytest.approx(135.0)
    assert geo.tilt_deg(right) == 90.0 and geo.tilt_deg(np.array([-1.0, 1.0])) == pytest.approx(-45.0)
    # 3D: the horizontal is the x-z plane, whatever the direction in it.
    assert geo.elevation_deg(np.array([0.0, 1.0, 1.0])) == pytest.approx(45.0)
    assert geo.inclination_deg(np.array([0.0, -1.0, np.sqrt(3.0)])) == pytest.approx(120.0)


@settings(max_examples=100)
@given(angle=angles_deg, axis=vec3, off_axis=st.floats(-5, 5))
def test_angle_about_axis(angle, axis, off_axis):
    assume(np.linalg.norm(axis) > 1e-2)
    unit = axis / np.linalg.norm(axis)
    u = np.cross(unit, [1.0, 0.0, 0.0] if abs(unit[0]) < 0.9 else [0.0, 1.0, 0.0])
    v = _rot3(unit, angle) @ u
    # Components along the axis do not change the angle about it.
    assert geo.angle_about_axis_deg(u, v + off_axis * unit, axis) == pytest.approx(angle, abs=1e-6)
    assert geo.angle_about_axis_deg(u, v, -axis) == pytest.approx(-angle, abs=1e-6)


def test_nan_and_zero_length_give_nan():
    zero, one = np.zeros(2), np.array([1.0, 0.0])
    assert np.isnan(geo.angle_between_deg(zero, one))
    assert np.isnan(geo.signed_angle_2d_deg(one, zero))
    assert np.isnan(geo.angle_between_deg(np.array([np.nan, 0.0]), one))
    assert np.isnan(geo.elevation_deg(np.zeros(3)))
    assert np.isnan(geo.angle_about_axis_deg(np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), np.zeros(3)))


def test_vectorised_over_leading_axes():
    u = np.tile(np.array([1.0, 0.0]), (4, 5, 1))
    v = np.broadcast_to(np.array([0.0, 1.0]), (4, 5, 2))
    assert geo.signed_angle_2d_deg(u, v).shape == (4, 5)
    assert np.all(geo.signed_angle_2d_deg(u, v) == 90.0)


def test_frame_conversions_keep_handedness():
    # Image y down -> up frame: a point lower in the image has a smaller y.
    assert geo.image_to_up(np.array([10.0, 20.0]))[1] < geo.image_to_up(np.array([10.0, 10.0]))[1]
    # MediaPipe world (x right, y down, z away) -> camera frame is a rotation, not a mirror.
    m = np.diag(geo.world_to_up(np.ones(3)))
    assert np.linalg.det(m) == pytest.approx(1.0)


def test_sign_or_zero_and_smoothstep():
    np.testing.assert_array_equal(geo.sign_or_zero(np.array([-2.0, -0.1, 0.0, 0.1, 2.0, np.nan]), 0.5), [-1, 0, 0, 0, 1, 0])
    ramp = geo.smoothstep(np.array([0.0, 10.0, 15.0, 20.0, 30.0]), 10.0, 20.0)
    np.testing.assert_allclose(ramp, [0.0, 0.0, 0.5, 1.0, 1.0])
