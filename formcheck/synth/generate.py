"""Build sample clips: for each clip its video (mp4v), its ground-truth track and its truth file, then the README.

    NAME.mp4          the rendered video
    NAME.track.csv    the exact landmarks in the pose track CSV contract
    NAME.truth.json   reps, holds and violation windows (schema formcheck.truth/1)

The same seed gives the same tracks, truth and frames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from formcheck.errors import InputError
from formcheck.track_io import write_track
from formcheck.outputs.video_writer import ThreadedVideoWriter
from formcheck.synth.clip import Clip
from formcheck.synth.readme import write_readme
from formcheck.synth.render import Renderer, Stage
from formcheck.synth.scripts import CLIPS, SAMPLES, clip_names
from formcheck.synth.simulate import simulate
from formcheck.synth.truetrack import true_track
from formcheck.synth.truth import build_truth, check_faults, write_truth

MAX_DURATION_S = 20.0


@dataclass(frozen=True)
class Generated:
    """The files written for one clip, and any mismatch between its truth and the faults it means to show."""

    name: str
    video: Path
    track: Path
    truth: Path
    frames: int
    problems: tuple[str, ...]


def select_clips(names: Iterable[str] = (), *, include_all: bool = False) -> list[Clip]:
    """The clips to build: those named (InputError listing the names for an unknown one), else the samples
    (or every clip with ``include_all``)."""
    wanted = list(names)
    if not wanted:
        return list(CLIPS if include_all else SAMPLES)
    known = {c.name: c for c in CLIPS}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise InputError(f"unknown sample clip {unknown[0]!r}; choose from {', '.join(clip_names())}")
    return [known[n] for n in dict.fromkeys(wanted)]


def generate_clip(clip: Clip, out_dir: str | os.PathLike, seed: int = 0,
                  on_frame: Callable[[], None] | None = None) -> Generated:
    """Simulate, render and write one clip's video, track and truth."""
    out = Path(out_dir)
    sim = simulate(clip, seed)
    duration = len(sim.t_s) / clip.fps
    if duration > MAX_DURATION_S + 1e-9:
        raise InputError(f"clip {clip.name}: {duration:.1f} s is longer than {MAX_DURATION_S:.0f} s")
    truth = build_truth(sim)
    if clip.setup:
        truth = {**truth, "setup": clip.setup}
    renderer = Renderer(clip.camera, Stage(props=clip.props))
    video = out / f"{clip.stem}.mp4"
    with ThreadedVideoWriter(video, clip.fps, clip.camera.size) as writer:
        for shapes in sim.shapes:
            writer.write(renderer.render(shapes))
            if on_frame is not None:
                on_frame()
    track_path = write_track(true_track(sim.landmarks, sim.t_s, clip.camera, source=f"synth:{clip.stem}"),
                             out / f"{clip.stem}.track.csv")
    truth_path = write_truth(truth, out / f"{clip.stem}.truth.json")
    return Generated(clip.stem, video, track_path, truth_path, len(sim.t_s), tuple(check_faults(truth)))


def generate(out_dir: str | os.PathLike, names: Iterable[str] = (), seed: int = 0,
             on_frame: Callable[[], None] | None = None, *, include_all: bool = False) -> list[Generated]:
    """Build the named clips (default: the samples) into ``out_dir`` and rewrite its README table."""
    results = generate_clips(out_dir, select_clips(names, include_all=include_all), seed, on_frame)
    write_readme(Path(out_dir), CLIPS)
    return results


def generate_clips(out_dir: str | os.PathLike, clips: Iterable[Clip], seed: int = 0,
                   on_frame: Callable[[], None] | None = None) -> list[Generated]:
    """Build the given clips (e.g. set-up variants, `synth.setups`) into ``out_dir``, without a README."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the folder ({exc.strerror or exc})") from None
    return [generate_clip(clip, out, seed, on_frame) for clip in clips]


def generate_truths(out_dir: str | os.PathLike, names: Iterable[str] = (), seed: int = 0, *,
                    include_all: bool = False) -> list[Generated]:
    """Rewrite only the truth files of the named clips (and the README table), without rendering: the renders
    and tracks are deterministic in the seed, so this is enough when only a rule's definition changed."""
    out = Path(out_dir)
    if not out.is_dir():
        raise InputError(f"{out}: no such folder (--truth-only rewrites the truth files of existing clips)")
    results = []
    for clip in select_clips(names, include_all=include_all):
        sim = simulate(clip, seed)
        truth = build_truth(sim)
        path = write_truth(truth, out / f"{clip.name}.truth.json")
        results.append(Generated(clip.name, out / f"{clip.name}.mp4", out / f"{clip.name}.track.csv", path,
                                 len(sim.t_s), tuple(check_faults(truth))))
    write_readme(out, CLIPS)
    return results


def frame_count(clips: Iterable[Clip], seed: int = 0) -> int:
    """Frames the clips will have (for a progress bar), from their scripts alone."""
    from formcheck.synth.simulate import clip_rng

    return sum(len(c.script(clip_rng(c.name, seed)).sample(c.fps)) for c in clips)
