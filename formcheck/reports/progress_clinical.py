"""The clinical tests over time for the progress report: single-leg stance per leg against the age norm and the
left/right ratio, the hop's limb symmetry index, the single-leg squat's knee FPPA, pain ratings and scores.

Stance times come from the history's holds (the stance leg is the hold's side); the norm, LSI and FPPA from the
measure sections of each session's report.json while the file is still where it was written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from formcheck.measures.norms import stance_reference
from formcheck.reports import clinical


CHANGE_WINDOW = 3  # a change compares the mean of the first and of the last sessions, this many each


def change(values: list[float], figure: clinical.Figure | None, *, what: str) -> dict[str, Any] | None:
    """First sessions against last sessions (mean of up to CHANGE_WINDOW each); real only past the figure."""
    values = [v for v in values if v is not None]
    if len(values) < 2:
        return None
    n = min(CHANGE_WINDOW, len(values) // 2)
    first, last = sum(values[:n]) / n, sum(values[-n:]) / n
    delta = round(last - first, 2)
    out: dict[str, Any] = {"measure": what, "first": round(first, 2), "last": round(last, 2), "change": delta,
                           "sessions_each": n, "real": bool(figure is not None and abs(delta) > figure.value)}
    if figure is not None:
        out.update({"threshold": figure.value, "threshold_kind": figure.kind, "unit": figure.unit,
                    "source": figure.source})
    else:
        out["threshold"] = None
        out["note"] = "no published smallest detectable difference for this measure as formcheck takes it"
    return out


def report_sections(path: str | None) -> dict[str, Any]:
    """The measure sections of a session's report.json, when the file is still there."""
    if not path:
        return {}
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {v["test"]: v for v in report.values() if isinstance(v, dict) and isinstance(v.get("test"), str)}


# --- the figures --------------------------------------------------------------------------------------


def _sections_of(sessions: list[dict], kind: str, exercises: dict[str, Any]) -> list[tuple[dict, dict]]:
    """(session, its report's measure sections) for the sessions of exercises measured by `kind`."""
    ids = {e for e, info in exercises.items() if info["measure"] == kind}
    return [(s, report_sections(s["report_path"])) for s in sessions if s["exercise"] in ids]


def stance(sessions: list[dict], exercises: dict[str, Any], age: int | None) -> dict[str, Any] | None:
    """Best stance per leg per session, the age norm and the left/right ratio; None without stance sessions."""
    found = _sections_of(sessions, "stance", exercises)
    if not found:
        return None
    points, norm = [], None
    for s, sections in found:
        best = {side: max((h["duration_s"] for h in s["holds"] if h["side"] == side and h["duration_s"]),
                          default=None) for side in ("left", "right")}
        ratio = round(best["left"] / best["right"], 3) if best["left"] and best["right"] else None
        points.append({"session_id": s["id"], "date": s["date"], "left_s": best["left"], "right_s": best["right"],
                       "left_to_right": ratio})
        reference = sections.get("single_leg_stance", {}).get("reference") or {}
        if reference.get("reference_s") is not None:
            norm = reference
    if norm is None and age is not None:
        norm = stance_reference(age, False, "firm")
    return {
        "sessions": points,
        "norm_s": norm.get("reference_s") if norm else None,
        "norm": norm if norm else {"measured": False, "reason": "age not given (use --age, or analyze with --age)"},
        "changes": [c for c in (change([p["left_s"] for p in points], None, what="stance left (s)"),
                                change([p["right_s"] for p in points], None, what="stance right (s)")) if c],
    }


def hop(sessions: list[dict], exercises: dict[str, Any]) -> list[dict[str, Any]]:
    """The limb symmetry index per hop session (from its report), oldest first."""
    out = []
    for s, sections in _sections_of(sessions, "hop", exercises):
        lsi = (sections.get("single_leg_hop") or {}).get("lsi_pct") or {}
        if isinstance(lsi.get("value"), (int, float)):
            out.append({"session_id": s["id"], "date": s["date"], "lsi_pct": lsi["value"],
                        "involved": lsi.get("involved"), "below_90": bool(lsi.get("flag"))})
    return out


def fppa(sessions: list[dict], exercises: dict[str, Any]) -> dict[str, Any] | None:
    """The single-leg squat's mean absolute knee FPPA at peak depth per session, judged by its SDD."""
    points = []
    for s, sections in _sections_of(sessions, "single_leg_squat", exercises):
        reps = (sections.get("single_leg_squat") or {}).get("reps") or []
        values = [abs(r["knee_fppa_at_peak_deg"]) for r in reps if isinstance(r.get("knee_fppa_at_peak_deg"),
                                                                            (int, float))]
        if values:
            points.append({"session_id": s["id"], "date": s["date"],
                           "fppa_deg": round(sum(values) / len(values), 2)})
    if not points:
        return None
    return {"sessions": points, "sdd": clinical.FPPA_SDD.value, "source": clinical.FPPA_SDD.source,
            "change": change([p["fppa_deg"] for p in points], clinical.FPPA_SDD, what="knee FPPA (deg)")}


def pain(ratings: list[dict]) -> dict[str, Any]:
    """Pain before and after, per visit, and whether the change passes the pain scale's MCID."""
    figure = clinical.PAIN_MCID
    return {"ratings": ratings, "mcid": figure.value, "source": figure.source,
            "change_before": change([r["before"] for r in ratings], figure, what="pain before exercise (0-10)")}


def scores(rows: list[dict]) -> dict[str, Any]:
    """Hand-entered scores per measure, with its MCID line and whether the change passes it."""
    out: dict[str, Any] = {}
    for row in rows:
        entry = out.setdefault(row["measure"], {"values": []})
        entry["values"].append({"date": row["day"], "value": row["value"]})
    for measure, entry in out.items():
        figure = clinical.mcid_of(measure)
        entry["mcid"] = figure.value if figure else None
        entry["source"] = figure.source if figure else None
        entry["change"] = change([v["value"] for v in entry["values"]], figure, what=measure)
    return out
