"""Write ``README.md`` of a sample folder: what each clip shows, read back from the truth files beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from formcheck.synth.clip import Clip

HEADER = """# Sample videos (synthetic)

Rendered mannequins with exact ground truth, made by `formcheck synth` (seeded: the same seed gives the same
frames, tracks and truth). Regenerate them all with

    formcheck synth --out sample_videos --seed 0

Each clip `NAME.mp4` (640x360, 30 fps, mp4v) comes with
- `NAME.track.csv`: the true landmarks in the pose track CSV contract (x, y normalised; z in x's scale relative
  to the hips; visibility 1 in the picture; world landmarks in metres, camera-aligned axes as MediaPipe gives them);
- `NAME.truth.json`: schema `formcheck.truth/1` - reps (`full: false` = partial), holds, and violation windows of
  the rules knee_above_hip, knee_bent, trunk_lean, knee_valgus and pelvic_drop, computed from the 3D body with the
  thresholds of the exercise spec (see `formcheck/synth/truth.py` for the exact definitions).

Times are in seconds from the first frame. Reps run from the start of the movement to its end, holds from
reaching the position to leaving it (single-leg stance: from the lifted foot's lift-off to its touch-down, as the
clinical test is timed). A violation's side follows the engine: the working side of a one-sided
exercise (so "pelvic_drop left" on a left-leg squat means the right hip dropped), the leg concerned for
bilateral exercises and knee_above_hip, none for trunk_lean.

`formcheck synth --all` also builds a clip for each of the program's other measurable exercises (bridges on one
leg and on a ball, a bridge hold, both piriformis stretches, the prone leg raise, balance board, ball toss and
single-leg hop); `formcheck synth --list --all` lists them.
"""


def _fmt_windows(truth: dict) -> str:
    parts = []
    for v in truth["violations"]:
        side = f" {v['side']}" if v["side"] else ""
        parts.append(f"{v['rule']}{side} {v['start_s']:.1f}-{v['end_s']:.1f}")
    return "; ".join(parts) or "none"


def _fmt_reps(truth: dict) -> str:
    if not truth["reps"]:
        return "-"
    text = str(truth["rep_count"])
    if truth["partial_reps"]:
        text += f" + {truth['partial_reps']} partial"
    return text


def _fmt_holds(truth: dict) -> str:
    if not truth["holds"]:
        return "-"
    return ", ".join(f"{h['duration_s']:.1f} s" for h in truth["holds"])


def readme_text(folder: Path, clips: Iterable[Clip]) -> str:
    """The README for the clips whose truth file is in ``folder``."""
    rows = ["| clip | exercise | view | side | s | reps | holds | violations (truth) | what it shows |",
            "|---|---|---|---|---|---|---|---|---|"]
    for clip in clips:
        path = folder / f"{clip.name}.truth.json"
        if not path.is_file():
            continue
        truth = json.loads(path.read_text())
        rows.append(
            f"| `{clip.name}` | {clip.exercise} | {clip.view} | {clip.side or 'both'} | {truth['duration_s']:.1f} "
            f"| {_fmt_reps(truth)} | {_fmt_holds(truth)} | {_fmt_windows(truth)} | {clip.description} |"
        )
    text = HEADER + "\n" + "\n".join(rows) + "\n"
    check = folder / "mediapipe_check.md"
    if check.is_file():
        text += "\n" + check.read_text()
    return text


def write_readme(folder: Path, clips: Iterable[Clip]) -> Path:
    """Write ``folder/README.md``."""
    path = folder / "README.md"
    path.write_text(readme_text(folder, clips))
    return path
