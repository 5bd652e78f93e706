"""The `formcheck` command line: a click group whose commands live in `formcheck/commands/`.

Library code raises FormcheckError; this is the one place that turns it into a single line on
stderr and exit status 2 (no traceback).
"""

from __future__ import annotations

import importlib
import sys

import click

from formcheck import __version__
from formcheck.errors import FormcheckError

# Each module exposes a click command or group named `command`.
COMMAND_MODULES: tuple[str, ...] = (
    "analyze_cmd",
    "model_cmd",
    "exercises_cmd",
    "synth_cmd",
    "evaluate_cmd",
    "live_cmd",
    "plan_cmd",
    "history_cmd",
    "today_cmd",
    "progress_cmd",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="formcheck")
def cli() -> None:
    """formcheck: checks the form of hip-impingement (FAI) rehab exercises from a video or webcam."""


for _name in COMMAND_MODULES:
    cli.add_command(importlib.import_module(f".commands.{_name}", __package__).command)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    try:
        status = cli.main(args=argv, prog_name="formcheck", standalone_mode=False)
        if isinstance(status, int) and not isinstance(status, bool):  # a command's ctx.exit(n) / Exit(n)
            return status
    except FormcheckError as exc:
        for line in str(exc).splitlines() or [""]:  # a message of several problems: one line each
            click.echo(f"formcheck: error: {line}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("formcheck: aborted", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("formcheck: interrupted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
