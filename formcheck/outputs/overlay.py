"""Draw what the checker sees onto a frame: skeleton, angles, the faulty segment in red, a status panel.

Used by `analyze` (annotated video) and `live` (the window). Everything scales with the frame height
so that the panel stays readable from a few metres away, and every text wraps or shrinks to fit frames
from 320 px wide, portrait or landscape. Every label is written from the metric catalog (`metric_text`).

Colours are the Okabe-Ito colour-blind-safe set (vermilion for a fault, bluish green for good, orange and
sky blue for progress), and a fault is never shown by colour alone: the faulty segment is drawn twice as
thick with a warning triangle on it, a fault's label starts with "!", and a fault's cue box carries the
triangle too.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from formcheck.kinematics.catalog import lookup, metric_anchor
from formcheck.landmarks import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER, SKELETON

# BGR; Okabe & Ito's colour-blind-safe palette (a lighter bluish green, to read on a dark strip)
GREEN = (110, 190, 0)  # good: the count, a met target, the skeleton
RED = (0, 75, 215)  # vermilion: a fault (always with a shape or text as well)
AMBER = (0, 159, 230)  # orange: progress toward a target, notes
BLUE = (233, 180, 86)  # sky blue: the rest countdown
GREY = (160, 160, 160)
WHITE = (255, 255, 255)
PANEL_BG = (30, 30, 30)
FAULT_MARK = "! "  # a fault's label and cue start with this, besides their colour
UNIT_TEXT = {"deg": "\u00b0", "leg lengths": " leg lengths", "hip widths": " hip widths", "px": " px", "sign": ""}

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
    details: tuple[str, ...] = ()  # therapist view: each measured value with its threshold and confidence
    view: str | None = None  # "patient" or "therapist" (None: not said)


def format_value(unit: str, value: float) -> str:
    """A value in its unit as people read it: 19°, 0.14 leg lengths."""
    number = f"{value:.0f}" if unit == "deg" else f"{value:.2f}"
    return number + UNIT_TEXT.get(unit, f" {unit}")


def metric_name(metric: str) -> str:
    """A metric column's name for people, from the catalog: "left hip flexion", "pelvic obliquity"."""
    found = lookup(metric)
    if found is None:
        return metric.replace("_", " ")
    info, side = found
    return f"{side} {info.plain}" if side else info.plain


def metric_text(metric: str, value: float) -> str:
    """A metric value in plain words from the catalog: "left hip flexion 19°", "left thigh elevation 11° below level".

    A metric with sign words says the direction in words instead of a sign; an unknown name is written as it is.
    """
    found = lookup(metric)
    if found is None:
        return f"{metric.replace('_', ' ')} {value:.2f}"
    info, name = found[0], metric_name(metric)
    if info.signs and round(value) != 0:
        word = info.signs[0] if value > 0 else info.signs[1]
        return f"{name} {format_value(info.unit, abs(value))} {word}"
    return f"{name} {format_value(info.unit, value)}"


def metric_label(metric: str, value: float, fault: bool = False) -> AngleLabel | None:
    """An AngleLabel for a metric value (its catalog name and anchor), or None when not measured or not drawn."""
    anchor = metric_anchor(metric)
    if anchor is None or not np.isfinite(value):
        return None
    text = metric_text(metric, value)
    return AngleLabel(anchor=anchor, text=FAULT_MARK + text if fault else text, fault=fault)


def fit_scale(text: str, font: int, scale: float, thickness: int, max_width: int) -> float:
    """`scale`, made smaller if the text would be wider than `max_width` pixels."""
    width = cv2.getTextSize(text, font, scale, thickness)[0][0]
    return scale if width <= max_width or width == 0 else scale * max_width / width


def wrap_text(text: str, font: int, scale: float, thickness: int, max_width: int) -> list[str]:
    """Words put on lines no wider than `max_width` (a single word wider than that stays on its own line)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and cv2.getTextSize(trial, font, scale, thickness)[0][0] > max_width:
            lines.append(line)
            line = word
        else:
            line = trial
    if line:
        lines.append(line)
    return lines


def warning_triangle(image: np.ndarray, centre: tuple[int, int], size: int, colour=RED) -> None:
    """A filled warning triangle with a white "!" at `centre`: a fault marked by shape, not by colour alone."""
    x, y = centre
    half = max(4, size // 2)
    points = np.array([(x, y - half), (x - half, y + half), (x + half, y + half)], np.int32)
    cv2.fillPoly(image, [points], colour, cv2.LINE_AA)
    cv2.polylines(image, [points], True, WHITE, max(1, size // 12), cv2.LINE_AA)
    bar = max(1, size // 8)
    cv2.line(image, (x, y - half // 3), (x, y + half // 3), WHITE, bar, cv2.LINE_AA)
    cv2.circle(image, (x, y + 2 * half // 3), bar, WHITE, -1, cv2.LINE_AA)


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
        self.pad = max(4, round(10 * self.scale))

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
        keep_clear = np.empty((0, 2))
        if xy_px is not None and visibility is not None and np.isfinite(xy_px).any():
            self._skeleton(image, xy_px, visibility, red_segments)
            placed: list[tuple[int, int, int, int]] = []
            keep_clear = self._segment_points(xy_px, visibility, red_segments)
            for label in sorted(labels, key=lambda item: not item.fault):
                self._label(image, xy_px, visibility, label, placed, keep_clear)
        if panel is not None:
            self._panel(image, panel)
            if panel.cue:
                self._cue(image, panel.cue, panel.cue_is_fault, keep_clear)
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
        for a, b in red:  # the shape that marks a fault for eyes that do not tell vermilion from green
            if self._visible(xy, vis, a) and self._visible(xy, vis, b):
                mid = (xy[a] + xy[b]) / 2
                warning_triangle(image, (int(mid[0]), int(mid[1])), max(14, round(40 * self.scale)))

    def _segment_points(self, xy, vis, segments) -> np.ndarray:
        """Points along the red segments, which labels and the cue should not cover."""
        points = [np.linspace(xy[a], xy[b], 12) for a, b in segments
                  if self._visible(xy, vis, a) and self._visible(xy, vis, b)]
        return np.concatenate(points) if points else np.empty((0, 2))

    def _label(self, image, xy, vis, label: AngleLabel, placed: list[tuple[int, int, int, int]],
               keep_clear: np.ndarray) -> None:
        """Draw a label beside its landmark, at the first spot that overlaps no earlier label and, if it can, no red segment."""
        anchor = label.anchor
        if anchor == LEFT_SHOULDER and self._visible(xy, vis, RIGHT_SHOULDER) and self._visible(xy, vis, LEFT_SHOULDER):
            x, y = (xy[LEFT_SHOULDER] + xy[RIGHT_SHOULDER]) / 2
        elif anchor == LEFT_HIP and "pelvi" in label.text and self._visible(xy, vis, RIGHT_HIP):
            x, y = (xy[LEFT_HIP] + xy[RIGHT_HIP]) / 2
        elif self._visible(xy, vis, anchor):
            x, y = xy[anchor]
        else:
            return
        scale = fit_scale(label.text, self.font, self.font_scale, self.text_thickness, image.shape[1] - 12)
        (w, h), base = cv2.getTextSize(label.text, self.font, scale, self.text_thickness)
        gap = 2 * self.radius
        spots = [(x + gap, y - self.radius), (x - gap - w, y - self.radius),
                 (x + gap, y + h + gap), (x - gap - w, y + h + gap), (x + gap, y - h - gap)]
        free = []
        for sx, sy in spots:
            sx = min(max(3, sx), image.shape[1] - w - 4)  # inside the frame: a label is never cut off
            candidate = (int(sx) - 3, int(sy) - h - 4, int(sx) + w + 3, int(sy) + base + 2)
            if not any(_overlaps(candidate, other) for other in placed):
                free.append(candidate)
        clear = [b for b in free if not _covers_any(b, keep_clear)]
        box = (clear or free or [None])[0]
        if box is None:
            return  # no free spot: better no label than an unreadable pile
        placed.append(box)
        self._text_box(image, label.text, (box[0] + 3, box[1] + h + 4), RED if label.fault else (40, 40, 40), WHITE,
                       scale)

    def _text_box(self, image, text, origin, bg, fg, font_scale=None) -> tuple[int, int]:
        font_scale = font_scale or self.font_scale
        (w, h), base = cv2.getTextSize(text, self.font, font_scale, self.text_thickness)
        x, y = origin
        x = min(max(0, x), max(0, image.shape[1] - w - 4))
        y = min(max(h + 4, y), image.shape[0] - base - 2)
        cv2.rectangle(image, (x - 3, y - h - 4), (x + w + 3, y + base + 2), bg, -1)
        cv2.putText(image, text, (x, y), self.font, font_scale, fg, self.text_thickness, cv2.LINE_AA)
        return w, h + base + 6

    def _panel_lines(self, panel: Panel) -> list[tuple[str, tuple[int, int, int]]]:
        title = panel.exercise.replace("_", " ") + (f" ({panel.side})" if panel.side else "")
        lines: list[tuple[str, tuple[int, int, int]]] = [(title, WHITE)]
        counts = []
        if panel.set_no is not None:
            counts.append(f"set {panel.set_no}")
        if panel.reps is not None:
            counts.append(f"reps {panel.reps}" + (f"/{panel.rep_target}" if panel.rep_target else ""))
        if counts:
            lines.append(("  ".join(counts), WHITE))
        if panel.rest_left_s is not None and panel.rest_left_s > 0:
            lines.append((f"rest {panel.rest_left_s:.0f} s", BLUE))
        if panel.note:
            lines.append((panel.note, GREY))
        lines += [(detail, GREY) for detail in panel.details]
        if panel.fps is not None:
            perf = f"{panel.fps:.0f} fps" + (f"  {panel.latency_ms:.0f} ms" if panel.latency_ms is not None else "")
            lines.append((perf, GREY))
        return lines

    def _panel(self, image, panel: Panel) -> None:
        pad = self.pad
        panel_w = min(image.shape[1] - 2 * pad, round(420 * self.scale))
        text_w = panel_w - 2 * pad
        lines = [(part, colour) for text, colour in self._panel_lines(panel)
                 for part in wrap_text(text, self.font, self.font_scale, self.text_thickness, text_w)]
        line_h = round(34 * self.scale)
        bar_h = round(18 * self.scale) if panel.hold_target_s else 0
        hold_h = line_h + bar_h + pad if panel.hold_elapsed_s is not None else 0
        panel_h = pad + len(lines) * line_h + hold_h + pad
        overlay = image[pad : pad + panel_h, pad : pad + panel_w]
        if overlay.size:
            overlay[:] = (overlay * 0.35 + np.array(PANEL_BG) * 0.65).astype(np.uint8)
        y = pad + line_h - round(8 * self.scale)
        for text, colour in lines:
            scale = fit_scale(text, self.font, self.font_scale, self.text_thickness, text_w)
            cv2.putText(image, text, (2 * pad, y), self.font, scale, colour, self.text_thickness, cv2.LINE_AA)
            y += line_h
        if panel.hold_elapsed_s is not None:
            target = panel.hold_target_s
            text = f"hold {panel.hold_elapsed_s:4.1f} s" + (f" / {target:.0f} s" if target else "")
            met = bool(target) and panel.hold_elapsed_s >= target
            scale = fit_scale(text, self.font, self.font_scale, self.text_thickness, text_w)
            cv2.putText(image, text, (2 * pad, y), self.font, scale, GREEN if met else WHITE,
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

    def _cue(self, image: np.ndarray, cue: str, fault: bool, keep_clear: np.ndarray) -> None:
        """The cue, wrapped to the frame's width, at the bottom, or at the top if the bottom would cover the fault."""
        pad, thick = self.pad, self.text_thickness + 1
        big = self.font_scale * 1.2
        icon = round(34 * self.scale) if fault else 0
        max_w = image.shape[1] - 4 * pad - (icon + pad if fault else 0)
        lines = wrap_text(cue, self.font, big, thick, max_w)
        big = min(fit_scale(line, self.font, big, thick, max_w) for line in lines)
        sizes = [cv2.getTextSize(line, self.font, big, thick) for line in lines]
        line_h = max(h + base for (_, h), base in sizes) + pad // 2
        box_w = min(image.shape[1] - 2 * pad, max(w for (w, _), _ in sizes) + 2 * pad + (icon + pad if fault else 0))
        box_h = len(lines) * line_h + pad
        left = (image.shape[1] - box_w) // 2
        bottom = (left, image.shape[0] - pad - box_h, left + box_w, image.shape[0] - pad)
        top = (left, self.pad, left + box_w, self.pad + box_h)
        box = top if _covers_any(bottom, keep_clear) and not _covers_any(top, keep_clear) else bottom
        cv2.rectangle(image, box[:2], box[2:], RED if fault else (60, 60, 60), -1)
        if fault:
            warning_triangle(image, (box[0] + pad + icon // 2, (box[1] + box[3]) // 2), icon, (0, 0, 0))
        x = box[0] + pad + (icon + pad if fault else 0)
        y = box[1]
        for line, ((_, h), _) in zip(lines, sizes):
            y += line_h
            cv2.putText(image, line, (x, y - pad // 2), self.font, big, WHITE, thick, cv2.LINE_AA)


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _covers_any(box: tuple[int, int, int, int], points: np.ndarray) -> bool:
    if not len(points):
        return False
    x, y = points[:, 0], points[:, 1]
    return bool(((x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])).any())
