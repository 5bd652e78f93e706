"""The installed package is what the tests exercise: its modules, its package data and its console script.

`.ci/run` installs the wheel and runs the README's test command (``.venv/bin/pytest``, which, unlike
``python -m pytest``, does not put the checkout on ``sys.path``), so these fail when a checkout shadows
the installed distribution. An editable install is consistent with its distribution too: its files are
the checkout the distribution points at.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import Distribution, distribution
from pathlib import Path
from urllib.parse import unquote, urlparse

import click
import pytest

import formcheck
from formcheck.cli import cli
from formcheck.specs.spec import bundled_ids, bundled_specs_dir

DIST = distribution("formcheck")
PACKAGE = Path(formcheck.__file__).resolve().parent


def editable_root(dist: Distribution) -> Path | None:
    """The source folder of an editable install (PEP 610 ``direct_url.json``), None for a normal install."""
    text = dist.read_text("direct_url.json")
    info = json.loads(text) if text else {}
    if not info.get("dir_info", {}).get("editable"):
        return None
    return Path(unquote(urlparse(info["url"]).path)).resolve()


def installed_package_dir(dist: Distribution) -> Path:
    root = editable_root(dist)
    return root / "formcheck" if root is not None else Path(dist.locate_file("formcheck")).resolve()


def command_paths(command: click.Command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand of the group, as argument prefixes (the group itself is ``()``)."""
    paths = [prefix]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            paths += command_paths(command.commands[name], (*prefix, name))
    return paths


def console_script() -> Path:
    """The installed ``formcheck`` executable beside this interpreter."""
    found = shutil.which("formcheck", path=str(Path(sys.executable).parent))
    assert found, f"no formcheck console script beside {sys.executable}: is formcheck installed in this environment?"
    return Path(found)


def run_script(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(console_script()), *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


def test_formcheck_is_imported_from_the_installed_distribution():
    expected = installed_package_dir(DIST)
    assert PACKAGE == expected, (
        f"formcheck was imported from {PACKAGE}, but the installed distribution's package is {expected}: a "
        "checkout on sys.path shadows it (run the tests with the environment's pytest, not python -m pytest)"
    )
    assert formcheck.__version__ == DIST.version


def test_a_normal_install_lists_the_imported_modules_among_its_files():
    if editable_root(DIST) is not None:
        pytest.skip("an editable install: its modules are the checkout's files, checked above")
    files = {Path(DIST.locate_file(f)).resolve() for f in DIST.files or ()}
    assert Path(formcheck.__file__).resolve() in files
    assert Path(sys.modules["formcheck.cli"].__file__).resolve() in files


def test_the_bundled_specs_come_with_the_installed_package():
    shipped = {Path(f).stem for f in DIST.files or () if Path(f).parent.as_posix() == "formcheck/exercise_specs"}
    assert shipped and shipped == set(bundled_ids())
    root = editable_root(DIST)
    expected = root / "exercise_specs" if root is not None else Path(DIST.locate_file("formcheck/exercise_specs"))
    assert bundled_specs_dir() == expected.resolve()


def test_the_console_script_is_the_distributions_entry_point():
    (entry,) = [e for e in DIST.entry_points if e.group == "console_scripts" and e.name == "formcheck"]
    assert entry.value == "formcheck.cli:main"
    assert console_script().parent == Path(sys.executable).parent


@pytest.mark.slow
def test_every_command_and_subcommand_has_help_through_the_console_script(tmp_path):
    paths = command_paths(cli)
    assert len(paths) > 6
    with ThreadPoolExecutor(max_workers=4) as pool:  # each run mostly waits for its imports
        results = list(pool.map(lambda path: run_script([*path, "--help"], tmp_path), paths))
    failed = [
        f"formcheck {' '.join(path)} --help: exit {result.returncode}: {result.stderr[-300:]}"
        for path, result in zip(paths, results)
        if result.returncode != 0 or "Usage: formcheck" not in result.stdout
    ]
    assert not failed, "\n".join(failed)


def test_the_console_script_lists_the_bundled_exercises(tmp_path):
    result = run_script(["exercises"], tmp_path)
    assert result.returncode == 0, result.stderr
    missing = [i for i in bundled_ids() if i not in result.stdout]
    assert not missing, missing


def test_ci_runs_the_readme_test_command_with_the_environments_pytest():
    checkout = Path(__file__).resolve().parents[1]
    readme = (checkout / "README.md").read_text(encoding="utf-8")
    ci = (checkout / ".ci" / "run").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    (command,) = [line.strip() for line in quick_start.splitlines() if "pip install -q '.[test]'" in line]
    assert command in ci.splitlines()
    assert command.endswith("&& .venv/bin/pytest -q") and "python -m pytest" not in command
