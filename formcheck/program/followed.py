"""Did a run follow the plan's sides: the side analysed, the side that worked, and what counts toward the plan.

    check = side_check(due, "left", timed(result.reps), timed(holds), timed(found.reps), timed(found.holds))
    report["plan"] = plan_section(check, plan_path, patient)       # report.json's "plan" object
    plan_line(report)   # "Today's plan is the left leg, but the right leg did the work (5 reps): ..."
    report["plan"] = analysis_plan(Following(path, patient, due), analysis)    # the same, for `analyze`

`analyze` finds the working side itself (what was done is recorded as done; an explicit --side still forces
one), and the plan's sides are compared with it; live runs the plan's sides in turn. Which leg did the work is
told apart by the engine's own side finding (the run with the side found, `side="auto"`): a rep or hold it gives to a side
the plan does not prescribe is the other leg working, and the reps and holds of the analysed side that overlap
it in time do not count toward the plan (on that side the checker saw the other leg's movement).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from formcheck.engine.engine import run as run_engine
from formcheck.program.schedule import DueExercise

if TYPE_CHECKING:
    from formcheck.analyze import Analysis

BOTH = "both"


@dataclass(frozen=True)
class Following:
    """The plan a run follows: the plan file, its patient, and the exercise as due that day."""

    path: str
    patient: str
    due: DueExercise


@dataclass(frozen=True)
class Timed:
    """A rep or a hold, as far as sides go: its side and its time span."""

    side: str | None
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SideCheck:
    """What the plan prescribes against what was analysed and what the engine found working."""

    due: DueExercise
    analysed: str | None  # the side the analysis was of ("left", "right"; None: the whole body or not known)
    worked: tuple[str, ...]  # the sides the engine found working, each once, in order ("left", "right")
    reps_toward_plan: int
    holds_toward_plan: int
    off_plan_reps: int  # reps the engine found on a side the plan did not ask for (then)
    off_plan_holds: int  # the same for holds
    off_sides: tuple[str, ...] = ()  # the sides those were on
    wanted_sides: tuple[str, ...] = ()  # the sides the plan asked for at their times

    @property
    def matches(self) -> bool | None:
        """True when the leg at work was the one the plan asked for; None when it names no side or nothing worked."""
        if not self.due.sides or not self.worked:
            return None
        return not (self.off_plan_reps or self.off_plan_holds)


def timed(items: Iterable) -> tuple[Timed, ...]:
    """Reps or holds (anything with side, start_s and end_s) as `Timed`."""
    return tuple(Timed(item.side, float(item.start_s), float(item.end_s)) for item in items)


def side_check(due: DueExercise, analysed: str | None, reps: Sequence[Timed], holds: Sequence[Timed],
               found_reps: Sequence[Timed], found_holds: Sequence[Timed],
               wanted: Callable[[Timed], tuple[str, ...]] | None = None) -> SideCheck:
    """Compare a run with its plan: `reps`/`holds` of the analysis, `found_*` those of the run on the side found;
    `wanted(item)`: the sides the plan asks for at an item's time (default: the plan's sides)."""
    wanted = wanted or (lambda item: due.sides)
    found = (*found_reps, *found_holds)
    worked = tuple(side for side in ("left", "right") if any(item.side == side for item in found))
    def off(items: Sequence[Timed]) -> tuple[Timed, ...]:
        return tuple(i for i in items if due.sides and i.side in ("left", "right") and i.side not in wanted(i))
    off_reps, off_holds = off(found_reps), off(found_holds)
    everything_off = (*off_reps, *off_holds)
    return SideCheck(due, analysed, worked, _toward(reps, due, everything_off), _toward(holds, due, everything_off),
                     len(off_reps), len(off_holds), _sides(i.side for i in everything_off),
                     _sides(side for i in everything_off for side in wanted(i)))


def _sides(sides: Iterable[str | None]) -> tuple[str, ...]:
    found = set(sides)
    return tuple(side for side in ("left", "right") if side in found)


def _toward(items: Sequence[Timed], due: DueExercise, off: Sequence[Timed]) -> int:
    """How many of the analysis's reps (or holds) count toward the plan: on a prescribed side, not the other leg's."""
    def counts(item: Timed) -> bool:
        if due.sides and item.side in ("left", "right") and item.side not in due.sides:
            return False
        return not any(item.start_s < o.end_s and o.start_s < item.end_s for o in off)
    return sum(1 for item in items if counts(item))


def side_words(sides: Sequence[str]) -> str:
    """"the left leg", "the left leg, then the right leg"."""
    return ", then ".join(f"the {side} leg" for side in sides)


def plan_message(check: SideCheck) -> str | None:
    """The one plain line about the plan's side: said only when another leg did the work."""
    if check.matches is not False:
        return None
    other = " and ".join(check.off_sides)
    plan = " and ".join(check.wanted_sides)
    done = [_count(check.off_plan_reps, "rep"), _count(check.off_plan_holds, "hold")]
    done_text = " and ".join(text for text in done if text) or "the movement"
    kept = _count(check.reps_toward_plan, "rep") if check.due.spec.mode == "reps" else \
        _count(check.holds_toward_plan, "hold")
    return (f"Today's plan is the {plan} leg, but the {other} leg did the work ({done_text}): that does not "
            f"count toward the plan ({kept or 'nothing'} on the {plan} side counted).")


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}" if n else ""


def analysis_plan(following: Following, analysis: Analysis) -> dict:
    """The "plan" object of an analysis: its reps and holds against the engine's run on the side it finds (the
    analysis itself, unless a side was forced)."""
    found = analysis.result if analysis.side == "auto" else run_engine(
        analysis.spec, analysis.table, analysis.positions, analysis.views, analysis.track.t_s, side="auto")[0]
    measured = analysis.measures.holds  # a measure's own holds (a stance test) replace the engine's
    holds = measured if measured is not None else analysis.result.holds
    found_holds = measured if measured is not None else found.holds
    analysed = analysis.result.side if analysis.result.side in ("left", "right") else None
    check = side_check(following.due, analysed, timed(analysis.result.reps), timed(holds), timed(found.reps),
                       timed(found_holds))
    return plan_section(check, following.path, following.patient)


def plan_section(check: SideCheck, plan_path: str, patient: str) -> dict:
    """report.json's "plan" object: the prescription followed, its dose, and whether the working side matched."""
    due, dose = check.due, check.due.dose
    worked = BOTH if len(check.worked) == 2 else check.worked[0] if check.worked else None
    return {
        "path": plan_path,
        "patient": patient,
        "exercise": due.spec.id,
        "sides": list(due.sides) or None,
        "dose": {"sets": due.spec.dose.sets, "reps": dose.reps, "hold_s": dose.hold_s, "rest_s": dose.rest_s},
        "limits": dict(due.limits),
        "side_analysed": check.analysed,
        "side_worked": worked,
        "side_matches": check.matches,
        "reps_other_side": check.off_plan_reps,
        "holds_other_side": check.off_plan_holds,
        "reps_toward_plan": check.reps_toward_plan,
        "holds_toward_plan": check.holds_toward_plan,
        "message": plan_message(check),
    }


def plan_line(report: dict) -> str | None:
    """The plan's line for a printed summary (None without a plan, or when the side matched)."""
    plan = report.get("plan")
    return plan.get("message") if isinstance(plan, dict) else None


__all__ = ["Following", "Timed", "SideCheck", "timed", "side_check", "side_words", "plan_message", "plan_section",
           "plan_line", "analysis_plan"]
