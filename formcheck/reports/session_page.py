"""report.html: one session at a glance, for the therapist, beside report.json.

    save_session_page(out_dir, report, analysis, video=Path("clip.mp4"))   # never raises; one warning line

One self-contained file: the verdict in plain words first, the reps and holds against their targets,
charts of the key metrics, thumbnails of each fault and of the best rep, what was not measured and why,
and a link to annotated.mp4. No script, no network; prints on A4.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from formcheck.analyze import VIDEO_NAME, Analysis
from formcheck.outputs.atomic import atomic_path
from formcheck.reports.charts import render
from formcheck.reports.html import Markup, esc, img, join, page, section, table, tag
from formcheck.reports.session_data import SessionView, session_view
from formcheck.reports.thumbnails import thumbnails

PAGE_NAME = "report.html"
REP_HEADERS = ("rep", "set", "side", "time (s)", "peak", "target", "time under tension (s)", "faults")
HOLD_HEADERS = ("hold", "side", "time (s)", "lasted (s)", "target (s)", "target reached", "faults")
FAULT_HEADERS = ("fault", "side", "time (s)", "worst value", "what the patient was told")


def _yes_no(cell: object) -> object:
    if cell in ("yes", "no"):
        return tag("span", cell, class_=cell)
    return cell


def render_session_page(view: SessionView, images: dict[int, bytes], *, video_link: str | None) -> Markup:
    """The page's HTML from its content; ``images`` are JPEG thumbnails by moment row."""
    verdict = Markup(f'<div class="verdict{"" if view.verdict_ok else " fault"}">'
                     + join(tag("p", line) for line in view.verdict) + "</div>")
    parts: list[object] = [tag("h1", view.title), tag("p", " · ".join(view.facts), class_="facts"), verdict]
    if view.rep_rows:
        parts.append(section("Reps", tag("p", view.rep_target_text, class_="note"),
                             table(REP_HEADERS, view.rep_rows)))
    if view.hold_rows:
        rows = [tuple(_yes_no(c) for c in row) for row in view.hold_rows]
        parts.append(section("Holds against their target", table(HOLD_HEADERS, rows)))
    if view.fault_rows:
        parts.append(section("Form faults", table(FAULT_HEADERS, view.fault_rows)))
    if view.charts:
        charts = [Markup(f'<div class="chart">{render(chart)}</div>') for chart in view.charts]
        legend = tag("p", "Shaded: blue a rep, green a hold, red a form fault. Dashed and dotted lines: the "
                          "exercise's targets and limits.", class_="legend")
        parts.append(section("Over time", legend, *charts))
    figures = [Markup(f"<figure>{img(images[m.row], 'image/jpeg', m.caption)}"
                      f"{tag('figcaption', m.caption)}</figure>") for m in view.moments if m.row in images]
    if figures:
        parts.append(section("Moments", Markup('<div class="thumbs">' + join(figures) + "</div>")))
    if view.not_measured:
        items = join(tag("li", Markup(f"{tag('strong', rule)}: {esc(reason)}")) for rule, reason in view.not_measured)
        parts.append(section("Not measured", Markup(f"<ul>{items}</ul>")))
    else:
        parts.append(section("Not measured", tag("p", "Every check of this exercise was measured.")))
    if video_link:
        parts.append(tag("p", Markup("The annotated video: " + tag("a", video_link, href=video_link))))
    parts.append(Markup("<footer>" + esc("formcheck is not a medical device; it reports what the camera saw.")
                        + "</footer>"))
    return page(view.title, join(parts))


def write_session_page(folder: Path, report: dict, analysis: Analysis, *, video: Path | None = None,
                       made: datetime | None = None) -> Path:
    """Write report.html into ``folder``; thumbnails from ``video`` (None: the skeleton on a plain background)."""
    view = session_view(report, analysis, made=(made or datetime.now()).strftime("%Y-%m-%d %H:%M"))
    images = thumbnails(analysis, view.moments, video=video)
    outputs = report.get("outputs") or []
    link = VIDEO_NAME if VIDEO_NAME in outputs else next((o for o in outputs if str(o).endswith(".mp4")), None)
    html = render_session_page(view, images, video_link=link)
    path = Path(folder) / PAGE_NAME
    with atomic_path(path) as tmp:
        Path(tmp).write_text(html, encoding="utf-8")
    return path


def save_session_page(folder: Path, report: dict, analysis: Analysis, *, video: Path | None = None) -> Path | None:
    """`write_session_page`, but a failure only prints one warning line (report.json is never lost for it)."""
    try:
        return write_session_page(folder, report, analysis, video=video)
    except Exception as exc:  # noqa: BLE001 - deliberate guard: the page is an extra, the report is written
        print(f"formcheck: warning: {Path(folder) / PAGE_NAME}: report page not written ({exc})", file=sys.stderr)
        return None
