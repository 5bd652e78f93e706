"""Jump landing: take-off and landing from the feet's height above the floor (decided on the smoothed track,
dated on the unsmoothed one: flight.foot_intervals), flight time and jump
height, the landing at initial contact (IC) and at peak knee flexion, stabilisation time, and the
items of the Landing Error Scoring System (LESS; Padua et al. 2009, Am J Sports Med 37:1996-2002)
that the camera's view can see.

Jump height from flight time: h = g t^2 / 8 (a ballistic flight; Bosco et al. 1983), which assumes
the body lands in the posture it took off in. Frontal-plane angles (FPPA, lateral trunk lean, stance
width) need a front view; sagittal ones (trunk and hip flexion) a side view.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from formcheck.landmarks import BODY_SIDES, side_index
from formcheck.kinematics.metrics import MetricTable
from formcheck.track import PoseTrack
from formcheck.measures.common import col, index_at, not_measured, r, value_near, view_of, window
from formcheck.measures.flight import HEIGHT_OF_BOTH, Flight, find_flights

G = 9.81
SYMMETRIC_CONTACT_S = 0.07  # both feet within about two frames at 30 fps
PEAK_SEARCH_S = 1.0  # peak knee flexion is looked for within this time after IC
STABLE_SPEED = 0.25  # leg lengths / s of the pelvis: settled below this ...
STABLE_FOR_S = 0.25  # ... for this long
MAX_FPPA_KNEE_DEG = 100.0  # FPPA of a knee bent further than this is not a valgus measure
# A knee bent k degrees in a body turned y degrees from the camera shows a sideways bend of about
# 2 atan(tan(k / 2) sin y) in the picture (thigh and shank each k / 2 off the hip-ankle line): the FPPA is read
# only while that stays within this many degrees.
MAX_FPPA_TURN_ERROR_DEG = 6.0
UPRIGHT_MAX_TRUNK_DEG = 15.0  # the body's turn is read while standing tall (a bent trunk hides it)
TURN_WINDOW_S = 2.0  # ... within this long before take-off and after landing
FEET_SEEN_MIN_SHARE = 0.5  # fewer frames with both feet seen: "not measured", the feet were out of view
FRONT_ONLY = "a frontal-plane measure: needs a front view"
SIDE_ONLY = "a sagittal-plane measure: needs a side view"


def jump_height_m(flight_s: float) -> float:
    """Height of the centre of mass rise from flight time, h = g t^2 / 8."""
    return G * flight_s**2 / 8.0


def measure_jump_landing(spec, track: PoseTrack, table: MetricTable, views: np.ndarray, options: Any,
                         raw: MetricTable | None = None) -> dict[str, Any]:
    """The "jump_landing" report section: one record per jump (``raw``: metrics of the unsmoothed track,
    on which take-off and landing are dated)."""
    t_s = np.asarray(track.t_s, dtype=float)
    flights = find_flights(table, t_s, raw=raw)
    jumps = [_jump_record(i + 1, f, track, table, views, t_s) for i, f in enumerate(flights)]
    section: dict[str, Any] = {
        "test": "jump_landing",
        "method": ("take-off and landing from both feet's height above the floor line, dated at the corners of "
                   "the unsmoothed height curves; h = g t^2 / 8"),
        "jumps": jumps,
        "less_source": "Padua DA et al. The Landing Error Scoring System (LESS). Am J Sports Med. 2009;37:1996-2002",
    }
    if not jumps:
        section["summary"] = not_measured(_no_flight_reason(table))
    else:
        flights_s = [j["flight_time_s"] for j in jumps]
        section["summary"] = {"jumps": len(jumps), "mean_flight_time_s": r(float(np.mean(flights_s))),
                              "max_height_cm": r(max(j["jump_height_cm"] for j in jumps), 1)}
    return section


def _no_flight_reason(table: MetricTable) -> str:
    """Why no jump was found: the feet out of view (their lift cannot be seen), or no flight in the clip."""
    seen = np.isfinite(col(table, HEIGHT_OF_BOTH))
    share = float(seen.mean()) if seen.size else 0.0
    if share < FEET_SEEN_MIN_SHARE:
        return (f"both feet and the floor line were seen in only {share:.0%} of frames (out of the picture or "
                "hidden), so no take-off or landing can be seen: move the camera back or aim it lower so that "
                "your feet stay in the picture")
    return "no flight (both feet off the floor) was found"


def _jump_record(n: int, flight: Flight, track: PoseTrack, table: MetricTable, views: np.ndarray,
                 t_s: np.ndarray) -> dict[str, Any]:
    view = view_of(views, window(t_s, flight.takeoff_s - 0.5, flight.landing_s + PEAK_SEARCH_S))
    ic = index_at(t_s, flight.landing_s)
    peak = _peak_knee_index(table, t_s, ic)
    contact_gap = abs(flight.touch_s["left"] - flight.touch_s["right"])
    turn = body_turn_deg(table, t_s, flight)
    record: dict[str, Any] = {
        "n": n, "view": view, "takeoff_s": r(flight.takeoff_s), "landing_s": r(flight.landing_s),
        "flight_time_s": r(flight.flight_s), "jump_height_cm": r(100 * jump_height_m(flight.flight_s), 1),
        "touch_down_s": {s: r(flight.touch_s[s]) for s in BODY_SIDES},
        "landing_symmetry": {"contact_gap_s": r(contact_gap), "symmetric": contact_gap <= SYMMETRIC_CONTACT_S},
        "body_turn_deg": r(turn, 1),
        "initial_contact": _posture(table, ic, view, turn),
        "peak_knee_flexion": {"t_s": r(float(t_s[peak])), **_posture(table, peak, view, turn)},
        "stabilisation_time_s": _stabilisation(table, t_s, ic),
    }
    record["less"] = _less(record, track, table, ic, peak, view)
    return record


def _peak_knee_index(table: MetricTable, t_s: np.ndarray, ic: int) -> int:
    mask = window(t_s, t_s[ic], t_s[ic] + PEAK_SEARCH_S)
    knees = np.nanmean(np.stack([col(table, f"knee_flexion_{s}") for s in BODY_SIDES]), axis=0) \
        if len(t_s) else np.zeros(0)
    knees = np.where(mask, knees, np.nan)
    return int(np.nanargmax(knees)) if np.isfinite(knees).any() else ic


def _posture(table: MetricTable, i: int, view: str, yaw: float) -> dict[str, Any]:
    """The angles at frame i that this view shows (``yaw``: the body's turn from the camera, degrees)."""
    out: dict[str, Any] = {}
    for s in BODY_SIDES:
        out[f"knee_flexion_{s}_deg"] = r(value_near(col(table, f"knee_flexion_{s}"), i), 1)
        knee = value_near(col(table, f"knee_flexion_{s}"), i)
        out[f"knee_fppa_{s}_deg"] = _fppa(table, i, s, view, knee, yaw)
    if view == "front":
        knees = [value_near(col(table, f"knee_flexion_{s}"), i) for s in BODY_SIDES]
        errors = [fppa_turn_error_deg(k, yaw) for k in knees]
        out["fppa_turn_error_deg"] = r(max(errors), 1) if all(np.isfinite(errors)) else None
        out[f"hip_flexion_{s}_deg"] = r(value_near(col(table, f"hip_flexion_{s}"), i), 1) if view == "side" \
            else not_measured(SIDE_ONLY)
    out["trunk_flexion_deg"] = r(value_near(col(table, "trunk_inclination"), i), 1) if view == "side" \
        else not_measured(SIDE_ONLY)
    out["trunk_lateral_lean_deg"] = r(value_near(col(table, "trunk_lateral_lean"), i), 1) if view == "front" \
        else not_measured(FRONT_ONLY)
    return out


def fppa_turn_error_deg(knee_flexion_deg: float, body_yaw_deg: float) -> float:
    """How far a knee's sagittal bend shows as a sideways angle in the picture when the body is turned from the
    camera: atan(tan(knee flexion) * sin(body yaw)), degrees (NaN when either is unknown)."""
    if not (np.isfinite(knee_flexion_deg) and np.isfinite(body_yaw_deg)):
        return float("nan")
    half = np.radians(min(abs(knee_flexion_deg), 179.0) / 2)
    return float(np.degrees(2 * np.arctan(np.tan(half) * np.sin(np.radians(abs(body_yaw_deg))))))


def body_turn_deg(table: MetricTable, t_s: np.ndarray, flight: Flight) -> float:
    """The body's turn from the camera around a jump: the median body yaw over the frames standing tall within
    ``TURN_WINDOW_S`` of it (the torso's width ratio reads a bent-over trunk as facing the camera); NaN if none."""
    near = window(t_s, flight.takeoff_s - TURN_WINDOW_S, flight.landing_s + TURN_WINDOW_S)
    yaw, trunk = col(table, "body_yaw"), col(table, "trunk_inclination")
    upright = near & np.isfinite(yaw) & (trunk < UPRIGHT_MAX_TRUNK_DEG)
    return float(np.median(yaw[upright])) if upright.any() else float("nan")


def _fppa(table: MetricTable, i: int, side: str, view: str, knee: float, yaw: float) -> Any:
    """The knee's FPPA at frame i, or "not measured" with the reason (wrong view, body turned, knee too bent)."""
    if view != "front":
        return not_measured(FRONT_ONLY)
    if knee > MAX_FPPA_KNEE_DEG:
        return not_measured(f"knee bent past {MAX_FPPA_KNEE_DEG:g} deg: FPPA is not meaningful")
    error = fppa_turn_error_deg(knee, yaw)
    if not np.isfinite(error):
        return not_measured("the body's turn from the camera is not known: FPPA cannot be trusted")
    if error > MAX_FPPA_TURN_ERROR_DEG:
        return not_measured(f"the body is turned {yaw:.0f} deg from the camera: with the knee bent {knee:.0f} deg "
                            f"the picture adds up to {error:.0f} deg of false valgus or varus "
                            f"(needs under {MAX_FPPA_TURN_ERROR_DEG:g}); face the camera squarely")
    return r(value_near(col(table, f"knee_fppa_{side}"), i), 1)


def _stabilisation(table: MetricTable, t_s: np.ndarray, ic: int) -> Any:
    """Seconds from IC until the pelvis stops moving up or down (speed below STABLE_SPEED for STABLE_FOR_S)."""
    height = col(table, "pelvis_height")
    end = index_at(t_s, t_s[ic] + 2.5)
    seg_t, seg_h = t_s[ic:end + 1], height[ic:end + 1]
    ok = np.isfinite(seg_h)
    if ok.sum() < 5:
        return not_measured("the pelvis was not seen after landing")
    speed = np.abs(np.gradient(seg_h[ok], seg_t[ok]))
    times = seg_t[ok]
    for k in range(len(times)):
        calm = (times >= times[k]) & (times <= times[k] + STABLE_FOR_S)
        if times[k] + STABLE_FOR_S <= times[-1] and np.all(speed[calm] < STABLE_SPEED):
            return r(float(times[k] - t_s[ic]), 3)
    return not_measured("the body did not settle within 2 s of landing")


def _less(record: dict[str, Any], track: PoseTrack, table: MetricTable, ic: int, peak: int, view: str) -> dict[str, Any]:
    """LESS items (0 = no error) for what this view shows; the rest "not measured" with the reason."""
    at_ic, at_peak = record["initial_contact"], record["peak_knee_flexion"]
    items: dict[str, Any] = {}

    def num(d: dict, key: str) -> float | None:
        v = d.get(key)
        return v if isinstance(v, (int, float)) else None

    def mean_sides(d: dict, template: str) -> float | None:
        vals = [num(d, template.format(s)) for s in BODY_SIDES]
        vals = [v for v in vals if v is not None]
        return float(np.mean(vals)) if vals else None

    def item(name: str, needs: str, value: float | None, error: bool | None, rule: str) -> None:
        if view != needs:
            items[name] = not_measured(f"needs a {needs} view")
        elif value is None or error is None:
            items[name] = not_measured("the landmarks it needs were not visible")
        else:
            items[name] = {"score": int(error), "value": r(value, 1), "rule": rule}

    knee_ic = mean_sides(at_ic, "knee_flexion_{}_deg")
    knee_pk = mean_sides(at_peak, "knee_flexion_{}_deg")
    item("knee_flexion_at_ic", "side", knee_ic, None if knee_ic is None else knee_ic <= 30, "error if <= 30 deg")
    hip_ic = mean_sides(at_ic, "hip_flexion_{}_deg")
    item("hip_flexion_at_ic", "side", hip_ic, None if hip_ic is None else hip_ic <= 0, "error if the hips are not flexed")
    trunk_ic = num(at_ic, "trunk_flexion_deg")
    item("trunk_flexion_at_ic", "side", trunk_ic, None if trunk_ic is None else trunk_ic <= 0,
         "error if the trunk is not flexed")
    toe_first = _toe_first(track, ic)
    item("ankle_plantar_flexion_at_ic", "side", toe_first, None if toe_first is None else toe_first <= 0,
         "error unless the toes land before the heels (value: heel height above toe, px)")
    items["knee_valgus_at_ic"] = _valgus_item(at_ic, view, 5.0, "error if FPPA > 5 deg")
    lean_ic = num(at_ic, "trunk_lateral_lean_deg")
    item("lateral_trunk_flexion_at_ic", "front", lean_ic, None if lean_ic is None else abs(lean_ic) > 5,
         "error if the trunk leans more than 5 deg to a side")
    width = _stance_width(track, ic)
    item("stance_width_wide", "front", width, None if width is None else width > 1.0,
         "error if the ankles are wider apart than the shoulders (value: ankle / shoulder width)")
    item("stance_width_narrow", "front", width, None if width is None else width < 0.5,
         "error if the ankles are closer than half the shoulder width")
    gap = record["landing_symmetry"]["contact_gap_s"]
    items["symmetric_initial_foot_contact"] = {"score": int(gap > SYMMETRIC_CONTACT_S), "value": gap,
                                               "rule": f"error if the feet land more than {SYMMETRIC_CONTACT_S} s apart"}
    disp = None if knee_ic is None or knee_pk is None else knee_pk - knee_ic
    item("knee_flexion_displacement", "side", disp, None if disp is None else disp <= 45, "error if <= 45 deg")
    hip_pk = mean_sides(at_peak, "hip_flexion_{}_deg")
    item("hip_flexion_at_max_knee_flexion", "side", hip_pk,
         None if hip_pk is None or hip_ic is None else hip_pk <= hip_ic, "error unless more than at IC")
    trunk_pk = num(at_peak, "trunk_flexion_deg")
    item("trunk_flexion_at_max_knee_flexion", "side", trunk_pk,
         None if trunk_pk is None or trunk_ic is None else trunk_pk <= trunk_ic, "error unless more than at IC")
    items["knee_valgus_displacement"] = _valgus_item(at_peak, view, 10.0, "error if FPPA at peak knee flexion > 10 deg")
    for name in ("foot_position_toe_in", "foot_position_toe_out"):
        items[name] = not_measured("foot rotation is not visible in the landmarks of one camera")
    for name in ("joint_displacement", "overall_impression"):
        items[name] = not_measured("a rater's overall impression of the whole landing")
    scored = [v["score"] for v in items.values() if "score" in v]
    return {"items": items, "scored_items": len(scored), "errors": int(sum(scored)),
            "note": "partial LESS: only the items this view shows; not comparable with a full 17-item score"}


def _valgus_item(posture: dict[str, Any], view: str, threshold: float, rule: str) -> dict[str, Any]:
    """A LESS knee-valgus item from the larger FPPA of the two knees; "not measured" with the FPPA's own reason
    when neither knee was measured, or when the reading lies within the error the body's turn may add."""
    if view != "front":
        return not_measured("needs a front view")
    entries = [posture[f"knee_fppa_{s}_deg"] for s in BODY_SIDES]
    values = [v for v in entries if isinstance(v, (int, float))]
    if not values:
        reasons = [e["reason"] for e in entries if isinstance(e, dict) and "reason" in e]
        return not_measured(reasons[0] if reasons else "the landmarks it needs were not visible")
    value = max(values)
    bound = posture.get("fppa_turn_error_deg")
    if isinstance(bound, (int, float)) and abs(value - threshold) <= bound:
        return not_measured(f"FPPA {value:.1f} deg is within the {bound:.1f} deg that the body's turn from the camera "
                            f"may add or take away: no verdict against {threshold:g} deg")
    return {"score": int(value > threshold), "value": r(value, 1), "rule": rule}


def _toe_first(track: PoseTrack, i: int) -> float | None:
    """Heel height above the toe at IC in pixels (mean of the feet; > 0 = toes land first)."""
    xy, vis = track.xy_px[i], track.visibility[i]
    diffs = []
    for s in BODY_SIDES:
        heel, toe = side_index(s, "heel"), side_index(s, "foot_index")
        if vis[heel] >= 0.5 and vis[toe] >= 0.5:
            diffs.append(float(xy[toe, 1] - xy[heel, 1]))  # image y grows downward
    return float(np.mean(diffs)) if diffs else None


def _stance_width(track: PoseTrack, i: int) -> float | None:
    """Ankle distance over shoulder distance at frame i."""
    xy, vis = track.xy_px[i], track.visibility[i]
    la, ra = side_index("left", "ankle"), side_index("right", "ankle")
    ls, rs = side_index("left", "shoulder"), side_index("right", "shoulder")
    if min(vis[[la, ra, ls, rs]]) < 0.5:
        return None
    shoulders = float(np.linalg.norm(xy[ls] - xy[rs]))
    return float(np.linalg.norm(xy[la] - xy[ra])) / shoulders if shoulders > 0 else None

