"""The prescription: a TOML plan file of the patient's exercises, doses, days and limits, validated like specs.

    plan = load_plan("plan.toml")     # PlanError lists every problem, one line each: file:line: key: problem

Two passes: pydantic checks shape and types (unknown keys, negative or zero doses, wrong types), then a second
pass checks what a schema cannot see: exercise ids and spec files, `end` before `start`, progression dates,
sides and doses against each exercise's spec, and limits that must only ever tighten the spec's rules.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from formcheck.errors import PlanError, SpecError
from formcheck.program.problems import KeyLines, Problem, plan_error
from formcheck.program.tailor import limit_problems
from formcheck.specs.spec import ExerciseSpec, bundled_ids, load_spec, load_spec_file

PLAN_SCHEMA = "formcheck.plan/1"
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ENV_PLAN = "FORMCHECK_PLAN"
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Side = Literal["left", "right"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class Step(_Model):
    """A progression step: from this date on, these doses replace the exercise's own."""

    from_: date = Field(alias="from")
    sets: int | None = Field(None, ge=1, le=20)
    reps: int | None = Field(None, ge=1, le=500)
    hold_s: float | None = Field(None, gt=0, le=600)
    rest_s: float | None = Field(None, ge=0, le=600)
    per_week: int | None = Field(None, ge=1, le=7)


class PlanExercise(_Model):
    """One prescribed exercise: which, how much, how often, and the patient's own safety limits."""

    id: str | None = None
    spec: str | None = None
    sides: list[Side] | None = Field(None, min_length=1, max_length=2)
    sets: int | None = Field(None, ge=1, le=20)
    reps: int | None = Field(None, ge=1, le=500)
    hold_s: float | None = Field(None, gt=0, le=600)
    rest_s: float | None = Field(None, ge=0, le=600)
    per_week: int | None = Field(None, ge=1, le=7)
    days: list[Weekday] | None = Field(None, min_length=1, max_length=7)
    limits: dict[str, float] = {}
    progression: list[Step] = []
    notes: str | None = None


class Plan(_Model):
    """A patient's program (schema formcheck.plan/1)."""

    schema_: Literal["formcheck.plan/1"] = Field(alias="schema")
    patient: str = Field(min_length=1)
    therapist: str | None = None
    start: date
    end: date | None = None
    notes: str | None = None
    exercise: list[PlanExercise] = Field(min_length=1)


@dataclass(frozen=True)
class Prescription:
    """A validated plan with the spec of each exercise (in plan order) and the file it came from."""

    plan: Plan
    specs: tuple[ExerciseSpec, ...]
    path: str

    @property
    def patient(self) -> str:
        return self.plan.patient

    def index_of(self, exercise_id: str) -> int:
        """The position of an exercise (by spec id) in the plan; PlanError listing the plan's ids if absent."""
        ids = [spec.id for spec in self.specs]
        if exercise_id in ids:
            return ids.index(exercise_id)
        raise PlanError(f"{self.path}: the plan has no exercise '{exercise_id}' (it has {', '.join(ids)})")


def default_plan_path(option: Path | None) -> Path | None:
    """A command's --plan, else $FORMCHECK_PLAN, else None."""
    if option is not None:
        return Path(option)
    env = os.environ.get(ENV_PLAN, "").strip()
    return Path(env).expanduser() if env else None


def load_plan(path: str | os.PathLike) -> Prescription:
    """Read and validate a plan file; PlanError with every problem as ``file:line: key: problem``."""
    path = Path(path)
    label = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise PlanError(f"{label}: no such file") from None
    except UnicodeDecodeError:
        raise PlanError(f"{label}: not UTF-8 text") from None
    except OSError as exc:
        raise PlanError(f"{label}: cannot read ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{label}: invalid TOML: {exc}") from None
    lines = KeyLines(text)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(err) for err in exc.errors()] + _raw_problems(data)
        raise plan_error(label, lines, problems) from None
    specs, problems = _specs(plan, path.parent)
    problems += _semantics(plan, specs)
    for i, (exercise, spec) in enumerate(zip(plan.exercise, specs)):
        if spec is not None:
            problems += [((("exercise", i, "limits", key)), text) for key, text in limit_problems(spec, exercise)]
    if problems:
        raise plan_error(label, lines, problems)
    return Prescription(plan, tuple(s for s in specs if s is not None), label)


def validate_plan_file(path: str | os.PathLike) -> list[str]:
    """Problems of a plan file, one line each (empty when it is valid)."""
    try:
        load_plan(path)
    except PlanError as exc:
        return list(getattr(exc, "problems", [str(exc)]))
    return []


# ------------------------------------------------------------------------------------- second pass


def _raw_problems(data: dict) -> list[Problem]:
    """The second pass's checks that need no valid schema (unknown ids, end before start), on the raw TOML."""
    problems: list[Problem] = []
    start, end = data.get("start"), data.get("end")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        problems.append((("end",), f"{end} is before start ({start})"))
    exercises = data.get("exercise")
    ids = bundled_ids()
    for i, exercise in enumerate(exercises if isinstance(exercises, list) else []):
        found = exercise.get("id") if isinstance(exercise, dict) else None
        if isinstance(found, str) and found not in ids:
            close = difflib.get_close_matches(found, ids, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else "; `formcheck exercises` lists them"
            problems.append((("exercise", i, "id"), f"unknown exercise '{found}'{hint}"))
    return problems


def _specs(plan: Plan, folder: Path) -> tuple[list[ExerciseSpec | None], list[Problem]]:
    """Each exercise's spec (None where it cannot be had), and the problems finding them."""
    specs: list[ExerciseSpec | None] = []
    problems: list[Problem] = []
    ids = bundled_ids()
    for i, exercise in enumerate(plan.exercise):
        spec = None
        if (exercise.id is None) == (exercise.spec is None):
            problems.append((("exercise", i), "give id (a bundled exercise) or spec (a spec file), one of them"))
        elif exercise.id is not None:
            if exercise.id in ids:
                spec = load_spec(exercise.id)
            else:
                close = difflib.get_close_matches(exercise.id, ids, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else "; `formcheck exercises` lists them"
                problems.append((("exercise", i, "id"), f"unknown exercise '{exercise.id}'{hint}"))
        else:
            spec_path = Path(exercise.spec)
            spec_path = spec_path if spec_path.is_absolute() else folder / spec_path
            try:
                spec = load_spec_file(spec_path)
            except SpecError as exc:
                problems.append((("exercise", i, "spec"), str(exc)))
        specs.append(spec)
    return specs, problems


def _semantics(plan: Plan, specs: list[ExerciseSpec | None]) -> list[Problem]:
    problems: list[Problem] = []
    if plan.end is not None and plan.end < plan.start:
        problems.append((("end",), f"{plan.end} is before start ({plan.start})"))
    for i, (exercise, spec) in enumerate(zip(plan.exercise, specs)):
        if (exercise.per_week is None) == (exercise.days is None):
            problems.append((("exercise", i), "give per_week (times a week) or days (e.g. [\"mon\", \"thu\"]), "
                                              "one of them"))
        if exercise.days is not None and len(set(exercise.days)) != len(exercise.days):
            problems.append((("exercise", i, "days"), "a day is listed twice"))
        if exercise.sides is not None and len(set(exercise.sides)) != len(exercise.sides):
            problems.append((("exercise", i, "sides"), "a side is listed twice"))
        previous = plan.start
        for j, step in enumerate(exercise.progression):
            key = ("exercise", i, "progression", j, "from")
            if step.from_ < previous or (j and step.from_ == previous):
                problems.append((key, f"{step.from_} must come after {previous} (start, or the step before)"))
            if plan.end is not None and step.from_ > plan.end:
                problems.append((key, f"{step.from_} is after the plan's end ({plan.end})"))
            if step.per_week is not None and exercise.days is not None:
                problems.append((("exercise", i, "progression", j, "per_week"),
                                 "the exercise gives days; a step cannot change per_week"))
            previous = step.from_
        if spec is not None:
            problems += _dose_problems(i, exercise, spec)
    return problems


def _dose_problems(i: int, exercise: PlanExercise, spec: ExerciseSpec) -> list[Problem]:
    problems: list[Problem] = []
    if exercise.sides is not None and spec.sides == "bilateral":
        problems.append((("exercise", i, "sides"), f"'{spec.id}' works both legs together (no sides to choose)"))
    steps = [exercise, *exercise.progression]
    if spec.mode == "reps" and any(s.hold_s is not None for s in steps):
        problems.append((("exercise", i, "hold_s"), f"'{spec.id}' counts reps; it has no hold to time"))
    if spec.mode == "watch" and any(s.reps is not None or s.hold_s is not None for s in steps):
        problems.append((("exercise", i, "reps"), f"'{spec.id}' counts nothing (it only watches form)"))
    return problems


# ------------------------------------------------------------------------------------- messages


def _allowed_keys(loc: tuple) -> list[str]:
    """The keys allowed where an unknown one was found."""
    names = [part for part in loc if isinstance(part, str)]
    model = {(): Plan, ("exercise",): PlanExercise, ("exercise", "progression"): Step}.get(tuple(names))
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _describe(err: dict) -> Problem:
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    if kind == "missing":
        return loc, "missing"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(allowed)})"
        return loc, f"unknown key{hint}"
    message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    value = err.get("input")
    if not isinstance(value, (dict, list)):
        message += f", got {value!r}"
    return loc, message


def parse_day(text: str) -> date:
    """A --date value (YYYY-MM-DD) as a date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PlanError(f"date must be YYYY-MM-DD, not {text!r}") from None


__all__ = ["Plan", "PlanExercise", "Step", "Prescription", "load_plan", "validate_plan_file", "default_plan_path",
           "parse_day", "WEEKDAYS", "PLAN_SCHEMA", "ENV_PLAN"]
