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
    return low - np.median(low[:10])


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


# The lifted foot: straight up beside the stance ankle (thigh forward as far as the shank goes back), or
# hanging behind with the toes down (as in the sample clips; the toes then touch while the foot still moves).
LIFT_BESIDE = dict(hip=35, knee=70, ankle=0, flat=0)
LIFT_BEHIND = dict(hip=25, knee=70, ankle=-10, flat=0)


def stance_script(stance_side: str, holds_s: tuple[float, ...], *, lift_s: float = 0.5, rest_s: float = 1.0,
                  lift: dict | None = None) -> Callable[[np.random.Generator], Timeline]:
    """Stand, then stances on ``stance_side`` of about the given lengths, the other foot lifted and lowered."""
    lifted = other(stance_side)
    up = LIFT_BESIDE if lift is None else lift

    def script(rng: np.random.Generator) -> Timeline:
        tl = Timeline(RELAXED, rng, anchor="ankles").stay(1.2)
        for hold in holds_s:
            tl.anchor(f"{stance_side}_ankle")
            tl.move(lift_s, **leg(lifted, **up))
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


HELD_UP = dict(hip=45, knee=95, ankle=-10, flat=0)  # the other leg during hops: clear of the floor in a crouch


def hop_script(hops: tuple[tuple[str, float], ...], *, flight_s: float = 0.3, hold_s: float = 2.4,
               touch_after: int | None = None) -> Callable[[np.random.Generator], Timeline]:
    """Forward single-leg hops ``(hopping side, anchor travel m)`` with the other foot held up; the legs swap
    (both feet down for a moment) when the side changes. After hop number ``touch_after`` (1-based) the
    other foot touches down 1 s after landing. The body starts half the total travel behind the camera's aim."""
    start_z = -sum(d for _, d in hops) / 2

    def script(rng: np.random.Generator) -> Timeline:
        tl = Timeline(RELAXED.with_values(z_m=start_z), rng, anchor="ankles", jitter=0.0).stay(1.0)
        z, current = start_z, None
        for k, (side, dist) in enumerate(hops, start=1):
            held = other(side)
            if side != current:
                if current is not None:
                    tl.anchor("ankles").move(0.5, **leg(current, hip=0, knee=3, ankle=0, flat=1)).stay(0.8)
                tl.anchor(f"{side}_ankle").move(0.6, **leg(held, **HELD_UP)).stay(0.6)
                current = side
            tl.move(0.35, **leg(side, hip=30, knee=40, ankle=0, flat=1), trunk_flexion_deg=20)
            tl.move(0.15, exact=True, **leg(side, hip=0, knee=0, ankle=-30, flat=0), trunk_flexion_deg=10)
            tl.move(flight_s / 2, exact=True, lift_m=0.10, z_m=z + dist / 2, **leg(side, hip=20, knee=25, ankle=-20))
            z += dist
            tl.move(flight_s / 2, exact=True, lift_m=0.0, z_m=z, **leg(side, hip=25, knee=30, ankle=-15))
            tl.move(0.25, exact=True, **leg(side, hip=35, knee=45, ankle=0, flat=1), trunk_flexion_deg=20)
            tl.move(0.5, **leg(side, hip=0, knee=3), trunk_flexion_deg=0)
            if touch_after == k:
                tl.stay(0.25).anchor("ankles").move(0.4, **leg(held, hip=0, knee=3, ankle=0, flat=1)).stay(1.0)
                tl.anchor(f"{side}_ankle").move(0.6, **leg(held, **HELD_UP))
            tl.stay(hold_s)
        return tl

    return script


def hop_truth(sim: Simulation, hop_side: str) -> list[tuple[float, float, float]]:
    """(take-off, landing, distance m from the toe at take-off to the heel at landing) of every hop: the toe's
    median position 0.2-0.05 s before take-off (it pivots while pushing off), the heel's 0.1-0.4 s after landing."""
    up = foot_lowest(sim, hop_side) > CONTACT_M
    out = []
    for start, end in airborne_spans(up, sim.t_s):
        if end - start > 1.0:
            continue  # the foot held up while the other leg hops
        pushing = (sim.t_s >= start - 0.2) & (sim.t_s <= start - 0.05)
        landed = (sim.t_s >= end + 0.1) & (sim.t_s <= end + 0.4)
        toe = np.median(sim.point(f"{hop_side}_foot_index")[pushing], axis=0)
        heel = np.median(sim.point(f"{hop_side}_heel")[landed], axis=0)
        out.append((start, end, float(np.hypot(heel[0] - toe[0], heel[2] - toe[2]))))
    return out


def jump_truth(sim: Simulation) -> list[tuple[float, float]]:
    """(take-off, landing) of every flight: the whole body lifted more than 1 cm off the floor."""
    up = sim.motion.channels["lift_m"] > CONTACT_M
    return [(a, b) for a, b in airborne_spans(up, sim.t_s) if b - a < 1.5]


def model_track(sim: Simulation, model_path) -> PoseTrack:
    """Render every frame of a simulation and run MediaPipe on it (no video file written)."""
    from formcheck.pose.estimator import PoseEstimator, extract_track
    from formcheck.pose.sources import Frame
    from formcheck.synth.render import Renderer

    renderer = Renderer(sim.clip.camera)
    frames = [Frame(i, int(round(t * 1000)), renderer.render(shapes))
              for i, (t, shapes) in enumerate(zip(sim.t_s, sim.shapes))]
    with PoseEstimator(model_path) as estimator:
        return extract_track(frames, estimator, progress=False, prefetch=0)
