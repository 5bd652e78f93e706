"""Draw what the checker sees onto a frame: skeleton, angles, the faulty segment in red, a status panel.

Used by `analyze` (annotated video) and `live` (the window). Everything scales with the frame height
so that the panel stays readable from a few metres away.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from formcheck.kinematics.catalog import lookup, metric_anchor
from formcheck.landmarks import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER, SKELETON

GREEN = (90, 200, 90)
RED = (40, 40, 230)
AMBER = (0, 170, 255)
GREY = (160, 160, 160)
WHITE = (255, 255, 255)
PANEL_BG = (30, 30, 30)

@dataclass(frozen=True)
class AngleLabel:
    """A value written next to a landmark, e.g. "knee 92°" at the left knee."""

    anchor: int
    text: str
    fault: bool = False


@dataclass(frozen=True)
class Panel:
    """The status panel's content."""

    exercise: str
    side: str | None
    reps: int | None = None
    rep_target: int | None = None
    set_no: int | None = None
    hold_elapsed_s: float | None = None
    hold_target_s: float | None = None
    rest_left_s: float | None = None
    cue: str | None = None
    cue_is_fault: bool = False
    note: str | None = None
    fps: float | None = None
    latency_ms: float | None = None
    big_timer_s: float | None = None
    program_step: str | None = None  # live, in a program of several exercises: "exercise 2 of 3"


def metric_label(metric: str, value: float, fault: bool = False) -> AngleLabel | None:
    """An AngleLabel for a metric value (its catalog label and anchor), or None when not measured or not drawn."""
    anchor = metric_anchor(metric)
    if anchor is None or not np.isfinite(value):
        return None
    info = lookup(metric)[0]
    text = f"{info.label} {value:.0f}\u00b0" if info.unit == "deg" else f"{info.label} {value:.2f}"
    return AngleLabel(anchor=anchor, text=text, fault=fault)


class Annotator:
    """Configured once per video size, then called per frame: ``annotate(image, ...) -> image``."""

    def __init__(self, width: int, height: int, *, min_visibility: float = 0.5) -> None:
        self.width = width
        self.height = height
        self.min_visibility = min_visibility
        self.scale = max(height, 360) / 720.0
        self.thickness = max(1, round(3 * self.scale))
        self.radius = max(2, round(5 * self.scale))
        self.font = cv2.FONT_HERSHEY_SIMPLEX
        self.font_scale = 0.7 * self.scale * 1.15
        self.text_thickness = max(1, round(2 * self.scale))

    def annotate(
        self,
        image: np.ndarray,
        xy_px: np.ndarray | None,
        visibility: np.ndarray | None,
        *,
        red_segments: tuple[tuple[int, int], ...] = (),
        labels: tuple[AngleLabel, ...] = (),
        panel: Panel | None = None,
    ) -> np.ndarray:
        """Draw in place on ``image`` (BGR) and return it."""
        if xy_px is not None and visibility is not None and np.isfinite(xy_px).any():
            self._skeleton(image, xy_px, visibility, red_segments)
            placed: list[tuple[int, int, int, int]] = []
            keep_clear = self._segment_points(xy_px, visibility, red_segments)
            for label in sorted(labels, key=lambda item: not item.fault):
                self._label(image, xy_px, visibility, label, placed, keep_clear)
        if panel is not None:
            self._panel(image, panel)
        return image

    def _visible(self, xy: np.ndarray, vis: np.ndarray, i: int) -> bool:
        return bool(np.isfinite(xy[i]).all() and np.isfinite(vis[i]) and vis[i] >= self.min_visibility)

    def _pt(self, xy: np.ndarray, i: int) -> tuple[int, int]:
        return int(round(float(xy[i, 0]))), int(round(float(xy[i, 1])))

    def _skeleton(self, image, xy, vis, red_segments) -> None:
        red = {tuple(sorted(seg)) for seg in red_segments}
        for a, b in SKELETON:
            if not (self._visible(xy, vis, a) and self._visible(xy, vis, b)):
                continue
            colour = RED if (min(a, b), max(a, b)) in red else GREEN
            width = self.thickness * (2 if colour == RED else 1)
            cv2.line(image, self._pt(xy, a), self._pt(xy, b), colour, width, cv2.LINE_AA)
        red_points = {i for seg in red for i in seg}
        for i in range(11, xy.shape[0]):
            if self._visible(xy, vis, i):
                colour = RED if i in red_points else WHITE
                cv2.circle(image, self._pt(xy, i), self.radius, colour, -1, cv2.LINE_AA)
        for i in range(0, 11):
            if self._visible(xy, vis, i):
                cv2.circle(image, self._pt(xy, i), max(1, self.radius // 2), GREY, -1, cv2.LINE_AA)

    def _segment_points(self, xy, vis, segments) -> np.ndarray:
        """Points along the red segments, which labels should not cover."""
        points = [np.linspace(xy[a], xy[b], 12) for a, b in segments
                  if self._visible(xy, vis, a) and self._visible(xy, vis, b)]
        return np.concatenate(points) if points else np.empty((0, 2))

    def _label(self, image, xy, vis, label: AngleLabel, placed: list[tuple[int, int, int, int]],
               keep_clear: np.ndarray) -> None:
        """Draw a label beside its landmark, at the first spot that overlaps no earlier label and, if it can, no red segment."""
        anchor = label.anchor
        if anchor == LEFT_SHOULDER and self._visible(xy, vis, RIGHT_SHOULDER) and self._visible(xy, vis, LEFT_SHOULDER):
            x, y = (xy[LEFT_SHOULDER] + xy[RIGHT_SHOULDER]) / 2
        elif anchor == LEFT_HIP and "pelvis" in label.text and self._visible(xy, vis, RIGHT_HIP):
            x, y = (xy[LEFT_HIP] + xy[RIGHT_HIP]) / 2
        elif self._visible(xy, vis, anchor):
            x, y = xy[anchor]
        else:
            return
        (w, h), base = cv2.getTextSize(label.text, self.font, self.font_scale, self.text_thickness)
        gap = 2 * self.radius
        spots = [(x + gap, y - self.radius), (x - gap - w, y - self.radius),
                 (x + gap, y + h + gap), (x - gap - w, y + h + gap), (x + gap, y - h - gap)]
        free = []
        for sx, sy in spots:
            candidate = (int(sx) - 3, int(sy) - h - 4, int(sx) + w + 3, int(sy) + base + 2)
            if not any(_overlaps(candidate, other) for other in placed):
                free.append(candidate)
        clear = [b for b in free if not _covers_any(b, keep_clear)]
        box = (clear or free or [None])[0]
        if box is None:
            return  # no free spot: better no label than an unreadable pile
        placed.append(box)
        self._text_box(image, label.text, (box[0] + 3, box[1] + h + 4), RED if label.fault else (40, 40, 40), WHITE)

    def _text_box(self, image, text, origin, bg, fg, font_scale=None) -> tuple[int, int]:
        font_scale = font_scale or self.font_scale
        (w, h), base = cv2.getTextSize(text, self.font, font_scale, self.text_thickness)
        x, y = origin
        x = min(max(0, x), max(0, image.shape[1] - w - 4))
        y = min(max(h + 4, y), image.shape[0] - base - 2)
        cv2.rectangle(image, (x - 3, y - h - 4), (x + w + 3, y + base + 2), bg, -1)
        cv2.putText(image, text, (x, y), self.font, font_scale, fg, self.text_thickness, cv2.LINE_AA)
        return w, h + base + 6

    def _panel(self, image, panel: Panel) -> None:
        lines: list[tuple[str, tuple[int, int, int]]] = []
        title = panel.exercise.replace("_", " ")
        if panel.side:
            title += f" ({panel.side})"
        lines.append((title, WHITE))
        counts = []
        if panel.set_no is not None:
            counts.append(f"set {panel.set_no}")
        if panel.reps is not None:
            counts.append(f"reps {panel.reps}" + (f"/{panel.rep_target}" if panel.rep_target else ""))
        if counts:
            lines.append(("  ".join(counts), WHITE))
        if panel.rest_left_s is not None and panel.rest_left_s > 0:
            lines.append((f"rest {panel.rest_left_s:.0f} s", AMBER))
        if panel.note:
            lines.append((panel.note, GREY))
        if panel.fps is not None:
            perf = f"{panel.fps:.0f} fps"
            if panel.latency_ms is not None:
                perf += f"  {panel.latency_ms:.0f} ms"
            lines.append((perf, GREY))
        pad = round(10 * self.scale)
        line_h = round(34 * self.scale)
        bar_h = round(18 * self.scale) if panel.hold_target_s else 0
        hold_h = line_h + bar_h + pad if panel.hold_elapsed_s is not None else 0
        panel_w = min(image.shape[1] - 2 * pad, round(420 * self.scale))
        panel_h = pad + len(lines) * line_h + hold_h + pad
        overlay = image[pad : pad + panel_h, pad : pad + panel_w]
        if overlay.size:
            overlay[:] = (overlay * 0.35 + np.array(PANEL_BG) * 0.65).astype(np.uint8)
        y = pad + line_h - round(8 * self.scale)
        for text, colour in lines:
            cv2.putText(image, text, (2 * pad, y), self.font, self.font_scale, colour, self.text_thickness, cv2.LINE_AA)
            y += line_h
        if panel.hold_elapsed_s is not None:
            target = panel.hold_target_s
            text = f"hold {panel.hold_elapsed_s:4.1f} s" + (f" / {target:.0f} s" if target else "")
            met = bool(target) and panel.hold_elapsed_s >= target
            cv2.putText(image, text, (2 * pad, y), self.font, self.font_scale, GREEN if met else WHITE,
                        self.text_thickness, cv2.LINE_AA)
            if target:
                top = y + round(8 * self.scale)
                left, right = 2 * pad, pad + panel_w - pad
                cv2.rectangle(image, (left, top), (right, top + bar_h), GREY, 1)
                frac = min(1.0, max(0.0, panel.hold_elapsed_s / target))
                cv2.rectangle(image, (left, top), (left + int((right - left) * frac), top + bar_h),
                              GREEN if met else AMBER, -1)
        if panel.big_timer_s is not None:
            text = f"{panel.big_timer_s:4.1f}"
            big = self.font_scale * 3.2
            (w, h), _ = cv2.getTextSize(text, self.font, big, self.text_thickness * 3)
            cv2.putText(image, text, (image.shape[1] - w - pad * 2, h + pad * 2), self.font, big, WHITE,
                        self.text_thickness * 3, cv2.LINE_AA)
        if panel.cue:
            bg = RED if panel.cue_is_fault else (60, 60, 60)
            big = self.font_scale * 1.2
            (w, h), base = cv2.getTextSize(panel.cue, self.font, big, self.text_thickness + 1)
            x = max(pad, (image.shape[1] - w) // 2)
            y_text = image.shape[0] - pad - base - round(6 * self.scale)
            cv2.rectangle(image, (x - pad, y_text - h - pad), (x + w + pad, y_text + base + pad // 2), bg, -1)
            cv2.putText(image, panel.cue, (x, y_text), self.font, big, WHITE, self.text_thickness + 1, cv2.LINE_AA)


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _covers_any(box: tuple[int, int, int, int], points: np.ndarray) -> bool:
    if not len(points):
        return False
    x, y = points[:, 0], points[:, 1]
    return bool(((x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])).any())
