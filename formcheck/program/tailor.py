"""A spec tailored to one patient: the plan's dose replaces the spec's, the plan's limits tighten its rules.

    spec = tailor_spec(load_spec("straight_leg_raise"), PlannedDose(sets=2, reps=15), {"hip_flexion_deg": 80})

A limit is keyed by a rule id of the spec (its threshold) or by a metric in degrees, ``<metric>_deg`` (the
most that metric may reach: the safety rule's hip flexion, every rule with ``metric > threshold`` on it, or,
when nothing watches it yet, a new rule ``limit_<metric>``). A limit looser than the spec's is refused.
The result is a new frozen spec (model_copy); the original is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from formcheck.kinematics.catalog import METRICS, SIDE_PLACEHOLDER, parse_metric
from formcheck.specs.spec import SAFETY_RULE_ID, CountRange, Dose, ExerciseSpec, Range, RuleSpec, check_semantics

if TYPE_CHECKING:
    from formcheck.program.prescription import PlanExercise

DEGREE_SUFFIX = "_deg"
SAFETY_FIELDS = {"hip_flexion": "hip_flexion_deg", "thigh_elevation": "threshold_deg"}  # knee_above_hip's limits
LIMIT_RULE_PREFIX = "limit_"


@dataclass(frozen=True)
class PlannedDose:
    """The plan's dose of an exercise on a given day (None: the spec's own)."""

    sets: int | None = None
    reps: int | None = None  # reps, or the number of holds for a held exercise
    hold_s: float | None = None
    rest_s: float | None = None
    per_week: int | None = None


def tailor_spec(spec: ExerciseSpec, dose: PlannedDose, limits: Mapping[str, float]) -> ExerciseSpec:
    """The spec with the plan's dose and limits (ValueError if a limit is looser or unknown)."""
    tailored = spec.model_copy(update={"dose": planned_dose(spec, dose)})
    changes, problems = _limit_changes(tailored, limits)
    if problems:
        raise ValueError("; ".join(f"limits.{key}: {text}" for key, text in problems))
    tailored = tailored.model_copy(update=changes)
    problems = check_semantics(tailored)
    if problems:
        raise ValueError("; ".join(f"{key}: {text}" for key, text in problems))
    return tailored


def planned_dose(spec: ExerciseSpec, dose: PlannedDose) -> Dose:
    """The spec's dose with the plan's numbers in place of its targets (ranges widened to hold them)."""
    base = spec.dose
    update: dict = {}
    if dose.sets is not None:
        update["sets"] = dose.sets
    if dose.rest_s is not None:
        update["rest_s"] = float(dose.rest_s)
    if dose.hold_s is not None and spec.mode == "hold":
        update["hold_s"] = _range(base.hold_s, float(dose.hold_s))
    if dose.reps is not None:
        field = "holds" if spec.mode == "hold" else "reps"
        update[field] = _count(getattr(base, field), int(dose.reps))
    return base.model_copy(update=update)


def _range(old: Range | None, target: float) -> Range:
    if old is None:
        return Range(target=target, min=target, max=target)
    return Range(target=target, min=min(old.min, target), max=max(old.max, target))


def _count(old: CountRange | None, target: int) -> CountRange:
    if old is None:
        return CountRange(target=target, min=target, max=target)
    return CountRange(target=target, min=min(old.min, target), max=max(old.max, target))


def limit_problems(spec: ExerciseSpec, exercise: PlanExercise) -> list[tuple[str, str]]:
    """(limit key, problem) for each limit of a plan's exercise that is unknown or looser than the spec's."""
    return _limit_changes(spec, exercise.limits)[1]


def _limit_changes(spec: ExerciseSpec, limits: Mapping[str, float]) -> tuple[dict, list[tuple[str, str]]]:
    """The spec fields the limits change ({"rules": ..., "safety": ...}) and the problems found."""
    rules = list(spec.rules)
    safety = spec.safety.knee_above_hip
    problems: list[tuple[str, str]] = []
    rule_ids = [rule.id for rule in rules]
    for key, value in limits.items():
        value = float(value)
        if key in rule_ids:
            i = rule_ids.index(key)
            rules[i], problem = _tighten_rule(rules[i], value)
            problems += [(key, problem)] if problem else []
            continue
        family = key.removesuffix(DEGREE_SUFFIX)
        info = METRICS.get(family)
        if not key.endswith(DEGREE_SUFFIX) or info is None or info.unit != "deg":
            choices = ", ".join(rule_ids) or "none"
            problems.append((key, f"unknown limit: give a rule id of '{spec.id}' ({choices}) or a metric in "
                                  "degrees, e.g. hip_flexion_deg"))
            continue
        if not info.low <= value <= info.high:
            problems.append((key, f"{value:g} is out of range for {family} ({info.low:g} to {info.high:g} deg)"))
            continue
        covered = False
        if family in SAFETY_FIELDS and safety.enabled:
            field = SAFETY_FIELDS[family]
            old = getattr(safety, field)
            if value > old:
                problems.append((key, _looser(value, old, f"the safety rule {SAFETY_RULE_ID}")))
            safety = safety.model_copy(update={field: min(value, old)})
            covered = True
        for i, rule in enumerate(rules):
            if _upper_limit_on(rule, family):
                rules[i], problem = _tighten_rule(rule, value)
                problems += [(key, problem)] if problem else []
                covered = True
        if not covered:
            rules.append(_limit_rule(spec, family, value))
    changes = {"rules": rules, "safety": spec.safety.model_copy(update={"knee_above_hip": safety})}
    return changes, problems


def _upper_limit_on(rule: RuleSpec, family: str) -> bool:
    checks = rule.all_checks()
    return all(c.op == ">" and not c.abs and (ref := parse_metric(c.metric)) is not None and ref.base == family
               for c in checks)


def _tighten_rule(rule: RuleSpec, value: float) -> tuple[RuleSpec, str | None]:
    """The rule with `value` as its threshold, or the rule unchanged and why it would be looser."""
    for check in rule.all_checks():
        looser = value > check.threshold if check.op == ">" else value < check.threshold
        if looser:
            return rule, _looser(value, check.threshold, f"rule {rule.id} ({check.metric} {check.op} ...)")
    if rule.checks:
        checks = [c.model_copy(update={"threshold": value}) for c in rule.checks]
        return rule.model_copy(update={"checks": checks}), None
    return rule.model_copy(update={"threshold": value}), None


def _looser(value: float, old: float, what: str) -> str:
    return f"{value:g} is looser than the spec's {old:g} for {what}; a plan may only make a limit stricter"


def _limit_rule(spec: ExerciseSpec, family: str, value: float) -> RuleSpec:
    """A new rule holding a metric nothing in the spec watches below the patient's limit."""
    words = family.replace("_", " ")
    metric = f"{family}_{SIDE_PLACEHOLDER}" if METRICS[family].sided else family
    return RuleSpec(
        id=f"{LIMIT_RULE_PREFIX}{family}",
        description=f"{words[:1].upper()}{words[1:]} past the patient's limit of {value:g} degrees",
        cue=f"Not so far: keep your {words} under {value:g} degrees, as your therapist asked.",
        severity="warning",
        when="always" if spec.mode == "watch" else "active",
        metric=metric,
        op=">",
        threshold=value,
        hysteresis=min(5.0, value - METRICS[family].low) if value > METRICS[family].low else 0.0,
    )
