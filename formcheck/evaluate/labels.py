"""Hand labels of real clips (``labels.json``, schema ``labels/1``) scored like synthetic truth.

A folder of real footage carries one ``labels.json``: per clip file the exercise, the counted reps and their
windows, the hold windows, the windows where a knee rises above the hip, and the labeller's timing tolerance::

    {"schema": "labels/1", "clips": {"bridge_side.mp4": {"exercise": "bridge", "reps": 3,
        "rep_windows": [[0.4, 4.8], ...], "holds": [[1.6, 3.0], ...], "knee_above_hip": [], "tolerance_s": 0.5}}}

Each label becomes a truth document for `score_clip`: ``reps: null`` (an exercise timed, not counted) means
zero reps; the safety rule is scored (an empty ``knee_above_hip`` list means no true window, so any detection is a
false alarm) unless the label notes that the clip's hip flexes past 90 degrees without the knee rising
(``hip_flexion_past_90``), where the rule's two definitions disagree and it is left unscored. A timed exercise
(spec mode "hold") is scored on its holds alone, a rep exercise on its reps alone (its labelled pause at the top
is part of the rep). Holds and
violations are matched within the clip's own ``tolerance_s``, holds within the larger of that and 0.6 s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from formcheck.errors import InputError, SpecError
from formcheck.specs.spec import load_spec

LABELS_NAME = "labels.json"
LABELS_SCHEMA = "labels/1"
SAFETY_RULE = "knee_above_hip"
HOLD_TOLERANCE_S = 0.6  # a real clip's hold passes within 0.6 s of its label (hand labels are rougher than truth)


@dataclass(frozen=True)
class LabelledClip:
    """One labelled clip: its file, its truth document for scoring, and its timing tolerance."""

    name: str
    video: Path
    truth: dict[str, Any]
    tolerance_s: float

    @property
    def hold_tolerance_s(self) -> float:
        return max(self.tolerance_s, HOLD_TOLERANCE_S)


def has_labels(folder: Path) -> bool:
    """True for a folder of real footage (a labels.json and no synthetic truth files)."""
    return (folder / LABELS_NAME).is_file() and not any(folder.glob("*.truth.json"))


def read_labels(folder: Path, only: Iterable[str] = ()) -> list[LabelledClip]:
    """The labelled clips of a folder, sorted by file name; InputError naming the file and the problem."""
    path = folder / LABELS_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such labels file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a JSON labels file ({exc.__class__.__name__})") from None
    if not isinstance(data, dict) or data.get("schema") != LABELS_SCHEMA or not isinstance(data.get("clips"), dict):
        raise InputError(f"{path}: not a {LABELS_SCHEMA} document with a 'clips' object")
    clips = data["clips"]
    wanted = list(only)
    unknown = [n for n in wanted if n not in clips]
    if unknown:
        raise InputError(f"{path}: no label for {', '.join(unknown)} (have: {', '.join(sorted(clips))})")
    out = []
    for name in sorted(clips):
        if wanted and name not in wanted:
            continue
        video = folder / name
        if not video.is_file():
            raise InputError(f"{video}: labelled in {path.name} but the file is missing")
        out.append(_clip(path, name, video, clips[name]))
    return out


def _clip(path: Path, name: str, video: Path, label: Any) -> LabelledClip:
    if not isinstance(label, dict) or not isinstance(label.get("exercise"), str):
        raise InputError(f"{path}: clips.{name}: needs an 'exercise' id")
    try:
        tolerance = float(label.get("tolerance_s", 0.5))
        reps = [_window(w) for w in label.get("rep_windows", [])]
        holds = [_window(w) for w in label.get("holds", [])]
        unsafe = [_window(w) for w in label.get("knee_above_hip", [])]
        count = int(label["reps"]) if label.get("reps") is not None else 0
    except (TypeError, ValueError, KeyError) as exc:
        raise InputError(f"{path}: clips.{name}: windows must be [start_s, end_s] pairs ({exc})") from None
    try:
        timed = load_spec(label["exercise"]).mode == "hold"
    except SpecError as exc:
        raise InputError(f"{path}: clips.{name}: {exc}") from None
    if timed:  # a timed exercise is scored on its holds; a labelled "rep" of it is one of those holds
        count, reps = 0, []
    else:
        holds = []
    return LabelledClip(name, video, label_truth(name, label["exercise"], count, reps, holds, unsafe,
                                                 safety_scored="hip_flexion_past_90" not in label), tolerance)


def _window(value: Any) -> dict[str, float]:
    start, end = value
    return {"start_s": float(start), "end_s": float(end)}


def label_truth(
    name: str,
    exercise: str,
    rep_count: int,
    rep_windows: list[dict[str, float]],
    holds: list[dict[str, float]],
    knee_above_hip: list[dict[str, float]],
    *,
    safety_scored: bool = True,
) -> dict[str, Any]:
    """A ``formcheck.truth/1``-shaped document for `score_clip` from one clip's labels."""
    violations = [{"rule": SAFETY_RULE, "side": None, **w} for w in knee_above_hip] if safety_scored else []
    return {
        "clip": name,
        "exercise": exercise,
        "rep_count": rep_count,
        "partial_reps": 0,
        "reps": [{"full": True, **w} for w in rep_windows],
        "holds": [{"side": None, **w} for w in holds],
        "violations": violations,
        "rules_checked": [{"rule": SAFETY_RULE}] if safety_scored else [],
    }


def report_dir_name(clip: LabelledClip) -> str:
    """Folder name for a clip's report: the file name without its extension."""
    return Path(clip.name).stem

