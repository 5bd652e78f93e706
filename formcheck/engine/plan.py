"""A spec compiled against a metric table's column names: index arrays the engine steps over cheaply.

`compile_plan` resolves every metric reference to columns once (``{side}`` / ``{other}`` templates per
working side; for bilateral exercises ``{side}`` averages both sides, weighted by confidence), and splits the
work into channels (one per side when the counting is sided) and rule instances (one per rule and side).

`prepare` then evaluates every condition and rule threshold for a whole block of frames with numpy, giving
small integer codes per frame (see `rules.py` and `hold.py`), so that the engine's per-frame loop only runs
state machines over plain Python numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.engine import hold as hold_codes
from formcheck.engine import rules as rule_codes
from formcheck.kinematics.catalog import OTHER_PLACEHOLDER, metric_segments, parse_metric
from formcheck.kinematics import safety
from formcheck.kinematics.context import POSITIONS, VIEWS, turn_from_view
from formcheck.landmarks import BODY_SIDES
from formcheck.specs.spec import Condition, ExerciseSpec, RuleSpec, template_sides

UNKNOWN = 0  # code of "unknown" in both POSITIONS and VIEWS
TURN_COLUMN = "body_turn"  # the body's turn from the camera, in degrees (kinematics/catalog.py)


@dataclass(frozen=True)
class Source:
    """Where a per-frame value comes from: no column (not computed), one column, or two averaged."""

    name: str
    columns: tuple[int, ...]


@dataclass(frozen=True)
class CompiledCondition:
    """``x = value (abs) * sign``; satisfied when ``x > on``, clearly not when ``x <= on - hysteresis``."""

    source: Source
    sign: float
    absolute: bool
    on: float
    hysteresis: float

    def to_units(self, x: float) -> float:
        return x * self.sign

    @property
    def parts(self) -> tuple["CompiledCondition", ...]:
        return (self,)


@dataclass(frozen=True)
class AnyCondition:
    """An OR of conditions in one view: satisfied when any part is, clearly not only when every measured part is.

    Its reading ``x`` is the largest margin of any part past its own threshold, put in the first part's units
    (first threshold + margin), so a violation's peak and metric read as the first part's.
    """

    parts: tuple[CompiledCondition, ...]

    @property
    def source(self) -> Source:
        return self.parts[0].source

    def to_units(self, x: float) -> float:
        return self.parts[0].to_units(x)


Check = CompiledCondition | AnyCondition


@dataclass(frozen=True)
class RuleInstance:
    """One rule on one side (or unsided), with its check per view code (None: not measurable in that view)."""

    rule_id: str
    side: str | None
    channel: int | None  # the channel whose state gates it; None: any channel
    when: str
    severity: str
    message: str
    description: str
    min_duration_s: float
    clear_s: float
    by_view: tuple[Check | None, ...]
    positions_ok: tuple[bool, ...] | None
    segments: tuple[tuple[int, int], ...]
    view_names: tuple[str, ...]  # the views it is measured in, for "not measured" reasons
    # The body turn (degrees from facing the camera) beyond which its frontal-plane measure is not true; None:
    # no frontal-plane measure. And how far from the spec's ideal view the body may turn (None: any turn).
    frontal_max_turn_deg: float | None = None
    view_max_turn_deg: float | None = None


@dataclass(frozen=True)
class ChannelPlan:
    """What is counted or timed for one side (side None: bilateral, or labelled by side detection)."""

    side: str | None
    rep: Source | None
    hold: tuple[CompiledCondition, ...]
    position: tuple[CompiledCondition, ...]
    positions_ok: tuple[bool, ...]


@dataclass(frozen=True)
class SideDetectPlan:
    left: Source
    right: Source | None  # None: unsided metric whose sign gives the side
    sign: float  # sided: +1 "higher" wins; unsided: +1 when positive means left
    margin: float
    motion_window_s: float | None = None  # compare each side's range over this window, not its value


@dataclass(frozen=True)
class Plan:
    spec: ExerciseSpec
    metric_names: tuple[str, ...]
    channels: tuple[ChannelPlan, ...]
    rules: tuple[RuleInstance, ...]
    side_detect: SideDetectPlan | None
    forced_side: str | None
    rep_metric_names: tuple[str, ...]  # display name of each channel's rep metric ("" when none)
    turn: Source = Source("body_turn", ())  # the body turn per frame (gates the rules by the set-up)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        seen: list[str] = []
        for r in self.rules:
            if r.rule_id not in seen:
                seen.append(r.rule_id)
        return tuple(seen)


def _positions_mask(names) -> tuple[bool, ...]:
    allowed = set(names)
    return tuple(p in allowed for p in POSITIONS)


def _side_word(message: str, side: str | None) -> str:
    if side:
        return message.replace("{side}", side)
    return message.replace("{side} ", "").replace("{side}", "")


class _Resolver:
    def __init__(self, metric_names: tuple[str, ...]) -> None:
        self.index = {name: j for j, name in enumerate(metric_names)}

    def source(self, text: str, side: str | None) -> Source:
        ref = parse_metric(text)
        if ref is None:  # validated specs never get here
            return Source(text, ())
        if ref.is_template and side is None:
            if ref.side == OTHER_PLACEHOLDER:
                return Source(ref.base, ())
            cols = tuple(self.index[f"{ref.base}_{s}"] for s in ("left", "right") if f"{ref.base}_{s}" in self.index)
            return Source(ref.base, cols if len(cols) == 2 else ())
        name = ref.name_for(side)
        return Source(name, (self.index[name],) if name in self.index else ())

    def source_column(self, name: str) -> Source:
        """A column read by name (not a spec metric), e.g. the body turn."""
        return Source(name, (self.index[name],) if name in self.index else ())

    def condition(self, cond: Condition, side: str | None) -> CompiledCondition:
        sign = 1.0 if cond.op == ">" else -1.0
        return CompiledCondition(self.source(cond.metric, side), sign, cond.abs, cond.value * sign, cond.hysteresis)


def _channel_sides(spec: ExerciseSpec, forced: str | None) -> tuple[str | None, ...]:
    if spec.sides == "bilateral":
        return (None,)
    if forced:
        return (forced,)
    if spec.sides in ("left", "right"):
        return (spec.sides,)
    return ("left", "right") if template_sides(spec) else (None,)


def compile_plan(spec: ExerciseSpec, metric_names: tuple[str, ...], side: str = "auto") -> Plan:
    """Resolve a spec against the metric names of a table; ``side`` is "auto", "left" or "right"."""
    forced = side if side in ("left", "right") and spec.sides != "bilateral" else None
    resolver = _Resolver(tuple(metric_names))
    channels: list[ChannelPlan] = []
    for ch_side in _channel_sides(spec, forced):
        channels.append(
            ChannelPlan(
                side=ch_side,
                rep=resolver.source(spec.rep.metric, ch_side) if spec.rep else None,
                hold=tuple(resolver.condition(c, ch_side) for c in spec.hold.criteria) if spec.hold else (),
                position=tuple(resolver.condition(c, ch_side) for c in spec.position.enter),
                positions_ok=_positions_mask(spec.body_positions),
            )
        )
    rules = _safety_instances(spec, resolver)
    for rule in spec.rules:
        rules += _rule_instances(rule, channels, resolver, spec)
    side_detect = _side_detect_plan(spec, resolver) if forced is None else None
    rep_names = tuple(c.rep.name if c.rep else "" for c in channels)
    turn = resolver.source_column(TURN_COLUMN)
    return Plan(spec, tuple(metric_names), tuple(channels), tuple(rules), side_detect, forced, rep_names, turn)


def _safety_instances(spec: ExerciseSpec, resolver: _Resolver) -> list[RuleInstance]:
    """knee_above_hip for each leg, from its one definition (kinematics/safety.py) and the spec's limits.

    Each view checks the measures reliable in it: an OR of both in a side (or unknown) view, hip flexion
    alone in a front view.
    """
    kah = spec.safety.knee_above_hip
    if not kah.enabled:
        return []
    out = []
    for leg in BODY_SIDES:
        conditions = {
            m: CompiledCondition(resolver.source(m.column(leg), None), 1.0, False, m.threshold(kah), kah.hysteresis_deg)
            for m in safety.MEASURES
        }
        checks: dict[tuple[safety.Measure, ...], Check] = {}
        for view in VIEWS:
            measures = safety.measures_in_view(view)
            parts = tuple(conditions[m] for m in measures)
            checks.setdefault(measures, parts[0] if len(parts) == 1 else AnyCondition(parts))
        out.append(
            RuleInstance(
                rule_id=safety.RULE_ID,
                side=leg,
                channel=None,
                when="always",
                severity=safety.SEVERITY,
                message=_side_word(kah.cue, leg),
                description=safety.description(kah),
                min_duration_s=kah.min_duration_s,
                clear_s=safety.CLEAR_S,
                by_view=tuple(checks[safety.measures_in_view(v)] for v in VIEWS),
                positions_ok=_positions_mask(kah.positions),
                segments=metric_segments(f"{safety.DRAWN_METRIC}_{leg}"),
                view_names=("front", "side"),
            )
        )
    return out


def rule_frontal_limit(rule: RuleSpec, spec: ExerciseSpec) -> float | None:
    """The tightest body-turn limit of the frontal-plane measures a rule reads (None: it reads none)."""
    limits = [spec.frontal_limit(ref.base) for ref in (parse_metric(c.metric) for c in rule.all_checks())
              if ref is not None]
    found = [x for x in limits if x is not None]
    return min(found) if found else None


def _rule_instances(rule: RuleSpec, channels: list[ChannelPlan], resolver: _Resolver,
                    spec: ExerciseSpec) -> list[RuleInstance]:
    """One instance per side for rules on ``{side}`` metrics, else one; each with its check per view and the
    body turn it is judged within (the spec's [setup])."""
    checks = rule.all_checks()
    sided = any(ref is not None and ref.is_template for ref in (parse_metric(c.metric) for c in checks))
    if sided and all(c.side is not None for c in channels):
        targets = [(c.side, i) for i, c in enumerate(channels)]
    elif sided and rule.each_side:
        targets = [("left", 0), ("right", 0)]
    elif sided:
        targets = [(None, 0)]  # bilateral, both sides averaged
    else:
        targets = [(None, 0 if len(channels) == 1 else None)]
    out = []
    for side, channel in targets:
        by_view: list[CompiledCondition | None] = []
        for view in VIEWS:
            check = next((c for c in checks if c.views is None or view in c.views), None)
            if check is None:
                by_view.append(None)
                continue
            sign = 1.0 if check.op == ">" else -1.0
            source = resolver.source(check.metric, side)
            by_view.append(CompiledCondition(source, sign, check.abs, check.threshold * sign, rule.hysteresis))
        names = [resolver.source(c.metric, side).name for c in checks]
        out.append(
            RuleInstance(
                rule_id=rule.id,
                side=side,
                channel=channel,
                when=rule.when,
                severity=rule.severity,
                message=_side_word(rule.cue, side),
                description=rule.description,
                min_duration_s=rule.min_duration_s,
                clear_s=rule.clear_s,
                by_view=tuple(by_view),
                positions_ok=_positions_mask(rule.positions) if rule.positions else None,
                segments=tuple(dict.fromkeys(seg for n in names for seg in metric_segments(n))),
                view_names=tuple(sorted({v for c in checks for v in (c.views or ("front", "side"))})),
                frontal_max_turn_deg=rule_frontal_limit(rule, spec),
                view_max_turn_deg=spec.setup.max_turn_deg,
            )
        )
    return out


def _side_detect_plan(spec: ExerciseSpec, resolver: _Resolver) -> SideDetectPlan | None:
    sd = spec.side_detect
    if sd is None or spec.sides not in ("both", "alternating"):
        return None
    ref = parse_metric(sd.metric)
    if ref is None:
        return None
    if ref.is_template:
        # the value that speaks for "left is the working side", and the one for "right"
        for_left = resolver.source(ref.name_for("left"), None)
        for_right = resolver.source(ref.name_for("right"), None)
        window = sd.window_s if sd.by == "motion" else None
        return SideDetectPlan(for_left, for_right, 1.0 if sd.pick == "higher" else -1.0, sd.margin, window)
    return SideDetectPlan(resolver.source(sd.metric, None), None, 1.0 if sd.positive == "left" else -1.0, sd.margin)


# ------------------------------------------------------------------------------------- vectorised part


@dataclass(frozen=True)
class Prepared:
    """Per-frame codes and values for a block of frames, as Python lists (fast to index in a loop)."""

    n: int
    rule_codes: tuple[list, ...]
    rule_x: tuple[list, ...]
    rep_values: tuple[list | None, ...]
    hold_codes: tuple[list | None, ...]
    hold_values: tuple[tuple[list, ...], ...]
    position_codes: tuple[list, ...]
    side_codes: list | None  # 0 left leads, 1 right leads, 2 undecided
    views: list
    side_values: tuple[list, list] | None = None  # by motion: the values for left and right (engine decides)
    turn: list | None = None  # the body turn per frame (degrees from facing the camera; NaN unknown)


class _Columns:
    """Source values for one block, computed once per source."""

    def __init__(self, values: np.ndarray, confidence: np.ndarray, min_confidence: float) -> None:
        self.values = values
        self.confidence = confidence
        self.min_confidence = min_confidence
        self.cache: dict[tuple[int, ...], np.ndarray] = {}

    def get(self, source: Source) -> np.ndarray:
        found = self.cache.get(source.columns)
        if found is not None:
            return found
        n = self.values.shape[0]
        if not source.columns:
            out = np.full(n, np.nan)
        elif len(source.columns) == 1:
            j = source.columns[0]
            out = np.array(self.values[:, j], dtype=float)
            if self.min_confidence > 0:
                out[~(self.confidence[:, j] >= self.min_confidence)] = np.nan
        else:
            a, b = source.columns
            va = np.array(self.values[:, a], dtype=float)
            vb = np.array(self.values[:, b], dtype=float)
            ca = np.nan_to_num(np.array(self.confidence[:, a], dtype=float), nan=0.0)
            cb = np.nan_to_num(np.array(self.confidence[:, b], dtype=float), nan=0.0)
            if self.min_confidence > 0:
                va[ca < self.min_confidence] = np.nan
                vb[cb < self.min_confidence] = np.nan
            ok_a, ok_b = np.isfinite(va), np.isfinite(vb)
            wa = np.where(ok_a, np.maximum(ca, 1e-6), 0.0)
            wb = np.where(ok_b, np.maximum(cb, 1e-6), 0.0)
            total = wa + wb
            with np.errstate(invalid="ignore", divide="ignore"):
                out = (np.where(ok_a, va, 0.0) * wa + np.where(ok_b, vb, 0.0) * wb) / total
            out[total == 0] = np.nan
        self.cache[source.columns] = out
        return out


def _normalised(cols: _Columns, cond: CompiledCondition) -> np.ndarray:
    v = cols.get(cond.source)
    if cond.absolute:
        v = np.abs(v)
    return v * cond.sign


def _condition_codes(cols: _Columns, conds: tuple[CompiledCondition, ...], n: int) -> np.ndarray:
    code = np.full(n, hold_codes.IN, dtype=np.int8)
    for cond in conds:
        x = _normalised(cols, cond)
        c = np.where(
            x > cond.on, hold_codes.IN, np.where(x > cond.on - cond.hysteresis, hold_codes.EDGE, hold_codes.OUT)
        ).astype(np.int8)
        c[np.isnan(x)] = hold_codes.UNSEEN
        np.maximum(code, c, out=code)
    return code


def _rule_codes(cols: _Columns, check: Check, sel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rule codes and readings of one view's check on the selected frames (an OR: the worst measured part)."""
    first = check.parts[0]
    code = np.full(int(sel.sum()), rule_codes.NM_VALUE, dtype=np.int8)
    x_out = np.full(code.shape, np.nan)
    for part in check.parts:
        x = _normalised(cols, part)[sel]
        c = np.where(
            x > part.on, rule_codes.ON, np.where(x > part.on - part.hysteresis, rule_codes.BAND, rule_codes.OFF)
        ).astype(np.int8)
        seen = ~np.isnan(x)
        # measured codes (OFF < BAND < ON) beat NM_VALUE, and the worst measured part wins
        code = np.where(seen & ((code == rule_codes.NM_VALUE) | (c > code)), c, code).astype(np.int8)
        shifted = x if part is first else x - part.on + first.on
        x_out = np.where(seen & ~(x_out >= shifted), shifted, x_out)
    return code, x_out


def _instance_codes(cols: _Columns, inst: RuleInstance, views: np.ndarray, positions: np.ndarray, turn: np.ndarray,
                    setup_views: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One rule instance's codes and readings per frame: its check in each view, then the set-up gate (the body
    turned too far for it), then the position gate (not applicable, or the position unknown)."""
    n = len(views)
    code = np.full(n, rule_codes.NM_VIEW, dtype=np.int8)
    x_all = np.full(n, np.nan)
    for v, check in enumerate(inst.by_view):
        if check is None:
            continue
        sel = views == v
        if not sel.any():
            continue
        c, x = _rule_codes(cols, check, sel)
        code[sel] = c
        x_all[sel] = x
    code[turned_too_far(inst, turn, setup_views) & (code != rule_codes.NM_VIEW)] = rule_codes.NM_TURN
    if inst.positions_ok is not None:
        ok = np.array(inst.positions_ok)[positions]
        code[~ok] = rule_codes.NA
        code[positions == UNKNOWN] = rule_codes.NM_POSITION
    return code, x_all


def prepare(
    plan: Plan,
    values: np.ndarray,
    confidence: np.ndarray,
    positions: np.ndarray,
    views: np.ndarray,
    min_confidence: float = 0.0,
) -> Prepared:
    """Evaluate every threshold of the plan on a block of frames."""
    n = values.shape[0]
    cols = _Columns(values, confidence, min_confidence)
    positions = np.asarray(positions, dtype=np.int64)
    views = np.asarray(views, dtype=np.int64)
    positions_safe = np.where((positions >= 0) & (positions < len(POSITIONS)), positions, UNKNOWN)
    views_safe = np.where((views >= 0) & (views < len(VIEWS)), views, UNKNOWN)

    turn = cols.get(plan.turn)
    r_codes: list[list] = []
    r_x: list[list] = []
    for inst in plan.rules:
        code, x_all = _instance_codes(cols, inst, views_safe, positions_safe, turn, plan.spec.setup_views)
        r_codes.append(code.tolist())
        r_x.append(x_all.tolist())

    rep_values: list[list | None] = []
    h_codes: list[list | None] = []
    h_values: list[tuple[list, ...]] = []
    p_codes: list[list] = []
    for ch in plan.channels:
        rep_values.append(cols.get(ch.rep).tolist() if ch.rep is not None else None)
        if ch.hold:
            h_codes.append(_condition_codes(cols, ch.hold, n).tolist())
            h_values.append(tuple(cols.get(c.source).tolist() for c in ch.hold))
        else:
            h_codes.append(None)
            h_values.append(())
        pcode = _condition_codes(cols, ch.position, n)
        allowed = np.array(ch.positions_ok)[positions_safe] | (positions_safe == UNKNOWN)
        pcode[~allowed] = hold_codes.OUT
        p_codes.append(pcode.tolist())

    side_codes = None
    side_values = None
    sd = plan.side_detect
    if sd is not None and sd.motion_window_s is not None and sd.right is not None:
        side_codes = [2] * n  # decided over time by the engine's SideByMotion
        side_values = (cols.get(sd.left).tolist(), cols.get(sd.right).tolist())
    elif sd is not None:
        if sd.right is not None:
            d = (cols.get(sd.left) - cols.get(sd.right)) * sd.sign
        else:
            d = cols.get(sd.left) * sd.sign
        side_codes = np.where(d > sd.margin, 0, np.where(d < -sd.margin, 1, 2)).tolist()
    return Prepared(
        n,
        tuple(r_codes),
        tuple(r_x),
        tuple(rep_values),
        tuple(h_codes),
        tuple(h_values),
        tuple(p_codes),
        side_codes,
        views_safe.tolist(),
        side_values,
        turn.tolist(),
    )


@dataclass(frozen=True)
class TurnProblem:
    """The body turned outside an exercise's set-up: ``kind`` "view" (too far from its ideal view for any rule)
    or "frontal" (too far from facing the camera for its frontal-plane measures); seen and allowed degrees."""

    kind: str
    seen_deg: float
    limit_deg: float


def turn_problem(spec: ExerciseSpec, turn_deg: float) -> TurnProblem | None:
    """The set-up check the rules are gated by (`turned_too_far`), for one body turn: what is wrong, if anything.

    The same limits as the compiled rules: the spec's ``[setup] max_turn_deg`` from its views, and the
    tightest frontal-plane limit of its rules measured in that view."""
    if not np.isfinite(turn_deg):
        return None
    away = float(view_distance(np.array([turn_deg]), spec.setup_views)[0])
    if away > spec.setup.max_turn_deg:
        return TurnProblem("view", away, spec.setup.max_turn_deg)
    in_view = [r for r in spec.rules if any(c.views is None or spec.view in c.views for c in r.all_checks())]
    limits = [x for x in (rule_frontal_limit(rule, spec) for rule in in_view) if x is not None]
    if limits and turn_deg > min(limits):
        return TurnProblem("frontal", turn_deg, min(limits))
    return None


def view_distance(turn_deg: np.ndarray, views: tuple[str, ...]) -> np.ndarray:
    """How far (degrees) a body turn is from the nearest of the views an exercise is judged from."""
    return np.min(np.stack([turn_from_view(turn_deg, v) for v in views]), axis=0)


def turned_too_far(rule: RuleInstance, turn_deg: np.ndarray, views: tuple[str, ...]) -> np.ndarray:
    """Frames where the body is turned too far for the rule: from facing the camera, for a frontal-plane
    measure; from the nearest view the spec is judged from, for any rule (NaN turn: unknown, not too far)."""
    out = np.zeros(turn_deg.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        if rule.frontal_max_turn_deg is not None:
            out |= turn_deg > rule.frontal_max_turn_deg
        if rule.view_max_turn_deg is not None:
            out |= view_distance(turn_deg, views) > rule.view_max_turn_deg
    return out
