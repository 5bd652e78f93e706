"""Run a clip's script: sample the timeline, add noise, pose and dress the body and stand it on its support,
frame by frame. The result holds the exact 3D landmarks and shapes of every frame (rendering comes later)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np

from formcheck.landmarks import LANDMARK_NAMES
from formcheck.synth.body import Pose, pose_body
from formcheck.synth.clip import Clip
from formcheck.synth.mannequin import build_mannequin
from formcheck.synth.motion import Motion, add_noise
from formcheck.synth.placement import anchor_point, place
from formcheck.synth.shapes import Shape


@dataclass(frozen=True)
class Simulation:
    """Every frame of a clip: time, pose, landmarks (world, metres), body frame and shapes."""

    clip: Clip
    seed: int
    motion: Motion
    poses: tuple[Pose, ...]
    landmarks: np.ndarray  # (n, 33, 3) world coordinates, y up
    roots: np.ndarray  # (n, 3, 3) the body's root rotation (columns: its left, up, forward)
    shapes: tuple[tuple[Shape, ...], ...]

    @property
    def t_s(self) -> np.ndarray:
        return self.motion.t_s

    def point(self, name: str) -> np.ndarray:
        """(n, 3) world positions of one landmark."""
        return self.landmarks[:, LANDMARK_NAMES.index(name)]


def clip_rng(clip_name: str, seed: int) -> np.random.Generator:
    """The clip's own random generator: the same seed and name always give the same numbers."""
    return np.random.default_rng([seed, zlib.crc32(clip_name.encode())])


def simulate(clip: Clip, seed: int = 0) -> Simulation:
    """Sample the script, add sway and tremor, and pose, dress and place the body in every frame."""
    rng = clip_rng(clip.name, seed)
    timeline = clip.script(rng)
    motion = add_noise(timeline.sample(clip.fps), rng, clip.noise, fps=clip.fps, quiet=clip.quiet_channels)
    poses, landmarks, roots, shapes = [], [], [], []
    base = np.zeros(2)  # world x, z where the anchor's (x_m, z_m) = (0, 0) lies
    previous = None
    for i in range(len(motion)):
        pose = motion.pose(i)
        if clip.fix_pose is not None:
            pose = clip.fix_pose(pose)
        anchor = motion.anchors[i]
        if previous is not None and anchor != motion.anchors[i - 1]:
            prev_pose, prev_sk = previous
            point = anchor_point(prev_sk, anchor)
            base = np.array([point[0] - prev_pose.x_m, point[2] - prev_pose.z_m])
        placed_pose = replace(pose, x_m=pose.x_m + base[0], z_m=pose.z_m + base[1])
        sk = pose_body(placed_pose, clip.dims)
        body = build_mannequin(sk, clip.dims, clip.look)
        sk, body = place(sk, body, placed_pose, replace(clip.support, anchor=anchor))
        previous = (pose, sk)
        poses.append(pose)
        landmarks.append(sk.landmarks())
        roots.append(sk.root)
        shapes.append(tuple(body))
    return Simulation(clip, seed, motion, tuple(poses), np.stack(landmarks), np.stack(roots), tuple(shapes))
