"""The report pages in a real browser (headless Chromium): PNG and PDF not blank, every image loaded,
hostile text shown literally and never run. Skips without Chromium (`.ci/run` installs Debian's).

`python tests/test_reports_browser.py` remakes the README's screenshots in docs/ with this code.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.analyze import AnalyzeRequest, run_analyze
from formcheck.reports.browser import dump_dom, find_chromium, print_pdf, screenshot

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_videos"
HOSTILE = '<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'
CHROME = find_chromium()
needs_chromium = pytest.mark.skipif(CHROME is None, reason="no chromium installed (apt-get install chromium)")


def session_report(out: Path, *, clip: str = "safety_watch_knee_lifts_side", exercise: str = "safety_watch",
                   video: bool = True, spec_path: Path | None = None) -> Path:
    """report.html of a sample clip (its video for the thumbnails, or the track for the skeleton only)."""
    source = SAMPLES / (f"{clip}.mp4" if video else f"{clip}.track.csv")
    if video:  # thumbnails from the real video, without running the model: analyse the track, show the video
        from formcheck.analyze import analyse_track, make_report
        from formcheck.reports.session_page import write_session_page
        from formcheck.specs.spec import resolve_spec
        from formcheck.track_io import read_track

        analysis = analyse_track(read_track(SAMPLES / f"{clip}.track.csv"), resolve_spec(exercise, spec_path))
        report = make_report(analysis, source=source.name, extra={"outputs": ["metrics.csv", "annotated.mp4"]})
        out.mkdir(parents=True, exist_ok=True)
        return write_session_page(out, report, analysis, video=source)
    run_analyze(AnalyzeRequest(input=source, out_dir=out, exercise=None if spec_path else exercise,
                               spec_path=spec_path, write_video=False, progress=False))
    return out / "report.html"


def assert_png_not_blank(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, f"{path}: not a PNG"
    ink = (image.astype(int).sum(axis=2) < 600).mean()  # share of pixels that are not (near) white
    assert ink > 0.02 and image.std() > 10, f"{path}: looks blank"
    return image


def assert_pdf_not_blank(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000, f"{path}: empty PDF"
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 1
    assert b"/Image" in data or b"/XObject" in data  # the thumbnails made it onto paper


def probe_images(page: Path, tmp_path: Path) -> list[int]:
    """naturalWidth of every image of ``page``, measured by Chromium on a test-made probe page."""
    sources = re.findall(r'<img src="([^"]*)"', page.read_text(encoding="utf-8"))
    imgs = "".join(f'<img src="{s}">' for s in sources)
    probe = tmp_path / "probe.html"
    probe.write_text(f"<!DOCTYPE html><html><body>{imgs}<pre id=out></pre><script>"
                     "window.onload=()=>{document.getElementById('out').textContent="
                     "JSON.stringify([...document.images].map(i=>i.complete?i.naturalWidth:-1));};"
                     "</script></body></html>", encoding="utf-8")
    dom = dump_dom(CHROME, probe)
    found = re.search(r'<pre id="out">(.*?)</pre>', dom)
    assert found, "the probe page did not run"
    widths = json.loads(found.group(1))
    assert len(widths) == len(sources)
    return widths


def assert_hostile_inert(page: Path) -> str:
    """The page's DOM, checked: the hostile text is there as text; no script element, no onerror attribute."""
    dom = dump_dom(CHROME, page)
    assert re.search(r"<title>(.*?)</title>", dom, re.S).group(1).strip() != "pwned"  # no script set it
    assert "<script" not in dom.lower() and not re.search(r"<img[^>]*onerror", dom, re.I)
    assert "&lt;script&gt;document.title=" in dom  # shown literally
    return dom


@needs_chromium
def test_session_report_renders_to_png_and_pdf_with_every_image(tmp_path):
    page = session_report(tmp_path / "out")
    image = assert_png_not_blank(screenshot(CHROME, page, tmp_path / "report.png"))
    assert image.shape[1] == 1100
    assert_pdf_not_blank(print_pdf(CHROME, page, tmp_path / "report.pdf"))
    widths = probe_images(page, tmp_path)
    assert widths and all(w > 0 for w in widths)


@needs_chromium
def test_hostile_spec_text_shows_literally_and_runs_nothing(tmp_path):
    spec = (ROOT / "exercise_specs" / "safety_watch.toml").read_text()
    spec = spec.replace('name = "Safety watch"', f"name = {json.dumps('Watch ' + HOSTILE)}")
    spec += f"\n[safety.knee_above_hip]\ncue = {json.dumps(HOSTILE)}\n"
    (tmp_path / "hostile.toml").write_text(spec)
    page = session_report(tmp_path / "out", video=False, spec_path=tmp_path / "hostile.toml")
    assert_hostile_inert(page)
    assert_png_not_blank(screenshot(CHROME, page, tmp_path / "hostile.png"))


def progress_report(out: Path, *, days: int = 28, notes: str = "after arthroscopy, left hip") -> Path:
    """progress.html over `days` days of the benchmark's synthetic program (sessions, pain, iHOT-12)."""
    from datetime import date, timedelta

    sys.path.insert(0, str(ROOT / "bench"))
    import bench_progress

    from formcheck.reports.progress_run import ProgressRequest, run_progress

    out.mkdir(parents=True, exist_ok=True)
    today = date(2026, 12, 14)
    start = today - timedelta(days=days - 1)
    bench_progress.make_history(out / "history.sqlite", start=start, days=days)
    plan = bench_progress.write_plan(out / "plan.toml", start, notes=notes)
    run_progress(ProgressRequest(out_dir=out, plan=plan, history=out / "history.sqlite", today=today, age=45))
    return out / "progress.html"


@needs_chromium
def test_progress_report_renders_and_hostile_plan_notes_run_nothing(tmp_path):
    page = progress_report(tmp_path / "progress", days=10, notes=HOSTILE)
    assert_png_not_blank(screenshot(CHROME, page, tmp_path / "progress.png"))
    assert_pdf_not_blank(print_pdf(CHROME, page, tmp_path / "progress.pdf"))
    dom = assert_hostile_inert(page)
    assert dom.count("<svg") >= 5  # the charts are inline SVG: nothing to load
    assert not re.search(r'(src|href)="(https?:|//)', page.read_text(encoding="utf-8"))


def make_docs_screenshots(docs: Path = ROOT / "docs") -> list[Path]:
    """The README's screenshots: a session report and a progress report."""
    import tempfile

    made = []
    with tempfile.TemporaryDirectory() as tmp:
        page = session_report(Path(tmp) / "session", clip="single_leg_stance_right_faults_front",
                              exercise="single_leg_stance")
        made.append(screenshot(CHROME, page, docs / "report_session.png", size=(1100, 1900)))
        made.append(screenshot(CHROME, progress_report(Path(tmp) / "progress", days=56), docs / "report_progress.png",
                               size=(1100, 1900)))
    return made


if __name__ == "__main__":
    if CHROME is None:
        sys.exit("no chromium installed")
    for path in make_docs_screenshots():
        print(path)
