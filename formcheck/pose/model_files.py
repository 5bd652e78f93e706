"""Verified, atomic files for model provisioning: downloads checked against a pinned sha256, renames into place.

Nothing reaches its destination unless it is complete and verified: every file is written to a
temporary file beside its destination and renamed over it only at the end.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from formcheck import __version__
from formcheck.errors import ModelError

HTTP_TIMEOUT_S = 30.0
CHUNK_BYTES = 1 << 20


def download_verified(
    url: str,
    dest: str | os.PathLike,
    *,
    sha256: str,
    size_bytes: int | None = None,
    progress: bool = True,
    description: str | None = None,
) -> Path:
    """Download `url` to `dest` if and only if its sha256 matches; nothing is left behind on failure."""
    dest = Path(dest)
    request = urllib.request.Request(url, headers={"User-Agent": f"formcheck/{__version__}"})
    tmp = temp_beside(dest)
    try:
        with tmp.open("wb") as out, urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            total = size_bytes or int(response.headers.get("Content-Length") or 0) or None
            with progress_bar(total, description or dest.name, enabled=progress) as bar:
                received, actual = _copy_counted(response, out, bar, url, size_bytes)
            out.flush()
            os.fsync(out.fileno())
        if size_bytes is not None and received != size_bytes:
            raise ModelError(f"{url}: got {received} bytes, expected {size_bytes} (truncated download)")
        if actual != sha256:
            raise ModelError(f"{url}: sha256 {actual} does not match the pinned {sha256}")
        os.replace(tmp, dest)
    except urllib.error.HTTPError as exc:
        raise ModelError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise ModelError(f"{url}: cannot connect ({exc.reason})") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise ModelError(f"{url}: download failed ({exc})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _copy_counted(response, out, bar: tqdm, url: str, size_bytes: int | None) -> tuple[int, str]:
    """Copy the response into `out`; return the byte count and the hex sha256."""
    digest = hashlib.sha256()
    received = 0
    while chunk := response.read(CHUNK_BYTES):
        out.write(chunk)
        digest.update(chunk)
        received += len(chunk)
        bar.update(len(chunk))
        if size_bytes is not None and received > size_bytes:
            raise ModelError(f"{url}: more than the expected {size_bytes} bytes")
    return received, digest.hexdigest()


def write_atomic(dest: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to a temporary file beside `dest`, then rename it over `dest`."""
    dest = Path(dest)
    tmp = temp_beside(dest)
    try:
        with tmp.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        raise ModelError(f"{dest}: cannot write ({exc.strerror or exc})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def temp_beside(dest: Path) -> Path:
    """An empty, closed temporary file in `dest`'s folder (so that os.replace is atomic)."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise ModelError(f"{dest.parent}: cannot write ({exc.strerror or exc})") from None
    os.close(fd)
    os.chmod(name, 0o644)  # mkstemp makes it private; a model file is not secret
    return Path(name)


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's contents."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def progress_bar(total_bytes: int | None, description: str, *, enabled: bool) -> tqdm:
    """A byte-count progress bar on stderr; shown only when enabled and stderr is a terminal."""
    return tqdm(
        total=total_bytes, desc=description, unit="B", unit_scale=True, unit_divisor=1024,
        file=sys.stderr, disable=None if enabled else True, leave=False,
    )
