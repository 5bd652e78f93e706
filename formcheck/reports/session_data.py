"""What a session report shows, worked out from report.json, the metric table and the spec (no HTML here).

    view = session_view(report, analysis)   # verdict sentences, rep and hold rows, charts, fault moments

The charts follow the spec: the rep metric with the rep's start and target lines, the hold criteria, and
the rules' metrics with their limits; rep and hold windows shaded, fault windows red.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.analyze import Analysis
from formcheck.engine.plan import AnyCondition, CompiledCondition, Plan, RuleInstance, Source, compile_plan
from formcheck.kinematics.context import VIEWS
from formcheck.kinematics.catalog import METRICS, MetricInfo, lookup
from formcheck.reports.charts import Chart, Line, Span, Threshold
from formcheck.specs.spec import SAFETY_RULE_ID, ExerciseSpec

MAX_CHARTS = 4
MAX_FAULT_MOMENTS = 6
MAX_POINTS = 2000


@dataclass(frozen=True)
class Moment:
    """A frame worth a thumbnail: a fault at its worst, or the best rep at its peak."""

    row: int
    t_s: float
    caption: str
    segments: tuple[tuple[int, int], ...]  # skeleton segments drawn red
    metric: str | None  # the metric written beside the body
    fault: bool


@dataclass(frozen=True)
class SessionView:
    """The content of report.html, in reading order."""

    title: str
    facts: tuple[str, ...]
    verdict: tuple[str, ...]
    verdict_ok: bool
    rep_rows: tuple[tuple[object, ...], ...]
    hold_rows: tuple[tuple[object, ...], ...]
    fault_rows: tuple[tuple[object, ...], ...]
    charts: tuple[Chart, ...]
    not_measured: tuple[tuple[str, str], ...]
    moments: tuple[Moment, ...]
    rep_target_text: str


def metric_info(name: str) -> MetricInfo | None:
    """The catalog entry of a column (``hip_flexion_left``) or a family averaged over both sides (``hip_flexion``)."""
    found = lookup(name)
    return found[0] if found is not None else METRICS.get(name)


def metric_words(name: str) -> str:
    """A metric for people: "hip flexion (left)"."""
    info = metric_info(name)
    if info is None:
        return name.replace("_", " ")
    side = name[len(info.name) + 1:] if name.startswith(info.name + "_") else ""
    return info.plain + (f" ({side})" if side else "")


def unit_text(name: str) -> str:
    info = metric_info(name)
    return info.unit if info is not None else ""


def series(analysis: Analysis, source: Source) -> np.ndarray:
    """A source's per-frame values: one column, or the mean of two (NaN where not measured)."""
    values = analysis.table.values[:, list(source.columns)]
    if values.shape[1] == 1:
        return values[:, 0].astype(float)
    with np.errstate(invalid="ignore"):
        both = np.isfinite(values).all(axis=1)
        return np.where(both, values.mean(axis=1), np.nan)


def _value(metric: str, value: object) -> str:
    """A value with its unit, degrees to 0.1, other units (leg lengths, hip widths) to 0.01."""
    if value is None:
        return "-"
    unit = unit_text(metric)
    digits = 1 if unit in ("deg", "") else 2
    return f"{_fmt(value, digits)} {unit}".strip()


def _rule_words(spec: ExerciseSpec, rule_id: str) -> str:
    if rule_id == SAFETY_RULE_ID:
        return "knee above hip"
    for rule in spec.rules:
        if rule.id == rule_id:
            return rule.description[:1].lower() + rule.description[1:]
    return rule_id.replace("_", " ")


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _fmt(value: object, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    return f"{float(value):.{digits}f}"


# --- verdict ------------------------------------------------------------------------------------------


def verdict(report: dict, spec: ExerciseSpec) -> tuple[str, ...]:
    """The plain-words verdict, most important first."""
    lines = [_dose_sentence(report, spec)]
    by_rule: dict[str, list[dict]] = {}
    for v in report["violations"]:
        by_rule.setdefault(v["rule"], []).append(v)
    for rule_id, items in by_rule.items():
        if rule_id != SAFETY_RULE_ID:
            lines.append(f"{_rule_words(spec, rule_id).capitalize()}: {_plural(len(items), 'time')}, "
                         f"first at {items[0]['start_s']:.1f} s.")
    lines.append(_safety_sentence(report, spec, by_rule.get(SAFETY_RULE_ID, [])))
    if report["summary"]["pain_stop"]:
        at = report["summary"]["pain_stop_t_s"]
        lines.append("Stopped because of pain" + (f" at {at:.1f} s." if at is not None else "."))
    coverage = report["frames_with_pose"] / report["frames"] if report["frames"] else 0.0
    if coverage < 0.8:
        lines.append(f"The camera saw the person in only {coverage:.0%} of the frames, so some of the session "
                     "could not be judged.")
    return tuple(lines)


def _dose_sentence(report: dict, spec: ExerciseSpec) -> str:
    dose, name, mode = spec.dose, spec.name.lower(), spec.mode
    if mode == "reps":
        reps = report["reps"]
        sets = sorted({r.get("set_no") for r in reps if r.get("set_no") is not None})
        done = f"{_plural(len(reps), 'rep')} of {name}"
        if len(sets) > 1:
            done += f" in {len(sets)} sets"
        target = f" (prescribed: {_plural(dose.sets, 'set')} of {dose.reps.target})" if dose.reps else ""
        partial = int(report["summary"]["partial_reps"])
        short = f"; {_plural(partial, 'rep')} stopped short of the target" if partial else ""
        return f"{done}{target}{short}."
    if mode == "hold":
        holds = report["holds"]
        met = sum(1 for h in holds if h["met"])
        longest = max((h["duration_s"] or 0.0 for h in holds), default=0.0)
        target = holds[0]["target_s"] if holds and holds[0]["target_s"] else (dose.hold_s.target if dose.hold_s else None)
        target_text = f" reached the {target:g} s target" if target else " were long enough"
        return f"{_plural(len(holds), 'hold')} of {name}; {met}{target_text}; the longest lasted {longest:.1f} s."
    return f"{spec.name} for {report['duration_s'] or 0:.1f} s."


def _safety_sentence(report: dict, spec: ExerciseSpec, events: list[dict]) -> str:
    kah = spec.safety.knee_above_hip
    if not kah.enabled:
        return "The knee-above-hip rule is off for this exercise" + (f": {kah.reason}" if kah.reason else ".")
    if SAFETY_RULE_ID in report["not_measured"] and not events:
        return f"Whether the knee rose above the hip was not measured: {report['not_measured'][SAFETY_RULE_ID]}."
    if not events:
        return "The knee never rose above the hip."
    sides = sorted({side for v in events for side in _event_sides(v)})
    side_text = f" ({' and '.join(sides)})" if sides else ""
    return (f"The knee rose above the hip {_plural(len(events), 'time')}{side_text}, first at "
            f"{events[0]['start_s']:.1f} s: {events[0]['message']}")


# --- tables -------------------------------------------------------------------------------------------


def rep_rows(report: dict, spec: ExerciseSpec) -> tuple[tuple[object, ...], ...]:
    """n, set, side, from-to, peak (metric), target, time under tension, faults."""
    target = spec.rep.peak if spec.rep else None
    plan_metric = spec.rep.metric.replace("_{side}", "") if spec.rep else ""
    rows = []
    for rep in report["reps"]:
        peak = ", ".join(f"{metric_words(k)} {_value(k, v)}" for k, v in (rep["peak"] or {}).items()) or "-"
        rows.append((rep["n"], rep.get("set_no") or "-", rep["side"] or "both",
                     f"{rep['start_s']:.1f}-{rep['end_s']:.1f}", peak,
                     _value(plan_metric, target) if target is not None else "-",
                     _fmt(rep.get("time_under_tension_s")),
                     ", ".join(_rule_words(spec, r) for r in rep["violations"]) or "none"))
    return tuple(rows)


def hold_rows(report: dict, spec: ExerciseSpec) -> tuple[tuple[object, ...], ...]:
    """n, side, from-to, duration, target, met, faults."""
    return tuple(
        (h["n"], h["side"] or "both", f"{h['start_s']:.1f}-{_fmt(h['end_s'])}", _fmt(h["duration_s"]),
         _fmt(h["target_s"], 0), "yes" if h["met"] else "no",
         ", ".join(_rule_words(spec, r) for r in h.get("violations") or []) or "none")
        for h in report["holds"])


def fault_rows(report: dict, spec: ExerciseSpec) -> tuple[tuple[object, ...], ...]:
    """rule, side, from-to, worst value, what the patient was told; one row per event (a movement that broke
    the rule on both sides is one row, "left and right", with each side's worst value)."""
    return tuple(
        (_rule_words(spec, v["rule"]), " and ".join(_event_sides(v)) or "both",
         f"{v['start_s']:.1f}-{_fmt(v['end_s'])}", _peak_text(v), v["message"])
        for v in report["violations"])


def _event_sides(violation: dict) -> list[str]:
    """The body sides a violation event concerns: ["left", "right"] for side "both", [] when unsided."""
    side = violation.get("side")
    if side == "both":
        return sorted(violation.get("sides") or ("left", "right"))
    return [side] if side else []


def _peak_text(violation: dict) -> str:
    """The worst value with its unit; each side's for a two-sided event ("left 12.0 deg, right 9.5 deg")."""
    sides = violation.get("sides") if violation.get("side") == "both" else None
    if sides:
        return ", ".join(f"{side} {_one_peak(part)}" for side, part in sorted(sides.items()))
    return _one_peak(violation)


def _one_peak(item: dict) -> str:
    return _value(item["metric"], item["peak"]) if item.get("metric") else _fmt(item.get("peak"))


# --- charts -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Wanted:
    source: Source
    thresholds: tuple[Threshold, ...]


def _side_words(name: str, family: str) -> str:
    """A chart's line label: the side ("left"), or "both sides (mean)" for a family averaged over both."""
    side = name[len(family) + 1:] if name.startswith(family + "_") else ""
    if side in ("left", "right"):
        return side
    info = metric_info(name)
    return "both sides (mean)" if info is not None and info.sided and name == family else metric_words(name)


def _condition_lines(cond: CompiledCondition | AnyCondition, label: str, colour: str) -> list[tuple[Source, Threshold]]:
    out = []
    for part in cond.parts:
        value = part.on * part.sign
        for v in ((value, -value) if part.absolute else (value,)):
            out.append((part.source, Threshold(v, f"{label} {v:g}", colour, ":" if colour == "vermillion" else "--")))
    return out


def _wanted_sources(plan: Plan, report: dict, side: str | None) -> list[_Wanted]:
    """Sources to chart, in order: rep metric, hold criteria, rules with faults, other rules."""
    found: dict[str, list] = {}

    def want(source: Source, threshold: Threshold | None) -> None:
        if not source.columns:
            return
        entry = found.setdefault(source.name, [source, []])
        if threshold is not None and all(t.label != threshold.label for t in entry[1]):
            entry[1].append(threshold)

    spec = plan.spec
    for channel in plan.channels:
        if side is not None and channel.side not in (None, side):
            continue
        if channel.rep is not None and spec.rep is not None:
            want(channel.rep, Threshold(spec.rep.start, f"rep starts {spec.rep.start:g}", "black", ":"))
            want(channel.rep, Threshold(spec.rep.peak, f"rep target {spec.rep.peak:g}", "blue", "--"))
        for cond in channel.hold:
            for source, threshold in _condition_lines(cond, "hold", "green"):
                want(source, threshold)
    faulted = {v["rule"] for v in report["violations"]}
    rules = sorted(plan.rules, key=lambda r: r.rule_id not in faulted)
    for rule in rules:
        if side is not None and rule.side not in (None, side) and rule.rule_id not in faulted:
            continue
        check = _rule_check(rule, report["view"])
        if check is not None:
            for source, threshold in _condition_lines(check, "limit", "vermillion"):
                want(source, threshold)
    return [_Wanted(src, tuple(ths)) for src, ths in found.values()]


def _rule_check(rule: RuleInstance, view: str) -> CompiledCondition | AnyCondition | None:
    """The rule's check in the camera's view (any view's when the view is unknown)."""
    if view not in VIEWS or view == "unknown":
        return next((c for c in rule.by_view if c is not None), None)
    return rule.by_view[VIEWS.index(view)]  # None: not measured in the view the camera had


def charts(report: dict, analysis: Analysis, plan: Plan) -> tuple[Chart, ...]:
    """The key metrics over time, one chart per metric family (both sides in one chart)."""
    side = report["side"] if report["side"] in ("left", "right") else None
    families: dict[str, list[_Wanted]] = {}
    for wanted in _wanted_sources(plan, report, side):
        info = metric_info(wanted.source.name)
        families.setdefault(info.name if info else wanted.source.name, []).append(wanted)
    t_s = analysis.track.t_s
    stride = max(1, int(np.ceil(len(t_s) / MAX_POINTS)))
    spans = tuple(Span(r["start_s"], r["end_s"], "rep") for r in report["reps"])
    spans += tuple(Span(h["start_s"], h["end_s"], "hold") for h in report["holds"] if h["end_s"] is not None)
    out = []
    for family, items in list(families.items())[:MAX_CHARTS]:
        faults = tuple(Span(v["start_s"], v["end_s"], "fault") for v in report["violations"]
                       if v["end_s"] is not None and (not v.get("metric") or v["metric"].startswith(family)))
        lines = tuple(Line(_side_words(w.source.name, family), t_s[::stride], series(analysis, w.source)[::stride])
                      for w in items)
        thresholds = tuple({t.label: t for w in items for t in w.thresholds}.values())
        unit = unit_text(items[0].source.name)
        info = metric_info(family)
        title = info.plain.capitalize() if info else family.replace("_", " ")
        out.append(Chart(title=title, y_label=f"{unit}" if unit else "value", x_label="time (s)", lines=lines,
                         spans=spans + faults, thresholds=thresholds))
    return tuple(out)


# --- moments ------------------------------------------------------------------------------------------


def _row_near(analysis: Analysis, start_s: float, end_s: float | None, values: np.ndarray | None,
              target: float | None) -> int:
    """The row in [start, end] whose value is nearest ``target`` (the window's middle without one)."""
    t_s = analysis.track.t_s
    end = end_s if end_s is not None else float(t_s[-1])
    rows = np.flatnonzero((t_s >= start_s) & (t_s <= end))
    if not len(rows):
        return int(np.clip(np.searchsorted(t_s, start_s), 0, len(t_s) - 1))
    if values is not None and target is not None and np.isfinite(values[rows]).any():
        return int(rows[np.nanargmin(np.abs(values[rows] - target))])
    return int(rows[len(rows) // 2])


def moments(report: dict, analysis: Analysis, plan: Plan) -> tuple[Moment, ...]:
    """Each fault at its worst (up to MAX_FAULT_MOMENTS), then the best rep at its peak."""
    index = {name: j for j, name in enumerate(analysis.table.names)}
    out = []
    for v in report["violations"][:MAX_FAULT_MOMENTS]:
        metric = v.get("metric") if v.get("metric") in index else None
        values = analysis.table.values[:, index[metric]] if metric else None
        row = _row_near(analysis, v["start_s"], v["end_s"], values, v["peak"])
        sides = _event_sides(v)
        segments = tuple(s for r in plan.rules if r.rule_id == v["rule"] and (r.side is None or r.side in sides)
                         for s in r.segments)
        caption = f"{_rule_words(plan.spec, v['rule']).capitalize()} at {analysis.track.t_s[row]:.1f} s"
        out.append(Moment(row, float(analysis.track.t_s[row]), caption, segments, metric, True))
    best = _best_rep(report, plan.spec)
    if best is not None and plan.channels and plan.channels[0].rep is not None:
        channel = next((c for c in plan.channels if c.side in (None, best["side"])), plan.channels[0])
        peak = next(iter((best["peak"] or {}).values()), None)
        values = series(analysis, channel.rep) if channel.rep.columns else None
        row = _row_near(analysis, best["start_s"], best["end_s"], values, peak)
        metric = channel.rep.name if channel.rep.name in index else None
        caption = f"Best rep: rep {best['n']} at {analysis.track.t_s[row]:.1f} s"
        out.append(Moment(row, float(analysis.track.t_s[row]), caption, (), metric, False))
    return tuple(out)


def _best_rep(report: dict, spec: ExerciseSpec) -> dict | None:
    """The rep without faults that went furthest (lowest peak for a "down" rep, highest for "up")."""
    reps = [r for r in report["reps"] if r["peak"] and not r["violations"]] or [r for r in report["reps"] if r["peak"]]
    if not reps or spec.rep is None:
        return None
    sign = -1.0 if spec.rep.direction == "down" else 1.0

    def reach(rep: dict) -> float:
        value = next(iter(rep["peak"].values()))
        return sign * value if value is not None else -np.inf

    return max(reps, key=reach)


# --- the whole view -----------------------------------------------------------------------------------


def session_view(report: dict, analysis: Analysis, *, made: str) -> SessionView:
    """Everything report.html shows; ``made`` is the date and time the page is made."""
    spec = analysis.spec
    plan = compile_plan(spec, analysis.table.names, side=analysis.side)
    coverage = report["frames_with_pose"] / report["frames"] if report["frames"] else 0.0
    facts = (f"Made {made}", f"source: {report['source']}", f"duration {report['duration_s'] or 0:.1f} s",
             f"camera view: {report['view']} (the exercise wants {spec.view})",
             f"person found in {coverage:.0%} of {report['frames']} frames")
    dose = spec.dose
    target_text = (f"target peak {spec.rep.peak:g} {unit_text(plan.rep_metric_names[0] or '')}".strip()
                   if spec.rep else "")
    if dose.reps:
        target_text += f"; prescribed {dose.sets} x {dose.reps.target}"
    return SessionView(
        title=f"{spec.name}: session report",
        facts=facts,
        verdict=verdict(report, spec),
        verdict_ok=not report["violations"] and not report["summary"]["pain_stop"],
        rep_rows=rep_rows(report, spec),
        hold_rows=hold_rows(report, spec),
        fault_rows=fault_rows(report, spec),
        charts=charts(report, analysis, plan),
        not_measured=tuple((_rule_words(spec, k), str(v)) for k, v in report["not_measured"].items()),
        moments=moments(report, analysis, plan),
        rep_target_text=target_text,
    )
