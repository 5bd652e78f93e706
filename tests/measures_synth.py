"""Pose sequences with known lift-off, touch-down, flight and hop times for the measures tests.

Built with the synthetic body (formcheck.synth): a script, simulated without rendering, filmed by a
virtual camera as an exact pose track. The truth comes from the simulated 3D body, independently of
the metrics: a foot is off the floor while its lowest landmark (heel or toe) is more than 1 cm above
where it rests.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from formcheck.synth.camera import Camera
from formcheck.synth.clip import Clip
from formcheck.synth.motion import Timeline
from formcheck.synth.scripts.common import FRONT, SIDE_FROM_RIGHT, leg, other
from formcheck.synth.scripts.standing import RELAXED
from formcheck.synth.simulate import Simulation, simulate
from formcheck.synth.truetrack import true_track
from formcheck.track import PoseTrack

CONTACT_M = 0.01


def build(script: Callable[[np.random.Generator], Timeline], *, camera: Camera = FRONT, view: str = "front",
          name: str = "measure_test", seed: int = 0, fps: float = 30.0) -> tuple[Simulation, PoseTrack]:
    """Simulate a script and film it: the simulation (truth) and the exact pose track."""
    clip = Clip(name, "single_leg_stance", None, view, "standing", camera, script, "test sequence", fps=fps)
    sim = simulate(clip, seed)
    return sim, true_track(sim.landmarks, sim.t_s, camera, source=f"synth:{name}")


def foot_lowest(sim: Simulation, side: str) -> np.ndarray:
    """Height (m) of the lowest of the foot's heel and toe landmarks above its resting height."""
    low = np.minimum(sim.point(f"{side}_heel")[:, 1], sim.point(f"{side}_foot_index")[:, 1])
    return low - np.min(low)


def airborne_spans(up: np.ndarray, t_s: np.ndarray) -> list[tuple[float, float]]:
    """(first frame up, first frame down again) of every run of True frames."""
    spans, start = [], None
    for k, flag in enumerate(up):
        if flag and start is None:
            start = t_s[k]
        elif not flag and start is not None:
            spans.append((float(start), float(t_s[k])))
            start = None
    if start is not None:
        spans.append((float(start), float(t_s[-1])))
    return spans


def lifted_spans(sim: Simulation, side: str) -> list[tuple[float, float]]:
    """(lift-off, touch-down) times of one foot, from the 3D body."""
    return airborne_spans(foot_lowest(sim, side) > CONTACT_M, sim.t_s)


def stance_script(stance_side: str, holds_s: tuple[float, ...], *, lift_s: float = 0.5,
                  rest_s: float = 1.0) -> Callable[[np.random.Generator], Timeline]:
    """Stand, then stances on ``stance_side`` of about the given lengths, the other foot lifted and lowered."""
    lifted = other(stance_side)

    def script(rng: np.random.Generator) -> Timeline:
        tl = Timeline(RELAXED, rng, anchor="ankles").stay(1.2)
        for hold in holds_s:
            tl.anchor(f"{stance_side}_ankle")
            tl.move(lift_s, **leg(lifted, hip=25, knee=70, ankle=-10, flat=0))
            tl.stay(hold)
            tl.move(lift_s, **leg(lifted, hip=0, knee=3, ankle=0, flat=1))
            tl.anchor("ankles").stay(rest_s)
        return tl

    return script


def degrade(track: PoseTrack, rng: np.random.Generator, *, drop: float = 0.05, noise_px: float = 1.5,
            gaps: tuple[tuple[float, float], ...] = ()) -> PoseTrack:
    """Landmark noise (Gaussian, pixels), a fraction of frames dropped at random, and given gaps (start, end s)."""
    lm = track.landmarks.copy()
    width, height = track.image_size
    lm[:, :, 0] += rng.normal(0.0, noise_px / width, lm[:, :, 0].shape)
    lm[:, :, 1] += rng.normal(0.0, noise_px / height, lm[:, :, 1].shape)
    lost = rng.random(len(track)) < drop
    for start, end in gaps:
        lost |= (track.t_s >= start) & (track.t_s < end)
    lm[lost] = np.nan
    world = None if track.world is None else track.world.copy()
    if world is not None:
        world[lost] = np.nan
    return track.replace(landmarks=lm, world=world)


__all__ = ["FRONT", "SIDE_FROM_RIGHT", "build", "degrade", "lifted_spans", "stance_script", "airborne_spans",
           "foot_lowest"]
