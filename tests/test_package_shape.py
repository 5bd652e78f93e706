"""The package's shape, as the redesign set it: stages as subpackages, short functions and classes, behaviour
declared in specs rather than chosen by comparing exercise ids, mediapipe imported only inside pose/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import formcheck

PACKAGE = Path(formcheck.__file__).resolve().parent
MAX_TOP_LEVEL_MODULES = 12
MAX_FUNCTION_LINES = 80
MAX_CLASS_LINES = 300
STAGES = ("pose", "kinematics", "specs", "engine", "outputs", "measures", "live", "synth", "commands")


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _trees() -> list[tuple[Path, ast.AST]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"), filename=str(p))) for p in _sources()]


def _span(node: ast.AST) -> int:
    return node.end_lineno - node.lineno + 1  # type: ignore[attr-defined]


def test_top_level_keeps_at_most_twelve_modules() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_every_stage_is_a_subpackage() -> None:
    for stage in STAGES:
        assert (PACKAGE / stage / "__init__.py").is_file(), stage


def test_no_function_over_80_lines() -> None:
    long = [
        f"{p.relative_to(PACKAGE)}:{node.lineno} {node.name} ({_span(node)} lines)"
        for p, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _span(node) > MAX_FUNCTION_LINES
    ]
    assert not long, long


def test_no_class_over_300_lines() -> None:
    long = [
        f"{p.relative_to(PACKAGE)}:{node.lineno} {node.name} ({_span(node)} lines)"
        for p, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and _span(node) > MAX_CLASS_LINES
    ]
    assert not long, long


def test_no_behaviour_chosen_by_exercise_id() -> None:
    switch = re.compile(r"\bspecs?\.id\s*(==|!=|\bin\b|\bnot in\b)|\[\s*(self\.)?spec\.id\s*\]|\.get\(\s*(self\.)?spec\.id\b|\bid\s+in\s+[A-Z_]{3,}")
    found = []
    for p in _sources():
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if switch.search(code) and "path.stem" not in code:  # the bundled file-name check is validation
                found.append(f"{p.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert not found, found


def test_mediapipe_is_imported_only_by_the_pose_adapter_and_the_model_builder() -> None:
    """The adapter (estimator) runs MediaPipe; the model builder uses its metadata writer to make bundles."""
    importers = set()
    for p, tree in _trees():
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "mediapipe" or n.startswith("mediapipe.") for n in names):
                importers.add(str(p.relative_to(PACKAGE)))
    assert importers <= {"pose/estimator.py", "pose/model_build.py"} and "pose/estimator.py" in importers, importers


def test_no_compatibility_reexports_or_fallback_imports() -> None:
    found = []
    for p, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Try) and any(
                isinstance(h.type, ast.Name) and h.type.id in {"ImportError", "ModuleNotFoundError"}
                for h in node.handlers
            ) and any(isinstance(b, (ast.Import, ast.ImportFrom)) for b in node.body):
                if not _optional_third_party(node):
                    found.append(f"{p.relative_to(PACKAGE)}:{node.lineno}")
    assert not found, found


def _optional_third_party(node: ast.Try) -> bool:
    """An optional dependency (not the project's own code) may be imported in a try block."""
    for b in node.body:
        if isinstance(b, ast.ImportFrom) and (b.level > 0 or (b.module or "").startswith("formcheck")):
            return False
        if isinstance(b, ast.Import) and any(a.name.startswith("formcheck") for a in b.names):
            return False
    return True


def test_tests_do_not_skip_on_the_projects_own_modules() -> None:
    tests = Path(__file__).resolve().parent
    found = [
        f"{p.name}:{n}"
        for p in sorted(tests.glob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"importorskip\(\s*[\"']formcheck", line)
    ]
    assert not found, found
