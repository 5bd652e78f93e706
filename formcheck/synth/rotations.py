"""Rotation matrices about the body's axes (x = the body's left, y = up, z = forward), angles in degrees."""

from __future__ import annotations

import math

import numpy as np


def rot_x(angle_deg: float) -> np.ndarray:
    """Rotation about x; positive turns +y toward +z (a forward bend of something pointing up)."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(angle_deg: float) -> np.ndarray:
    """Rotation about y (vertical); positive turns +z toward +x."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(angle_deg: float) -> np.ndarray:
    """Rotation about z; positive turns +x toward +y."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def frame_from_up_forward(up: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """The rotation whose y column is ``up`` and whose z column is ``forward`` made orthogonal to it."""
    y = up / np.linalg.norm(up)
    z = forward - np.dot(forward, y) * y
    norm = np.linalg.norm(z)
    if norm < 1e-9:
        z = np.cross(np.array([1.0, 0.0, 0.0]), y)
        norm = np.linalg.norm(z)
    z = z / norm
    x = np.cross(y, z)
    return np.column_stack([x, y, z])


def angle_between_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Unsigned angle between two vectors, via atan2 (no arccos domain errors)."""
    return math.degrees(math.atan2(float(np.linalg.norm(np.cross(a, b))), float(np.dot(a, b))))
