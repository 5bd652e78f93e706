"""When a recording was made: the creation time in its MP4/QuickTime container, else the file's modification time.

Phones and cameras write the creation time in the movie header (`moov/mvhd`, seconds since 1904-01-01 UTC);
this reads it directly, without ffmpeg. Files that carry none (OpenCV writes 0) fall back to the file's date.
"""

from __future__ import annotations

import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

QUICKTIME_EPOCH = datetime(1904, 1, 1, tzinfo=timezone.utc)
CONTAINER_SUFFIXES = (".mp4", ".mov", ".m4v", ".3gp", ".3g2")
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=timezone.utc)
MAX_BOXES = 10_000


def recording_time(path: Path) -> datetime:
    """The container's creation time when it holds a plausible one, else the file's modification time (local)."""
    path = Path(path)
    created = container_creation_time(path) if path.suffix.lower() in CONTAINER_SUFFIXES else None
    if created is not None:
        return created.astimezone()
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).astimezone()


def container_creation_time(path: Path) -> datetime | None:
    """The `mvhd` creation time of an MP4/QuickTime file (UTC); None when absent, zero or unreadable."""
    try:
        with Path(path).open("rb") as handle:
            size = Path(path).stat().st_size
            moov = _find_box(handle, 0, size, b"moov")
            if moov is None:
                return None
            mvhd = _find_box(handle, moov[0], moov[1], b"mvhd")
            if mvhd is None:
                return None
            handle.seek(mvhd[0])
            head = handle.read(20)
    except OSError:
        return None
    return _mvhd_time(head)


def _mvhd_time(head: bytes) -> datetime | None:
    if len(head) < 8:
        return None
    version = head[0]
    if version == 1:
        if len(head) < 12:
            return None
        seconds = struct.unpack(">Q", head[4:12])[0]
    else:
        seconds = struct.unpack(">I", head[4:8])[0]
    if seconds == 0:
        return None
    try:
        created = QUICKTIME_EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return None
    if created < EARLIEST_PLAUSIBLE or created > datetime.now(timezone.utc) + timedelta(days=2):
        return None
    return created


def _find_box(handle: BinaryIO, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """(payload start, payload end) of the first box of type `kind` between `start` and `end`."""
    position = start
    for _ in range(MAX_BOXES):
        if position + 8 > end:
            return None
        handle.seek(position)
        header = handle.read(8)
        if len(header) < 8:
            return None
        size, box = struct.unpack(">I4s", header)
        payload = position + 8
        if size == 1:
            large = handle.read(8)
            if len(large) < 8:
                return None
            size = struct.unpack(">Q", large)[0]
            payload = position + 16
        elif size == 0:
            size = end - position
        if size < payload - position:
            return None
        if box == kind:
            return payload, min(position + size, end)
        position += size
    return None
