"""Plain-language text about exercise specs: the list, and `show` (instructions, camera, dose, what is checked)."""

from __future__ import annotations

from formcheck.kinematics.catalog import METRICS, OTHER_PLACEHOLDER, SIDE_PLACEHOLDER, parse_metric
from formcheck.specs.spec import EVENT_MEASURES, MEASURE_SECTIONS, SAFETY_RULE_ID, Condition, ExerciseSpec, RuleSpec

POSITION_WORDS = {
    "standing": "standing",
    "half_kneeling": "kneeling on one knee (half-kneeling)",
    "seated": "sitting",
    "supine": "lying on your back",
    "prone": "lying on your stomach",
    "side_lying": "lying on your side",
    "kneeling": "kneeling",
    "sitting": "sitting",
}
MEASURE_WORDS = {
    "stance": "the single-leg stance timer: each stance timed from the lifted foot's lift-off to its touch-down, "
              "with sway, pelvic drop and trunk lean, per leg and against age norms",
    "single_leg_squat": "the single-leg squat test: per rep at peak depth, the knee's frontal plane projection "
                        "angle, pelvic drop and trunk lean",
    "jump": "the jump-landing test: take-off and landing, flight time, jump height, knee, trunk and hip angles at "
            "initial contact and peak knee flexion, landing symmetry and the landing errors one camera can see",
    "hop": "the single-leg hop test: hop distance, whether the landing was held, and the limb symmetry index",
}
SIDES_WORDS = {
    "left": "left side only",
    "right": "right side only",
    "both": "each side in turn (counted per side)",
    "alternating": "alternating sides (counted per side)",
    "bilateral": "both legs together",
}


def metric_words(text: str, spec: ExerciseSpec) -> str:
    """``knee_flexion_{side}`` -> "knee flexion (working side)" and similar."""
    ref = parse_metric(text)
    if ref is None:
        return text
    base = ref.info.plain
    if ref.side == SIDE_PLACEHOLDER:
        return f"{base} ({'both sides averaged' if spec.sides == 'bilateral' else 'working side'})"
    if ref.side == OTHER_PLACEHOLDER:
        return f"{base} (other side)"
    if ref.side:
        return f"{base} ({ref.side})"
    return base


def _unit(text: str) -> str:
    ref = parse_metric(text)
    if ref is None:
        return ""
    return "\u00b0" if ref.info.unit == "deg" else f" {ref.info.unit}"


def condition_words(cond: Condition, spec: ExerciseSpec) -> str:
    name = metric_words(cond.metric, spec)
    name = f"|{name}|" if cond.abs else name
    return f"{name} {cond.op} {cond.value:g}{_unit(cond.metric)}"


def dose_words(spec: ExerciseSpec) -> str:
    d = spec.dose
    parts = []
    if d.reps:
        sets = f"{d.sets} sets of " if d.sets > 1 else ""
        rest = f", rest {d.rest_s:g} s between sets" if d.sets > 1 and d.rest_s else ""
        parts.append(f"{sets}{d.reps.target} reps ({d.reps.min} to {d.reps.max}){rest}")
    if d.hold_s and d.holds:
        rest = f", rest {d.rest_s:g} s between holds" if d.rest_s else ""
        parts.append(
            f"{d.holds.target} holds of {d.hold_s.target:g} s ({d.hold_s.min:g} to {d.hold_s.max:g} s; "
            f"{d.holds.min} to {d.holds.max} holds){rest}"
        )
        if d.sets > 1:
            parts.append(f"{d.sets} sets")
    if d.duration_s:
        parts.append(f"{d.duration_s.target:g} s ({d.duration_s.min:g} to {d.duration_s.max:g} s)")
    if parts and spec.sides in ("both", "alternating"):
        parts.append("on each side")
    text = ", ".join(parts) + "." if parts else ""
    return " ".join(t for t in (text, d.note or "") if t) or "No set dose."


def _rule_views(rule: RuleSpec) -> set[str]:
    return {v for c in rule.all_checks() for v in (c.views or ("front", "side"))}


def checked_lines(spec: ExerciseSpec) -> list[str]:
    """What formcheck checks, one line each."""
    lines = []
    where = " or ".join(POSITION_WORDS[p] for p in spec.body_positions)
    entry = "; ".join(condition_words(c, spec) for c in spec.position.enter)
    lines.append(f"In position: {where}" + (f", with {entry}" if entry else "") + ".")
    if spec.rep:
        r = spec.rep
        towards = "above" if r.direction == "up" else "below"
        back = r.start - r.hysteresis if r.direction == "up" else r.start + r.hysteresis
        unit = _unit(r.metric)
        lines.append(
            f"Reps: counted each time {metric_words(r.metric, spec)} goes past {r.start:g}{unit}, "
            f"reaches {r.peak:g}{unit} ({towards}), and comes back past {back:g}{unit}."
        )
    if spec.hold:
        h = spec.hold
        crit = "; ".join(condition_words(c, spec) for c in h.criteria)
        lines.append(
            f"Holds: timed while {crit}; losing sight of you for up to {h.gap_tolerance_s:g} s does not "
            f"end a hold; a hold shorter than {h.min_hold_s:g} s is not counted."
        )
    if spec.mode == "watch" and spec.category != "safety":
        lines.append("Time in position (reps are not counted, see below).")
    if spec.measure.kind != "none":
        lines.append(measure_line(spec))
    kah = spec.safety.knee_above_hip
    if kah.enabled:
        lines.append(
            f"{SAFETY_RULE_ID} (safety): the knee rising above the hip while "
            f"{' or '.join(POSITION_WORDS[p] for p in kah.positions)}: thigh more than "
            f"{kah.threshold_deg:g}\u00b0 above level (measured in a side view) or the hip bent past "
            f"{kah.hip_flexion_deg:g}\u00b0 (any view), for {kah.min_duration_s:g} s. "
            f'Cue: "{kah.cue.replace("{side} ", "")}"'
        )
    for rule in spec.rules:
        views = _rule_views(rule)
        only = f" ({' or '.join(sorted(views))} view only)" if len(views) == 1 else ""
        lines.append(f'{rule.id} [{rule.severity}]: {rule.description}{only}. Cue: "{rule.cue.replace("{side} ", "")}"')
    return lines


def measure_line(spec: ExerciseSpec) -> str:
    """The ``[measure]`` the spec declares, in words: what it measures, its report section, how events are dated."""
    m = spec.measure
    line = f'Measure ({m.kind}): {MEASURE_WORDS[m.kind]}; report section "{MEASURE_SECTIONS[m.kind]}".'
    if m.contact is not None:
        line += (f" A foot is off the floor above {m.contact.up_above:g} leg lengths and back on it below "
                 f"{m.contact.down_below:g}.")
    if m.kind in EVENT_MEASURES:
        track = "unsmoothed track (free of the smoothing filter's lag)" if m.dates_on_unsmoothed else "smoothed track"
        line += f" Its events (lift-off, touch-down, take-off, landing) are dated on the {track}."
    return line


def not_checked_lines(spec: ExerciseSpec) -> list[str]:
    """What formcheck does not check for this exercise, said plainly."""
    lines = []
    kah = spec.safety.knee_above_hip
    if not kah.enabled:
        lines.append(f"{SAFETY_RULE_ID} (safety) is off: {kah.reason}")
    for rule in spec.rules:
        if spec.view not in _rule_views(rule):
            other = " or ".join(sorted(_rule_views(rule)))
            lines.append(
                f"{rule.id}: needs a {other} view; with the {spec.view} camera described above it is "
                "reported as not measured."
            )
    lines.extend(f"{item.id}: {item.reason}" for item in spec.not_measured)
    lines.append(
        "Anything the camera cannot see (landmarks hidden or out of the picture) is reported as "
        "not measured, never as a pass or a fault."
    )
    return lines


def setup_words(spec: ExerciseSpec) -> str:
    """The set-ups the exercise is judged from ([setup]): views, body turn, camera height, frontal measures."""
    setup = spec.setup
    parts = [f"a {' or '.join(spec.setup_views)} view, the body turned at most {setup.max_turn_deg:g} degrees "
             f"from the {spec.view} view (or the camera that far off to one side)"]
    if setup.camera_height_m is not None:
        parts.append(f"the camera {setup.camera_height_m.min:g} to {setup.camera_height_m.max:g} m above the floor")
    frontal = sorted({(ref.base, spec.frontal_limit(ref.base)) for rule in spec.rules for c in rule.all_checks()
                      if (ref := parse_metric(c.metric)) is not None and spec.frontal_limit(ref.base) is not None})
    if frontal:
        limits = ", ".join(f"{METRICS[base].plain} within {limit:g}" for base, limit in frontal)
        parts.append(f"angles seen from the front only while you face the camera ({limits} degrees); "
                     "turned further they are not measured")
    return "; ".join(parts) + "."


def describe(spec: ExerciseSpec) -> str:
    """The text of `formcheck exercises show ID`."""
    out = [f"{spec.name} ({spec.id}) - {spec.category}", spec.summary, ""]
    out.append(f"Starting position: {POSITION_WORDS[spec.start_position]}")
    out.append(f"Camera: {spec.view} view. {spec.camera}")
    out.append(f"Judged from: {setup_words(spec)}")
    meaning = f"; the side reported is {spec.side_meaning}" if spec.side_meaning else ""
    out.append(f"Sides: {SIDES_WORDS[spec.sides]}{meaning}")
    out.append(f"Dose: {dose_words(spec)}")
    out += ["", "Instructions:"]
    out += [f"  {i}. {step}" for i, step in enumerate(spec.instructions, 1)]
    out += ["", "What formcheck checks:"]
    out += [f"  - {line}" for line in checked_lines(spec)]
    out += ["", "What formcheck does not check:"]
    out += [f"  - {line}" for line in not_checked_lines(spec)]
    if spec.variants:
        out += ["", "Variants:"]
        out += [f"  - {v.name} ({v.id}): {v.instructions}" for v in spec.variants]
    if spec.path:
        out += ["", f"Spec file: {spec.path}"]
    return "\n".join(out)


def list_table(specs: list[ExerciseSpec]) -> str:
    """The text of `formcheck exercises`: one line per exercise, grouped by category."""
    width = max((len(s.id) for s in specs), default=10)
    out = []
    category = None
    for spec in specs:
        if spec.category != category:
            category = spec.category
            out.append(f"{category.capitalize()}:" if not out else f"\n{category.capitalize()}:")
        out.append(f"  {spec.id:<{width}}  {spec.mode:<5}  {spec.view:<5}  {spec.name}")
    out.append("")
    out.append("`formcheck exercises show ID` prints the instructions, camera set-up, dose and what is checked.")
    return "\n".join(out)
