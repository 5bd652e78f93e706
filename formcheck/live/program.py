"""A live session's program: the exercises done one after another, and where each one's report goes.

    program = Program.resolve(("bridge", "clamshell"), ())      # `formcheck live -e bridge -e clamshell`
    program.folder(1)  -> "2_clamshell"                         # OUT/2_clamshell/report.json

One exercise writes OUT/report.json exactly as before; a program of several writes one report per exercise in
its own numbered folder (the same exercise may come twice) and OUT/session.json, the index of them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from formcheck.engine.engine import Engine
from formcheck.outputs.annotate import FrameAnnotator
from formcheck.errors import InputError
from formcheck.measures.stance import StanceSettings, StanceTimer
from formcheck.program.followed import Following, Timed, plan_section, side_check, side_words, timed
from formcheck.specs.spec import ExerciseSpec, resolve_spec
from formcheck.live.pipeline import FrameOutcome, LivePipeline
from formcheck.live.setup import SetupGuide

SESSION_NAME = "session.json"
SESSION_SCHEMA = "formcheck.live-session/1"
OFF_PLAN_SHOW_S = 5.0  # how long the "today's plan is the left leg" banner stays after the other leg's movement
OTHER = {"left": "right", "right": "left"}
MATCH_S = 1.0  # a rep (or hold) ending this close to one of the other leg's is that leg's movement, not this side's
DONE_KINDS = ("rep", "hold_end")  # events that end a counted rep or hold (a hold too short to count has no n)


@dataclass(frozen=True)
class NextStep:
    """What `n` does now: switch to `side`, move on to the next exercise, or only say why not (`flash`)."""

    side: str | None = None
    next_exercise: bool = False
    flash: str | None = None
    say: str = ""


@dataclass(frozen=True)
class Program:
    """The exercises of one session, in the order they are done."""

    specs: tuple[ExerciseSpec, ...]
    plans: tuple[Following | None, ...] = ()  # the plan each exercise follows (today, live --plan); () for none

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

    def plan(self, index: int) -> Following | None:
        """The plan the exercise at `index` follows, if any."""
        return self.plans[index] if index < len(self.plans) else None

    def start(self, index: int, image_size: tuple[int, int], side: str) -> ExerciseRun:
        """Begin the exercise at `index`: on the plan's first side when the plan names its sides."""
        return ExerciseRun(index, self.specs[index], image_size, side, step=self.step(index), plan=self.plan(index))


class ExerciseRun:
    """One exercise of the program as it is being done: its pipeline, drawing plan, set-up guide, stance timer."""

    def __init__(self, index: int, spec: ExerciseSpec, image_size: tuple[int, int], side: str,
                 step: str | None = None, plan: Following | None = None) -> None:
        self.index = index
        self.spec = spec
        self.step = step
        self.plan = plan
        one_sided = spec.sides != "bilateral"
        self.planned_sides: tuple[str, ...] = plan.due.sides if plan is not None and one_sided else ()
        side = self.planned_sides[0] if self.planned_sides and side == "auto" else side
        self.pipeline = LivePipeline(spec, image_size, side=side)
        # The plan's sides enforced: an engine that finds the working side itself watches for the other leg.
        self.watcher = Engine(spec, self.pipeline.names, side="auto") if self.planned_sides else None
        self._off_plan_t_s: float | None = None
        self._t_s = 0.0
        self._done_s: list[float] = []  # when this side's reps (or holds) ended, on the engine run under way
        self._other_s: list[float] = []  # when the side watcher saw one end on the other leg
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
        self._done_s.clear()
        self.annotator = self._annotator()
        self.switched_side = True

    def reset(self) -> None:
        """Start the count again (the earlier run stays listed in the report)."""
        self.pipeline.new_segment(side=self.pipeline.segments[-1].side, ended_by="reset")
        self._done_s.clear()
        self.annotator = self._annotator()

    def _annotator(self) -> FrameAnnotator:
        """The drawing plan of the engine run now under way (with the plan's leg under the name)."""
        side = self.current_side() if self.planned_sides else None
        step = ", ".join(part for part in (self.step, f"{side} leg" if side else None) if part) or None
        return FrameAnnotator(self.pipeline.engine.plan, program_step=step)

    # ------------------------------------------------------------------------------ the plan's sides

    def intro(self, lead: str = "") -> str:
        """What is said as the exercise begins when the plan names its sides ("The left leg, then the right
        leg."), after `lead`; "" when it names none."""
        if not self.planned_sides:
            return ""
        text = side_words(self.planned_sides)
        return f"{lead}{text[:1].upper()}{text[1:]}" + (" only, as your plan says." if len(self.planned_sides) == 1
                                                        else ".")

    def next_step(self, more: bool, several: bool) -> NextStep:
        """What `n` does: the plan's next side (else the other side), else the next exercise (when `more`)."""
        other = self.next_side(more)
        one_sided = self.spec.sides != "bilateral"
        if one_sided and other is not None and not self.stopped_for_pain:
            if self.planned_sides:
                return NextStep(side=other, flash=f"now the {other} leg", say=f"Now the {other} leg, as your plan says")
            return NextStep(side=other, flash=f"now the {other} side", say=f"Now the {other} side")
        if more:
            return NextStep(next_exercise=True)
        if self.stopped_for_pain:
            return NextStep(flash="stopped for pain: press q to finish")
        if self.planned_sides:
            return NextStep(flash="today's plan for this exercise is done: press q to finish")
        if one_sided and other is None:
            return NextStep(flash="start on one side first")
        return NextStep(flash="that was the last exercise: press q to finish" if several
                        else "this exercise has no other side")

    def next_side(self, more: bool) -> str | None:
        """The side `n` moves on to: the plan's next side (None once they are done), else the other side
        (once, when more exercises follow)."""
        if self.planned_sides:
            done = {segment.side for segment in self.pipeline.segments}
            return next((side for side in self.planned_sides if side not in done), None)
        if more and self.switched_side:
            return None
        return OTHER.get(self.current_side() or "")

    def side_dose_done(self) -> bool:
        """Has the side now being worked reached the plan's dose (every set of reps or holds)?

        A rep or hold counts once it is `MATCH_S` old and the side watcher saw no other leg's end with it (the
        other leg's movement can show on this side's angles too)."""
        if not self.planned_sides or self.stopped_for_pain or self.next_side(False) is None:
            return False
        dose = self.spec.dose
        count = dose.reps if self.spec.mode == "reps" else dose.holds if self.spec.mode == "hold" else None
        if count is None:
            return False
        counted = [t for t in self._done_s if self._t_s - t >= MATCH_S
                   and not any(abs(t - other) <= MATCH_S for other in self._other_s)]
        return len(counted) >= dose.sets * count.target

    def watch(self, outcome: FrameOutcome) -> str | None:
        """Step the side watcher: the plain message while the leg at work is not the one the plan names now."""
        if self.watcher is None:
            return None
        self._t_s = outcome.t_s
        events = self.watcher.step(self.frames, outcome.t_s, outcome.values, outcome.confidence, outcome.position,
                                   outcome.view)
        now = self.current_side()
        self._done_s += [e.t_s for e in outcome.events if e.kind in DONE_KINDS and e.n is not None]
        other = [e for e in events if e.kind in DONE_KINDS + ("hold_start",) and e.side in OTHER and e.side != now]
        self._other_s += [e.t_s for e in other if e.kind in DONE_KINDS and e.n is not None]
        if other:
            self._off_plan_t_s = outcome.t_s
        if self._off_plan_t_s is None or outcome.t_s - self._off_plan_t_s > OFF_PLAN_SHOW_S or self.stopped_for_pain:
            return None
        if len(self.planned_sides) == 1:
            return f"Today's plan is the {now} leg only: work the {now} leg. The other leg's reps are not counted."
        return f"Now the {now} leg, please: the other leg's turn is done or still to come. Those reps are not counted."

    def _side_at(self, item: Timed) -> tuple[str, ...]:
        """The side the plan asked for when a rep or hold ended: that of the engine run under way then."""
        t_s = self.pipeline.record.t_s.array()
        row = int(np.searchsorted(t_s, item.end_s))
        side = next((s.side for s in self.pipeline.segments if s.start_row <= row and (
            s.stop_row is None or row < s.stop_row)), self.pipeline.segments[-1].side)
        return (side,) if side in OTHER else self.planned_sides

    def plan_section(self, report: dict) -> dict:
        """{"plan": report.json's "plan" object}: the reps and holds against the side watcher's ({} without a plan)."""
        if self.plan is None:
            return {}
        found = self.watcher.finish() if self.watcher is not None else None
        def spans(items: list[dict]) -> tuple[Timed, ...]:
            return tuple(Timed(i.get("side"), float(i["start_s"]), float(i["end_s"])) for i in items)
        side = report.get("side") if report.get("side") in OTHER else None
        check = side_check(self.plan.due, side, spans(report["reps"]), spans(report["holds"]),
                           timed(found.reps) if found else (), timed(found.holds) if found else (),
                           wanted=self._side_at)
        return {"plan": plan_section(check, self.plan.path, self.plan.patient)}


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


__all__ = ["Program", "ExerciseRun", "NextStep", "OTHER", "exercise_entry", "session_index", "SESSION_NAME",
           "SESSION_SCHEMA"]
