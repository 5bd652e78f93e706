"""`formcheck synth`: regenerate the synthetic sample clips (video, true track, truth file) reproducibly."""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from formcheck.errors import InputError
from formcheck.synth.clip import Clip
from formcheck.synth.generate import frame_count, generate, generate_clips, generate_truths, select_clips
from formcheck.synth.setups import SETUPS, find_setup, setup_clip

SETUP_OUT = Path("out/setups")


def _names(only: tuple[str, ...]) -> list[str]:
    """--only may be repeated or given a comma-separated list."""
    return [n.strip() for item in only for n in item.split(",") if n.strip()]


@click.command("synth")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write the clips, tracks, truth files and README into "
                   "[default: sample_videos, with --setup out/setups].")
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
@click.option("--setup", "setups", multiple=True, metavar="NAME",
              help="Film the clips in this home set-up (repeatable): files NAME__SETUP.mp4, .track.csv, .truth.json.")
@click.option("--list-setups", is_flag=True, help="List the home set-ups of the placement matrix, and stop.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(out_dir: Path | None, only: tuple[str, ...], seed: int, include_all: bool, list_only: bool,
            verify: bool, model_path: Path | None, quiet: bool, truth_only: bool, setups: tuple[str, ...],
            list_setups: bool) -> None:
    """Render the synthetic sample clips: a mannequin doing the program's exercises, some with faults.

    Each clip NAME.mp4 gets NAME.track.csv (the exact landmarks) and NAME.truth.json (its reps, holds and
    the windows where a rule is broken). Without --only it builds the samples (--all: every clip).
    With --setup the clips are filmed from another home set-up (camera height, distance, yaw, the body
    turned, resized or with the feet staggered, other clothes); `formcheck evaluate --matrix` scores them all.
    """
    if list_setups:
        for setup in SETUPS:
            click.echo(f"{setup.name:16s} {setup.group:14s} {setup.description}")
        return
    clips = select_clips(_names(only), include_all=include_all)
    if setups:
        if truth_only or verify:
            raise InputError("--setup renders new clips; it does not go with --truth-only or --verify")
        clips = _setup_clips(clips, setups, seed)
    out_dir = out_dir or (SETUP_OUT if setups else Path("sample_videos"))
    if list_only:
        for clip in clips:
            kind = "sample" if clip.sample else "extra"
            click.echo(f"{clip.stem:40s} {kind:6s} {clip.exercise:36s} {clip.view:5s} {clip.description}")
        return
    if truth_only:
        for result in generate_truths(out_dir, [c.name for c in clips], seed):
            click.echo(f"{result.truth}")
            for problem in result.problems:
                click.echo(f"warning: {problem}", err=True)
        return
    with tqdm(total=frame_count(clips, seed), unit="frame", disable=quiet, desc="rendering") as bar:
        if setups:
            results = generate_clips(out_dir, clips, seed, on_frame=lambda: bar.update(1))
        else:
            results = generate(out_dir, [c.name for c in clips], seed, on_frame=lambda: bar.update(1))
    for result in results:
        click.echo(f"{result.video}  ({result.frames} frames)")
        for problem in result.problems:
            click.echo(f"warning: {problem}", err=True)
    if verify:
        _verify(out_dir, [c.name for c in clips], model_path)


def _setup_clips(clips: list[Clip], names: tuple[str, ...], seed: int) -> list[Clip]:
    """Every clip in every named set-up that applies to it (InputError when none does)."""
    chosen = [find_setup(n) for n in _names(names)]
    varied = [setup_clip(c, s, seed) for s in chosen for c in clips if s.applies_to(c)]
    if not varied:
        raise InputError(f"set-up {', '.join(s.name for s in chosen)} applies to none of the chosen clips")
    return varied


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
