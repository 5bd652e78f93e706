"""What one synthetic clip is: the exercise, the working side, the camera, the stage and the motion script."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from formcheck.synth.body import BodyDims, Pose
from formcheck.synth.camera import Camera
from formcheck.synth.mannequin import Look
from formcheck.synth.motion import NoiseLevels, Timeline
from formcheck.synth.placement import Support
from formcheck.synth.shapes import Shape

VIEWS: tuple[str, ...] = ("front", "side")
POSITIONS: tuple[str, ...] = ("standing", "kneeling", "sitting", "supine", "prone", "side_lying")


@dataclass(frozen=True)
class Clip:
    """A sample clip: how it is filmed, what the body does, and which faults it is meant to show.

    ``script`` builds the timeline from a seeded generator; ``fix_pose`` (optional) corrects each frame's pose
    after the noise (inverse kinematics that keeps a foot planted, soles together, ...).
    """

    name: str
    exercise: str
    side: str | None  # working side as the exercise spec means it, None for bilateral exercises
    view: str
    position: str
    camera: Camera
    script: Callable[[np.random.Generator], Timeline]
    description: str
    faults: tuple[str, ...] = ()  # rule ids that the truth must contain (and no others)
    support: Support = Support()
    fix_pose: Callable[[Pose], Pose] | None = None
    noise: NoiseLevels = NoiseLevels()
    quiet_channels: tuple[str, ...] = ()
    props: tuple[Shape, ...] = ()
    dims: BodyDims = field(default_factory=BodyDims)
    look: Look = field(default_factory=Look)
    fps: float = 30.0
    sample: bool = True  # one of the bundled sample clips (False: built only when asked for)
    setup: str = ""  # the home set-up it is filmed in (`synth.setups`), "" for the clip's own

    @property
    def stem(self) -> str:
        """File name stem: the clip's name, with ``__SETUP`` for a set-up variant."""
        return f"{self.name}__{self.setup}" if self.setup else self.name

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"clip {self.name}: view must be one of {VIEWS}, got {self.view!r}")
        if self.position not in POSITIONS:
            raise ValueError(f"clip {self.name}: position must be one of {POSITIONS}, got {self.position!r}")
        if self.side not in (None, "left", "right"):
            raise ValueError(f"clip {self.name}: side must be left, right or None, got {self.side!r}")
