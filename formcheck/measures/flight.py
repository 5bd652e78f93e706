"""Flights (both feet off the floor): take-off, landing and each foot's own lift-off and touch-down.

Each foot's contact comes from contact.FootContact on ``foot_height_{side}`` with short confirmations
(a jump's flight lasts a few tenths of a second); a flight is the time both feet are off the floor.
Take-off is the later foot's lift-off, landing (initial contact) the earlier foot's touch-down.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from formcheck.landmarks import BODY_SIDES
from formcheck.kinematics.metrics import MetricTable
from formcheck.measures.common import col
from formcheck.measures.contact import ContactSettings, FootContact, corner_time

FLIGHT_CONTACT = ContactSettings(confirm_up_s=0.03, confirm_down_s=0.05, extrapolate=True)
REFINE_MAX_S = 1.5  # times off the floor up to this long are flights whose events corner_time re-dates


@dataclass(frozen=True)
class Flight:
    """One flight: take-off and landing times, and each foot's lift-off and touch-down."""

    takeoff_s: float
    landing_s: float
    lift_s: dict[str, float]
    touch_s: dict[str, float]

    @property
    def flight_s(self) -> float:
        return self.landing_s - self.takeoff_s


def foot_intervals(table: MetricTable, t_s: np.ndarray, side: str, settings: ContactSettings = FLIGHT_CONTACT,
                   raw: MetricTable | None = None) -> list[tuple[float, float]]:
    """(lift-off, touch-down) of every time the foot was off the floor (touch-down = end of clip if never).

    Contact is decided on ``table`` (smoothed); with ``raw`` (the metrics of the unsmoothed track) each
    event of a short time off the floor (a flight, at most ``REFINE_MAX_S``) is re-dated to the corner of
    the unsmoothed height curve (contact.corner_time), free of the smoothing filter's lag."""
    foot = FootContact(settings)
    heights = col(table, f"foot_height_{side}")
    spans, lift = [], None
    for t, h in zip(t_s, heights):
        change = foot.update(float(t), float(h))
        if change is None:
            continue
        if change.kind == "lift" and change.seen:
            lift = change.t_s
        elif change.kind == "touch" and lift is not None:
            spans.append((lift, change.t_s))
            lift = None
    if lift is not None:
        spans.append((lift, float(t_s[-1])))
    if raw is None:
        return spans
    unsmoothed = col(raw, f"foot_height_{side}")
    refined = []
    for start, end in spans:
        if end - start <= REFINE_MAX_S:
            reach = min(0.25, (end - start) / 2)
            start2 = corner_time(t_s, unsmoothed, start, "lift", reach_s=reach)
            end2 = corner_time(t_s, unsmoothed, end, "touch", reach_s=reach)
            if end2 > start2:
                start, end = start2, end2
        refined.append((start, end))
    return refined


def find_flights(table: MetricTable, t_s: np.ndarray, *, min_s: float = 0.08, max_s: float = 1.5,
                 settings: ContactSettings = FLIGHT_CONTACT, raw: MetricTable | None = None) -> list[Flight]:
    """Every time both feet were off the floor together for ``min_s`` to ``max_s`` seconds."""
    t_s = np.asarray(t_s, dtype=float)
    if len(t_s) == 0:
        return []
    spans = {side: foot_intervals(table, t_s, side, settings, raw) for side in BODY_SIDES}
    flights = []
    for l0, l1 in spans["left"]:
        for r0, r1 in spans["right"]:
            start, end = max(l0, r0), min(l1, r1)
            if min_s <= end - start <= max_s:
                flights.append(Flight(start, end, {"left": l0, "right": r0}, {"left": l1, "right": r1}))
    return sorted(flights, key=lambda f: f.takeoff_s)


def single_leg_flights(table: MetricTable, t_s: np.ndarray, *, min_s: float = 0.08, max_s: float = 1.5,
                       settings: ContactSettings = FLIGHT_CONTACT, raw: MetricTable | None = None,
                       spans: dict[str, list[tuple[float, float]]] | None = None) -> list[tuple[str, Flight]]:
    """Hops: flights of one foot while the other stays off the floor throughout; (hopping side, flight)."""
    t_s = np.asarray(t_s, dtype=float)
    if len(t_s) == 0:
        return []
    if spans is None:
        spans = {side: foot_intervals(table, t_s, side, settings, raw) for side in BODY_SIDES}
    hops = []
    for side in BODY_SIDES:
        other = "right" if side == "left" else "left"
        for start, end in spans[side]:
            if not min_s <= end - start <= max_s:
                continue
            held = any(o0 <= start and o1 >= end for o0, o1 in spans[other])
            if held:
                hops.append((side, Flight(start, end, {side: start}, {side: end})))
    return sorted(hops, key=lambda h: h[1].takeoff_s)


def with_settings(**changes: float) -> ContactSettings:
    """The flight contact settings with some fields changed."""
    return replace(FLIGHT_CONTACT, **changes)
