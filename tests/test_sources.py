"""Video sources: frame times, rotation, GIFs, bad files, cameras and the prefetching reader."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from formcheck.errors import InputError
from formcheck.pose.native_log import captured_stderr
from formcheck.pose.sources import (
    Frame,
    TimestampFixer,
    VideoSource,
    iter_frames_prefetched,
    open_camera,
    open_video,
)

from conftest import VIDEOS


def numbered_frame(i: int, size: tuple[int, int] = (160, 120)) -> np.ndarray:
    """A frame whose mean brightness encodes its number, with a white block in the top-left corner."""
    width, height = size
    image = np.full((height, width, 3), (i * 8) % 200 + 20, np.uint8)
    image[: height // 4, : width // 4] = 255
    return image


def write_mp4(path: Path, n: int, fps: float = 30.0, size: tuple[int, int] = (160, 120)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened()
    for i in range(n):
        writer.write(numbered_frame(i, size))
    writer.release()
    return path


def ffmpeg_exe() -> str:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="imageio-ffmpeg makes the rotated test video")
    return imageio_ffmpeg.get_ffmpeg_exe()


# --- frame times -------------------------------------------------------------------------------


def test_timestamp_fixer_keeps_good_times_and_repairs_bad_ones():
    fixer = TimestampFixer(fps=25.0)
    raw = [0.0, 40.0, 40.0, 120.0, 0.0, float("nan"), None, 300.4, 250.0, 400.0]
    fixed = [fixer.next(t) for t in raw]
    # duplicates, a jump back to 0, NaN, None and a backward step take the previous time + 40 ms
    assert fixed == [0, 40, 80, 120, 160, 200, 240, 300, 340, 400]
    assert fixer.replaced == 5


def test_timestamp_fixer_all_zero_times_fall_back_to_the_frame_rate():
    fixer = TimestampFixer(fps=30.0)
    assert [fixer.next(0.0) for _ in range(4)] == [0, 33, 66, 99]


def test_timestamp_fixer_without_a_usable_frame_rate_assumes_30_fps():
    assert TimestampFixer(fps=0.0).step_ms == pytest.approx(1000 / 30)
    assert TimestampFixer(fps=float("nan")).step_ms == pytest.approx(1000 / 30)


@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)), min_size=1, max_size=60),
       st.floats(min_value=0.5, max_value=240))
def test_timestamp_fixer_output_always_increases_strictly(raw, fps):
    fixer = TimestampFixer(fps)
    fixed = [fixer.next(t) for t in raw]
    assert all(isinstance(t, int) for t in fixed)
    assert all(b > a for a, b in zip(fixed, fixed[1:]))


@given(st.lists(st.integers(min_value=1, max_value=500), min_size=1, max_size=40))
def test_timestamp_fixer_passes_increasing_times_through_unchanged(steps):
    raw = np.cumsum([0] + steps).tolist()
    fixer = TimestampFixer(30.0)
    assert [fixer.next(float(t)) for t in raw] == raw
    assert fixer.replaced == 0


# --- reading files -------------------------------------------------------------------------------


def test_mp4_frames_come_in_order_with_their_times(tmp_path):
    path = write_mp4(tmp_path / "clip.mp4", n=12, fps=25.0)
    with open_video(path) as source:
        assert isinstance(source, VideoSource)
        assert (source.size, source.fps, source.frame_count, source.path) == ((160, 120), 25.0, 12, path)
        frames = list(source)
    assert [f.index for f in frames] == list(range(12))
    assert [f.t_ms for f in frames] == [40 * i for i in range(12)]
    assert all(f.image.shape == (120, 160, 3) and f.image.dtype == np.uint8 for f in frames)
    brightness = [float(f.image[60:, 80:].mean()) for f in frames]
    assert brightness == sorted(brightness)  # the frames are the ones written, in order
    assert source.warnings == ()


def test_variable_frame_rate_gif_keeps_each_frames_own_time(tmp_path):
    durations_ms = [100, 40, 200, 40, 60, 500, 30]
    animation = cv2.Animation()
    animation.frames = [numbered_frame(i * 3, (64, 48)) for i in range(len(durations_ms))]
    animation.durations = durations_ms
    path = tmp_path / "vfr.gif"
    assert cv2.imwriteanimation(str(path), animation)
    with open_video(path) as source:
        times = [frame.t_ms for frame in source]
    assert times == np.cumsum([0] + durations_ms[:-1]).tolist()
    assert source.timestamps_replaced == 0


def test_portrait_phone_video_comes_out_upright(tmp_path):
    ffmpeg = ffmpeg_exe()
    landscape = write_mp4(tmp_path / "landscape.mp4", n=5, size=(160, 96))
    rotated = tmp_path / "portrait.mp4"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-display_rotation", "90", "-i", str(landscape), "-c", "copy",
                    str(rotated)], check=True)
    # ffmpeg's own decoder applies the rotation too: its output is the upright reference
    raw = subprocess.run([ffmpeg, "-v", "error", "-i", str(rotated), "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "bgr24", "-"], check=True, capture_output=True).stdout
    reference = np.frombuffer(raw, np.uint8).reshape(160, 96, 3)
    with open_video(rotated) as source:
        assert source.size == (96, 160)
        first = next(source)
    assert first.image.shape == (160, 96, 3)
    assert np.abs(first.image.astype(int) - reference).mean() < 6
    # the white block, top-left in the landscape frames, is now in the bottom-left corner (turned 90 ccw)
    assert first.image[130:, :20].mean() > 200 and first.image[:30, :20].mean() < 200


def test_rotation_fallback_turns_frames_the_same_way_as_opencv(tmp_path):
    """The manual rotation (for OpenCV builds that do not apply the metadata) matches OpenCV's own."""
    from formcheck.pose.sources import _ROTATE_CODES

    ffmpeg = ffmpeg_exe()
    landscape = write_mp4(tmp_path / "landscape.mp4", n=3, size=(160, 96))
    for degrees in (90, 180, 270):
        rotated = tmp_path / f"r{degrees}.mp4"
        subprocess.run([ffmpeg, "-v", "error", "-y", "-display_rotation", str(degrees), "-i", str(landscape),
                        "-c", "copy", str(rotated)], check=True)
        auto = cv2.VideoCapture(str(rotated))
        manual = cv2.VideoCapture(str(rotated))
        manual.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
        meta = int(manual.get(cv2.CAP_PROP_ORIENTATION_META))
        upright, plain = auto.read()[1], manual.read()[1]
        auto.release(), manual.release()
        assert plain.shape == (96, 160, 3) and meta in _ROTATE_CODES
        assert np.array_equal(cv2.rotate(plain, _ROTATE_CODES[meta]), upright)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.mp4: no such file"):
        open_video(tmp_path / "nope.mp4")


def test_folder_is_not_a_video(tmp_path):
    with pytest.raises(InputError, match=rf"{tmp_path.name}: is a folder"):
        open_video(tmp_path)


def test_empty_file_is_reported_as_empty(tmp_path):
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(InputError, match=r"empty\.mp4: the file is empty"):
        open_video(path)


def test_text_file_is_not_a_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("not a video\n" * 50)
    with pytest.raises(InputError, match=r"notes\.mp4: not a readable video \(.+\)$"):
        open_video(path)


def test_still_image_is_refused(tmp_path):
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), numbered_frame(1))
    with pytest.raises(InputError, match=r"photo\.png: a still image"):
        open_video(path)


def test_video_without_frames_is_refused(tmp_path):
    path = tmp_path / "zero.mp4"
    cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (160, 120)).release()
    with pytest.raises(InputError, match=r"zero\.mp4: "):
        open_video(path)


def test_mp4_cut_before_its_index_cannot_be_opened(tmp_path):
    whole = write_mp4(tmp_path / "whole.mp4", n=20).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) // 2])  # mp4v files keep their index (moov) at the end
    with pytest.raises(InputError, match=r"cut\.mp4: not a readable video \(moov atom not found\)"):
        open_video(cut)


def test_truncated_avi_yields_what_decodes_and_warns(tmp_path):
    whole = tmp_path / "whole.avi"
    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"MJPG"), 30, (160, 120))
    for i in range(30):
        writer.write(numbered_frame(i))
    writer.release()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with captured_stderr(), open_video(cut) as source:  # FFmpeg complains about the cut on stderr
        frames = list(source)
    assert 5 < len(frames) < 30
    assert len(source.warnings) == 1
    assert source.warnings[0].startswith(f"{cut}: decoded {len(frames)} of the 30 frames")


def test_a_source_is_read_once_and_closes_cleanly(tmp_path):
    source = open_video(write_mp4(tmp_path / "clip.mp4", n=4))
    assert len(list(source)) == 4
    assert list(source) == []
    source.close()
    source.close()


# --- cameras ---------------------------------------------------------------------------------------


def test_camera_that_does_not_exist_lists_what_can_be_opened():
    with pytest.raises(InputError, match=r"^camera:97: cannot open .*(cameras that open: |no camera opens)"):
        open_camera("97")


def test_camera_spec_can_be_a_file_read_live_with_wall_clock_times(tmp_path):
    path = write_mp4(tmp_path / "clip.mp4", n=6)
    with open_camera(str(path)) as camera:
        assert camera.size == (160, 120) and camera.frame_count == 0
        frames = list(camera)
    assert [f.index for f in frames] == list(range(6))
    times = [f.t_ms for f in frames]
    assert all(b > a for a, b in zip(times, times[1:]))
    assert times[-1] < 5000  # ms since the camera opened, not the file's own clock
    assert "stopped delivering frames" in camera.warnings[0]


# --- prefetching -----------------------------------------------------------------------------------


def test_prefetched_frames_are_the_same_frames_in_the_same_order(tmp_path):
    path = write_mp4(tmp_path / "clip.mp4", n=25)
    with open_video(path) as source:
        direct = [(f.index, f.t_ms, f.image.sum()) for f in source]
    with open_video(path) as source:
        prefetched = [(f.index, f.t_ms, f.image.sum()) for f in iter_frames_prefetched(source, depth=3)]
    assert prefetched == direct


def test_prefetching_reraises_the_readers_error():
    def frames():
        yield Frame(0, 0, np.zeros((2, 2, 3), np.uint8))
        raise InputError("clip.mp4: broken in the middle")

    received = []
    with pytest.raises(InputError, match="broken in the middle"):
        for frame in iter_frames_prefetched(frames()):
            received.append(frame.index)
    assert received == [0]


def test_stopping_early_stops_the_reading_thread():
    def endless():
        i = 0
        while True:
            yield Frame(i, i, np.zeros((2, 2, 3), np.uint8))
            i += 1

    before = threading.active_count()
    reader = iter_frames_prefetched(endless(), depth=2)
    assert [next(reader).index for _ in range(5)] == [0, 1, 2, 3, 4]
    reader.close()
    assert threading.active_count() == before


# --- the shared real clips (skipped when absent) -----------------------------------------------------


def shared_clip(name: str) -> Path:
    path = VIDEOS / name
    if not path.is_file():
        pytest.skip(f"needs the shared clip {name}")
    return path


def test_real_iphone_clip_keeps_its_variable_frame_times():
    with open_video(shared_clip("squat_fms_overhead_good_side.mov")) as source:
        times = np.array([f.t_ms for f in source])
    steps = np.diff(times)
    assert len(times) == 80 and source.size == (1080, 1920)
    assert steps.min() > 0
    assert steps.min() < 30 < 33 <= steps.max()  # irregular at the start (23 ms), then about 33 ms


def test_real_clip_shorter_than_its_header_warns():
    with open_video(shared_clip("jump_countermovement_landing_oblique.mp4")) as source:
        count = sum(1 for _ in source)
    assert count == 54
    assert "decoded 54 of the 80 frames" in source.warnings[0]


def test_real_gif_clip_reads_with_its_frame_times():
    with open_video(shared_clip("stretch_figure4_seated_side.gif")) as source:
        times = [f.t_ms for f in source]
    assert len(times) == 109 and source.size == (480, 270)
    assert set(np.diff(times)) <= {60, 70}


def test_unreadable_file_is_reported(tmp_path):
    if not hasattr(os, "geteuid") or os.geteuid() == 0:
        pytest.skip("needs POSIX permissions and a user other than root")
    path = write_mp4(tmp_path / "locked.mp4", n=2)
    path.chmod(0)
    with pytest.raises(InputError, match=r"locked\.mp4: cannot be read \(permission denied\)"):
        open_video(path)
