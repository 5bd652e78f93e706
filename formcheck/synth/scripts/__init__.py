"""The sample clips: one motion script per exercise clip, with the faults each is meant to show."""

from __future__ import annotations

from formcheck.synth.clip import Clip
from formcheck.synth.scripts import floor
from formcheck.synth.scripts import more
from formcheck.synth.scripts import standing

CLIPS: tuple[Clip, ...] = standing.CLIPS + floor.CLIPS + more.CLIPS
SAMPLES: tuple[Clip, ...] = tuple(c for c in CLIPS if c.sample)


def clip_names() -> tuple[str, ...]:
    """Names of all clips (the samples first), in generation order."""
    return tuple(c.name for c in CLIPS)


def find_clip(name: str) -> Clip:
    """The clip of that name; ValueError listing the names when unknown."""
    for clip in CLIPS:
        if clip.name == name:
            return clip
    raise ValueError(f"unknown clip {name!r}; choose from {', '.join(clip_names())}")
