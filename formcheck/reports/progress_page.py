"""progress.html: a month (or a year) of sessions for the therapist and the patient, from progress.json's figures.

    html = render_progress(progress)     # the dict build_progress made; every number shown comes from it

Adherence first (per exercise and week, and a calendar of the days exercised), then per exercise its trends
against the prescription's target, the clinical tests (stance per leg against the age norm, hop symmetry, knee
FPPA), knee-above-hip events per week, pain and the patient's scores, and the figures used to call a change
real, with their sources. No script; every text from the plan or the history is escaped.
"""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import PurePath
from typing import Any

from formcheck.reports.charts import Chart, Line, Threshold, render
from formcheck.reports.html import Markup, esc, join, page, section, table, tag

MAX_BAR_LABELS = 16


def _pct(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction:.0%}"


def _num(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{float(value):.{digits}f}"


def _dates(points: list[dict]) -> list[date]:
    return [date.fromisoformat(p["date"]) for p in points]


def _chart(chart: Chart) -> Markup:
    return Markup(f'<div class="chart">{render(chart)}</div>')


def _bars(title: str, y_label: str, labels: list[str], series: dict[str, list[float]]) -> Markup:
    step = max(1, -(-len(labels) // MAX_BAR_LABELS))
    shown = [label.split("-")[-1] if i % step == 0 else "" for i, label in enumerate(labels)]
    lines = tuple(Line(name, shown, values) for name, values in series.items())
    span = f"ISO week ({labels[0]} to {labels[-1]})" if labels else "ISO week"
    return _chart(Chart(title, y_label, span, lines=lines, kind="bar", y_min=0))


def _change_text(c: dict[str, Any] | None) -> Markup:
    if c is None:
        return Markup("")
    words = f"{c['measure']}: {c['first']:g} to {c['last']:g} ({c['change']:+g})"
    if c["threshold"] is None:
        verdict = f"not judged: {c['note']}"
    elif c["real"]:
        verdict = f"a real change: more than the {c['threshold_kind']} of {c['threshold']:g} {c['unit']}"
    else:
        verdict = f"within the {c['threshold_kind']} of {c['threshold']:g} {c['unit']}: not a real change"
    return tag("li", f"{words}; {verdict}.")


def _week_total(adherence: list[dict[str, Any]], week: str, *, capped: bool) -> int:
    """Days prescribed in ``week`` over the exercises, or (capped) days done, each at most its prescription."""
    total = 0
    for a in adherence:
        w = a["weeks"].get(week, {})
        prescribed = w.get("prescribed") or 0
        total += min(w.get("done", 0), prescribed) if capped else prescribed
    return total


def adherence_section(progress: dict[str, Any]) -> Markup:
    """Per exercise: prescribed against done; the weeks as bars; the calendar of days exercised."""
    adherence = progress["adherence"]
    rows = [(a["name"], "-" if a["prescribed"] is None else a["prescribed"], a["done"], _pct(a["fraction"]))
            for a in adherence.values()]
    weeks = sorted({w for a in adherence.values() for w in a["weeks"]})
    planned = [a for a in adherence.values() if a["prescribed"] is not None]
    if planned:  # the plan's exercises: days prescribed, and days done (each week at most its prescription)
        series = {"prescribed": [_week_total(planned, w, capped=False) for w in weeks],
                  "done": [_week_total(planned, w, capped=True) for w in weeks]}
    else:
        series = {"exercise days": [sum(a["weeks"].get(w, {}).get("done", 0) for a in adherence.values())
                                    for w in weeks]}
    parts: list[object] = [table(("exercise", "days prescribed", "days done", "adherence"), rows)]
    if weeks:
        parts.append(_bars("Exercise days per week", "days", weeks, series))
    parts.append(tag("h3", "Days exercised"))
    parts.append(calendar_html(progress["calendar"], progress["period"]))
    return section("Adherence", *parts, id_="adherence")


def calendar_html(days: list[str], period: dict[str, str]) -> Markup:
    """One small month grid per month of the period, the days exercised filled in."""
    done = set(days)
    first, last = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
    months, (y, m) = [], (first.year, first.month)
    while (y, m) <= (last.year, last.month):
        weeks = calendar.Calendar().monthdatescalendar(y, m)
        rows = []
        for week in weeks:
            cells = []
            for d in week:
                state = "out" if d.month != m or not first <= d <= last else (
                    "done" if d.isoformat() in done else "none")
                cells.append(f'<td class="{state}" title="{d.isoformat()}">{d.day}</td>')
            rows.append("<tr>" + "".join(cells) + "</tr>")
        head = "".join(f"<th>{d}</th>" for d in ("M", "T", "W", "T", "F", "S", "S"))
        months.append(f'<table class="calendar"><caption>{calendar.month_name[m]} {y}</caption>'
                      f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    legend = tag("p", "Filled: a day with at least one exercise session.", class_="note")
    return Markup('<div class="thumbs">' + "".join(months) + "</div>" + legend)


def exercise_section(exercise_id: str, info: dict[str, Any]) -> Markup:
    """One exercise: reps, range of motion and holds per session against the targets, and the changes."""
    points = info["sessions"]
    x = _dates(points)
    parts: list[object] = [tag("p", f"{len(points)} sessions.", class_="note")]
    plots = (("reps", "rep_target", "Reps per session", "reps", "reps done", "prescribed"),
             ("rom", "rom_target", "Range of motion per session (best rep)", "deg", "best rep", "rep target"),
             ("longest_hold_s", "hold_target_s", "Longest hold per session", "s", "longest hold", "hold target"))
    for key, target_key, title, unit, label, target_label in plots:
        values = [p[key] for p in points]
        if not any(v for v in values):
            continue
        targets = [p[target_key] for p in points if p[target_key] is not None]
        thresholds = (Threshold(targets[-1], f"{target_label} {targets[-1]:g}", "vermillion"),) if targets else ()
        metric = next((p["rom_metric"] for p in points if p.get("rom_metric")), None) if key == "rom" else None
        y_label = f"{metric.replace('_', ' ')} ({unit})" if metric else unit
        parts.append(_chart(Chart(title, y_label, "date", lines=(Line(label, x, values, markers=True),),
                                  thresholds=thresholds)))
    changes = [_change_text(c) for c in info["changes"]]
    if changes:
        parts.append(Markup("<ul>" + join(changes) + "</ul>"))
    return section(info["name"], *parts, id_=f"exercise-{exercise_id}")


def tests_section(progress: dict[str, Any]) -> Markup | None:
    """Single-leg stance per leg against the norm, hop LSI, knee FPPA."""
    parts: list[object] = []
    stance = progress["single_leg_stance"]
    if stance:
        points = stance["sessions"]
        x = _dates(points)
        norm = stance["norm_s"]
        thresholds = (Threshold(norm, f"age norm {norm:g} s", "black"),) if norm else ()
        parts.append(_chart(Chart("Single-leg stance, best per leg", "s", "date", thresholds=thresholds, lines=(
            Line("left leg", x, [p["left_s"] for p in points], markers=True),
            Line("right leg", x, [p["right_s"] for p in points], markers=True)))))
        ratio = [p["left_to_right"] for p in points if p["left_to_right"] is not None]
        norm_text = (f"Age norm: {norm:g} s ({stance['norm'].get('source')})." if norm
                     else f"No age norm: {stance['norm'].get('reason')}.")
        parts.append(tag("p", norm_text + (f" Latest left/right ratio {ratio[-1]:.2f}." if ratio else "")))
        parts.append(Markup("<ul>" + join(_change_text(c) for c in stance["changes"]) + "</ul>"))
    if progress["hop_lsi"]:
        points = progress["hop_lsi"]
        parts.append(_chart(Chart("Hop limb symmetry index", "%", "date", lines=(
            Line("LSI", _dates(points), [p["lsi_pct"] for p in points], markers=True),),
            thresholds=(Threshold(90, "90% (return-to-sport rule of thumb)", "vermillion"),))))
    fppa = progress["knee_fppa"]
    if fppa:
        points = fppa["sessions"]
        parts.append(_chart(Chart("Single-leg squat: knee FPPA at peak depth", "deg", "date", lines=(
            Line("mean |FPPA|", _dates(points), [p["fppa_deg"] for p in points], markers=True),))))
        parts.append(Markup("<ul>" + _change_text(fppa["change"]) + "</ul>"))
    return section("Clinical tests", *parts, id_="tests") if parts else None


def safety_pain_section(progress: dict[str, Any]) -> Markup:
    """Knee-above-hip events per week, pain ratings, patient-reported scores."""
    weeks = progress["knee_above_hip_per_week"]
    parts: list[object] = [_bars("Knee above hip, events per week", "events", list(weeks),
                                 {"knee above hip": list(weeks.values())}),
                           tag("p", f"{sum(weeks.values())} knee-above-hip events in the period.")]
    pain = progress["pain"]
    if pain["ratings"]:
        points = pain["ratings"]
        parts.append(_chart(Chart("Pain (0 no pain, 10 worst)", "rating 0-10", "date", y_min=0, lines=(
            Line("before", _dates(points), [p["before"] for p in points], markers=True),
            Line("after", _dates(points), [p["after"] for p in points], markers=True)))))
        parts.append(Markup("<ul>" + _change_text(pain["change_before"]) + "</ul>"))
    for measure, entry in progress["scores"].items():
        values = entry["values"]
        thresholds = ()
        if entry["mcid"]:
            line = values[0]["value"] + entry["mcid"]
            thresholds = (Threshold(line, f"first + MCID ({entry['mcid']:g}) = {line:g}", "vermillion"),)
        parts.append(_chart(Chart(f"{measure} (entered by hand)", "points", "date", thresholds=thresholds,
                                  lines=(Line(measure, _dates(values), [v["value"] for v in values], markers=True),))))
        parts.append(Markup("<ul>" + _change_text(entry["change"]) + "</ul>"))
    return section("Safety, pain and scores", *parts, id_="safety")


def render_progress(progress: dict[str, Any]) -> Markup:
    """The whole page."""
    period = progress["period"]
    who = progress["patient"] or "all patients"
    facts = [f"{period['from']} to {period['to']}", f"{progress['session_count']} sessions"]
    if progress["plan"]:
        facts.append(f"plan: {PurePath(progress['plan']).name}")
    parts: list[object] = [tag("h1", f"Progress: {who}"), tag("p", " · ".join(facts), class_="facts")]
    notes = progress.get("plan_notes") or {}
    if notes:
        items = join(tag("li", Markup(f"{tag('strong', k)}: {esc(v)}")) for k, v in notes.items())
        parts.append(section("The plan's notes", Markup(f"<ul>{items}</ul>")))
    parts.append(adherence_section(progress))
    parts.extend(exercise_section(e, info) for e, info in progress["exercises"].items())
    tests = tests_section(progress)
    if tests is not None:
        parts.append(tests)
    parts.append(safety_pain_section(progress))
    figures = [(f["measure"], f["kind"], f"{f['value']:g} {f['unit']}", f["source"] + (f" ({f['note']})" if f["note"]
                                                                                       else ""))
               for f in progress["figures"]]
    parts.append(section("When a change is real", tag("p", "A change is called real only when it is larger than "
                         "the measure's smallest detectable difference (SDD) or minimal clinically important "
                         "difference (MCID). These figures are used:"),
                         table(("measure", "figure", "value", "source"), figures)))
    parts.append(Markup("<footer>" + esc("formcheck is not a medical device; it reports what the camera saw.")
                        + "</footer>"))
    return page(f"Progress: {who}", join(parts))
