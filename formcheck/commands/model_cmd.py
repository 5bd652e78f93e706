"""`formcheck model`: show the pose model in use, downloading or building it first if needed."""

from __future__ import annotations

from pathlib import Path

import click

from formcheck.pose.model_store import DEFAULT_VARIANT, VARIANTS, ModelFile, find_model


def describe(model: ModelFile, variant: str) -> list[str]:
    """The lines `formcheck model` prints about a model file."""
    if model.source in {"option", "env"}:
        variant_text = "not checked (a file you chose)"
    else:
        variant_text = variant
    return [
        f"model:    {model.path}",
        f"variant:  {variant_text}",
        f"size:     {model.size_bytes / 1e6:.1f} MB ({model.size_bytes} bytes)",
        f"sha256:   {model.sha256}",
        f"identity: {model.identity or 'not a bundle formcheck knows (used as given, not verified)'}",
        f"obtained: {model.obtained}",
    ]


@click.command("model")
@click.option(
    "--variant", type=click.Choice(VARIANTS), default=DEFAULT_VARIANT, show_default=True,
    help="Pose model size: lite is fastest, heavy most accurate. Only full can be built from PyPI.",
)
@click.option("--path", "path_only", is_flag=True, help="Print only the model's path (for scripts).")
@click.option(
    "--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Use this .task file instead of $FORMCHECK_MODEL or the cache.",
)
def command(variant: str, path_only: bool, model_path: Path | None) -> None:
    """Show where the pose model is, its size, sha256 and origin; download or build it if missing.

    Looks at --model, then $FORMCHECK_MODEL, then the user cache ($FORMCHECK_CACHE_DIR overrides
    it). If none has it: MediaPipe's official download, else (full only) a build from the
    mediapipe wheel on PyPI. FORMCHECK_OFFLINE=1 forbids the network.
    """
    model = find_model(model_path, variant=variant, fetch=True, progress=True)
    if path_only:
        click.echo(str(model.path))
        return
    for line in describe(model, variant):
        click.echo(line)
