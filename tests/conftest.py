"""Shared fixtures: the pose model and the real-footage folder.

The model comes from $FORMCHECK_MODEL, else the team's shared copy when this machine has it (to save
time), else formcheck's own provisioning (user cache, MediaPipe download, or a build from PyPI), so the
suite needs nothing outside the project to run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED_MODEL = SHARED / "models" / "pose_landmarker_full.task"
VIDEOS = Path(os.environ.get("FORMCHECK_VIDEOS", SHARED / "videos"))
SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def _model_path() -> Path:
    env = os.environ.get("FORMCHECK_MODEL")
    if env:
        return Path(env)
    if SHARED_MODEL.is_file():
        return SHARED_MODEL
    from formcheck.pose.model_store import resolve_model

    return resolve_model(progress=False)


@pytest.fixture(scope="session")
def pose_model() -> Path:
    """A pose_landmarker .task file (provisioned once per test session)."""
    path = _model_path()
    assert path.is_file(), f"pose model not found at {path}"
    return path


@pytest.fixture(scope="session")
def real_videos() -> Path:
    """The folder of real exercise clips; tests using it skip on machines without it."""
    if not (VIDEOS / "PROVENANCE.md").is_file():
        pytest.skip(f"real footage not present ({VIDEOS})")
    return VIDEOS


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The bundled synthetic sample clips with their truth files."""
    return SAMPLES


@pytest.fixture(autouse=True)
def _private_history(tmp_path_factory, monkeypatch) -> Path:
    """Every test records into its own history database, never the user's (and follows no default plan)."""
    path = tmp_path_factory.mktemp("history") / "history.sqlite"
    monkeypatch.setenv("FORMCHECK_HISTORY", str(path))
    monkeypatch.delenv("FORMCHECK_PLAN", raising=False)
    return path
