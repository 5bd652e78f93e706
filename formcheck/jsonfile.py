"""Read a JSON document from a file, with the one-line errors every reader of ours gives."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from formcheck.errors import InputError


def read_json_file(path: str | os.PathLike, kind: str) -> Any:
    """The parsed JSON of ``path``; InputError naming the file (and the ``kind`` of file expected) otherwise."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such {kind} file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a JSON {kind} file ({exc.__class__.__name__})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
