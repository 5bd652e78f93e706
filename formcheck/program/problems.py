"""Where a problem in a TOML plan is: the line of each key, and problems as ``file:line: key: problem`` lines."""

from __future__ import annotations

import re

from formcheck.errors import PlanError

Problem = tuple[tuple, str]


def _loc_text(loc: tuple) -> str:
    text = ""
    for part in loc:
        part = "from" if part == "from_" else "schema" if part == "schema_" else part
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text


def plan_error(label: str, lines: KeyLines, problems: list[Problem]) -> PlanError:
    """One PlanError holding every problem as ``file:line: key: problem``, in file order."""
    located = sorted(((lines.line_of(loc), _loc_text(loc), text) for loc, text in problems), key=lambda p: p[0])
    texts = [f"{label}:{line}: {key}: {text}" if key else f"{label}:{line}: {text}" for line, key, text in located]
    error = PlanError("\n".join(texts))
    error.problems = texts  # type: ignore[attr-defined]
    return error


_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]")


class KeyLines:
    """Line numbers of a TOML text's keys, so a problem at ``exercise[2].limits`` can name its line."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple, int] = {}
        table: tuple = ()
        counts: dict[str, int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if (found := _ARRAY_TABLE.match(line)) is not None:
                name = found.group(1)
                counts[name] = counts.get(name, -1) + 1
                table = (*name.split("."), counts[name])
                self.lines.setdefault(table, number)
                self.lines.setdefault(table[:-1], number)
            elif (found := _TABLE.match(line)) is not None:
                table = tuple(found.group(1).split("."))
                self.lines.setdefault(table, number)
            elif (found := _KEY.match(line)) is not None:
                self.lines.setdefault((*table, found.group(1).strip("\"'")), number)

    def line_of(self, loc: tuple) -> int:
        """The line of the key at `loc`, else of the nearest enclosing key or table; 1 for the file itself."""
        loc = tuple("from" if p == "from_" else "schema" if p == "schema_" else p for p in loc)
        for end in range(len(loc), 0, -1):
            found = self.lines.get(loc[:end])
            if found is not None:
                return found
        return 1
