"""Real people against their hand labels (../shared/videos/labels.json), one test per labelled clip.

Each clip is analysed from its video with the labelled exercise and scored as `formcheck evaluate REAL_DIR` scores
it: reps exact, holds within 0.6 s, no safety flag outside a labelled window. The clips formcheck still judges
wrong are xfail(strict=True) with what goes wrong, so that a fix shows up as an unexpected pass.
Skipped when the folder is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formcheck.evaluate.folder import FolderRequest, evaluate_folder
from formcheck.evaluate.labels import label_truth, read_labels
from formcheck.evaluate.scores import score_clip

LABELS = Path(__file__).resolve().parents[1].parent / "shared" / "videos" / "labels.json"
KNOWN_WRONG = {
}


def _names() -> list[str]:
    if not LABELS.is_file():
        return ["(no labels.json)"]
    return sorted(json.loads(LABELS.read_text())["clips"])


@pytest.fixture(scope="session")
def labelled_reports(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("labelled_reports")


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_WRONG[n], strict=True)) if n in KNOWN_WRONG else n
     for n in _names()],
)
def test_real_clip_judged_as_labelled(real_videos, pose_model, labelled_reports, name) -> None:
    request = FolderRequest(folder=real_videos, reports=labelled_reports, only=(name,), model=pose_model,
                            progress=False)
    [score], _ = evaluate_folder(request)
    assert score.passed, score.failures()


def test_labels_become_truth_documents(real_videos) -> None:
    clips = {c.name: c for c in read_labels(real_videos)}
    bridge = clips["bridge_side_istock_3reps.mp4"].truth
    assert bridge["rep_count"] == 3 and bridge["holds"] == []  # a rep exercise is scored on its reps
    stretch = clips["hip_flexor_halfkneel_side_hep.mp4"].truth
    assert stretch["rep_count"] == 0 and [(h["start_s"], h["end_s"]) for h in stretch["holds"]] == [(0.0, 10.0)]
    tuck = clips["jump_tuck_landing_oblique_5reps.mp4"].truth
    assert tuck["rules_checked"] == []  # hip flexed past 90 without the knee rising: the rule is left unscored


def test_a_false_safety_flag_fails_a_labelled_clip() -> None:
    truth = label_truth("clip.mp4", "bridge", 1, [{"start_s": 0.0, "end_s": 2.0}], [], [])
    report = {"exercise": "bridge", "reps": [{"start_s": 0.2, "end_s": 1.8}], "holds": [],
              "violations": [{"rule": "knee_above_hip", "side": "left", "start_s": 1.0, "end_s": 1.4}],
              "summary": {}}
    score = score_clip(report, truth, clip="clip.mp4")
    assert not score.passed and score.precision == 0.0
    assert score_clip({**report, "violations": []}, truth, clip="clip.mp4").passed
