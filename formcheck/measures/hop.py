"""Single-leg hop for distance (side view): distance, held landing and the limb symmetry index.

Distance runs from the toe at take-off to the heel at landing (as the clinical hop test is measured,
Noyes et al. 1991, Am J Sports Med 19:513-518), in leg lengths (hip joint to ankle, the metrics' scale)
and in cm when the patient gives their leg length (hip joint to ankle) or height; from height the leg
is taken as 0.491 x height (thigh 0.245 + shank 0.246 of stature: Drillis & Contini 1966, as tabulated by
Winter, Biomechanics and Motor Control of Human Movement, 4th ed. 2009). A landing is held when for
2 s neither the other foot touches down nor the hopping foot leaves the floor. LSI = involved /
uninvolved x 100 on the best hop of each side, flagged below 90%.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from formcheck.landmarks import BODY_SIDES, side_index
from formcheck.kinematics.metrics import MetricTable
from formcheck.track import PoseTrack
from formcheck.measures.common import col, not_measured, other_side, r, view_of, window
from formcheck.measures.flight import foot_intervals, single_leg_flights, with_settings

LEG_PER_HEIGHT = 0.491
HOLD_S = 2.0
TOE_WINDOW_S = (-0.2, -0.05)  # the toe while pushing off, relative to take-off
LANDED_WINDOW_S = (0.1, 0.4)  # the heel once landed, relative to landing
LSI_FLAG_PCT = 90.0
# Thresholds above each foot's own resting height: in a side view the far foot rests a few hundredths of a
# leg length higher in the picture than the near one.
HOP_CONTACT = with_settings(relative=True, start_down_below=0.09)


def measure_single_leg_hop(spec, track: PoseTrack, table: MetricTable, views: np.ndarray, options: Any,
                           raw: MetricTable | None = None) -> dict[str, Any]:
    """The "single_leg_hop" report section: one record per hop, per-side bests and the LSI (``raw``: metrics
    of the unsmoothed track, on which take-off and landing are dated)."""
    t_s = np.asarray(track.t_s, dtype=float)
    spans = {s: foot_intervals(table, t_s, s, HOP_CONTACT, raw) for s in BODY_SIDES}
    hops = single_leg_flights(table, t_s, settings=HOP_CONTACT, spans=spans)
    leg_cm, leg_source = _leg_cm(options)
    records = [_hop_record(i + 1, side, f, track, table, views, t_s, spans, leg_cm) for i, (side, f) in enumerate(hops)]
    view = view_of(views)
    return {
        "test": "single_leg_hop",
        "method": "distance from the toe at take-off to the heel at landing; held landing = 2 s without a touch",
        "view": view,
        "distance": {"measured": True, "unit": "leg lengths (hip joint to ankle)"} if view == "side" else
        not_measured(_along_camera_axis(view)),
        "leg_length_cm": {"value": r(leg_cm, 1), "source": leg_source} if leg_cm else
        not_measured("give the leg length or height to get centimetres"),
        "hops": records,
        "sides": _sides(records, getattr(options, "involved_side", None)),
    }


def _along_camera_axis(view: str) -> str:
    if view == "front":
        return "a forward hop runs along the camera axis in a front view: film from the side"
    return f"the camera view is {view}: film from the side to measure hop distance"


def _leg_cm(options: Any) -> tuple[float | None, str]:
    if getattr(options, "leg_length_cm", None):
        return float(options.leg_length_cm), "given"
    if getattr(options, "height_cm", None):
        return LEG_PER_HEIGHT * float(options.height_cm), "0.491 x height (Drillis & Contini 1966, in Winter 2009)"
    return None, ""


def _hop_record(n: int, side: str, flight, track: PoseTrack, table: MetricTable, views: np.ndarray,
                t_s: np.ndarray, spans: dict, leg_cm: float | None) -> dict[str, Any]:
    view = view_of(views, window(t_s, flight.takeoff_s - 0.3, flight.landing_s + 0.5))
    record: dict[str, Any] = {"n": n, "side": side, "view": view, "takeoff_s": r(flight.takeoff_s),
                              "landing_s": r(flight.landing_s), "flight_time_s": r(flight.flight_s)}
    if view != "side":
        record["distance_leg_lengths"] = not_measured(_along_camera_axis(view))
        record["distance_cm"] = not_measured("needs a side view")
    else:
        dist = _distance_legs(track, table, t_s, side, flight)
        record["distance_leg_lengths"] = r(dist, 3) if dist is not None else \
            not_measured("the foot was not seen at take-off or landing")
        record["distance_cm"] = r(dist * leg_cm, 1) if dist is not None and leg_cm else \
            not_measured("give the leg length or height to get centimetres" if dist is not None else "no distance")
    record["held_landing"] = _held(flight.landing_s, side, spans, t_s)
    return record


def _distance_legs(track: PoseTrack, table: MetricTable, t_s: np.ndarray, side: str, flight) -> float | None:
    """Toe just before take-off to the heel once landed, over the leg length in pixels (medians over short
    windows: the toe while pushing off, TOE_WINDOW_S; the heel in LANDED_WINDOW_S after landing)."""
    xy, vis = track.xy_px, track.visibility
    toe, heel, ankle = side_index(side, "foot_index"), side_index(side, "heel"), side_index(side, "ankle")
    pushing = window(t_s, flight.takeoff_s + TOE_WINDOW_S[0], flight.takeoff_s + TOE_WINDOW_S[1])
    landed = window(t_s, flight.landing_s + LANDED_WINDOW_S[0], flight.landing_s + LANDED_WINDOW_S[1])
    toe_ok = pushing & (vis[:, toe] >= 0.5) & np.isfinite(xy[:, toe, 0])
    heel_ok = landed & (vis[:, heel] >= 0.5) & np.isfinite(xy[:, heel, 0])
    if not toe_ok.any() or not heel_ok.any():
        return None
    toe_x = float(np.median(xy[toe_ok, toe, 0]))
    heel_x = float(np.median(xy[heel_ok, heel, 0]))
    direction = np.sign(float(np.nanmedian(xy[heel_ok, ankle, 0])) - float(np.nanmedian(xy[toe_ok, ankle, 0])))
    legs = col(table, "leg_length_px")[toe_ok]
    legs = legs[np.isfinite(legs) & (legs > 0)]
    if not legs.size or direction == 0:
        return None
    return (heel_x - toe_x) * direction / float(np.median(legs))


def _held(landing_s: float, side: str, spans: dict, t_s: np.ndarray) -> dict[str, Any]:
    """Whether the landing was held for HOLD_S without the other foot or another hop."""
    if t_s[-1] < landing_s + HOLD_S:
        return not_measured(f"the clip ends {t_s[-1] - landing_s:.1f} s after landing (needs {HOLD_S:g} s)")
    other = other_side(side)
    touches = [end for start, end in spans[other] if start < landing_s < end]
    other_down = touches[0] if touches else landing_s  # the other foot was already down at landing
    lifts = [start for start, _ in spans[side] if landing_s < start]
    next_hop = lifts[0] if lifts else np.inf
    broken = min(other_down, next_hop)
    held = broken >= landing_s + HOLD_S
    out: dict[str, Any] = {"held": bool(held), "required_s": HOLD_S}
    if not held:
        out["broken_after_s"] = r(broken - landing_s, 2)
        out["by"] = "the other foot touched down" if other_down <= next_hop else "another hop"
    return out


def _sides(records: list[dict[str, Any]], involved: str | None) -> dict[str, Any]:
    best: dict[str, float] = {}
    out: dict[str, Any] = {}
    for side in BODY_SIDES:
        dists = [h["distance_leg_lengths"] for h in records if h["side"] == side
                 and isinstance(h["distance_leg_lengths"], (int, float))]
        if dists:
            best[side] = max(dists)
            out[side] = {"hops": len(dists), "best_leg_lengths": r(max(dists), 3)}
        else:
            out[side] = not_measured(f"no measured hop on the {side} leg")
    if len(best) < 2 or min(best.values()) <= 0:
        out["lsi_pct"] = not_measured("needs a measured hop on each leg")
        return out
    if involved in BODY_SIDES:
        lsi = 100.0 * best[involved] / best[other_side(involved)]
        out["lsi_pct"] = {"value": r(lsi, 1), "involved": involved, "flag": lsi < LSI_FLAG_PCT}
    else:
        lsi = 100.0 * min(best.values()) / max(best.values())
        out["lsi_pct"] = {"value": r(lsi, 1), "involved": None, "flag": lsi < LSI_FLAG_PCT,
                          "note": "involved side not given: shorter side over longer side"}
    return out
