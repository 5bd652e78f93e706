"""A live session's program: the exercises done one after another, and where each one's report goes.

    program = Program.resolve(("bridge", "clamshell"), ())      # `formcheck live -e bridge -e clamshell`
    program.folder(1)  -> "2_clamshell"                         # OUT/2_clamshell/report.json

One exercise writes OUT/report.json exactly as before; a program of several writes one report per exercise in
its own numbered folder (the same exercise may come twice) and OUT/session.json, the index of them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from formcheck.outputs.annotate import FrameAnnotator
from formcheck.errors import InputError
from formcheck.measures.stance import StanceSettings, StanceTimer
from formcheck.specs.spec import ExerciseSpec, resolve_spec
from formcheck.live.pipeline import LivePipeline
from formcheck.live.setup import SetupGuide

SESSION_NAME = "session.json"
SESSION_SCHEMA = "formcheck.live-session/1"


@dataclass(frozen=True)
class Program:
    """The exercises of one session, in the order they are done."""

    specs: tuple[ExerciseSpec, ...]

    @classmethod
    def resolve(cls, exercises: tuple[str, ...], spec_paths: tuple[Path, ...],
                default: str = "safety_watch") -> Program:
        """Bundled exercise ids, else spec files, else the default exercise (ids and files are not mixed)."""
        if exercises and spec_paths:
            raise InputError("give exercise ids or spec files for the program, not both")
        if spec_paths:
            return cls(tuple(resolve_spec(None, path) for path in spec_paths))
        return cls(tuple(resolve_spec(exercise, None) for exercise in exercises) or (resolve_spec(default, None),))

    def __len__(self) -> int:
        return len(self.specs)

    @property
    def several(self) -> bool:
        return len(self.specs) > 1

    def folder(self, index: int) -> str:
        """The report folder of the exercise at `index` (0-based), numbered from 1: "2_clamshell"."""
        return f"{index + 1}_{self.specs[index].id}"

    def title(self, index: int) -> str:
        """The exercise's name, with its place in the program when there are several: "Clamshell (2 of 3)"."""
        name = self.specs[index].name
        return f"{name} ({index + 1} of {len(self.specs)})" if self.several else name

    def step(self, index: int) -> str | None:
        """The exercise's place in the program for the screen, "exercise 2 of 3"; None for a single exercise."""
        return f"exercise {index + 1} of {len(self.specs)}" if self.several else None

    def start(self, index: int, image_size: tuple[int, int], side: str) -> ExerciseRun:
        """Begin the exercise at `index`."""
        return ExerciseRun(index, self.specs[index], image_size, side, step=self.step(index))


class ExerciseRun:
    """One exercise of the program as it is being done: its pipeline, drawing plan, set-up guide, stance timer."""

    def __init__(self, index: int, spec: ExerciseSpec, image_size: tuple[int, int], side: str,
                 step: str | None = None) -> None:
        self.index = index
        self.spec = spec
        self.step = step
        self.pipeline = LivePipeline(spec, image_size, side=side)
        self.annotator = self._annotator()
        self.guide = SetupGuide(spec)
        # A spec declaring the stance measure: the clinical timer (lift-off to touch-down) drives the big count-up
        # timer and its tones.
        self.stance = StanceTimer(StanceSettings.from_spec(spec)) if spec.measure.kind == "stance" else None
        self.switched_side = False
        self.report_path: Path | None = None
        self.report: dict | None = None

    @property
    def frames(self) -> int:
        return len(self.pipeline.record)

    @property
    def stopped_for_pain(self) -> bool:
        return self.pipeline.engine.status.stopped_for_pain

    def current_side(self) -> str | None:
        """The side being exercised now: the one asked for, else the one the engine found, else None."""
        side = self.pipeline.segments[-1].side
        if side in ("left", "right"):
            return side
        found = self.pipeline.engine.status.side
        return found if found in ("left", "right") else None

    def switch_side(self, other: str) -> None:
        """Go on with the other side: a new engine run on the same pipeline."""
        self.pipeline.new_segment(side=other, ended_by="next")
        self.annotator = self._annotator()
        self.switched_side = True

    def reset(self) -> None:
        """Start the count again (the earlier run stays listed in the report)."""
        self.pipeline.new_segment(side=self.pipeline.segments[-1].side, ended_by="reset")
        self.annotator = self._annotator()

    def _annotator(self) -> FrameAnnotator:
        """The drawing plan of the engine run now under way."""
        return FrameAnnotator(self.pipeline.engine.plan, program_step=self.step)


def exercise_entry(program: Program, index: int, run: ExerciseRun | None, out_dir: Path) -> dict:
    """One line of session.json: what became of the exercise at `index`."""
    spec = program.specs[index]
    entry: dict = {"n": index + 1, "exercise": spec.id, "name": spec.name}
    if run is None:
        return {**entry, "status": "not_started", "report": None}
    if run.report is None or run.report_path is None:
        return {**entry, "status": "no_frames", "report": None}
    report = run.report
    summary = report["summary"]
    status = "stopped_for_pain" if summary.get("pain_stop") else "done"
    return {
        **entry,
        "status": status,
        "report": run.report_path.relative_to(out_dir).as_posix(),
        "start_s": report["live"]["segments"][0]["start_s"],
        "duration_s": report["duration_s"],
        "reps": len(report["reps"]),
        "holds": len(report["holds"]),
        "holds_met": sum(1 for h in report["holds"] if h["met"]),
        "violations": len(report["violations"]),
        "violations_by_rule": summary.get("violations_by_rule", {}),
        "pain_stop": bool(summary.get("pain_stop")),
    }


def session_index(program: Program, runs: list[ExerciseRun], out_dir: Path, live: dict) -> dict:
    """session.json: every exercise of the program (done, stopped for pain, not started) and how the session ran."""
    exercises = [exercise_entry(program, i, runs[i] if i < len(runs) else None, out_dir) for i in range(len(program))]
    return {
        "schema": SESSION_SCHEMA,
        "program": [spec.id for spec in program.specs],
        "exercises": exercises,
        "pain_stop": any(e.get("pain_stop") for e in exercises),
        "live": live,
    }


__all__ = ["Program", "ExerciseRun", "exercise_entry", "session_index", "SESSION_NAME", "SESSION_SCHEMA"]
