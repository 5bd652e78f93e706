"""The solid pieces a mannequin and its props are made of: round cones, ellipsoids and boxes, with materials.

Each shape knows its lowest point (to stand it on the floor), can be moved, and can be intersected with rays
from a camera at the origin (camera coordinates) - the renderer's only job is to call that and shade.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Color = tuple[int, int, int]  # BGR, as OpenCV draws


@dataclass(frozen=True)
class Material:
    """A colour; on a round cone an optional band from its start (shorts on a thigh, a sleeve on an arm).

    ``texture`` "face" paints hair (in ``band_color``), eyes, brows and a mouth on an ellipsoid (a head).
    """

    color: Color
    band_color: Color | None = None
    band_end: float = 0.0  # fraction of the axis from ``a`` that has ``band_color``
    texture: str = "plain"
    shine: float = 0.0  # 0 matte .. 1 glossy


@dataclass(frozen=True)
class RoundCone:
    """Two spheres (radii ``ra`` at ``a``, ``rb`` at ``b``) joined by the cone tangent to both: a limb."""

    a: np.ndarray
    b: np.ndarray
    ra: float
    rb: float
    material: Material
    part: str

    def lowest_y(self) -> float:
        return float(min(self.a[1] - self.ra, self.b[1] - self.rb))

    def moved(self, offset: np.ndarray) -> "RoundCone":
        return RoundCone(self.a + offset, self.b + offset, self.ra, self.rb, self.material, self.part)

    def in_camera(self, rotation: np.ndarray, position: np.ndarray) -> "RoundCone":
        return RoundCone(
            (self.a - position) @ rotation.T, (self.b - position) @ rotation.T, self.ra, self.rb, self.material, self.part
        )

    def bounding_sphere(self) -> tuple[np.ndarray, float]:
        center = (self.a + self.b) / 2
        return center, float(np.linalg.norm(self.b - self.a) / 2 + max(self.ra, self.rb))

    def intersect(self, dirs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ray distance (inf on a miss), unit normal and axis fraction for rays from the origin."""
        return _round_cone_hits(dirs, self.a, self.b, self.ra, self.rb)


@dataclass(frozen=True)
class Ellipsoid:
    """An ellipsoid: ``axes`` columns are its local x, y, z directions, ``radii`` the half lengths along them."""

    center: np.ndarray
    axes: np.ndarray
    radii: np.ndarray
    material: Material
    part: str

    def lowest_y(self) -> float:
        return float(self.center[1] - np.sqrt(np.sum((self.axes[1, :] * self.radii) ** 2)))

    def moved(self, offset: np.ndarray) -> "Ellipsoid":
        return Ellipsoid(self.center + offset, self.axes, self.radii, self.material, self.part)

    def in_camera(self, rotation: np.ndarray, position: np.ndarray) -> "Ellipsoid":
        return Ellipsoid((self.center - position) @ rotation.T, rotation @ self.axes, self.radii, self.material, self.part)

    def bounding_sphere(self) -> tuple[np.ndarray, float]:
        return self.center, float(np.max(self.radii))

    def intersect(self, dirs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ray distance, unit normal and the hit point in unit-sphere coordinates (for textures)."""
        inv = (self.axes / self.radii).T  # world -> unit-sphere coordinates
        origin = inv @ (-self.center)
        d = dirs @ inv.T
        a = np.einsum("ij,ij->i", d, d)
        b = 2.0 * (d @ origin)
        c = float(origin @ origin) - 1.0
        disc = b * b - 4 * a * c
        t = np.full(len(dirs), np.inf)
        hit = disc >= 0
        t_hit = (-b[hit] - np.sqrt(disc[hit])) / (2 * a[hit])
        t[np.flatnonzero(hit)] = np.where(t_hit > 0, t_hit, np.inf)
        unit = origin + d * np.where(np.isfinite(t), t, 0.0)[:, None]
        normal = (unit / self.radii) @ self.axes.T
        normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
        return t, normal, unit


@dataclass(frozen=True)
class Box:
    """A box (a step, a bench): ``axes`` columns are its directions, ``half`` its half sizes along them."""

    center: np.ndarray
    axes: np.ndarray
    half: np.ndarray
    material: Material
    part: str

    def lowest_y(self) -> float:
        return float(self.center[1] - np.sum(np.abs(self.axes[1, :]) * self.half))

    def moved(self, offset: np.ndarray) -> "Box":
        return Box(self.center + offset, self.axes, self.half, self.material, self.part)

    def in_camera(self, rotation: np.ndarray, position: np.ndarray) -> "Box":
        return Box((self.center - position) @ rotation.T, rotation @ self.axes, self.half, self.material, self.part)

    def bounding_sphere(self) -> tuple[np.ndarray, float]:
        return self.center, float(np.linalg.norm(self.half))

    def intersect(self, dirs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ray distance and unit normal (slab method); the third value is unused (zeros)."""
        origin = self.axes.T @ (-self.center)
        d = dirs @ self.axes
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / d
            t1 = (-self.half - origin) * inv
            t2 = (self.half - origin) * inv
        t_near = np.nanmax(np.minimum(t1, t2), axis=1)
        t_far = np.nanmin(np.maximum(t1, t2), axis=1)
        hit = (t_near <= t_far) & (t_near > 0)
        t = np.where(hit, t_near, np.inf)
        face = np.argmax(np.minimum(t1, t2), axis=1)
        local = np.zeros_like(d)
        local[np.arange(len(d)), face] = -np.sign(d[np.arange(len(d)), face])
        return t, local @ self.axes.T, np.zeros((len(d), 1))


Shape = RoundCone | Ellipsoid | Box


def _round_cone_hits(
    dirs: np.ndarray, pa: np.ndarray, pb: np.ndarray, ra: float, rb: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact ray / round-cone intersection (after Inigo Quilez's formula) for rays from the origin."""
    n = len(dirs)
    ba = pb - pa
    oa = -pa
    ob = -pb
    rr = ra - rb
    m0 = float(ba @ ba)
    m1 = float(ba @ oa)
    m2 = dirs @ ba
    m3 = dirs @ oa
    m5 = float(oa @ oa)
    m6 = dirs @ ob
    m7 = float(ob @ ob)
    d2 = m0 - rr * rr
    k2 = d2 - m2 * m2
    k1 = d2 * m3 - m1 * m2 + m2 * rr * ra
    k0 = d2 * m5 - m1 * m1 + m1 * rr * ra * 2.0 - m0 * ra * ra
    h = k1 * k1 - k0 * k2
    t = np.full(n, np.inf)
    normal = np.zeros((n, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        t_body = (-np.sqrt(np.maximum(h, 0.0)) - k1) / k2
        y = m1 - ra * rr + t_body * m2
        body = (h >= 0) & (y > 0) & (y < d2) & (t_body > 0)
        if body.any():
            t[body] = t_body[body]
            p = oa + t_body[body, None] * dirs[body]
            normal[body] = d2 * p - np.outer(y[body], ba)
        rest = (h >= 0) & ~body
        h1 = m3 * m3 - m5 + ra * ra
        h2 = m6 * m6 - m7 + rb * rb
        cap1 = rest & (h1 > 0)
        t1 = -m3 - np.sqrt(np.maximum(h1, 0.0))
        cap1 &= t1 > 0
        t[cap1] = t1[cap1]
        normal[cap1] = (oa + t1[cap1, None] * dirs[cap1]) / ra
        t2 = -m6 - np.sqrt(np.maximum(h2, 0.0))
        cap2 = rest & (h2 > 0) & (t2 > 0) & (t2 < t)
        t[cap2] = t2[cap2]
        normal[cap2] = (ob + t2[cap2, None] * dirs[cap2]) / rb
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    hit_points = np.where(np.isfinite(t), t, 0.0)[:, None] * dirs
    along = np.clip(((hit_points - pa) @ ba) / max(m0, 1e-12), 0.0, 1.0)
    return t, normal, along
