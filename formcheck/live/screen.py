"""What the patient sees: the camera picture with the skeleton, and a large status strip beside it.

Text is sized from the frame height so that it reads from three metres away: the counts are 9% of the
frame height, the exercise, cue and messages 6%, the frame rate 4% (the annotated-video panel of
`overlay` is smaller, about 2.5%). The skeleton, the angles and the red segments come from
`overlay.Annotator`; the panel's content from `annotate.FrameAnnotator`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from formcheck.outputs.annotate import FrameAnnotation
from formcheck.outputs.overlay import AMBER, GREEN, GREY, RED, WHITE, Annotator, Panel

FONT = cv2.FONT_HERSHEY_DUPLEX
HUGE, BIG, MEDIUM, SMALL = 0.16, 0.09, 0.06, 0.04  # text heights as fractions of the frame height
STRIP_WIDTH = 0.85  # the status strip's width as a fraction of the frame height
STRIP_BG = (38, 34, 30)
BANNER_BG = (25, 25, 25)


@dataclass(frozen=True)
class DrawnText:
    """A line of text drawn on the screen and its height in pixels (cap height, as OpenCV measures it)."""

    text: str
    height_px: int
    where: str


@dataclass(frozen=True)
class Banner:
    """A message over the middle of the picture (set-up advice, camera lost, paused, pain)."""

    text: str
    kind: str = "info"  # "info", "warning" or "stop"


def _scale_for(height_px: float, thickness: int) -> float:
    (_, h), _ = cv2.getTextSize("Hg", FONT, 1.0, thickness)
    return height_px / h


def _wrap(text: str, max_width: int, scale: float, thickness: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if line and cv2.getTextSize(trial, FONT, scale, thickness)[0][0] > max_width:
            lines.append(line)
            line = word
        else:
            line = trial
    if line:
        lines.append(line)
    return lines


class Screen:
    """Configured once per camera size; `compose(...)` returns the image to show (and to record)."""

    def __init__(self, frame_size: tuple[int, int], *, mirror: bool = False) -> None:
        self.width, self.height = (int(v) for v in frame_size)
        self.mirror = mirror
        self.strip_width = round(STRIP_WIDTH * self.height)
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
        if landmarks is not None:
            xy = landmarks[:, :2] * (self.width, self.height)
            if self.mirror:
                xy = xy.copy()
                xy[:, 0] = self.width - 1 - xy[:, 0]
            self.annotator.annotate(picture, xy, landmarks[:, 3],
                                    red_segments=parts.red_segments if parts else (),
                                    labels=parts.labels if parts else ())
        canvas = np.empty((self.height, self.width + self.strip_width, 3), dtype=np.uint8)
        canvas[:, : self.width] = picture
        canvas[:, self.width:] = STRIP_BG
        if parts is not None:
            self._strip(canvas, parts.panel)
            if parts.panel.cue and banner is None:
                self._cue(canvas, parts.panel.cue, parts.panel.cue_is_fault)
        if banner is not None:
            self._banner(canvas, banner)
        return canvas

    # ------------------------------------------------------------------------------ drawing

    def _text(self, canvas, text: str, org: tuple[int, int], height: float, colour, where: str) -> int:
        """Draw one line with its baseline at org; returns the line's cap height in pixels."""
        thickness = self.thickness + (1 if height >= MEDIUM else 0)
        scale = _scale_for(height * self.height, thickness)
        cv2.putText(canvas, text, org, FONT, scale, colour, thickness, cv2.LINE_AA)
        h = cv2.getTextSize(text, FONT, scale, thickness)[0][1]
        self.drawn.append(DrawnText(text, h, where))
        return h

    def _lines(self, text: str, height: float, max_width: int) -> tuple[list[str], float, int]:
        thickness = self.thickness + (1 if height >= MEDIUM else 0)
        scale = _scale_for(height * self.height, thickness)
        return _wrap(text, max_width, scale, thickness), scale, thickness

    def _strip(self, canvas: np.ndarray, panel: Panel) -> None:
        x = self.width + self.pad
        max_w = self.strip_width - 2 * self.pad
        y = self.pad
        gap = round(0.03 * self.height)

        def write(text: str, height: float, colour) -> None:
            nonlocal y
            lines, _, _ = self._lines(text, height, max_w)
            for line in lines:
                y += round(height * self.height)
                self._text(canvas, line, (x, y), height, colour, "strip")
                y += gap

        title = panel.exercise.replace("_", " ")
        write(title, MEDIUM, WHITE)
        if panel.program_step:
            write(panel.program_step, MEDIUM, GREY)
        if panel.side:
            write(f"side: {panel.side}", MEDIUM, GREY)
        if panel.set_no is not None:
            write(f"set {panel.set_no}", MEDIUM, WHITE)
        if panel.reps is not None:
            target = f" / {panel.rep_target}" if panel.rep_target else ""
            write(f"reps {panel.reps}{target}", BIG, GREEN)
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
                bar_h = round(0.045 * self.height)
                left, right = x, x + max_w
                cv2.rectangle(canvas, (left, y), (right, y + bar_h), GREY, self.thickness)
                frac = min(1.0, max(0.0, elapsed / target))
                cv2.rectangle(canvas, (left, y), (left + round((right - left) * frac), y + bar_h),
                              GREEN if met else AMBER, -1)
                y += bar_h + gap
        if panel.rest_left_s is not None and panel.rest_left_s > 0:
            write(f"rest {panel.rest_left_s:.0f} s", BIG, AMBER)
        if panel.note:
            write(panel.note, MEDIUM, AMBER)
        if panel.fps is not None:
            perf = f"{panel.fps:.0f} fps" + (f"  {panel.latency_ms:.0f} ms" if panel.latency_ms is not None else "")
            self._text(canvas, perf, (x, self.height - self.pad), SMALL, GREY, "strip")

    def _bar(self, canvas: np.ndarray, x: int, y: int, width: int, fraction: float, met: bool) -> int:
        """A progress bar toward a target at (x, y); returns its bottom edge."""
        bar_h = round(0.045 * self.height)
        cv2.rectangle(canvas, (x, y), (x + width, y + bar_h), GREY, self.thickness)
        fill = round(width * min(1.0, max(0.0, fraction)))
        cv2.rectangle(canvas, (x, y), (x + fill, y + bar_h), GREEN if met else AMBER, -1)
        return y + bar_h

    def _cue(self, canvas: np.ndarray, cue: str, fault: bool) -> None:
        lines, _, _ = self._lines(cue, MEDIUM, self.width - 4 * self.pad)
        line_h = round(MEDIUM * self.height)
        gap = round(0.025 * self.height)
        box_h = len(lines) * (line_h + gap) + gap
        top = self.height - self.pad - box_h
        cv2.rectangle(canvas, (self.pad, top), (self.width - self.pad, self.height - self.pad),
                      RED if fault else (70, 70, 70), -1)
        y = top
        for line in lines:
            y += line_h + gap
            self._text(canvas, line, (2 * self.pad, y), MEDIUM, WHITE, "cue")

    def _banner(self, canvas: np.ndarray, banner: Banner) -> None:
        lines, scale, thickness = self._lines(banner.text, MEDIUM, self.width - 4 * self.pad)
        line_h = round(MEDIUM * self.height)
        gap = round(0.03 * self.height)
        box_h = len(lines) * (line_h + gap) + gap
        top = self.pad + round(0.1 * self.height)  # high in the picture, leaving the body visible
        colour = {"stop": RED, "warning": (0, 110, 190)}.get(banner.kind, BANNER_BG)
        region = canvas[top : top + box_h, self.pad : self.width - self.pad]
        region[:] = (region * 0.25 + np.array(colour) * 0.75).astype(np.uint8)
        y = top
        for line in lines:
            y += line_h + gap
            w = cv2.getTextSize(line, FONT, scale, thickness)[0][0]
            self._text(canvas, line, (max(2 * self.pad, (self.width - w) // 2), y), MEDIUM, WHITE, "banner")
