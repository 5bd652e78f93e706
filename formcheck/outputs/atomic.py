"""Write a file so that it appears complete or not at all: a temp file beside it, renamed into place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from formcheck.errors import InputError

FILE_MODE = 0o644  # mkstemp makes files private; our outputs are ordinary files


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path in ``path``'s folder; when the block ends without error it is renamed onto ``path``.

    On any error the temp file is removed and ``path`` is left as it was. OS errors become one-line
    InputErrors naming the file.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: no such folder")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix + ".part", dir=path.parent)
    except OSError as exc:
        raise InputError(f"{path.parent}: cannot write here ({exc.strerror or exc})") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
