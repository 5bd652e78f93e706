"""What the patient sees: the camera picture with the skeleton, and a large status strip beside it.

Text is sized from the frame height so that it reads from three metres away: the counts are 9% of the
frame height, the exercise, cue and messages 6%, the frame rate 4% (the annotated-video panel of
`overlay` is smaller, about 2.5%); `large` makes every text 1.5 times taller. On a 13-inch laptop screen
(16:10, 17.5 cm high) with the window filling its height, 6% is 10.5 mm and 9% 15.8 mm: at 3 m that is
12 and 18 arcminutes, two and three times the 5 arcminutes a letter needs for 20/20 vision (`legibility`).
Every text wraps, and shrinks if one word is still too wide, to fit frames from 320 px wide; the cue moves
to the top of the picture when at the bottom it would cover the body part it is about.
The skeleton, the angles and the red segments come from `overlay.Annotator`; the panel's content from
`annotate.FrameAnnotator` (the patient or the therapist view).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from formcheck.outputs.annotate import FrameAnnotation
from formcheck.outputs.overlay import AMBER, BLUE, GREEN, GREY, RED, WHITE, Annotator, Panel, warning_triangle, wrap_text

FONT = cv2.FONT_HERSHEY_DUPLEX
HUGE, BIG, MEDIUM, SMALL = 0.16, 0.09, 0.06, 0.04  # text heights as fractions of the frame height
LARGE = 1.5  # --large: every text this much taller
STRIP_WIDTH = 0.85  # the status strip's width as a fraction of the frame height
LAPTOP_13_IN_HEIGHT_MM = 13 * 25.4 * 10 / math.hypot(16, 10)  # a 13-inch 16:10 screen is 175 mm high
ARCMIN_20_20 = 5.0  # a letter's height that 20/20 vision just reads, in arcminutes
STRIP_BG = (38, 34, 30)
BANNER_BG = (25, 25, 25)


@dataclass(frozen=True)
class DrawnText:
    """A line of text drawn on the screen and its height in pixels (cap height, as OpenCV measures it)."""

    text: str
    height_px: int
    where: str
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # left, top, right, bottom in pixels of the composed image


@dataclass(frozen=True)
class Banner:
    """A message over the middle of the picture (set-up advice, camera lost, paused, pain)."""

    text: str
    kind: str = "info"  # "info", "warning" or "stop"


def legibility(text_height_px: float, image_height_px: float, *, distance_m: float = 3.0,
               screen_height_mm: float = LAPTOP_13_IN_HEIGHT_MM) -> tuple[float, float]:
    """(mm, arcminutes): how tall a text of `text_height_px` is on a screen whose height the image fills."""
    mm = text_height_px / image_height_px * screen_height_mm
    return mm, math.degrees(math.atan2(mm / 1000.0, distance_m)) * 60.0


def _scale_for(height_px: float, thickness: int) -> float:
    (_, h), _ = cv2.getTextSize("Hg", FONT, 1.0, thickness)
    return height_px / h


class Screen:
    """Configured once per camera size; `compose(...)` returns the image to show (and to record)."""

    def __init__(self, frame_size: tuple[int, int], *, mirror: bool = False, large: bool = False) -> None:
        self.width, self.height = (int(v) for v in frame_size)
        self.mirror = mirror
        self.zoom = LARGE if large else 1.0
        self.strip_width = round(STRIP_WIDTH * self.height * (1.35 if large else 1.0))
        self.annotator = Annotator(self.width, self.height)
        self.thickness = max(1, round(self.height / 240))
        self.pad = max(6, round(0.025 * self.height))
        self.drawn: list[DrawnText] = []

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the composed image."""
        return self.width + self.strip_width, self.height

    def compose(
        self,
        image: np.ndarray,
        landmarks: np.ndarray | None = None,
        parts: FrameAnnotation | None = None,
        banner: Banner | None = None,
    ) -> np.ndarray:
        """The camera image (mirrored if asked) with skeleton and cue, the strip on the right, a banner on top."""
        self.drawn = []
        picture = cv2.flip(image, 1) if self.mirror else image.copy()
        keep_clear = np.empty((0, 2))
        if landmarks is not None:
            xy = landmarks[:, :2] * (self.width, self.height)
            if self.mirror:
                xy = xy.copy()
                xy[:, 0] = self.width - 1 - xy[:, 0]
            red = parts.red_segments if parts else ()
            self.annotator.annotate(picture, xy, landmarks[:, 3], red_segments=red,
                                    labels=parts.labels if parts else ())
            keep_clear = self.annotator._segment_points(xy, landmarks[:, 3], red)
        canvas = np.empty((self.height, self.width + self.strip_width, 3), dtype=np.uint8)
        canvas[:, : self.width] = picture
        canvas[:, self.width:] = STRIP_BG
        if parts is not None:
            bottom = self.height
            if parts.panel.cue and banner is None:
                bottom = self._cue(canvas, parts.panel.cue, parts.panel.cue_is_fault, keep_clear)
            self._strip(canvas, parts.panel, bottom if self.width < self.height else self.height)
        if banner is not None:
            self._banner(canvas, banner)
        return canvas

    # ------------------------------------------------------------------------------ drawing

    def _px(self, height: float) -> int:
        """A text height (a fraction of the frame height) in pixels, `large` included."""
        return round(height * self.zoom * self.height)

    def _fit(self, text: str, height: float, where: str, room: int | None = None) -> tuple[float, int]:
        """The font scale and thickness for `text` at `height`, shrunk if one word is wider than the room."""
        thickness = self.thickness + (1 if height >= MEDIUM else 0)
        scale = _scale_for(self._px(height), thickness)
        if room is None:
            room = (self.strip_width - 2 * self.pad) if where == "strip" else (self.width - 4 * self.pad)
        width = cv2.getTextSize(text, FONT, scale, thickness)[0][0]
        if width > room > 0:
            scale *= room / width
        return scale, thickness

    def _text(self, canvas, text: str, org: tuple[int, int], height: float, colour, where: str,
              room: int | None = None) -> int:
        """Draw one line with its baseline at org (shrunk to `room` pixels wide); returns its cap height in pixels."""
        scale, thickness = self._fit(text, height, where, room)
        cv2.putText(canvas, text, org, FONT, scale, colour, thickness, cv2.LINE_AA)
        (w, h), base = cv2.getTextSize(text, FONT, scale, thickness)
        self.drawn.append(DrawnText(text, h, where, (org[0], org[1] - h, org[0] + w, org[1] + base)))
        return h

    def _lines(self, text: str, height: float, max_width: int) -> tuple[list[str], float, int]:
        """The text's lines at `height` (a fraction of the frame height, before `large`), its scale and thickness."""
        thickness = self.thickness + (1 if height >= MEDIUM else 0)
        scale = _scale_for(self._px(height), thickness)
        return wrap_text(text, FONT, scale, thickness, max_width), scale, thickness

    def _strip(self, canvas: np.ndarray, panel: Panel, bottom: int) -> None:
        """The status strip, down to `bottom` (lines that would go below it are left out: the cue is there)."""
        x = self.width + self.pad
        max_w = self.strip_width - 2 * self.pad
        y = self.pad
        gap = round(0.03 * self.height)

        show_fps = panel.fps is not None and bottom == self.height  # at the foot of the strip, unless the cue is
        if show_fps:
            bottom -= self._px(SMALL) + self.pad

        def write(text: str, height: float, colour) -> None:
            nonlocal y
            for line in self._lines(text, height, max_w)[0]:
                if y + self._px(height) > bottom - self.pad:
                    return
                y += self._px(height)
                self._text(canvas, line, (x, y), height, colour, "strip")
                y += gap

        write(panel.exercise.replace("_", " "), MEDIUM, WHITE)
        if panel.program_step:
            write(panel.program_step, MEDIUM, GREY)
        if panel.side:
            write(f"side: {panel.side}", MEDIUM, GREY)
        if panel.set_no is not None:
            write(f"set {panel.set_no}", MEDIUM, WHITE)
        if panel.reps is not None:
            write(f"reps {panel.reps}" + (f" / {panel.rep_target}" if panel.rep_target else ""), BIG, GREEN)
        if panel.big_timer_s is not None:  # the balance timer: large, counting up, green at the target
            target = panel.hold_target_s
            met = bool(target) and panel.big_timer_s >= target
            write(f"{panel.big_timer_s:.1f} s", HUGE, GREEN if met else WHITE)
            if target:
                y = self._bar(canvas, x, y, max_w, panel.big_timer_s / target, met) + gap
        elif panel.hold_elapsed_s is not None or (panel.hold_target_s and panel.reps is None):
            elapsed = panel.hold_elapsed_s or 0.0
            target = panel.hold_target_s
            met = bool(target) and elapsed >= target
            write(f"hold {elapsed:.0f}" + (f" / {target:.0f} s" if target else " s"), BIG, GREEN if met else WHITE)
            if target:
                y = self._bar(canvas, x, y, max_w, elapsed / target, met) + gap
        if panel.rest_left_s is not None and panel.rest_left_s > 0:
            write(f"rest {panel.rest_left_s:.0f} s", BIG, BLUE)
        if panel.note:
            write(panel.note, MEDIUM, AMBER)
        for detail in panel.details:  # the therapist view: values, thresholds, confidence
            write(detail, SMALL, GREY)
        if show_fps:
            perf = f"{panel.fps:.0f} fps" + (f"  {panel.latency_ms:.0f} ms" if panel.latency_ms is not None else "")
            self._text(canvas, perf, (x, self.height - self.pad), SMALL, GREY, "strip")

    def _bar(self, canvas: np.ndarray, x: int, y: int, width: int, fraction: float, met: bool) -> int:
        """A progress bar toward a target at (x, y); returns its bottom edge."""
        bar_h = round(0.045 * self.height)
        cv2.rectangle(canvas, (x, y), (x + width, y + bar_h), GREY, self.thickness)
        fill = round(width * min(1.0, max(0.0, fraction)))
        cv2.rectangle(canvas, (x, y), (x + fill, y + bar_h), GREEN if met else AMBER, -1)
        return y + bar_h

    def _cue(self, canvas: np.ndarray, cue: str, fault: bool, keep_clear: np.ndarray) -> int:
        """The cue in a box: across the bottom of the picture, or its top if the bottom would cover the fault.

        A portrait picture is narrower than the strip beside it: there the cue goes at the foot of the strip,
        where it covers no part of the body at all. Returns the box's top edge.
        """
        portrait = self.width < self.height
        left, right = (self.width + self.pad, canvas.shape[1] - self.pad) if portrait else (self.pad,
                                                                                               self.width - self.pad)
        line_h = self._px(MEDIUM)
        icon = line_h + 2 * self.pad if fault else 0  # a fault: the warning triangle, not only the colour
        room = right - left - 2 * self.pad - icon
        lines, _, _ = self._lines(cue, MEDIUM, room)
        gap = round(0.025 * self.height)
        box_h = len(lines) * (line_h + gap) + gap
        top = self.height - self.pad - box_h
        if not portrait and _covers(keep_clear, top, self.height - self.pad) and not _covers(
                keep_clear, self.pad, self.pad + box_h):
            top = self.pad
        cv2.rectangle(canvas, (left, top), (right, top + box_h), RED if fault else (70, 70, 70), -1)
        if fault:
            warning_triangle(canvas, (left + self.pad + (icon - self.pad) // 2, top + box_h // 2), icon - self.pad,
                             (0, 0, 0))
        y = top
        for line in lines:
            y += line_h + gap
            self._text(canvas, line, (left + self.pad + icon, y), MEDIUM, WHITE, "cue", room)
        return top

    def _banner(self, canvas: np.ndarray, banner: Banner) -> None:
        lines, _, _ = self._lines(banner.text, MEDIUM, self.width - 4 * self.pad)
        line_h = self._px(MEDIUM)
        gap = round(0.03 * self.height)
        box_h = len(lines) * (line_h + gap) + gap
        top = self.pad + round(0.1 * self.height)  # high in the picture, leaving the body visible
        colour = {"stop": RED, "warning": (0, 110, 190)}.get(banner.kind, BANNER_BG)
        region = canvas[top : top + box_h, self.pad : self.width - self.pad]
        region[:] = (region * 0.25 + np.array(colour) * 0.75).astype(np.uint8)
        y = top
        for line in lines:
            y += line_h + gap
            scale, thickness = self._fit(line, MEDIUM, "banner")
            w = cv2.getTextSize(line, FONT, scale, thickness)[0][0]
            self._text(canvas, line, (max(2 * self.pad, (self.width - w) // 2), y), MEDIUM, WHITE, "banner")


def _covers(points: np.ndarray, top: int, bottom: int) -> bool:
    """Do any of `points` (x, y) lie between the rows `top` and `bottom`?"""
    return bool(len(points)) and bool(((points[:, 1] >= top) & (points[:, 1] <= bottom)).any())
