"""The pose track file contract: header, round trips, gaps, and clear errors for broken files."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from formcheck.errors import InputError
from formcheck.landmarks import LANDMARK_NAMES
from formcheck.track import PoseTrack
from formcheck.track_io import BASE_COLUMNS, IMAGE_COLUMNS, WORLD_COLUMNS, read_track, write_track


def make_track(n: int = 5, with_world: bool = True, gap_at: int | None = 2) -> PoseTrack:
    rng = np.random.default_rng(0)
    lm = rng.uniform(0.1, 0.9, size=(n, 33, 4))
    world = rng.normal(0, 0.3, size=(n, 33, 3)) if with_world else None
    if gap_at is not None:
        lm[gap_at] = np.nan
        if world is not None:
            world[gap_at] = np.nan
    return PoseTrack(
        frame=np.arange(n), t_s=np.arange(n) / 30.0, image_size=(640, 360), landmarks=lm, world=world, source="x"
    )


def test_csv_header_is_exactly_the_contract(tmp_path):
    path = write_track(make_track(), tmp_path / "t.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert header[:4] == ["frame", "time_s", "image_width", "image_height"]
    assert header[4:8] == ["nose_x", "nose_y", "nose_z", "nose_visibility"]
    assert header[4 + 33 * 4 - 4 :][:4] == [f"right_foot_index_{a}" for a in ("x", "y", "z", "visibility")]
    assert header[4 + 33 * 4 : 4 + 33 * 4 + 3] == ["nose_wx", "nose_wy", "nose_wz"]
    assert header[-1] == "right_foot_index_wz"
    assert len(header) == 4 + 33 * 7
    assert LANDMARK_NAMES[25] == "left_knee"


@pytest.mark.parametrize("suffix", [".csv", ".npz"])
def test_round_trip_keeps_values_and_gaps(tmp_path, suffix):
    track = make_track()
    back = read_track(write_track(track, tmp_path / f"t{suffix}"))
    assert back.image_size == (640, 360)
    np.testing.assert_array_equal(back.frame, track.frame)
    np.testing.assert_allclose(back.t_s, track.t_s, rtol=1e-5)
    np.testing.assert_allclose(back.landmarks, track.landmarks, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(back.world, track.world, rtol=1e-5, atol=1e-6)
    assert list(back.has_pose) == [True, True, False, True, True]
    gap_row = None
    if suffix == ".csv":
        gap_row = (tmp_path / "t.csv").read_text().splitlines()[3].split(",")
        assert all(cell == "" for cell in gap_row[4:])


def test_world_columns_may_be_absent(tmp_path):
    back = read_track(write_track(make_track(with_world=False), tmp_path / "t.csv"))
    assert back.world is None
    assert back.landmarks.shape == (5, 33, 4)


def _write_rows(path, header, rows):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _good_rows(n=3):
    rows = []
    for i in range(n):
        rows.append([str(i), f"{i / 30:.4f}", "640", "480"] + ["0.5"] * len(IMAGE_COLUMNS))
    return rows


def test_missing_column_is_named(tmp_path):
    header = list(BASE_COLUMNS) + list(IMAGE_COLUMNS)
    header.remove("left_knee_y")
    rows = [row[:-1] for row in _good_rows()]
    path = tmp_path / "broken.csv"
    _write_rows(path, header, rows)
    with pytest.raises(InputError, match=r"broken\.csv: not a pose track, missing column\(s\) left_knee_y"):
        read_track(path)


def test_garbage_value_names_line_and_column(tmp_path):
    rows = _good_rows()
    rows[1][4 + 25 * 4] = "banana"
    path = tmp_path / "garbage.csv"
    _write_rows(path, list(BASE_COLUMNS) + list(IMAGE_COLUMNS), rows)
    with pytest.raises(InputError, match=r"garbage\.csv: line 3, column left_knee_x: not a number"):
        read_track(path)


def test_time_must_increase(tmp_path):
    rows = _good_rows()
    rows[2][1] = "0.0"
    path = tmp_path / "time.csv"
    _write_rows(path, list(BASE_COLUMNS) + list(IMAGE_COLUMNS), rows)
    with pytest.raises(InputError, match="time_s is not strictly increasing"):
        read_track(path)


def test_visibility_out_of_range(tmp_path):
    rows = _good_rows()
    rows[0][4 + 3] = "1.7"
    path = tmp_path / "vis.csv"
    _write_rows(path, list(BASE_COLUMNS) + list(IMAGE_COLUMNS), rows)
    with pytest.raises(InputError, match="visibility values must lie between 0 and 1"):
        read_track(path)


def test_partial_world_columns_rejected(tmp_path):
    header = list(BASE_COLUMNS) + list(IMAGE_COLUMNS) + list(WORLD_COLUMNS[:3])
    rows = [row + ["0.1", "0.2", "0.3"] for row in _good_rows()]
    path = tmp_path / "world.csv"
    _write_rows(path, header, rows)
    with pytest.raises(InputError, match="world columns incomplete"):
        read_track(path)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file"),
        (b"\xff\xfe\x00garbage\x00", "not"),
        (b"frame,time_s\n1,2\n", "missing column"),
    ],
)
def test_broken_csv_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_track(path)
    assert "bad.csv" in str(info.value)


def test_corrupt_npz(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputError, match=r"bad\.npz: not a readable \.npz pose track"):
        read_track(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: no such file"):
        read_track(tmp_path / "nope.csv")


def test_failed_write_leaves_nothing_behind(tmp_path):
    track = make_track()
    with pytest.raises(InputError, match="no such folder"):
        write_track(track, tmp_path / "missing" / "t.csv")
    assert list(tmp_path.iterdir()) == []
