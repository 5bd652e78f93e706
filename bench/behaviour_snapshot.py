"""Save, or compare against a saved copy, every output that a refactor must leave unchanged.

    python bench/behaviour_snapshot.py save DIR      # report.json + metrics.csv of every sample and real clip
    python bench/behaviour_snapshot.py compare DIR   # run again into DIR.new and diff, version fields aside
    python bench/behaviour_snapshot.py diff DIR      # diff DIR against an existing DIR.new

It drives the installed `formcheck` command only (analyze and evaluate), so it works across a change of the
package's layout. Samples are analysed from their pose tracks and from their videos; real clips in
../shared/videos (or $FORMCHECK_REAL_VIDEOS, when present) from their videos, with the labelled exercise and with safety_watch.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
REAL = Path(os.environ.get("FORMCHECK_REAL_VIDEOS", ROOT.parent / "shared" / "videos"))
IGNORED_KEYS = {"formcheck_version", "version", "created_at", "elapsed_s", "generated_at", "model_path",
                # the redesign removed the summary's duplicates of rep_count and holds (README, report.json)
                "reps_counted", "holds_counted",
                # added since: the model's variant and checksum, report.html beside report.json
                "model", "report_html", "model_variant", "model_sha256",
                # where the checkout and the outputs lie, and how fast this machine was that minute
                "source", "path", "report", "ms_per_frame"}


def formcheck() -> str:
    exe = Path(sys.executable).with_name("formcheck")
    return str(exe) if exe.exists() else "formcheck"


def history_supported() -> bool:
    """Whether this formcheck records sessions (and so takes --no-history)."""
    done = subprocess.run([formcheck(), "analyze", "--help"], capture_output=True, text=True)
    return "--no-history" in done.stdout


def jobs() -> list[tuple[str, Path, str]]:
    """(name, input, exercise) for every analysis to snapshot."""
    out: list[tuple[str, Path, str]] = []
    for truth in sorted(SAMPLES.glob("*.truth.json")):
        clip = truth.name.removesuffix(".truth.json")
        exercise = json.loads(truth.read_text())["exercise"]
        out.append((f"track_{clip}", SAMPLES / f"{clip}.track.csv", exercise))
        out.append((f"video_{clip}", SAMPLES / f"{clip}.mp4", exercise))
    if REAL.is_dir():
        labels = json.loads((REAL / "labels.json").read_text())["clips"]
        for video in sorted(REAL.iterdir()):
            if video.suffix.lower() not in {".mp4", ".mov", ".gif"}:
                continue
            out.append((f"real_{video.name}_safety_watch", video, "safety_watch"))
            if video.name in labels:
                out.append((f"real_{video.name}_{labels[video.name]['exercise']}", video, labels[video.name]["exercise"]))
    return out


def run_all(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name, source, exercise in jobs():
        folder = dest / name
        cmd = [formcheck(), "analyze", str(source), "-e", exercise, "--out", str(folder), "--no-video", "--no-progress"]
        if history_supported():
            cmd.append("--no-history")
        done = subprocess.run(cmd, capture_output=True, text=True)
        (dest / f"{name}.stdout").write_text(done.stdout + done.stderr + f"\nexit {done.returncode}\n")
    for mode in ("tracks", "videos"):
        cmd = [formcheck(), "evaluate", str(SAMPLES), "--reports", str(dest / f"eval_{mode}"), "--no-progress", "--json", str(dest / f"eval_{mode}.json")]
        if mode == "tracks":
            cmd.append("--tracks")
        done = subprocess.run(cmd, capture_output=True, text=True)
        (dest / f"eval_{mode}.stdout").write_text(done.stdout + done.stderr)


def scrub(value: object) -> object:
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in IGNORED_KEYS and not k.endswith("_path")}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def differences(old: Path, new: Path) -> list[str]:
    found: list[str] = []
    for a in sorted(old.rglob("*")):
        rel = a.relative_to(old)
        b = new / rel
        if a.is_dir():
            continue
        if not b.exists():
            found.append(f"missing: {rel}")
        elif a.suffix == ".json":
            if scrub(json.loads(a.read_text())) != scrub(json.loads(b.read_text())):
                found.append(f"differs: {rel}")
        elif a.suffix == ".csv":
            if list(csv.reader(a.open())) != list(csv.reader(b.open())):
                found.append(f"differs: {rel}")
        elif a.read_text().replace(str(old), "") != b.read_text().replace(str(new), ""):
            found.append(f"differs: {rel}")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"save", "compare", "diff"}:
        print(__doc__)
        return 2
    dest = Path(argv[1])
    if argv[0] == "save":
        run_all(dest)
        return 0
    new = dest.with_name(dest.name + ".new")
    if argv[0] == "compare":
        run_all(new)
    found = differences(dest, new)
    print("\n".join(found) or f"identical: {sum(1 for _ in dest.rglob('*') if _.is_file())} files")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
