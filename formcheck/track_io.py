"""Read and write pose tracks: the CSV contract and its `.npz` twin.

CSV: one row per frame, header ``frame,time_s,image_width,image_height``, then for each of the 33
landmarks ``<name>_x,<name>_y,<name>_z,<name>_visibility`` (x, y normalised to the image), then for
each landmark ``<name>_wx,<name>_wy,<name>_wz`` (world, metres; these columns may be absent).
Empty fields mean no pose in that frame.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np

from formcheck.outputs.atomic import atomic_path
from formcheck.errors import InputError
from formcheck.landmarks import LANDMARK_NAMES, NUM_LANDMARKS
from formcheck.track import PoseTrack

BASE_COLUMNS: tuple[str, ...] = ("frame", "time_s", "image_width", "image_height")
IMAGE_COLUMNS: tuple[str, ...] = tuple(
    f"{name}_{axis}" for name in LANDMARK_NAMES for axis in ("x", "y", "z", "visibility")
)
WORLD_COLUMNS: tuple[str, ...] = tuple(f"{name}_{axis}" for name in LANDMARK_NAMES for axis in ("wx", "wy", "wz"))
TRACK_SUFFIXES: tuple[str, ...] = (".csv", ".npz")


def is_track_path(path: str | os.PathLike) -> bool:
    """True for a file name that the track reader takes (``.csv`` or ``.npz``)."""
    return Path(path).suffix.lower() in TRACK_SUFFIXES


def read_track(path: str | os.PathLike) -> PoseTrack:
    """Read a pose track from ``.csv`` or ``.npz``; raise InputError naming the file and the problem."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        track = _read_csv(path)
    elif suffix == ".npz":
        track = _read_npz(path)
    else:
        raise InputError(f"{path}: not a pose track (expected .csv or .npz)")
    _check_values(path, track)
    return track


def write_track(track: PoseTrack, path: str | os.PathLike) -> Path:
    """Write a track as ``.csv`` or ``.npz`` (by suffix), atomically (temp file + rename)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TRACK_SUFFIXES:
        raise InputError(f"{path}: a pose track must be saved as .csv or .npz")
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            _write_csv(track, tmp)
        else:
            _write_npz(track, tmp)
    return path


def _write_csv(track: PoseTrack, path: Path) -> None:
    width, height = track.image_size
    header = list(BASE_COLUMNS) + list(IMAGE_COLUMNS) + (list(WORLD_COLUMNS) if track.world is not None else [])
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(len(track)):
            row: list[str] = [str(int(track.frame[i])), _fmt(track.t_s[i]), str(width), str(height)]
            row.extend(_fmt(v) for v in track.landmarks[i].reshape(-1))
            if track.world is not None:
                row.extend(_fmt(v) for v in track.world[i].reshape(-1))
            writer.writerow(row)


def _fmt(value: float) -> str:
    return "" if math.isnan(value) else f"{float(value):.6g}"


def _write_npz(track: PoseTrack, path: Path) -> None:
    arrays = {
        "frame": track.frame.astype(np.int64),
        "time_s": track.t_s.astype(float),
        "image_size": np.array(track.image_size, dtype=np.int64),
        "landmarks": track.landmarks.astype(np.float32),
        "source": np.array(track.source),
    }
    if track.world is not None:
        arrays["world"] = track.world.astype(np.float32)
    with path.open("wb") as handle:
        np.savez_compressed(handle, **arrays)


def _read_csv(path: Path) -> PoseTrack:
    try:
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise InputError(f"{path}: empty file, expected a pose track CSV header")
            header = [name.strip() for name in header]
            columns = {name: i for i, name in enumerate(header)}
            missing = [name for name in BASE_COLUMNS + IMAGE_COLUMNS if name not in columns]
            if missing:
                shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
                raise InputError(f"{path}: not a pose track, missing column(s) {shown}")
            world_present = [name for name in WORLD_COLUMNS if name in columns]
            if world_present and len(world_present) != len(WORLD_COLUMNS):
                missing_world = [name for name in WORLD_COLUMNS if name not in columns]
                raise InputError(f"{path}: world columns incomplete, missing {missing_world[0]}")
            rows = list(reader)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file") from None
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV ({exc})") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise InputError(f"{path}: the track has no frames")
    width = len(header)
    for line_no, row in enumerate(rows, start=2):
        if len(row) != width:
            raise InputError(f"{path}: line {line_no} has {len(row)} fields, expected {width}")
    order = [columns[name] for name in BASE_COLUMNS + IMAGE_COLUMNS + (WORLD_COLUMNS if world_present else ())]
    table = np.empty((len(rows), len(order)))
    for r, row in enumerate(rows):
        for c, col in enumerate(order):
            cell = row[col].strip()
            if not cell:
                table[r, c] = np.nan
                continue
            try:
                table[r, c] = float(cell)
            except ValueError:
                raise InputError(f"{path}: line {r + 2}, column {header[col]}: not a number ({cell[:20]!r})") from None
    base = table[:, :4]
    for c, name in enumerate(BASE_COLUMNS):
        bad = np.flatnonzero(~np.isfinite(base[:, c]))
        if bad.size:
            raise InputError(f"{path}: line {bad[0] + 2}, column {name}: missing or not finite")
    sizes = np.unique(base[:, 2:4], axis=0)
    if len(sizes) != 1:
        raise InputError(f"{path}: image_width/image_height change between frames")
    image_size = (int(sizes[0][0]), int(sizes[0][1]))
    n_image = NUM_LANDMARKS * 4
    landmarks = table[:, 4 : 4 + n_image].reshape(-1, NUM_LANDMARKS, 4)
    world = table[:, 4 + n_image :].reshape(-1, NUM_LANDMARKS, 3) if world_present else None
    return _build(path, base[:, 0], base[:, 1], image_size, landmarks, world, str(path))


def _read_npz(path: Path) -> PoseTrack:
    try:
        with np.load(path, allow_pickle=False) as data:
            keys = set(data.files)
            for key in ("frame", "time_s", "image_size", "landmarks"):
                if key not in keys:
                    raise InputError(f"{path}: not a pose track, missing array '{key}'")
            frame = data["frame"]
            t_s = data["time_s"]
            size = data["image_size"]
            landmarks = data["landmarks"].astype(float)
            world = data["world"].astype(float) if "world" in keys else None
            source = str(data["source"]) if "source" in keys else str(path)
    except InputError:
        raise
    except Exception as exc:  # zip, pickle and format errors all mean a corrupt file
        raise InputError(f"{path}: not a readable .npz pose track ({type(exc).__name__})") from None
    if size.shape != (2,):
        raise InputError(f"{path}: image_size must hold width and height")
    n = len(t_s)
    if landmarks.shape != (n, NUM_LANDMARKS, 4):
        raise InputError(f"{path}: landmarks has shape {landmarks.shape}, expected ({n}, {NUM_LANDMARKS}, 4)")
    if world is not None and world.shape != (n, NUM_LANDMARKS, 3):
        raise InputError(f"{path}: world has shape {world.shape}, expected ({n}, {NUM_LANDMARKS}, 3)")
    if n == 0:
        raise InputError(f"{path}: the track has no frames")
    return _build(path, frame, t_s, (int(size[0]), int(size[1])), landmarks, world, source)


def _build(path, frame, t_s, image_size, landmarks, world, source) -> PoseTrack:
    t_s = np.asarray(t_s, dtype=float)
    frame_f = np.asarray(frame, dtype=float)
    if not np.all(np.isfinite(t_s)):
        raise InputError(f"{path}: time_s has missing or non-finite values")
    if len(t_s) > 1 and not np.all(np.diff(t_s) > 0):
        bad = int(np.flatnonzero(np.diff(t_s) <= 0)[0]) + 1
        raise InputError(f"{path}: time_s is not strictly increasing (frame row {bad + 1})")
    if not np.all(frame_f == np.round(frame_f)):
        raise InputError(f"{path}: frame numbers must be whole numbers")
    if image_size[0] <= 0 or image_size[1] <= 0:
        raise InputError(f"{path}: image size {image_size} must be positive")
    return PoseTrack(
        frame=frame_f.astype(np.int64),
        t_s=t_s,
        image_size=image_size,
        landmarks=landmarks,
        world=world,
        source=source,
    )


def _check_values(path: Path, track: PoseTrack) -> None:
    lm = track.landmarks
    finite_or_nan = np.isfinite(lm) | np.isnan(lm)
    if not finite_or_nan.all():
        raise InputError(f"{path}: landmark values must be finite numbers (found infinity)")
    vis = lm[:, :, 3]
    if np.any((vis < 0) | (vis > 1)):
        raise InputError(f"{path}: visibility values must lie between 0 and 1")
    xy = lm[:, :, :2]
    if np.nanmax(np.abs(xy), initial=0.0) > 100:
        raise InputError(f"{path}: x/y look like pixels, the track format wants them normalised to the image")
    if track.world is not None and not (np.isfinite(track.world) | np.isnan(track.world)).all():
        raise InputError(f"{path}: world values must be finite numbers")
