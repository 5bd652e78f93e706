"""`formcheck model`: show a pose model variant (where it is, sha256, origin), obtaining it first if missing."""

from __future__ import annotations

from pathlib import Path

import click

from formcheck.pose.model_store import DEFAULT_VARIANT, VARIANTS, ModelFile, find_model


def describe(model: ModelFile) -> list[str]:
    """The lines `formcheck model` prints about a model file."""
    variant = model.variant or "unknown"
    if model.source in {"option", "env"}:
        variant += " (a file you chose)"
    return [
        f"model:    {model.path}",
        f"variant:  {variant}",
        f"size:     {model.size_bytes / 1e6:.1f} MB ({model.size_bytes} bytes)",
        f"sha256:   {model.sha256}",
        f"identity: {model.identity or 'not a bundle formcheck knows (used as given, not verified)'}",
        f"obtained: {model.obtained}",
    ]


@click.command("model")
@click.option(
    "--variant", type=click.Choice(VARIANTS), default=None,
    help=f"Pose model size: lite is fastest, heavy most accurate (default: {DEFAULT_VARIANT}, "
         "or the file in $FORMCHECK_MODEL).",
)
@click.option("--path", "path_only", is_flag=True, help="Print only the model's path (for scripts).")
@click.option(
    "--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Use this .task file instead of $FORMCHECK_MODEL or the cache.",
)
def command(variant: str | None, path_only: bool, model_path: Path | None) -> None:
    """Show where the pose model is, its variant, size, sha256 and origin; obtain it if missing.

    Looks at --model, then $FORMCHECK_MODEL (skipped when it is not the --variant asked for), then
    the user cache ($FORMCHECK_CACHE_DIR overrides it). If none has it: MediaPipe's official
    download, else a build from the package registries (the mediapipe wheel on PyPI, and for lite
    and heavy the @mediapipe/pose tarball on npm). FORMCHECK_OFFLINE=1 forbids the network.
    """
    model = find_model(model_path, variant=variant, fetch=True, progress=True)
    if path_only:
        click.echo(str(model.path))
        return
    for line in describe(model):
        click.echo(line)
