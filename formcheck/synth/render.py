"""Draw shapes as a camera sees them: ray casting with a depth buffer, soft light, a wall, a floor and props.

The picture is rendered at ``supersample`` times the size and scaled down, which smooths the edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from formcheck.synth.camera import Camera
from formcheck.synth.shapes import Color, Ellipsoid, RoundCone, Shape


@dataclass(frozen=True)
class Stage:
    """The room: wall and floor colours, the wall's distance behind the subject, and props (a mat, a step)."""

    wall: Color = (200, 212, 218)
    floor: Color = (120, 150, 178)
    wall_distance_m: float = 2.0
    props: tuple[Shape, ...] = field(default_factory=tuple)
    light_dir: tuple[float, float, float] = (-0.35, -0.75, -0.55)  # toward the light, camera axes
    ambient: float = 0.5


class Renderer:
    """Draws frames for one camera and stage; the static background is computed once."""

    def __init__(self, camera: Camera, stage: Stage = Stage(), supersample: int = 2) -> None:
        self.camera = camera
        self.stage = stage
        self.supersample = supersample
        self._canvas = camera.scaled(supersample)
        w, h = self._canvas.size
        cx, cy = self._canvas.principal_point
        u, v = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
        dirs = np.stack([(u - cx) / self._canvas.focal_px, (v - cy) / self._canvas.focal_px, np.ones_like(u)], -1)
        self._dirs = dirs / np.linalg.norm(dirs, axis=-1, keepdims=True)
        light = np.asarray(stage.light_dir, dtype=float)
        self._light = light / np.linalg.norm(light)
        self._rotation = camera.rotation
        self._position = camera.position
        self._background, self._bg_depth = self._draw_background()

    def _draw_background(self) -> tuple[np.ndarray, np.ndarray]:
        """Wall and floor (by ray / plane intersection), then the props with depth."""
        h, w = self._dirs.shape[:2]
        world_dirs = self._dirs @ self._rotation  # camera -> world
        origin = self._position
        t_floor = np.where(world_dirs[..., 1] < -1e-6, -origin[1] / np.minimum(world_dirs[..., 1], -1e-6), np.inf)
        view = self._rotation[2].copy()
        view[1] = 0.0
        view /= np.linalg.norm(view)
        target = np.asarray(self.camera.target, dtype=float)
        wall_point = target + view * self.stage.wall_distance_m
        denom = world_dirs @ view
        t_wall = np.where(denom > 1e-6, ((wall_point - origin) @ view) / np.maximum(denom, 1e-6), np.inf)
        floor = t_floor < t_wall
        image = np.empty((h, w, 3), dtype=np.float32)
        image[:] = self.stage.wall
        # a little shading: the wall darker toward the floor, the floor lighter toward the camera
        hit = origin + world_dirs * np.where(floor, t_floor, t_wall)[..., None]
        wall_shade = 0.9 + 0.1 * np.clip(hit[..., 1] / 2.5, 0, 1)
        image *= wall_shade[..., None]
        floor_shade = 0.85 + 0.15 * np.clip(1.0 - t_floor / 8.0, 0, 1)
        image[floor] = np.asarray(self.stage.floor, dtype=np.float32) * floor_shade[floor][:, None]
        skirting = (~floor) & (hit[..., 1] < 0.08)
        image[skirting] = np.asarray(self.stage.wall, dtype=np.float32) * 0.8
        depth = np.where(floor, t_floor, t_wall).astype(np.float64)
        self._paint(image, depth, self.stage.props)
        return image, depth

    def render(self, shapes: list[Shape] | tuple[Shape, ...]) -> np.ndarray:
        """One BGR uint8 frame of the shapes (world coordinates) in front of the stage."""
        image = self._background.copy()
        depth = self._bg_depth.copy()
        self._paint(image, depth, shapes)
        if self.supersample > 1:
            image = cv2.resize(image, self.camera.size, interpolation=cv2.INTER_AREA)
        return np.clip(image + 0.5, 0, 255).astype(np.uint8)

    def _paint(self, image: np.ndarray, depth: np.ndarray, shapes) -> None:
        h, w = depth.shape
        f = self._canvas.focal_px
        cx, cy = self._canvas.principal_point
        for shape in shapes:
            local = shape.in_camera(self._rotation, self._position)
            center, radius = local.bounding_sphere()
            near = center[2] - radius
            if center[2] + radius <= 0.05:
                continue
            if near <= 0.05:
                x0, x1, y0, y1 = 0, w, 0, h
            else:
                spread = f * radius / near
                u = f * center[0] / center[2] + cx
                v = f * center[1] / center[2] + cy
                x0, x1 = max(int(u - spread) - 1, 0), min(int(u + spread) + 2, w)
                y0, y1 = max(int(v - spread) - 1, 0), min(int(v + spread) + 2, h)
            if x0 >= x1 or y0 >= y1:
                continue
            dirs = self._dirs[y0:y1, x0:x1].reshape(-1, 3)
            t, normal, extra = local.intersect(dirs)
            zone = depth[y0:y1, x0:x1].reshape(-1)
            win = t < zone
            if not win.any():
                continue
            colors = _surface_colors(local, normal[win], extra[win])
            shade = self.stage.ambient + (1 - self.stage.ambient) * np.clip(normal[win] @ self._light, 0, 1)
            shine = local.material.shine
            if shine > 0:
                half = self._light - dirs[win]
                half /= np.linalg.norm(half, axis=1, keepdims=True)
                spec = shine * np.clip(np.einsum("ij,ij->i", normal[win], half), 0, 1) ** 24 * 120
                colors = colors * shade[:, None] + spec[:, None]
            else:
                colors = colors * shade[:, None]
            block = image[y0:y1, x0:x1].reshape(-1, 3)
            block[win] = colors
            image[y0:y1, x0:x1] = block.reshape(y1 - y0, x1 - x0, 3)
            zone[win] = t[win]
            depth[y0:y1, x0:x1] = zone.reshape(y1 - y0, x1 - x0)


def _surface_colors(shape: Shape, normal: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """Base colours of the hit points: plain, banded along a round cone, or a face on an ellipsoid."""
    material = shape.material
    n = len(normal)
    colors = np.empty((n, 3), dtype=np.float32)
    colors[:] = material.color
    if isinstance(shape, RoundCone) and material.band_color is not None:
        colors[extra < material.band_end] = material.band_color
    elif isinstance(shape, Ellipsoid) and material.texture == "face":
        _paint_face(colors, extra, material.band_color or (40, 40, 40))
    return colors


EYE_WHITE: Color = (235, 240, 240)
IRIS: Color = (45, 40, 35)
LIPS: Color = (95, 95, 175)


def _paint_face(colors: np.ndarray, p: np.ndarray, hair_color: Color) -> None:
    """Hair, brows, eyes and a mouth on a unit-sphere head (x = its left, y = up, z = forward)."""
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    hair = (y > 0.55) | ((z < 0.05) & (y > -0.45)) | ((z < 0.5) & (y > 0.25))
    colors[hair] = hair_color
    front = z > 0.3
    for sx in (0.4, -0.4):
        ex, ey = x - sx, y - 0.18
        eye = front & ((ex / 0.17) ** 2 + (ey / 0.085) ** 2 < 1)
        colors[eye] = EYE_WHITE
        colors[front & (ex**2 + ey**2 < 0.075**2)] = IRIS
        brow = front & (np.abs(ex) < 0.2) & (np.abs(y - 0.36 + 0.15 * ex * ex) < 0.03)
        colors[brow] = hair_color
    mouth = front & ((x / 0.26) ** 2 + ((y + 0.47) / 0.065) ** 2 < 1)
    colors[mouth] = LIPS
