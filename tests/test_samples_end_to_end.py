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
from formcheck.evaluate.scores import read_report, read_truth, score_clip

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
CLIPS = sorted(p.name[: -len(".truth.json")] for p in SAMPLES.glob("*.truth.json"))

# Where the measurement does not meet the truth yet (strict: a fix shows up as an unexpected pass).
_GROIN = ("MediaPipe reads the let-down thighs flatter (5 to 9 deg, true 10 to 11) and sees the knees start to rise "
          "0.3 s late, so the second hold reads 0.63 s long")
_HIP_HIKE = ("MediaPipe's hips barely follow the pelvis: a 2.7 deg drop in reps 1-2 (true 7.9), 1.5 deg in reps 3-4 "
             "and the wrong side with the trunk lean in rep 5, so no rep reaches the 5 deg peak; front-view knee "
             "flexion reads about 20 deg standing (knee_bent)")
KNOWN_TRACK_GAPS: dict[str, str] = {}
KNOWN_VIDEO_GAPS = {
    **KNOWN_TRACK_GAPS,
    "groin_stretch_front": _GROIN,
    "hip_hike_right_step_front": _HIP_HIKE,
    "single_leg_squat_left_pelvis_trunk_front": "the 10 deg pelvic drop reads 4-6 deg from MediaPipe's hip "
                                                "landmarks (about half), under the 5 deg threshold but briefly",
    "single_leg_stance_right_faults_front": "the 10 deg pelvic drop is not seen by MediaPipe: its hip line moves "
                                            "under 2 deg (image and world landmarks alike)",
}


def _cases(gaps: dict[str, str]) -> list:
    return [pytest.param(n, marks=pytest.mark.xfail(reason=gaps[n], strict=True)) if n in gaps else n for n in CLIPS]


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


@pytest.mark.parametrize("name", _cases(KNOWN_TRACK_GAPS))
def test_sample_track_meets_the_truth(name, track_reports):
    _assert_scores(name, track_reports.get(name, "track"))


@pytest.mark.parametrize("name", _cases(KNOWN_VIDEO_GAPS))
def test_sample_video_meets_the_truth(name, video_reports):
    _assert_scores(name, video_reports.get(name, "video"))


def test_evaluate_command_on_the_sample_tracks(tmp_path, capsys):
    scores_path = tmp_path / "scores.json"
    reports = tmp_path / "reports"
    status = main(["evaluate", str(SAMPLES), "--tracks", "--reports", str(reports), "--strict", "--no-progress",
                   "--json", str(scores_path)])
    out = capsys.readouterr().out
    assert status == (1 if KNOWN_TRACK_GAPS else 0), out
    data = json.loads(scores_path.read_text())
    assert data["overall"]["clips"] == len(CLIPS)
    passed = {c["clip"] for c in data["clips"] if c["passed"]}
    assert passed == set(CLIPS) - set(KNOWN_TRACK_GAPS), out
    for clip in data["clips"]:
        if clip["clip"] in passed:
            assert clip["reps"]["error"] == 0 and clip["violations"]["precision"] == 1.0
            assert clip["violations"]["recall"] == 1.0 and not clip["holds"]["extra"]
    assert set(data["exercises"]) == {read_truth(SAMPLES / f"{n}.truth.json")["exercise"] for n in CLIPS}
    for name in CLIPS:
        assert name in out
    # a second run reuses the reports instead of analysing again
    paths = [reports / n / "report.json" for n in CLIPS]
    before = [p.stat().st_mtime_ns for p in paths]
    assert main(["evaluate", str(SAMPLES), "--tracks", "--reports", str(reports), "--no-progress"]) == 0
    assert before == [p.stat().st_mtime_ns for p in paths]
