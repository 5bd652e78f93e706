"""`formcheck exercises`: list the bundled exercises, show one, validate custom spec files."""

from __future__ import annotations

from pathlib import Path

import click

from formcheck.errors import SpecError
from formcheck.specs.describe import describe, list_table
from formcheck.specs.spec import list_specs, load_spec, validate_file


def spec_files(paths: tuple[str, ...]) -> list[Path]:
    """The files named, with folders expanded to the .toml files inside them."""
    files: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found = sorted(path.glob("*.toml"))
            if not found:
                raise SpecError(f"{path}: no .toml spec files in this folder")
            files.extend(found)
        else:
            files.append(path)
    return files


def validate_paths(paths: tuple[str, ...]) -> tuple[list[Path], list[str]]:
    """Validate spec files; returns the valid files and every problem line of the others."""
    good: list[Path] = []
    problems: list[str] = []
    for path in spec_files(paths):
        found = validate_file(path)
        if found:
            problems.extend(found)
        else:
            good.append(path)
    return good, problems


@click.group("exercises", invoke_without_command=True)
@click.pass_context
def command(ctx: click.Context) -> None:
    """List the exercises; `show ID` describes one; `validate PATH...` checks custom specs."""
    if ctx.invoked_subcommand is None:
        click.echo(list_table(list_specs()))


@command.command("list")
def list_command() -> None:
    """List the bundled exercises."""
    click.echo(list_table(list_specs()))


@command.command("show")
@click.argument("exercise")
def show_command(exercise: str) -> None:
    """Instructions, camera set-up, dose and what is and is not checked, for an id or a spec file."""
    click.echo(describe(load_spec(exercise)))


@command.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def validate_command(paths: tuple[str, ...]) -> None:
    """Check custom spec files (or folders of them); exit status 2 if any is invalid."""
    good, problems = validate_paths(paths)
    for path in good:
        click.echo(f"{path}: ok ({load_spec(path).id})" if path.suffix == ".toml" else f"{path}: ok")
    for line in problems:
        click.echo(line, err=True)
    if problems:
        bad = len({line.split(": ", 1)[0] for line in problems})
        raise SpecError(
            f"{bad} spec file{'s' if bad != 1 else ''} invalid ({len(problems)} "
            f"problem{'s' if len(problems) != 1 else ''})"
        )
