"""Exercise specs: one TOML file per exercise, validated into typed models.

Validation has two passes. Pydantic checks the shape and types (unknown keys are errors, TOML types are taken
strictly); a second pass checks what a schema cannot see: metric names, thresholds within the metric's range,
a dose that fits what is counted, unique rule ids. Every problem becomes one line
``<file>: <key>: <problem>`` and all of them are reported together in one SpecError.

    spec = load_spec("bridge")              # a bundled exercise id
    spec = load_spec("my_specs/bridge.toml")  # or a path to a custom spec
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any, Callable, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from formcheck.errors import SpecError
from formcheck.kinematics import safety
from formcheck.kinematics.context import FRONTAL_PLANE_MAX_TURN_DEG
from formcheck.kinematics.catalog import OTHER_PLACEHOLDER, SIDE_PLACEHOLDER, MetricRef, parse_metric, suggest_metric

Category = Literal["stretch", "strength", "core", "balance", "functional", "safety"]
StartPosition = Literal["standing", "half_kneeling", "seated", "supine", "prone", "side_lying"]
BodyPosition = Literal["standing", "kneeling", "sitting", "supine", "prone", "side_lying"]
ViewName = Literal["front", "side"]
Sides = Literal["left", "right", "both", "alternating", "bilateral"]
Op = Literal[">", "<"]
Severity = Literal["info", "warning", "stop"]
When = Literal["always", "in_position", "active"]

CATEGORY_ORDER: tuple[str, ...] = ("stretch", "strength", "core", "balance", "functional", "safety")
# The detected body position (context.POSITIONS) that each starting position is seen as.
POSITION_OF_START: dict[str, str] = {
    "standing": "standing",
    "half_kneeling": "kneeling",
    "seated": "sitting",
    "supine": "supine",
    "prone": "prone",
    "side_lying": "side_lying",
}
SAFETY_RULE_ID = safety.RULE_ID
ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Range(_Model):
    """A prescribed amount with its acceptable range, e.g. hold 30 s (15 to 30)."""

    target: float = Field(gt=0)
    min: float = Field(gt=0)
    max: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> "Range":
        if not self.min <= self.target <= self.max:
            raise ValueError(
                f"needs min <= target <= max, got min {self.min:g}, target {self.target:g}, max {self.max:g}"
            )
        return self


class CountRange(_Model):
    """A prescribed count with its acceptable range, e.g. 10 reps (8 to 15)."""

    target: int = Field(ge=1, le=500)
    min: int = Field(ge=1, le=500)
    max: int = Field(ge=1, le=500)

    @model_validator(mode="after")
    def _ordered(self) -> "CountRange":
        if not self.min <= self.target <= self.max:
            raise ValueError(
                f"needs min <= target <= max, got min {self.min:g}, target {self.target:g}, max {self.max:g}"
            )
        return self


class Dose(_Model):
    """How much to do: reps or holds, sets and rest."""

    sets: int = Field(1, ge=1, le=20)
    rest_s: float = Field(30.0, ge=0, le=600)
    reps: CountRange | None = None
    hold_s: Range | None = None
    holds: CountRange | None = None
    duration_s: Range | None = None
    note: str | None = None


class Condition(_Model):
    """One criterion on a metric: ``metric op value``; it stops holding only past ``hysteresis``."""

    metric: str
    op: Op
    value: float
    abs: bool = False
    hysteresis: float = Field(0.0, ge=0)


class PositionSpec(_Model):
    """How the engine knows the patient is in the starting position."""

    positions: list[BodyPosition] | None = None  # default: the one seen for start_position
    enter: list[Condition] = []
    enter_s: float = Field(0.5, ge=0, le=10)
    exit_s: float = Field(1.0, ge=0, le=10)
    gap_s: float = Field(2.0, ge=0, le=30)


class RepSpec(_Model):
    """A rep: ``metric`` leaves rest past ``start``, reaches ``peak``, comes back past ``start - hysteresis``."""

    metric: str
    direction: Literal["up", "down"]
    start: float
    peak: float
    hysteresis: float = Field(0.0, ge=0)
    min_phase_s: float = Field(0.25, ge=0, le=10)
    max_rep_s: float = Field(30.0, gt=0, le=600)
    max_gap_s: float = Field(1.0, ge=0, le=10)
    settle_s: float = Field(0.0, ge=0, le=5)
    # The pause at the top that the exercise asks for: a rep the recording cuts off after it paused this long
    # at the top is counted (its work was done); None: a rep still out when the data ends is not counted.
    top_pause_s: float | None = Field(None, gt=0, le=10)
    partial_cue: str | None = None

    @model_validator(mode="after")
    def _thresholds(self) -> "RepSpec":
        beyond = self.peak > self.start if self.direction == "up" else self.peak < self.start
        if not beyond:
            word = "above" if self.direction == "up" else "below"
            raise ValueError(
                f"with direction '{self.direction}' the peak ({self.peak:g}) must be {word} start ({self.start:g})"
            )
        span = abs(self.peak - self.start)
        if self.hysteresis >= span:
            raise ValueError(f"hysteresis ({self.hysteresis:g}) must be smaller than |peak - start| ({span:g})")
        return self


class HoldSpec(_Model):
    """A hold: all criteria met; brief gaps (lost landmarks) up to ``gap_tolerance_s`` do not end it."""

    criteria: list[Condition] = Field(min_length=1)
    enter_s: float = Field(1.0, ge=0, le=10)
    exit_s: float = Field(0.5, ge=0, le=10)
    gap_tolerance_s: float = Field(1.0, ge=0, le=10)
    min_hold_s: float = Field(2.0, ge=0, le=60)


class Check(_Model):
    """One fault condition of a rule, used in the listed camera views (all views when None)."""

    metric: str
    op: Op
    threshold: float
    abs: bool = False
    views: list[ViewName] | None = None


class RuleSpec(_Model):
    """A form rule: when its check holds for ``min_duration_s``, the patient hears ``cue``."""

    id: str = Field(pattern=ID_PATTERN)
    description: str
    cue: str
    severity: Severity = "warning"
    when: When = "active"
    min_duration_s: float = Field(0.3, ge=0, le=10)
    clear_s: float = Field(0.2, ge=0, le=10)
    hysteresis: float = Field(0.0, ge=0)
    positions: list[BodyPosition] | None = None
    each_side: bool = True  # bilateral exercises: check each side ({side} metrics) or their average
    metric: str | None = None
    op: Op | None = None
    threshold: float | None = None
    abs: bool = False
    views: list[ViewName] | None = None
    checks: list[Check] = []

    @model_validator(mode="after")
    def _one_form(self) -> "RuleSpec":
        flat = [name for name in ("metric", "op", "threshold") if getattr(self, name) is not None]
        if self.checks and flat:
            raise ValueError(f"give either metric/op/threshold or [[checks]], not both (found {', '.join(flat)})")
        if not self.checks and len(flat) != 3:
            missing = [name for name in ("metric", "op", "threshold") if getattr(self, name) is None]
            raise ValueError(f"needs metric, op and threshold (missing {', '.join(missing)}) or [[checks]]")
        return self

    def all_checks(self) -> tuple[Check, ...]:
        """The checks, the flat form turned into one Check."""
        if self.checks:
            return tuple(self.checks)
        return (Check(metric=self.metric, op=self.op, threshold=self.threshold, abs=self.abs, views=self.views),)


class KneeAboveHip(_Model):
    """The safety rule's limits for this exercise; the rule, its meaning and its defaults: kinematics/safety.py."""

    enabled: bool = True
    threshold_deg: float = Field(safety.DEFAULT_LIMITS.threshold_deg, ge=-30, le=60)  # thigh elevation (side view)
    hip_flexion_deg: float = Field(safety.DEFAULT_LIMITS.hip_flexion_deg, ge=45, le=150)  # hip flexion (every view)
    hysteresis_deg: float = Field(safety.DEFAULT_LIMITS.hysteresis_deg, ge=0, le=20)
    min_duration_s: float = Field(safety.DEFAULT_LIMITS.min_duration_s, ge=0, le=5)
    positions: list[BodyPosition] = list(safety.DEFAULT_LIMITS.positions)
    cue: str = safety.CUE
    reason: str | None = None  # why it is off, or why its threshold differs


class Safety(_Model):
    knee_above_hip: KneeAboveHip = KneeAboveHip()


class SideDetect(_Model):
    """How the working side is told from the data: compare a sided metric, or the sign of an unsided one.

    ``by = "value"`` compares the two sides' values frame by frame; ``by = "motion"`` compares how much each
    side's value moved (its range over the last ``window_s`` seconds): ``pick = "higher"`` then names the side
    that moves more, ``"lower"`` the side that stays still (the standing foot of a hip hike).
    """

    metric: str
    pick: Literal["higher", "lower"] | None = None
    positive: Literal["left", "right"] | None = None
    margin: float = Field(0.0, ge=0)
    by: Literal["value", "motion"] = "value"
    window_s: float = Field(2.0, gt=0, le=10)


MeasureKind = Literal["none", "stance", "single_leg_squat", "jump", "hop"]
MEASURE_KINDS: tuple[str, ...] = get_args(MeasureKind)
EVENT_MEASURES: tuple[str, ...] = ("stance", "jump", "hop")  # the measures that date lift-offs and landings
# The report.json key of each measure's section.
MEASURE_SECTIONS: dict[str, str] = {
    "stance": "balance", "single_leg_squat": "single_leg_squat", "jump": "jump_landing", "hop": "single_leg_hop",
}


class StanceContact(_Model):
    """When the stance timer counts a foot as off the floor and back on it (leg lengths above the floor line)."""

    up_above: float = Field(gt=0, le=0.5)
    down_below: float = Field(gt=0, le=0.5)

    @model_validator(mode="after")
    def _ordered(self) -> "StanceContact":
        if not self.down_below < self.up_above:
            raise ValueError(f"needs down_below < up_above, got {self.down_below:g} and {self.up_above:g}")
        return self


class MeasureSpec(_Model):
    """The clinical measure that runs beside reps, holds and rules, and adds its section to the report.

    ``kind``: "stance" (single-leg stance timer, report key ``balance``; live shows it as the big timer),
    "single_leg_squat", "jump" (``jump_landing``), "hop" (``single_leg_hop``) or "none". ``unsmoothed_events``:
    date lift-offs and landings on the unsmoothed track (default: yes, for the measures that have events).
    ``contact``: the stance timer's foot-contact thresholds (needed by "stance").
    """

    kind: MeasureKind = "none"
    unsmoothed_events: bool | None = None
    contact: StanceContact | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _known_kind(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in MEASURE_KINDS:
            close = difflib.get_close_matches(value, MEASURE_KINDS, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ValueError(f"unknown measure kind '{value}' ({hint}allowed: {', '.join(MEASURE_KINDS)})")
        return value

    @property
    def dates_on_unsmoothed(self) -> bool:
        """True when lift-offs and landings are dated on the unsmoothed track."""
        return self.kind in EVENT_MEASURES and self.unsmoothed_events is not False


class HeightRange(_Model):
    """A camera height range above the floor, in metres."""

    min: float = Field(ge=0.05, le=3.0)
    max: float = Field(ge=0.05, le=3.0)

    @model_validator(mode="after")
    def _ordered(self) -> "HeightRange":
        if not self.min <= self.max:
            raise ValueError(f"needs min <= max, got min {self.min:g} and max {self.max:g}")
        return self


class SetupSpec(_Model):
    """The camera set-ups the exercise can be judged from (``[setup]``).

    ``views``: the camera views it is judged from (default: the spec's ``view``). ``max_turn_deg``: how far the
    body may be turned from that ideal view (the camera off to one side looks the same), beyond which its rules
    are not measured. ``frontal_max_turn_deg``: per frontal-plane measure (knee_fppa, pelvic_drop,
    trunk_lateral_lean, ...: kinematics/context.py FRONTAL_PLANE_MAX_TURN_DEG gives the defaults), how far
    from facing the camera it is still true. ``camera_height_m``: the camera heights it was checked from
    (shown to the patient; the picture alone does not tell a camera's height).
    """

    views: list[ViewName] | None = None
    max_turn_deg: float = Field(40.0, ge=5, le=60)
    frontal_max_turn_deg: dict[str, float] = {}
    camera_height_m: HeightRange | None = None


class NotMeasured(_Model):
    """Something the exercise cares about that one camera cannot measure, said plainly."""

    id: str = Field(pattern=ID_PATTERN)
    reason: str


class Variant(_Model):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    instructions: str


class ExerciseSpec(_Model):
    """One exercise: instructions, camera, dose and what is checked."""

    id: str = Field(pattern=ID_PATTERN)
    name: str
    category: Category
    summary: str
    start_position: StartPosition
    view: ViewName
    camera: str
    sides: Sides
    side_meaning: str | None = None  # which leg "the side" is, e.g. "the standing leg"
    instructions: list[str] = Field(min_length=1)
    dose: Dose
    position: PositionSpec = PositionSpec()
    rep: RepSpec | None = None
    hold: HoldSpec | None = None
    side_detect: SideDetect | None = None
    measure: MeasureSpec = MeasureSpec()
    setup: SetupSpec = SetupSpec()
    rules: list[RuleSpec] = []
    safety: Safety = Safety()
    not_measured: list[NotMeasured] = []
    variants: list[Variant] = []
    _path: str = PrivateAttr(default="")

    @property
    def path(self) -> str:
        """The file the spec was read from ("" when built in code)."""
        return self._path

    @property
    def mode(self) -> str:
        """ "reps", "hold" or "watch" (rules only)."""
        return "reps" if self.rep else "hold" if self.hold else "watch"

    @property
    def body_positions(self) -> tuple[str, ...]:
        """The detected body positions that count as in position."""
        if self.position.positions:
            return tuple(self.position.positions)
        return (POSITION_OF_START[self.start_position],)

    @property
    def setup_views(self) -> tuple[str, ...]:
        """The camera views the exercise is judged from."""
        return tuple(self.setup.views) if self.setup.views else (self.view,)

    def frontal_limit(self, metric_base: str) -> float | None:
        """How far from facing the camera (degrees) a metric family is still true; None: not a frontal measure."""
        default = FRONTAL_PLANE_MAX_TURN_DEG.get(metric_base)
        return None if default is None else self.setup.frontal_max_turn_deg.get(metric_base, default)

    def rule_ids(self) -> tuple[str, ...]:
        """Every rule in force, the safety rule first when it is on."""
        ids = tuple(rule.id for rule in self.rules)
        return ((SAFETY_RULE_ID,) + ids) if self.safety.knee_above_hip.enabled else ids


# ---------------------------------------------------------------------------------------------- loading


def bundled_specs_dir(package_dir: Path | None = None) -> Path:
    """The folder of bundled specs: inside the installed package, or `exercise_specs/` beside it in a checkout."""
    package = package_dir or Path(__file__).resolve().parents[1]
    for candidate in (package / "exercise_specs", package.parent / "exercise_specs"):
        if candidate.is_dir():
            return candidate
    raise SpecError(f"{package}: bundled exercise_specs folder not found (broken installation?)")


def bundled_ids() -> tuple[str, ...]:
    """Ids of the bundled exercises, file names without .toml."""
    return tuple(sorted(p.stem for p in bundled_specs_dir().glob("*.toml")))


def list_specs() -> list[ExerciseSpec]:
    """Every bundled spec, by category (stretch, strength, core, balance, functional, safety) then id."""
    specs = [load_spec_file(p) for p in sorted(bundled_specs_dir().glob("*.toml"))]
    return sorted(specs, key=lambda s: (CATEGORY_ORDER.index(s.category), s.id))


def looks_like_path(text: str) -> bool:
    """True for something meant as a file rather than an exercise id."""
    return text.endswith(".toml") or os.sep in text or "/" in text or Path(text).is_file()


def load_spec(id_or_path: str | os.PathLike) -> ExerciseSpec:
    """A bundled exercise by id, or a custom spec file by path."""
    text = os.fspath(id_or_path)
    if looks_like_path(text):
        return load_spec_file(text)
    path = bundled_specs_dir() / f"{text}.toml"
    if not path.is_file():
        ids = bundled_ids()
        close = difflib.get_close_matches(text, ids, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise SpecError(f"unknown exercise '{text}'{hint}; `formcheck exercises` lists them")
    return load_spec_file(path, bundled=True)


def resolve_spec(
    exercise: str | None, spec_path: str | os.PathLike | None, default: str = "safety_watch"
) -> ExerciseSpec:
    """The spec for a command's ``EXERCISE`` / ``--spec PATH`` pair (a path wins; neither gives ``default``)."""
    if spec_path is not None:
        return load_spec_file(spec_path)
    return load_spec(exercise or default)


def load_spec_file(path: str | os.PathLike, *, bundled: bool = False) -> ExerciseSpec:
    """Read and validate one spec file; SpecError lists every problem as ``file: key: problem``."""
    path = Path(path)
    label = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError(f"{label}: no such file") from None
    except OSError as exc:
        raise SpecError(f"{label}: cannot read ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SpecError(f"{label}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{label}: invalid TOML: {exc}") from None
    spec = parse_spec(data, label)
    if bundled and spec.id != path.stem:
        raise SpecError(f"{label}: id: '{spec.id}' must match the file name '{path.stem}'")
    spec._path = label
    return spec


def parse_spec(data: dict[str, Any], label: str = "<spec>") -> ExerciseSpec:
    """Validate a spec from its TOML data (both passes)."""
    try:
        spec = ExerciseSpec.model_validate(data)
    except ValidationError as exc:
        raise _spec_error(label, [_describe(err) for err in exc.errors()]) from None
    problems = check_semantics(spec)
    if problems:
        raise _spec_error(label, problems)
    return spec


def validate_file(path: str | os.PathLike) -> list[str]:
    """Problems of one spec file as ``file: key: problem`` lines (empty when it is valid)."""
    try:
        load_spec_file(path)
    except SpecError as exc:
        return list(getattr(exc, "problems", [str(exc)]))
    return []


def _spec_error(label: str, problems: list[tuple[str, str]]) -> SpecError:
    lines = [f"{label}: {key}: {problem}" if key else f"{label}: {problem}" for key, problem in problems]
    error = SpecError("; ".join(lines))
    error.problems = lines  # type: ignore[attr-defined]
    return error


def _loc_text(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _allowed_keys(loc: tuple) -> list[str]:
    """Field names of the model at ``loc`` (for 'unknown key' messages)."""
    model: Any = ExerciseSpec
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        model = _inner_model(field.annotation)
        if model is None:
            return []
    return list(model.model_fields)


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _describe(err: dict) -> tuple[str, str]:
    """One pydantic error as (key, problem) in plain words."""
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    key = _loc_text(loc)
    if kind == "missing":
        return key, "missing"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(allowed)})" if allowed else ""
        return key, f"unknown key{hint}"
    message = str(err.get("msg", "invalid"))
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
        return key, message
    message = message[0].lower() + message[1:] if message else message
    value = err.get("input")
    if not isinstance(value, (dict, list)):
        message += f", got {value!r}"
    return key, message


# ----------------------------------------------------------------------------------------- second pass


def check_semantics(spec: ExerciseSpec) -> list[tuple[str, str]]:
    """What the schema cannot see: metric names and ranges, dose vs what is counted, rule ids, sides."""
    problems: list[tuple[str, str]] = []
    sided_exercise = spec.sides != "bilateral"

    def metric(key: str, text: str, values: dict[str, float], *, absolute: bool = False) -> MetricRef | None:
        ref = parse_metric(text)
        if ref is None:
            close = suggest_metric(text)
            hint = f" (did you mean '{close}'?)" if close else ""
            problems.append((key, f"unknown metric '{text}'{hint}"))
            return None
        if ref.side == OTHER_PLACEHOLDER and not sided_exercise:
            problems.append((key, f"'{text}' uses {{other}} but the exercise has sides = 'bilateral'"))
        info = ref.info
        low, high = (0.0, max(abs(info.low), abs(info.high))) if absolute else (info.low, info.high)
        for name, value in values.items():
            if not low <= value <= high:
                problems.append(
                    (
                        f"{key.rsplit('.', 1)[0]}.{name}",
                        f"{value:g} is out of range for {text} ({low:g} to {high:g} {info.unit})",
                    )
                )
        return ref

    def span_ok(key: str, ref: MetricRef | None, amount: float) -> None:
        if ref is not None and amount > ref.info.high - ref.info.low:
            problems.append((key, f"{amount:g} is larger than the whole range of {ref.text}"))

    for i, cond in enumerate(spec.position.enter):
        ref = metric(f"position.enter[{i}].metric", cond.metric, {"value": cond.value}, absolute=cond.abs)
        span_ok(f"position.enter[{i}].hysteresis", ref, cond.hysteresis)
    if spec.rep is not None:
        ref = metric("rep.metric", spec.rep.metric, {"start": spec.rep.start, "peak": spec.rep.peak})
        span_ok("rep.hysteresis", ref, spec.rep.hysteresis)
    if spec.hold is not None:
        for i, cond in enumerate(spec.hold.criteria):
            ref = metric(f"hold.criteria[{i}].metric", cond.metric, {"value": cond.value}, absolute=cond.abs)
            span_ok(f"hold.criteria[{i}].hysteresis", ref, cond.hysteresis)
    if spec.rep is not None and spec.hold is not None:
        problems.append(("hold", "a spec counts reps ([rep]) or times holds ([hold]), not both"))

    problems += _side_detect_problems(spec, metric)

    seen: dict[str, int] = {}
    for i, rule in enumerate(spec.rules):
        if rule.id == SAFETY_RULE_ID:
            problems.append(
                (f"rules[{i}].id", f"'{SAFETY_RULE_ID}' is the safety rule; configure it in [safety.knee_above_hip]")
            )
        if rule.id in seen:
            problems.append((f"rules[{i}].id", f"duplicate rule id '{rule.id}' (also rules[{seen[rule.id]}])"))
        seen.setdefault(rule.id, i)
        if rule.when == "active" and spec.rep is None and spec.hold is None:
            problems.append(
                (f"rules[{i}].when", "'active' needs a [rep] or [hold] section; use 'always' or 'in_position'")
            )
        views_used: set[str] = set()
        for j, check in enumerate(rule.all_checks()):
            key = f"rules[{i}].checks[{j}]" if rule.checks else f"rules[{i}]"
            ref = metric(f"{key}.metric", check.metric, {"threshold": check.threshold}, absolute=check.abs)
            span_ok(f"rules[{i}].hysteresis", ref, rule.hysteresis)
            views = set(check.views or ("front", "side"))
            if views & views_used:
                problems.append((f"{key}.views", f"view {sorted(views & views_used)[0]} is covered by two checks"))
            views_used |= views

    problems += _dose_problems(spec)
    problems += _measure_problems(spec)
    problems += _setup_problems(spec)
    return problems


def _setup_problems(spec: ExerciseSpec) -> list[tuple[str, str]]:
    """What [setup] needs beyond its shape: the spec's own view, frontal measures by name, rules it can judge."""
    problems: list[tuple[str, str]] = []
    views = spec.setup_views
    if spec.view not in views:
        problems.append(("setup.views", f"must include the spec's view '{spec.view}' (got {', '.join(views)})"))
    known = tuple(FRONTAL_PLANE_MAX_TURN_DEG)
    for name, limit in spec.setup.frontal_max_turn_deg.items():
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append((f"setup.frontal_max_turn_deg.{name}",
                             f"not a frontal-plane measure ({hint}allowed: {', '.join(known)})"))
        elif not 0 < limit <= 45:
            problems.append((f"setup.frontal_max_turn_deg.{name}", f"{limit:g} is out of range (above 0 to 45 deg)"))
    for i, rule in enumerate(spec.rules if spec.setup.views else ()):
        rule_views = {v for c in rule.all_checks() for v in (c.views or ("front", "side"))}
        if not rule_views & set(views):
            problems.append((f"rules[{i}].views", f"measured only in a {' or '.join(sorted(rule_views))} view, "
                                                  f"which [setup].views ({', '.join(views)}) leaves out"))
    return problems


def _side_detect_problems(spec: ExerciseSpec, metric: Callable[..., MetricRef | None]) -> list[tuple[str, str]]:
    """What [side_detect] needs: a metric that can tell the sides, and an exercise done on one side at a time."""
    problems: list[tuple[str, str]] = []
    if spec.side_detect is not None:
        sd = spec.side_detect
        ref = metric("side_detect.metric", sd.metric, {})
        if ref is not None:
            if ref.is_template and sd.pick is None:
                problems.append(
                    ("side_detect.pick", "missing ('higher' or 'lower': which side's value marks the working side)")
                )
            if not ref.is_template and ref.side is None and sd.positive is None:
                problems.append(
                    ("side_detect.positive", "missing ('left' or 'right': the working side when the value is positive)")
                )
            if ref.side in ("left", "right"):
                problems.append(
                    (
                        "side_detect.metric",
                        f"'{sd.metric}' names one side; use a {{side}} template or an unsided metric",
                    )
                )
            if sd.by == "motion" and not ref.is_template:
                problems.append(("side_detect.by", "'motion' compares the two sides: use a {side} template metric"))
        if spec.sides not in ("both", "alternating"):
            problems.append(
                ("side_detect", f"only used when sides is 'both' or 'alternating' (sides = '{spec.sides}')")
            )
    return problems


def _dose_problems(spec: ExerciseSpec) -> list[tuple[str, str]]:
    """A dose that fits what is counted, and a reason wherever the safety rule is off."""
    problems: list[tuple[str, str]] = []
    if spec.rep is not None and spec.dose.reps is None:
        problems.append(("dose.reps", "missing (the exercise counts reps: give reps = { target, min, max })"))
    if spec.hold is not None:
        if spec.dose.hold_s is None:
            problems.append(("dose.hold_s", "missing (the exercise times holds: give hold_s = { target, min, max })"))
        if spec.dose.holds is None:
            problems.append(("dose.holds", "missing (how many holds: give holds = { target, min, max })"))
    if spec.category != "safety" and not (spec.dose.reps or spec.dose.hold_s or spec.dose.duration_s):
        problems.append(("dose", "needs reps, hold_s or duration_s"))
    kah = spec.safety.knee_above_hip
    if not kah.enabled and not kah.reason:
        problems.append(("safety.knee_above_hip.reason", "missing (say why the safety rule is off for this exercise)"))
    return problems


def _measure_problems(spec: ExerciseSpec) -> list[tuple[str, str]]:
    """What the [measure] section needs beyond its shape: contact thresholds for the stance timer, and so on."""
    m = spec.measure
    problems: list[tuple[str, str]] = []
    if m.kind == "stance" and m.contact is None:
        problems.append(("measure.contact", "missing (the stance timer needs { up_above, down_below }, "
                                            "leg lengths above the floor line)"))
    if m.kind != "stance" and m.contact is not None:
        problems.append(("measure.contact", f"only used by the stance timer (kind = 'stance', not '{m.kind}')"))
    if m.unsmoothed_events is not None and m.kind not in EVENT_MEASURES:
        problems.append(("measure.unsmoothed_events",
                         f"kind '{m.kind}' dates no events (only {', '.join(EVENT_MEASURES)} do)"))
    if m.kind == "single_leg_squat" and spec.rep is None:
        problems.append(("measure.kind", "'single_leg_squat' measures each counted rep: needs a [rep] section"))
    return problems


def template_sides(spec: ExerciseSpec) -> bool:
    """True when the counting (rep, hold or position criteria) refers to the working side."""
    refs = [c.metric for c in spec.position.enter]
    refs += [spec.rep.metric] if spec.rep else []
    refs += [c.metric for c in spec.hold.criteria] if spec.hold else []
    return any(SIDE_PLACEHOLDER in r or OTHER_PLACEHOLDER in r for r in refs)
