"""The whole pipeline on the synthetic sample clips, scored against their truth files.

Acceptance of the samples issue: every rep count exact, every hold within 0.5 s, violation precision and
recall 1.0 (0.5 s tolerance). Once on the videos with MediaPipe (one model run per clip per session), once
on the exact landmark tracks (fast, no model), and once through `formcheck evaluate DIR --tracks --strict`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formcheck.analyze import AnalyzeRequest, run_analyze
from formcheck.cli import main
from formcheck.evaluate import read_report, read_truth, score_clip

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
CLIPS = sorted(p.name[: -len(".truth.json")] for p in SAMPLES.glob("*.truth.json"))


def test_the_samples_are_there():
    assert len(CLIPS) >= 12
    for name in CLIPS:
        assert (SAMPLES / f"{name}.mp4").is_file() and (SAMPLES / f"{name}.track.csv").is_file()


class _Reports:
    """report.json per clip and input kind, analysed on first use and kept for the module."""

    def __init__(self, root: Path, model: Path | None) -> None:
        self.root = root
        self.model = model
        self.paths: dict[tuple[str, str], Path] = {}

    def get(self, name: str, kind: str) -> dict:
        key = (name, kind)
        if key not in self.paths:
            source = SAMPLES / (f"{name}.mp4" if kind == "video" else f"{name}.track.csv")
            truth = read_truth(SAMPLES / f"{name}.truth.json")
            outcome = run_analyze(AnalyzeRequest(input=source, out_dir=self.root / kind / name,
                                                 exercise=truth["exercise"], write_video=False,
                                                 model=self.model, progress=False))
            self.paths[key] = outcome.report_path
        return read_report(self.paths[key])


@pytest.fixture(scope="module")
def track_reports(tmp_path_factory) -> _Reports:
    return _Reports(tmp_path_factory.mktemp("sample_reports"), None)


@pytest.fixture(scope="module")
def video_reports(tmp_path_factory, pose_model) -> _Reports:
    return _Reports(tmp_path_factory.mktemp("sample_reports"), pose_model)


def _assert_scores(name: str, report: dict) -> None:
    score = score_clip(report, read_truth(SAMPLES / f"{name}.truth.json"), clip=name)
    assert score.rep_error == 0, score.failures()
    assert score.holds_ok, score.failures()
    assert score.recall == 1.0, score.failures()
    assert score.precision == 1.0, score.failures()


@pytest.mark.parametrize("name", CLIPS)
def test_sample_track_meets_the_truth(name, track_reports):
    _assert_scores(name, track_reports.get(name, "track"))


@pytest.mark.parametrize("name", CLIPS)
def test_sample_video_meets_the_truth(name, video_reports):
    _assert_scores(name, video_reports.get(name, "video"))


def test_evaluate_command_on_the_sample_tracks(tmp_path, capsys):
    scores_path = tmp_path / "scores.json"
    status = main(["evaluate", str(SAMPLES), "--tracks", "--reports", str(tmp_path / "reports"), "--strict",
                   "--no-progress", "--json", str(scores_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    data = json.loads(scores_path.read_text())
    assert data["passed"] is True
    assert data["overall"]["clips"] == len(CLIPS)
    assert data["overall"]["precision"] == 1.0 and data["overall"]["recall"] == 1.0
    assert data["overall"]["rep_abs_error"] == 0
    assert set(data["exercises"]) == {read_truth(SAMPLES / f"{n}.truth.json")["exercise"] for n in CLIPS}
    assert all((tmp_path / "reports" / n / "report.json").is_file() for n in CLIPS)
    # a second run reuses the reports instead of analysing again
    before = {n: (tmp_path / "reports" / n / "report.json").stat().st_mtime_ns for n in CLIPS}
    assert main(["evaluate", str(SAMPLES), "--tracks", "--reports", str(tmp_path / "reports"), "--no-progress"]) == 0
    assert before == {n: (tmp_path / "reports" / n / "report.json").stat().st_mtime_ns for n in CLIPS}
