"""A span where the person is lost from view is reported (report.json ``pose_lost`` and the printed summary),
and a clip where the person stays in view reports none."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from formcheck.cli import main
from formcheck.track_io import read_track, write_track

from conftest import SAMPLES


def _analyse(track_path, out, capsys) -> tuple[dict, str]:
    assert main(["analyze", str(track_path), "-e", "bridge", "--out", str(out), "--no-video", "--no-history"]) == 0
    printed = capsys.readouterr().out
    return json.loads((out / "report.json").read_text()), printed


def test_a_lost_span_is_reported_and_said(tmp_path, capsys):
    track = read_track(SAMPLES / "bridge_side.track.csv")
    lost = (track.t_s >= 6.0) & (track.t_s < 9.0) & (np.arange(len(track)) % 4 != 0)  # found 1 frame in 4
    landmarks = track.landmarks.copy()
    landmarks[lost] = np.nan
    world = None if track.world is None else track.world.copy()
    if world is not None:
        world[lost] = np.nan
    path = tmp_path / "gappy.track.csv"
    write_track(replace(track, landmarks=landmarks, world=world), path)
    report, printed = _analyse(path, tmp_path / "out", capsys)
    [span] = report["pose_lost"]
    assert 5.4 <= span["start_s"] <= 6.6 and 8.4 <= span["end_s"] <= 9.6 and span["found"] < 0.5
    assert "lost from view" in printed


def test_a_clip_in_view_throughout_reports_no_lost_span(tmp_path, capsys):
    report, printed = _analyse(SAMPLES / "bridge_side.track.csv", tmp_path / "out", capsys)
    assert report["pose_lost"] == [] and "lost from view" not in printed
