"""What a plan says is due: on a date (with that day's doses, progression applied) and over its week.

    due = due_on(prescription, date(2026, 12, 7))   # the exercises of the day, in plan order
    week = week_of(prescription, date(2026, 12, 7), done={"bridge": {date(2026, 12, 7)}})

`per_week = n` spreads the sessions over fixed weekdays (3: mon, wed, fri); `days = [...]` names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from formcheck.program.prescription import WEEKDAYS, PlanExercise, Prescription
from formcheck.program.tailor import PlannedDose, tailor_spec
from formcheck.specs.spec import ExerciseSpec

# The weekdays (0 = Monday) of n sessions a week, spread out.
SPREAD: Mapping[int, tuple[int, ...]] = {
    1: (0,), 2: (0, 3), 3: (0, 2, 4), 4: (0, 1, 3, 4), 5: (0, 1, 2, 3, 4), 6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}


@dataclass(frozen=True)
class DueExercise:
    """One exercise due on a day: the patient's own spec (dose and limits applied), sides and dose."""

    index: int  # its place in the plan
    spec: ExerciseSpec
    sides: tuple[str, ...]
    dose: PlannedDose
    limits: tuple[tuple[str, float], ...]

    def dose_text(self) -> str:
        """The dose in words: "3 x 12 reps", "3 holds of 30 s", with the sides."""
        spec, d = self.spec, self.spec.dose
        if spec.mode == "hold" and d.holds is not None and d.hold_s is not None:
            text = f"{d.holds.target} holds of {d.hold_s.target:g} s" + (f", {d.sets} sets" if d.sets > 1 else "")
        elif spec.mode == "reps" and d.reps is not None:
            text = f"{d.sets} x {d.reps.target} reps"
        else:
            text = f"{d.sets} set{'s' if d.sets > 1 else ''}"
        if self.sides:
            text += f", {' and '.join(self.sides)} side{'s' if len(self.sides) > 1 else ''}"
        if self.limits:
            text += "; limits: " + ", ".join(f"{key} {value:g}" for key, value in self.limits)
        return text


@dataclass(frozen=True)
class WeekLine:
    """One exercise over a week: the days planned, the days done, how many are still due."""

    index: int
    exercise: str
    name: str
    planned: tuple[date, ...]
    done: tuple[date, ...]

    @property
    def still_due(self) -> int:
        return max(0, len(self.planned) - len(self.done))

    def upcoming(self, day: date) -> tuple[date, ...]:
        """Planned days from `day` on that have not been done."""
        return tuple(d for d in self.planned if d >= day and d not in self.done)


def dose_on(exercise: PlanExercise, day: date) -> PlannedDose:
    """The exercise's dose on `day`: its own, with every progression step begun by then applied in order."""
    values = {"sets": exercise.sets, "reps": exercise.reps, "hold_s": exercise.hold_s, "rest_s": exercise.rest_s,
              "per_week": exercise.per_week}
    for step in exercise.progression:
        if step.from_ <= day:
            values.update({k: v for k, v in step.model_dump(exclude={"from_"}).items() if v is not None})
    return PlannedDose(**values)


def weekdays_of(exercise: PlanExercise, day: date) -> tuple[int, ...]:
    """The weekdays (0 = Monday) the exercise is done in the week of `day`."""
    if exercise.days is not None:
        return tuple(sorted(WEEKDAYS.index(d) for d in exercise.days))
    per_week = dose_on(exercise, day).per_week or 7
    return SPREAD[per_week]


def active(prescription: Prescription, day: date) -> bool:
    """True when `day` lies within the plan's start and end."""
    plan = prescription.plan
    return plan.start <= day and (plan.end is None or day <= plan.end)


def due_exercise(prescription: Prescription, index: int, day: date) -> DueExercise:
    """The exercise at `index` as done on `day` (whether or not it is due then)."""
    exercise = prescription.plan.exercise[index]
    dose = dose_on(exercise, day)
    spec = tailor_spec(prescription.specs[index], dose, exercise.limits)
    return DueExercise(index, spec, tuple(exercise.sides or ()), dose, tuple(exercise.limits.items()))


def due_on(prescription: Prescription, day: date) -> list[DueExercise]:
    """The exercises due on `day`, in plan order (none outside the plan's dates)."""
    if not active(prescription, day):
        return []
    return [due_exercise(prescription, i, day) for i, exercise in enumerate(prescription.plan.exercise)
            if day.weekday() in weekdays_of(exercise, day)]


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def week_of(prescription: Prescription, day: date, done: Mapping[str, set[date]] | None = None) -> list[WeekLine]:
    """Each exercise over `day`'s week (Monday to Sunday): planned days within the plan, and the days done."""
    monday = week_start(day)
    week = [monday + timedelta(days=n) for n in range(7)]
    lines = []
    for i, exercise in enumerate(prescription.plan.exercise):
        spec = prescription.specs[i]
        exercise_id = spec.id
        planned = tuple(d for d in week if active(prescription, d) and d.weekday() in weekdays_of(exercise, d))
        done_days = tuple(sorted(d for d in (done or {}).get(exercise_id, set()) if monday <= d <= week[-1]))
        lines.append(WeekLine(i, exercise_id, spec.name, planned, done_days))
    return lines


def week_text(lines: list[WeekLine], day: date) -> list[str]:
    """The week in lines: "Bridge: 1 of 3 done; still due: Wed 9 Dec, Fri 11 Dec"."""
    out = []
    for line in lines:
        if not line.planned:
            out.append(f"{line.name}: not planned this week")
            continue
        text = f"{line.name}: {min(len(line.done), len(line.planned))} of {len(line.planned)} done"
        upcoming = line.upcoming(day)
        if line.still_due and upcoming:
            text += "; still due: " + ", ".join(d.strftime("%a %d %b") for d in upcoming[: line.still_due])
        elif line.still_due:
            text += f"; {line.still_due} not done"
        out.append(text)
    return out
