"""model_build: the stored zip, the TFLite metadata, verified files, and one real build from PyPI."""

from __future__ import annotations

import hashlib
import io
import os
import sys
import zipfile
from pathlib import Path

import pytest

from formcheck.pose import model_build
from formcheck.errors import ModelError
from formcheck.landmarks import LEFT_ANKLE, LEFT_HIP, LEFT_KNEE, NOSE

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_MODEL = SHARED_DIR / "models" / "pose_landmarker_full.task"
SHARED_VIDEOS = SHARED_DIR / "videos"
STANDING_CLIP = SHARED_VIDEOS / "squat_bodyweight_side_replabels.mp4"  # side view, standing at the start


def _tiny_tflite(description: bytes = b"tiny") -> bytes:
    """A minimal TFLite flatbuffer: no subgraphs, two buffers."""
    import flatbuffers
    from mediapipe.tasks.metadata import schema_py_generated as schema

    model = schema.ModelT()
    model.version = 3
    model.description = description
    empty, weights = schema.BufferT(), schema.BufferT()
    weights.data = b"\x01\x02\x03\x04"
    model.buffers = [empty, weights]
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


# --- stored zip ------------------------------------------------------------------------------------


def test_stored_zip_aligns_every_entry_and_reads_back():
    entries = [("a.bin", b"x" * 7), ("bb.tflite", os.urandom(1001)), ("c", b"")]
    data = model_build.stored_zip(entries, alignment=4, date_time=(2024, 5, 6, 7, 8, 10))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert [(info.filename, archive.read(info)) for info in archive.infolist()] == entries
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.date_time == (2024, 5, 6, 7, 8, 10)
            assert (info.header_offset + 30 + len(info.filename)) % 4 == 0


def test_stored_zip_writes_the_headers_pythons_zipfile_writes():
    entries = [("pose_detector.tflite", b"abc" * 50), ("pose_landmarks_detector.tflite", b"\x00\xff" * 33)]
    date_time = (2026, 11, 24, 3, 51, 14)
    expected = io.BytesIO()
    with zipfile.ZipFile(expected, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=date_time), data)
    assert model_build.stored_zip(entries, date_time=date_time) == expected.getvalue()


def test_empty_archive_after_data_points_past_the_data():
    prefix = b"model bytes" * 10
    combined = prefix + model_build.stored_zip([], start_offset=len(prefix))
    with zipfile.ZipFile(io.BytesIO(combined)) as archive:
        assert archive.namelist() == []
    assert len(combined) == len(prefix) + 22


# --- TFLite metadata -------------------------------------------------------------------------------


def test_landmarks_metadata_describes_one_rgb_image_scaled_to_unit_range():
    from mediapipe.tasks.metadata import metadata_schema_py_generated as meta

    data = model_build.landmarks_metadata()
    assert data[4:8] == b"M001"
    metadata = meta.ModelMetadataT.InitFromObj(meta.ModelMetadata.GetRootAs(data, 0))
    (subgraph,) = metadata.subgraphMetadata
    (image,) = subgraph.inputTensorMetadata
    assert image.content.contentPropertiesType == meta.ContentProperties.ImageProperties
    assert image.content.contentProperties.colorSpace == meta.ColorSpaceType.RGB
    (unit,) = image.processUnits
    assert list(unit.options.mean) == [0.0] and list(unit.options.std) == [255.0]
    assert len(subgraph.outputTensorMetadata) == model_build.LANDMARK_OUTPUT_COUNT


def test_add_metadata_keeps_the_model_and_appends_the_metadata_buffer():
    from mediapipe.tasks.metadata import schema_py_generated as schema

    original = _tiny_tflite()
    metadata = b"M-E-T-A-D-A-T-A"
    result = model_build.add_metadata(original, metadata)
    assert result[4:8] == b"TFL3"
    model = schema.Model.GetRootAs(result, 0)
    assert model.Description() == b"tiny"
    assert model.BuffersLength() == 3
    assert model.Buffers(1).DataAsNumpy().tobytes() == b"\x01\x02\x03\x04"
    entries = {model.Metadata(i).Name(): model.Metadata(i).Buffer() for i in range(model.MetadataLength())}
    assert model.Buffers(entries[b"TFLITE_METADATA"]).DataAsNumpy().tobytes() == metadata
    with zipfile.ZipFile(io.BytesIO(result)) as associated_files:  # the (empty) archive after the model
        assert associated_files.namelist() == []


def test_add_metadata_refuses_a_model_that_already_has_it():
    once = model_build.add_metadata(_tiny_tflite(), b"first")
    with pytest.raises(ModelError, match="already has TFLITE_METADATA"):
        model_build.add_metadata(once, b"second")


def test_add_metadata_rejects_bytes_that_are_not_tflite():
    with pytest.raises(ModelError, match="not a TFLite model"):
        model_build.add_metadata(b"\xff" * 3, b"meta")


# --- the wheel -------------------------------------------------------------------------------------


def _fake_wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in members.items():
            wheel.writestr(name, data)
    return path


def test_bundle_from_wheel_rejects_model_files_with_other_contents(tmp_path):
    wheel = _fake_wheel(tmp_path / "fake.whl", {m.wheel_path: b"not the model" for m in model_build.BUNDLE_MEMBERS})
    with pytest.raises(ModelError, match=r"pose_detection\.tflite has sha256 [0-9a-f]{64}, expected 9ba9dd3d"):
        model_build.bundle_from_wheel(wheel)


def test_bundle_from_wheel_names_a_missing_model_file(tmp_path):
    wheel = _fake_wheel(tmp_path / "empty.whl", {"mediapipe/__init__.py": b""})
    with pytest.raises(ModelError, match="empty.whl: no mediapipe/modules/pose_detection/pose_detection.tflite inside"):
        model_build.bundle_from_wheel(wheel)


def test_bundle_from_wheel_rejects_a_file_that_is_not_a_zip(tmp_path):
    bogus = tmp_path / "bogus.whl"
    bogus.write_bytes(b"<html>proxy login</html>")
    with pytest.raises(ModelError, match="bogus.whl: not a readable wheel"):
        model_build.bundle_from_wheel(bogus)


@pytest.mark.parametrize(
    ("page", "content_type"),
    [
        ('{"files": [{"filename": "%s", "url": "https://files.example/w/%s"}]}', "application/vnd.pypi.simple.v1+json"),
        ('<a href="https://files.example/w/%s#sha256=00">%s</a><br/>', "text/html"),
    ],
)
def test_find_wheel_link_reads_json_and_html_index_pages(page, content_type):
    name = model_build.WHEEL.filename
    link = model_build.find_wheel_link(page % (name, name), content_type)
    assert link is not None and link.startswith(f"https://files.example/w/{name}")
    assert model_build.find_wheel_link(page.replace("%s", "other-1.0.whl"), content_type) is None


def test_pip_raw_progress_lines_are_consumed_and_other_output_kept():
    script = "print('Collecting mediapipe'); print('Progress 5 of 10'); print('Progress 10 of 10'); print('Saved')"
    returncode, output = model_build._run_pip([sys.executable, "-c", script], progress=False)
    assert (returncode, output) == (0, "Collecting mediapipe\nSaved\n")


def test_when_pip_and_the_index_both_fail_both_reasons_are_given(tmp_path, monkeypatch):
    missing_index = (tmp_path / "no-index").as_uri()
    monkeypatch.setenv("PIP_INDEX_URL", missing_index)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    with pytest.raises(ModelError) as raised:
        model_build.fetch_wheel(tmp_path, progress=False)
    message = str(raised.value)
    assert "pip download failed (exit 1: ERROR: No matching distribution found for mediapipe==0.10.21)" in message
    assert f"{missing_index}/mediapipe/: cannot connect" in message


# --- verified, atomic files ------------------------------------------------------------------------


def test_download_verified_writes_the_file_when_the_hash_matches(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"payload" * 1000)
    dest = tmp_path / "out" / "model.task"
    dest.parent.mkdir()
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    model_build.download_verified(source.as_uri(), dest, sha256=sha, size_bytes=7000, progress=False)
    assert dest.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["model.task"]


@pytest.mark.parametrize("size_bytes", [None, 7000, 6999])
def test_download_verified_leaves_nothing_when_the_file_differs(tmp_path, size_bytes):
    source = tmp_path / "source.bin"
    source.write_bytes(b"payload" * 1000)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ModelError, match="source.bin: "):
        model_build.download_verified(source.as_uri(), out / "model.task", sha256="0" * 64, size_bytes=size_bytes,
                                      progress=False)
    assert list(out.iterdir()) == []


def test_write_atomic_keeps_the_old_file_when_the_rename_fails(tmp_path, monkeypatch):
    dest = tmp_path / "model.task"
    dest.write_bytes(b"old")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_build.os, "replace", failing_replace)
    with pytest.raises(ModelError, match="model.task: cannot write"):
        model_build.write_atomic(dest, b"new")
    assert dest.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.task"]


# --- the real thing: PyPI (about 35 MB), the model loads and finds a person ------------------------


def _skip_if_offline():
    if os.environ.get("FORMCHECK_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        pytest.skip("FORMCHECK_OFFLINE is set")


@pytest.mark.slow
def test_build_from_pypi_for_real_gives_a_model_that_finds_a_person(tmp_path):
    _skip_if_offline()
    dest = model_build.build_full_bundle(tmp_path / "pose_landmarker_full.task", progress=False)
    assert model_build.sha256_file(dest) == model_build.BUNDLE_SHA256
    if SHARED_MODEL.is_file():
        assert dest.read_bytes() == SHARED_MODEL.read_bytes()

    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(dest)), running_mode=vision.RunningMode.IMAGE
    )
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        if not STANDING_CLIP.is_file():
            return  # the model loaded; no clip to look at here
        import cv2
        import numpy as np

        capture = cv2.VideoCapture(str(STANDING_CLIP))
        capture.set(cv2.CAP_PROP_POS_FRAMES, 15)
        ok, frame = capture.read()
        capture.release()
        assert ok
        rgb = np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
    assert len(result.pose_landmarks) == 1
    pose = result.pose_landmarks[0]
    assert len(pose) == 33
    heights = [pose[i].y for i in (NOSE, LEFT_HIP, LEFT_KNEE, LEFT_ANKLE)]
    assert heights == sorted(heights), "a standing person: nose above hip above knee above ankle"


@pytest.mark.slow
def test_wheel_from_the_index_without_pip_for_real(tmp_path):
    _skip_if_offline()
    wheel = model_build.fetch_wheel_from_index(tmp_path, progress=False)
    assert wheel.name == model_build.WHEEL.filename
    assert model_build.sha256_file(wheel) == model_build.WHEEL.sha256
    assert [p.name for p in tmp_path.iterdir()] == [model_build.WHEEL.filename]
