"""Flights (both feet off the floor): take-off, landing and each foot's own lift-off and touch-down.

A flight is found by contact.FootContact, with short confirmations (a jump's flight lasts a few tenths of a
second), on ``lower_foot_height``: the lower foot's height, which leaves the floor line only when both feet
have, so the later foot's lift-off is the take-off and the earlier foot's touch-down the landing (initial
contact). Reading the two feet separately would not do: a foot that perspective puts higher in the picture
(the far foot of an oblique view, a foot placed behind the other) never reads as resting on the floor line.
Each foot's own lift-off and touch-down are then dated on its own height curve near those two events.
Hops (one foot off the floor while the other is held up) are read per foot: ``foot_intervals``.
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
HEIGHT_OF_BOTH = "lower_foot_height"  # above the floor line only while both feet are off it
MIN_CLEARANCE = 0.08  # leg lengths (about 7 cm): the least rise of the lower foot that is a flight, not a foot's drift
MAX_FLIGHT_S = 1.0  # a flight of 1 s is a 1.2 m rise (h = g t^2 / 8), beyond any standing jump


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


def foot_intervals(table: MetricTable, t_s: np.ndarray, side: str | None, settings: ContactSettings = FLIGHT_CONTACT,
                   raw: MetricTable | None = None) -> list[tuple[float, float]]:
    """(lift-off, touch-down) of every time the foot was off the floor (touch-down = end of clip if never);
    ``side`` None: both feet (``lower_foot_height``).

    Contact is decided on ``table`` (smoothed); with ``raw`` (the metrics of the unsmoothed track) each
    event of a short time off the floor (a flight, at most ``REFINE_MAX_S``) is re-dated to the corner of
    the unsmoothed height curve (contact.corner_time), free of the smoothing filter's lag."""
    name = HEIGHT_OF_BOTH if side is None else f"foot_height_{side}"
    foot = FootContact(settings)
    spans, lift = [], None
    for t, h in zip(t_s, col(table, name)):
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
    unsmoothed = col(raw, name)
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


def find_flights(table: MetricTable, t_s: np.ndarray, *, min_s: float = 0.08, max_s: float = MAX_FLIGHT_S,
                 settings: ContactSettings = FLIGHT_CONTACT, raw: MetricTable | None = None) -> list[Flight]:
    """Every time both feet were off the floor together for ``min_s`` to ``max_s`` seconds, the lower foot
    rising at least ``MIN_CLEARANCE`` (a foot's slow drift in the picture while standing is not a flight)."""
    t_s = np.asarray(t_s, dtype=float)
    if len(t_s) == 0:
        return []
    heights = raw if raw is not None else table
    lower = col(table, HEIGHT_OF_BOTH)
    flights = []
    for start, end in foot_intervals(table, t_s, None, settings, raw):
        during = lower[(t_s >= start) & (t_s <= end)]
        if not min_s <= end - start <= max_s or not np.nanmax(during, initial=-np.inf) >= MIN_CLEARANCE:
            continue
        reach = min(0.15, (end - start) / 2)
        lift = {s: min(start, _own_event(t_s, heights, s, start, "lift", reach)) for s in BODY_SIDES}
        touch = {s: max(end, _own_event(t_s, heights, s, end, "touch", reach)) for s in BODY_SIDES}
        flights.append(Flight(start, end, lift, touch))
    return flights


def _own_event(t_s: np.ndarray, table: MetricTable, side: str, at_s: float, kind: str, reach_s: float) -> float:
    """One foot's own lift-off (touch-down) near the flight's take-off (landing): the corner of its height curve."""
    return corner_time(t_s, col(table, f"foot_height_{side}"), at_s, kind, reach_s=reach_s)


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
