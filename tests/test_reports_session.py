"""report.html beside report.json: its content against the report, escaping, and a failure that loses nothing."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.analyze import AnalyzeRequest, analyse_track, make_report, run_analyze
from formcheck.reports import session_page
from formcheck.reports.html import Markup, esc, table
from formcheck.reports.session_data import session_view
from formcheck.specs.spec import resolve_spec
from formcheck.track_io import read_track

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"
HOSTILE = '<script>document.title="pwned"</script><img src=x onerror="document.body.dataset.pwned=1">'


def _analyse(clip: str, exercise: str):
    analysis = analyse_track(read_track(SAMPLES / f"{clip}.track.csv"), resolve_spec(exercise, None))
    return analysis, make_report(analysis, source=f"{clip}.mp4", extra={"outputs": ["annotated.mp4"]})


def images_of(html: str) -> list[bytes]:
    """Every <img>'s bytes; fails unless each is a data: URI (nothing to fetch)."""
    sources = re.findall(r'<img src="([^"]*)"', html)
    assert all(s.startswith("data:image/jpeg;base64,") for s in sources), "every image is inline"
    return [base64.b64decode(s.split(",", 1)[1]) for s in sources]


def test_esc_escapes_everything_but_markup():
    assert esc(HOSTILE).count("<") == 0
    assert esc(Markup("<b>ok</b>")) == "<b>ok</b>"
    assert esc(None) == ""
    assert "&lt;script&gt;" in table(["a"], [[HOSTILE]])


def test_analyze_writes_report_html_beside_report_json(tmp_path):
    outcome = run_analyze(AnalyzeRequest(input=SAMPLES / "safety_watch_knee_lifts_side.track.csv", out_dir=tmp_path,
                                         exercise="safety_watch", write_video=False, progress=False))
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert outcome.report_path.exists()
    assert "<script" not in html and not re.search(r'(src|href)="(https?:|//)', html)  # nothing to fetch
    assert "The knee rose above the hip 2 times" in html
    assert html.count("<svg") >= 1 and "@media print" in html and "size: A4" in html
    for data in images_of(html):  # a thumbnail per fault: each a real JPEG
        assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) is not None
    assert len(images_of(html)) == len(outcome.report["violations"])


def test_the_page_shows_the_reports_numbers():
    analysis, report = _analyse("bridge_side", "bridge")
    view = session_view(report, analysis, made="2026-12-07 10:00")
    assert len(view.rep_rows) == len(report["reps"])
    assert view.verdict[0].startswith(f"{len(report['reps'])} reps of bridge (prescribed: 2 sets of 10)")
    assert "The knee-above-hip rule is off" in view.verdict[1]
    assert view.charts[0].title == "Hip flexion"
    labels = [t.label for t in view.charts[0].thresholds]
    assert "rep target 15" in labels and "rep starts 32" in labels
    assert sum(1 for s in view.charts[0].spans if s.kind == "rep") == len(report["reps"])
    assert [m.caption.startswith("Best rep") for m in view.moments] == [True]
    assert dict(view.not_measured)  # knee valgus needs a front view


def test_holds_against_target_and_fault_windows_in_red():
    analysis, report = _analyse("single_leg_stance_right_faults_front", "single_leg_stance")
    view = session_view(report, analysis, made="now")
    assert [row[5] for row in view.hold_rows] == ["yes" if h["met"] else "no" for h in report["holds"]]
    faults = [s for chart in view.charts for s in chart.spans if s.kind == "fault"]
    assert {(s.start, s.end) for s in faults} == {(v["start_s"], v["end_s"]) for v in report["violations"]}


def test_hostile_spec_text_and_file_name_are_escaped(tmp_path):
    spec = (SAMPLES.parent / "exercise_specs" / "safety_watch.toml").read_text()
    spec = spec.replace('name = "Safety watch"', f"name = {json.dumps('Watch ' + HOSTILE)}")
    spec += f"\n[safety.knee_above_hip]\ncue = {json.dumps(HOSTILE)}\n"
    (tmp_path / "hostile.toml").write_text(spec)
    track = tmp_path / "<img src=x onerror=alert(1)>.track.csv"
    track.write_bytes((SAMPLES / "safety_watch_knee_lifts_side.track.csv").read_bytes())
    run_analyze(AnalyzeRequest(input=track, out_dir=tmp_path / "out", spec_path=tmp_path / "hostile.toml",
                               write_video=False, progress=False))
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html and "<script" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_page_that_cannot_be_built_loses_nothing(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("no charts today")

    monkeypatch.setattr(session_page, "session_view", broken)
    outcome = run_analyze(AnalyzeRequest(input=SAMPLES / "bridge_side.track.csv", out_dir=tmp_path, exercise="bridge",
                                         write_video=False, progress=False))
    assert outcome.report_path.exists() and not (tmp_path / "report.html").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("formcheck: warning:") and "no charts today" in err[0]


@pytest.mark.parametrize("skeleton_only", [False, True])
def test_thumbnails_from_the_video_or_the_skeleton_only(tmp_path, skeleton_only):
    analysis, report = _analyse("safety_watch_knee_lifts_side", "safety_watch")
    video = None if skeleton_only else SAMPLES / "safety_watch_knee_lifts_side.mp4"
    page = session_page.write_session_page(tmp_path, report, analysis, video=video)
    images = [cv2.imdecode(np.frombuffer(d, np.uint8), cv2.IMREAD_COLOR) for d in images_of(page.read_text())]
    assert images and all(i is not None for i in images)
    corners = np.concatenate([i[:4, :4].reshape(-1, 3) for i in images])
    plain = bool((np.abs(corners.astype(int) - (48, 44, 40)).max(axis=1) <= 2).all())
    assert plain == skeleton_only  # the plain background shows no room


@pytest.mark.parametrize("skeleton_only", [False, True])
def test_live_writes_report_html_per_exercise_and_can_record_the_skeleton_only(tmp_path, skeleton_only):
    from formcheck.live import LiveRequest, run_live
    from formcheck.live.capture import CameraTarget, open_capture
    from formcheck.live.keys import ScriptedKeys
    from formcheck.live.sound import SoundBoard

    from live_fakes import TrackDetector

    clip = SAMPLES / "bridge_side.mp4"
    capture = open_capture(CameraTarget.parse(str(clip)))
    capture.speed = 6.0
    request = LiveRequest(camera=str(clip), exercises=("bridge", "clamshell"), out_dir=tmp_path / "out",
                          record_dir=tmp_path / "out", window=False, voice=False, tones=False, strict=True,
                          skeleton_only=skeleton_only)
    outcome = run_live(request, keys=ScriptedKeys({150: "n"}), sound=SoundBoard(run=lambda cmd: None),
                       detect=TrackDetector(SAMPLES / "bridge_side.track.csv"), capture=capture)
    for report_path in outcome.reports:
        page = (report_path.parent / "report.html").read_text(encoding="utf-8")
        assert json.loads(report_path.read_text())["exercise"] in page.lower().replace(" ", "_") or "<h1>" in page
        assert "<script" not in page
    video = cv2.VideoCapture(str(outcome.video_path))
    frames = [video.read()[1] for _ in range(40)][-1]
    video.release()
    corner = frames[-6:, :6].reshape(-1, 3).astype(int)  # the picture's corner (the status panel is on the right)
    assert (corner.max() < 60) == skeleton_only  # the plain dark background: no room recorded
