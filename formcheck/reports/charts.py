"""Charts as inline SVG with matplotlib: a colour-blind-safe palette (Okabe-Ito), large text, axis units.

    svg = render(Chart(title="Hip flexion", y_label="hip flexion (deg)", x_label="time (s)",
                       lines=(Line("left", t, y),), spans=(Span(1.2, 3.4, "rep"),),
                       thresholds=(Threshold(15, "rep target 15 deg"),)))

No pyplot (no global figure state); each chart gets its own id salt so that several SVGs in one page
never share an element id. Text stays text in the SVG (escaped by matplotlib), and math parsing is off,
so a `$` or `<` in a label is shown as it is.
"""

from __future__ import annotations

import io
import itertools
import re
from datetime import date
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO: Final[dict[str, str]] = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
LINE_COLOURS: Final = ("blue", "orange", "green", "purple", "sky_blue", "black")
SPAN_COLOURS: Final[dict[str, tuple[str, float]]] = {
    "rep": ("sky_blue", 0.22), "hold": ("green", 0.18), "fault": ("vermillion", 0.35),
}
FONT_SIZE: Final = 15
MAX_MARKERS: Final = 60  # more points than this: a plain line (markers would only blur it)
_salt = itertools.count()


@dataclass(frozen=True)
class Line:
    """One series; ``x`` in seconds (session charts) or dates (progress charts); NaN leaves a gap."""

    label: str
    x: Sequence
    y: Sequence[float]
    colour: str | None = None  # an OKABE_ITO name; None: the next of LINE_COLOURS
    markers: bool = False


@dataclass(frozen=True)
class Span:
    """A shaded window on the x axis: a rep, a hold, or a fault (red)."""

    start: object
    end: object
    kind: Literal["rep", "hold", "fault"]


@dataclass(frozen=True)
class Threshold:
    """A horizontal line: a target, a limit or a norm, labelled with its value."""

    value: float
    label: str
    colour: str = "black"
    style: str = "--"


@dataclass(frozen=True)
class Chart:
    """What one chart shows."""

    title: str
    y_label: str
    x_label: str
    lines: tuple[Line, ...] = ()
    spans: tuple[Span, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    kind: Literal["line", "bar"] = "line"
    y_min: float | None = None
    size_in: tuple[float, float] = field(default=(10.0, 3.8))


def render(chart: Chart) -> str:
    """The chart as an ``<svg>`` element (no XML prolog), ready to inline in a page."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    rc = {"svg.fonttype": "none", "svg.hashsalt": f"formcheck-{next(_salt)}", "text.parse_math": False,
          "font.size": FONT_SIZE, "axes.titlesize": FONT_SIZE + 2, "axes.labelsize": FONT_SIZE,
          "font.family": "DejaVu Sans", "svg.image_inline": True}
    with matplotlib.rc_context(rc):
        figure = Figure(figsize=chart.size_in)  # fixed margins: a layout engine costs more than the drawing
        figure.subplots_adjust(left=0.09, right=0.74, bottom=0.28 if chart.kind == "bar" else 0.2, top=0.88)
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        _draw(axes, chart)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text[text.index("<svg"):], count=1, flags=re.S)


def _draw(axes, chart: Chart) -> None:
    colours = iter(itertools.cycle(LINE_COLOURS))
    for span in chart.spans:
        name, alpha = SPAN_COLOURS[span.kind]
        axes.axvspan(span.start, span.end, color=OKABE_ITO[name], alpha=alpha, linewidth=0)
    for i, line in enumerate(chart.lines):
        colour = OKABE_ITO[line.colour or next(colours)]
        y = np.asarray(line.y, dtype=float)
        if chart.kind == "bar":
            width = 0.8 / max(1, len(chart.lines))
            x = np.arange(len(y)) + (i - (len(chart.lines) - 1) / 2) * width
            # bars as one thick-line collection: a patch per bar costs several times more to draw and to write
            points_wide = chart.size_in[0] * 72 * 0.62 / max(1, len(y))
            axes.vlines(x, 0, np.nan_to_num(y), colors=colour, label=line.label,
                        linewidth=max(1.0, points_wide * width), capstyle="butt")
            ticks = [(k, str(v)) for k, v in enumerate(line.x) if v != ""]
            axes.set_xticks([k for k, _ in ticks], [v for _, v in ticks], rotation=45 if len(ticks) > 6 else 0,
                            ha="right" if len(ticks) > 6 else "center")
        else:
            axes.plot(list(line.x), y, color=colour, linewidth=2.2, label=line.label,
                      marker="o" if line.markers and len(y) <= MAX_MARKERS else None, markersize=5)
    for threshold in chart.thresholds:
        axes.axhline(threshold.value, color=OKABE_ITO[threshold.colour], linestyle=threshold.style, linewidth=1.6,
                     label=threshold.label)
    if chart.kind == "line" and any(len(line.x) and isinstance(line.x[0], date) for line in chart.lines):
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator(minticks=3, maxticks=7)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    _legend_patches(axes, chart)
    axes.set_title(chart.title, loc="left")
    axes.set_xlabel(chart.x_label)
    axes.set_ylabel(chart.y_label)
    if chart.y_min is not None:
        axes.set_ylim(bottom=chart.y_min)
    axes.grid(True, color="#dddddd", linewidth=0.8)
    axes.spines[["top", "right"]].set_visible(False)
    if chart.lines or chart.thresholds:
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=FONT_SIZE - 2)


def _legend_patches(axes, chart: Chart) -> None:
    """Legend entries for the kinds of shaded window the chart has."""
    names = {"rep": "rep", "hold": "hold", "fault": "form fault"}
    for kind in ("rep", "hold", "fault"):
        if any(s.kind == kind for s in chart.spans):
            colour, alpha = SPAN_COLOURS[kind]
            axes.plot([], [], color=OKABE_ITO[colour], alpha=min(1.0, alpha * 2.5), linewidth=10, label=names[kind])
