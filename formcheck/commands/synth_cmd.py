"""`formcheck synth`: regenerate the synthetic sample clips (video, true track, truth file) reproducibly."""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from formcheck.synth.generate import frame_count, generate, generate_truths, select_clips


def _names(only: tuple[str, ...]) -> list[str]:
    """--only may be repeated or given a comma-separated list."""
    return [n.strip() for item in only for n in item.split(",") if n.strip()]


@click.command("synth")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("sample_videos"),
              show_default=True, help="Folder to write the clips, tracks, truth files and README into.")
@click.option("--only", multiple=True, metavar="NAME",
              help="Build only this clip (repeat, or separate names with commas). Default: the samples.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed of the sway, tremor and timing jitter; the same seed gives the same clips.")
@click.option("--all", "include_all", is_flag=True,
              help="Also build the clips of the other exercises, which are not among the samples.")
@click.option("--list", "list_only", is_flag=True, help="List the clips with what they show, and stop.")
@click.option("--verify", is_flag=True,
              help="Afterwards run the pose model on the clips and add its agreement with the truth to the README.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Pose model for --verify (default: $FORMCHECK_MODEL or the cached model).")
@click.option("--truth-only", is_flag=True,
              help="Rewrite only the truth files (and the README), without rendering: for a changed rule definition.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(out_dir: Path, only: tuple[str, ...], seed: int, include_all: bool, list_only: bool, verify: bool,
            model_path: Path | None, quiet: bool, truth_only: bool) -> None:
    """Render the synthetic sample clips: a mannequin doing the program's exercises, some with faults.

    Each clip NAME.mp4 gets NAME.track.csv (the exact landmarks) and NAME.truth.json (its reps, holds and
    the windows where a rule is broken). Without --only it builds the samples (--all: every clip).
    """
    clips = select_clips(_names(only), include_all=include_all)
    if list_only:
        for clip in clips:
            kind = "sample" if clip.sample else "extra"
            click.echo(f"{clip.name:40s} {kind:6s} {clip.exercise:36s} {clip.view:5s} {clip.description}")
        return
    if truth_only:
        for result in generate_truths(out_dir, [c.name for c in clips], seed):
            click.echo(f"{result.truth}")
            for problem in result.problems:
                click.echo(f"warning: {problem}", err=True)
        return
    with tqdm(total=frame_count(clips, seed), unit="frame", disable=quiet, desc="rendering") as bar:
        results = generate(out_dir, [c.name for c in clips], seed, on_frame=lambda: bar.update(1))
    for result in results:
        click.echo(f"{result.video}  ({result.frames} frames)")
        for problem in result.problems:
            click.echo(f"warning: {problem}", err=True)
    if verify:
        _verify(out_dir, [c.name for c in clips], model_path)


def _verify(out_dir: Path, names: list[str], model_path: Path | None) -> None:
    from formcheck.pose.model_store import find_model
    from formcheck.synth.readme import write_readme
    from formcheck.synth.scripts import CLIPS
    from formcheck.synth.verify import agreement_table, verify_folder

    model = find_model(model_path)
    results = verify_folder(out_dir, model.path, names)
    table = agreement_table(results)
    (out_dir / "mediapipe_check.md").write_text(table)
    write_readme(out_dir, CLIPS)
    click.echo(table)
