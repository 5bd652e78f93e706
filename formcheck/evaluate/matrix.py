"""The placement matrix: every exercise clip filmed from every home set-up (`synth.setups`), judged and scored.

One cell is a clip in a set-up: simulate it, take the exact landmarks (or, ``rendered``, render the video and
run MediaPipe on it), build its truth, analyse, and score the report against the truth with `score_clip`::

    matrix = run_matrix(matrix_clips(["bridge"]), select_setups(["baseline", "low_0.3m"], exact=True))
    print(format_matrix(matrix))        # `evaluate.matrix_table`

A cell passes on the acceptance scores of `formcheck evaluate` (reps exact, holds within the hold tolerance,
violation precision and recall 1.0), judged on what its spec declares it can be judged from
(`evaluate.supported`): a rule past its body-turn limit must be reported "not measured" for the turn (its true
windows are then not asked for), and a cell whose camera height is outside the spec's declared range is
"outside": scored and shown, but not counted against the spec. Its notes say what else was seen: the view
formcheck detected when it is not the clip's, and how often a key landmark was outside the picture.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from formcheck.errors import InputError
from formcheck.evaluate.scores import (
    DEFAULT_HOLD_TOLERANCE_S,
    DEFAULT_VIOLATION_TOLERANCE_S,
    ClipScore,
    read_report,
    score_clip,
)
from formcheck.evaluate.supported import cell_support
from formcheck.landmarks import LANDMARK_NAMES
from formcheck.synth.clip import Clip
from formcheck.synth.scripts import CLIPS
from formcheck.synth.setups import Setup, simulate_setup
from formcheck.synth.simulate import Simulation, simulate
from formcheck.synth.truetrack import true_track
from formcheck.synth.truth import build_truth
from formcheck.track import PoseTrack

SCHEMA = "formcheck.matrix/1"
KEY_LANDMARKS: tuple[int, ...] = tuple(
    LANDMARK_NAMES.index(f"{side}_{part}")
    for part in ("shoulder", "hip", "knee", "ankle")
    for side in ("left", "right")
)


@dataclass(frozen=True)
class Tolerances:
    """How a cell is scored (the defaults of `formcheck evaluate`)."""

    violation_s: float = DEFAULT_VIOLATION_TOLERANCE_S
    hold_s: float = DEFAULT_HOLD_TOLERANCE_S


@dataclass(frozen=True)
class Cell:
    """One clip in one set-up: its score, or why it was not scored."""

    clip: str
    exercise: str
    setup: str
    applicable: bool = True
    score: ClipScore | None = None
    view: str | None = None  # the view formcheck detected
    expected_view: str = ""
    out_of_frame: float = 0.0  # fraction of frames with a shoulder, hip, knee or ankle outside the picture
    error: str | None = None
    rendered: bool = False
    turn_deg: float | None = None  # the body's true turn from facing the camera
    unmeasured: tuple[str, ...] = ()  # rules rightly reported not measured (turned past their limit)
    outside: tuple[str, ...] = ()  # why the set-up is outside the spec's declared ones (empty: inside)

    @property
    def passed(self) -> bool:
        return self.applicable and self.error is None and self.score is not None and self.score.passed

    @property
    def supported(self) -> bool:
        """Inside the set-ups the exercise's spec declares (the cells that count)."""
        return self.applicable and not self.outside

    def notes(self) -> list[str]:
        """What else was seen: a wrong view label, landmarks outside the picture."""
        out = []
        if self.view and self.expected_view and self.view != self.expected_view:
            out.append(f"seen as {self.view} view")
        if self.out_of_frame > 0:
            out.append(f"body partly out of the picture in {self.out_of_frame:.0%} of frames")
        if self.unmeasured:
            where = f"the body turned {self.turn_deg:.0f} degrees" + (", the camera outside its heights"
                                                                      if self.outside else "")
            out.append(f"rightly not measured ({where}): " + ", ".join(self.unmeasured))
        out.extend(f"outside the spec's set-ups: {why}" for why in self.outside)
        return out

    def failures(self) -> list[str]:
        """What missed the acceptance scores, in words (empty when passed or not applicable)."""
        if not self.applicable:
            return []
        if self.error is not None:
            return [f"error: {self.error}"]
        return self.score.failures() if self.score is not None else ["not scored"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "clip": self.clip, "exercise": self.exercise, "setup": self.setup, "applicable": self.applicable,
            "rendered": self.rendered, "passed": self.passed, "failures": self.failures(), "notes": self.notes(),
            "view": self.view, "expected_view": self.expected_view, "out_of_frame": round(self.out_of_frame, 4),
            "supported": self.supported, "outside": list(self.outside), "not_measured_rightly": list(self.unmeasured),
            "turn_deg": None if self.turn_deg is None else round(self.turn_deg, 1),
            "score": self.score.to_dict() if self.score is not None else None,
        }


@dataclass(frozen=True)
class Matrix:
    """The cells of clips x set-ups, in grid order (clip by clip)."""

    clips: tuple[str, ...]
    setups: tuple[Setup, ...]
    cells: tuple[Cell, ...]
    rendered: bool = False
    seed: int = 0
    tolerances: Tolerances = field(default_factory=Tolerances)

    def cell(self, clip: str, setup: str) -> Cell | None:
        """The cell of a clip in a set-up (None when it was not run, as in a rendered subset)."""
        for c in self.cells:
            if c.clip == clip and c.setup == setup:
                return c
        return None

    @property
    def failing(self) -> tuple[Cell, ...]:
        """The cells inside their spec's declared set-ups that fail (the ones that count)."""
        return tuple(c for c in self.cells if c.supported and not c.passed)

    @property
    def failing_outside(self) -> tuple[Cell, ...]:
        """Failing cells outside their spec's declared set-ups (shown, not counted)."""
        return tuple(c for c in self.cells if c.applicable and c.outside and not c.passed)

    @property
    def passed(self) -> bool:
        return not self.failing


def matrix_clips(exercises: Iterable[str] = ()) -> list[Clip]:
    """Every clip (samples and extras), or those of the given exercise ids (InputError naming the choices)."""
    wanted = list(dict.fromkeys(exercises))
    known = sorted({c.exercise for c in CLIPS})
    unknown = [e for e in wanted if e not in known]
    if unknown:
        raise InputError(f"no synthetic clip of exercise {unknown[0]!r}; clips exist for {', '.join(known)}")
    return [c for c in CLIPS if not wanted or c.exercise in wanted]


def out_of_frame(track: PoseTrack) -> float:
    """Fraction of frames where a shoulder, hip, knee or ankle is outside the picture (visibility 0)."""
    if len(track) == 0:
        return 0.0
    hidden = track.landmarks[:, KEY_LANDMARKS, 3] < 0.5
    return float(hidden.any(axis=1).mean())


def report_for_track(track: PoseTrack, exercise: str, source: str) -> dict:
    """Analyse a track in memory and return its report as plain JSON data (as report.json would hold it)."""
    from formcheck.analyze import analyse_track, make_report
    from formcheck.specs.spec import resolve_spec

    analysis = analyse_track(track, resolve_spec(exercise, None))
    return json.loads(json.dumps(make_report(analysis, source=source)))


def _scored_cell(sim: Simulation, report: dict, truth: dict, frame_share: float, tol: Tolerances,
                 rendered: bool) -> Cell:
    from formcheck.specs.spec import resolve_spec

    clip = sim.clip
    support = cell_support(resolve_spec(clip.exercise, None), sim)
    score = score_clip(report, support.truth_without(truth, report), violation_tolerance_s=tol.violation_s,
                       hold_tolerance_s=tol.hold_s, clip=clip.stem)
    return Cell(clip.name, clip.exercise, clip.setup or "baseline", score=score, view=report.get("view"),
                expected_view=clip.view, out_of_frame=frame_share, rendered=rendered, turn_deg=support.turn_deg,
                unmeasured=support.rightly_unmeasured(report), outside=support.outside)


def exact_cell(sim: Simulation, tol: Tolerances = Tolerances()) -> Cell:
    """Score one simulated clip variant on its exact landmark track."""
    clip = sim.clip
    track = true_track(sim.landmarks, sim.t_s, clip.camera, source=f"synth:{clip.stem}")
    report = report_for_track(track, clip.exercise, f"{clip.stem}.track.csv")
    return _scored_cell(sim, report, build_truth(sim), out_of_frame(track), tol, rendered=False)


def rendered_cell(sim: Simulation, work_dir: Path, model: Path | None = None, tol: Tolerances = Tolerances()) -> Cell:
    """Render the clip variant, run the pose model on the video through `run_analyze`, and score the report."""
    from formcheck.analyze import AnalyzeRequest, run_analyze
    from formcheck.synth.generate import generate_clip

    clip = sim.clip
    made = generate_clip(clip, work_dir, sim.seed)
    outcome = run_analyze(AnalyzeRequest(input=made.video, out_dir=work_dir / clip.stem, exercise=clip.exercise,
                                         write_video=False, model=model, progress=False))
    track = true_track(sim.landmarks, sim.t_s, clip.camera)
    report = read_report(outcome.report_path)
    return _scored_cell(sim, report, build_truth(sim), out_of_frame(track), tol, rendered=True)


def _guarded(clip: Clip, setup: Setup, strict: bool, run: Callable[[], Cell]) -> Cell:
    """Run one cell; unless ``strict``, an exception becomes the cell's error so the rest of the grid runs."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - one failing cell must not hide the others
        if strict:
            raise
        return Cell(clip.name, clip.exercise, setup.name, error=f"{type(exc).__name__}: {exc}",
                    expected_view=clip.view)


def run_matrix(clips: Iterable[Clip], setups: Iterable[Setup], *, seed: int = 0, tol: Tolerances = Tolerances(),
               strict: bool = False, on_cell: Callable[[Cell], None] | None = None) -> Matrix:
    """Every clip in every set-up, on exact landmark tracks (fast: no rendering, no model).

    A set-up that does not apply to a clip (staggered feet lying down) gives a cell with ``applicable`` False;
    the clip's own simulation is shared by the set-ups that move only the camera."""
    clips, setups = list(clips), list(setups)
    cells: list[Cell] = []
    for clip in clips:
        base = simulate(clip, seed)
        for setup in setups:
            if not setup.applies_to(clip):
                cell = Cell(clip.name, clip.exercise, setup.name, applicable=False, expected_view=clip.view)
            else:
                cell = _guarded(clip, setup, strict, lambda: exact_cell(simulate_setup(clip, setup, seed, base), tol))
            cells.append(cell)
            if on_cell is not None:
                on_cell(cell)
    return Matrix(tuple(c.name for c in clips), tuple(setups), tuple(cells), rendered=False, seed=seed, tolerances=tol)


def render_subset(clips: Iterable[Clip], setups: Iterable[Setup], count: int) -> list[tuple[Clip, Setup]]:
    """``count`` applicable (clip, set-up) pairs spread evenly over the grid, always the same ones."""
    pairs = [(c, s) for c in clips for s in setups if s.applies_to(c)]
    if count <= 0 or not pairs:
        return []
    if count >= len(pairs):
        return pairs
    picks = np.linspace(0, len(pairs) - 1, count).round().astype(int)
    return [pairs[i] for i in dict.fromkeys(int(p) for p in picks)]


def run_rendered(pairs: Iterable[tuple[Clip, Setup]], *, seed: int = 0, model: Path | None = None,
                 tol: Tolerances = Tolerances(), strict: bool = False,
                 on_cell: Callable[[Cell], None] | None = None) -> Matrix:
    """The given cells rendered and analysed through the pose model (slow: seconds per clip)."""
    pairs = list(pairs)
    cells: list[Cell] = []
    with tempfile.TemporaryDirectory(prefix="formcheck-matrix-") as tmp:
        for clip, setup in pairs:
            cell = _guarded(clip, setup, strict,
                            lambda: rendered_cell(simulate_setup(clip, setup, seed), Path(tmp), model, tol))
            cells.append(cell)
            if on_cell is not None:
                on_cell(cell)
    clips = tuple(dict.fromkeys(c.name for c, _ in pairs))
    setups = tuple({s.name: s for _, s in pairs}.values())
    return Matrix(clips, setups, tuple(cells), rendered=True, seed=seed, tolerances=tol)
