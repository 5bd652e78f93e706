"""Find the pose model: `--model PATH`, then $FORMCHECK_MODEL, then the user cache, else fetch it.

Three variants: lite (fastest), full (the default) and heavy (most accurate). Fetching tries
MediaPipe's official download (versioned URL, pinned sha256), then a build from the package
registries (`model_build`: the mediapipe wheel on PyPI, and for lite and heavy the `@mediapipe/pose`
tarball on npm). Files reach the cache only through a temporary file and a rename, and only once
their sha256 is one we know; a cached file that fails that check is replaced. When nothing works,
one ModelError says what was tried.

A variant asked for by name skips a $FORMCHECK_MODEL file that is another variant; `--model PATH`
is always used as given.

Environment: FORMCHECK_MODEL (a .task file to use), FORMCHECK_CACHE_DIR (cache folder),
FORMCHECK_OFFLINE=1 (never use the network).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import platformdirs

from formcheck.errors import ModelError
from formcheck.pose import model_build
from formcheck.pose.model_files import download_verified, sha256_file

VARIANTS: tuple[str, ...] = ("lite", "full", "heavy")
DEFAULT_VARIANT = "full"
ENV_MODEL = "FORMCHECK_MODEL"
ENV_CACHE_DIR = "FORMCHECK_CACHE_DIR"
ENV_OFFLINE = "FORMCHECK_OFFLINE"
MODEL_STORAGE_URL = "https://storage.googleapis.com/mediapipe-models/pose_landmarker"
MODEL_DOCS_URL = "https://ai.google.dev/edge/mediapipe/solutions/vision/pose_landmarker"
REQUIRED_MEMBERS: tuple[str, ...] = model_build.BUNDLE_MEMBER_NAMES


@dataclass(frozen=True)
class OfficialModel:
    """A MediaPipe pose landmarker bundle as published (float16, version 1)."""

    variant: str
    sha256: str
    size_bytes: int

    @property
    def filename(self) -> str:
        return f"pose_landmarker_{self.variant}.task"

    @property
    def url(self) -> str:
        return f"{MODEL_STORAGE_URL}/pose_landmarker_{self.variant}/float16/1/{self.filename}"


# sha256 of the versioned files as pinned by many independent public projects.
OFFICIAL_MODELS: MappingProxyType[str, OfficialModel] = MappingProxyType({
    "lite": OfficialModel("lite", "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a", 5_777_746),
    "full": OfficialModel("full", "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1", 9_398_198),
    "heavy": OfficialModel("heavy", "64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b", 30_664_242),
})


@dataclass(frozen=True)
class ModelFile:
    """A usable model file, with its sha256 and how formcheck got it."""

    path: Path
    sha256: str
    size_bytes: int
    source: str  # "option", "env", "cache", "download" or "build"
    obtained: str  # in words, for people
    identity: str | None  # what the sha256 says it is; None for a file we do not know
    variant: str | None  # lite, full or heavy; None for a file we do not know

    def report_fields(self) -> dict[str, str | None]:
        """What report.json records of the model (in its track.pose section)."""
        return {"model_variant": self.variant, "model_sha256": self.sha256}


def cache_dir() -> Path:
    """The model cache: $FORMCHECK_CACHE_DIR, else the platform's user cache (~/.cache/formcheck on Linux)."""
    override = os.environ.get(ENV_CACHE_DIR, "").strip()
    if override:
        return Path(override).expanduser()
    return platformdirs.user_cache_path("formcheck", appauthor=False)


def cache_path(variant: str = DEFAULT_VARIANT) -> Path:
    """Where the cache keeps the bundle of this variant."""
    return cache_dir() / OFFICIAL_MODELS[_checked_variant(variant)].filename


def resolve_model(
    model_path: str | os.PathLike | None = None,
    *,
    variant: str | None = None,
    fetch: bool = True,
    progress: bool = True,
) -> Path:
    """Return the path of a usable .task file following the order above; raise ModelError listing what was tried."""
    return find_model(model_path, variant=variant, fetch=fetch, progress=progress).path


def find_model(
    model_path: str | os.PathLike | None = None,
    *,
    variant: str | None = None,
    fetch: bool = True,
    progress: bool = True,
) -> ModelFile:
    """Like `resolve_model`, with the file's sha256, size, variant and origin.

    `variant` None is the default (full) with $FORMCHECK_MODEL honoured whatever it is; a variant
    named skips a $FORMCHECK_MODEL file that is not that variant.
    """
    if variant is not None:
        _checked_variant(variant)
    if model_path is not None and str(model_path) != "":
        return _user_model(Path(model_path).expanduser(), "option", "given with --model")
    tried = ["--model (not given)"]
    from_env = os.environ.get(ENV_MODEL, "").strip()
    if from_env:
        chosen = _user_model(Path(from_env).expanduser(), "env", f"from ${ENV_MODEL}")
        if variant is None or chosen.variant == variant:
            return chosen
        what = f"pose_landmarker_{chosen.variant}" if chosen.variant else "not a bundle formcheck knows"
        tried.append(f"${ENV_MODEL} ({chosen.path} is {what}, not pose_landmarker_{variant}: skipped)")
    else:
        tried.append(f"${ENV_MODEL} (not set)")
    return _provisioned(variant or DEFAULT_VARIANT, tried, fetch=fetch, progress=progress)


def _provisioned(variant: str, tried: list[str], *, fetch: bool, progress: bool) -> ModelFile:
    """The cached bundle, else downloaded, else built; raise ModelError with everything tried."""
    cached = cache_path(variant)
    found, cache_note = _from_cache(cached, variant)
    if found is not None:
        return found
    tried.append(f"cache {cached} ({cache_note})")
    official = OFFICIAL_MODELS[variant]
    build_label = f"build from {model_build.RECIPES[variant].origin}"
    if not fetch or _offline():
        why = "fetching disabled" if not fetch else f"${ENV_OFFLINE} is set"
        tried += [f"official download ({why})", f"{build_label} ({why})"]
        raise ModelError(_nothing_worked(variant, tried))

    _ensure_dir(cached.parent)
    try:
        download_verified(official.url, cached, sha256=official.sha256, size_bytes=official.size_bytes,
                          progress=progress)
        return _described(cached, "download", f"downloaded just now from {official.url}", variant)
    except ModelError as exc:
        download_failure = str(exc)
        tried.append(f"official download ({download_failure})")
    try:
        model_build.build_bundle(variant, cached, progress=progress)
    except ModelError as exc:
        tried.append(f"{build_label} ({exc})")
        raise ModelError(_nothing_worked(variant, tried)) from None
    return _described(cached, "build", f"built just now from {model_build.RECIPES[variant].origin} "
                                       f"(official download failed: {download_failure})", variant)


def identify(sha256: str) -> tuple[str, str] | None:
    """(variant, what it is in words) for a bundle formcheck knows by its sha256; else None."""
    for official in OFFICIAL_MODELS.values():
        if sha256 == official.sha256:
            return official.variant, f"official MediaPipe pose_landmarker_{official.variant} (float16, version 1)"
    for recipe in model_build.RECIPES.values():
        if sha256 == recipe.bundle_sha256:
            return recipe.variant, f"pose_landmarker_{recipe.variant} built from {recipe.origin}"
    return None


def known_sha256s(variant: str) -> frozenset[str]:
    """The sha256 values a cached bundle of this variant may have."""
    variant = _checked_variant(variant)
    return frozenset({OFFICIAL_MODELS[variant].sha256, model_build.RECIPES[variant].bundle_sha256})


def check_bundle(path: Path, origin: str) -> None:
    """Raise ModelError unless `path` is a pose landmarker .task bundle (a zip holding both models)."""
    if not path.exists():
        raise ModelError(f"{path}: no such model file ({origin})")
    if not path.is_file():
        raise ModelError(f"{path}: not a file ({origin})")
    try:
        with zipfile.ZipFile(path) as bundle:
            names = set(bundle.namelist())
    except zipfile.BadZipFile:
        raise ModelError(f"{path}: not a MediaPipe .task bundle, not a zip archive ({origin})") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror or exc}) ({origin})") from None
    missing = [name for name in REQUIRED_MEMBERS if name not in names]
    if missing:
        raise ModelError(f"{path}: not a pose landmarker bundle, no {missing[0]} inside ({origin})")


def _user_model(path: Path, source: str, obtained: str) -> ModelFile:
    """A file the user chose: it must be a pose bundle; its sha256 is reported, not required."""
    check_bundle(path, obtained)
    return _described(path, source, obtained)


def _from_cache(path: Path, variant: str) -> tuple[ModelFile | None, str]:
    """The cached bundle if it verifies, else None and why not."""
    if not path.exists():
        return None, "absent"
    if not path.is_file():
        return None, "not a file"
    try:
        sha256 = sha256_file(path)
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
    if sha256 not in known_sha256s(variant):
        return None, f"sha256 {sha256[:12]}... is not a known pose_landmarker_{variant}, to be replaced"
    return _model_file(path, sha256, "cache", f"found in the cache {path.parent}"), "ok"


def _described(path: Path, source: str, obtained: str, variant: str | None = None) -> ModelFile:
    try:
        sha256 = sha256_file(path)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return _model_file(path, sha256, source, obtained, variant)


def _model_file(path: Path, sha256: str, source: str, obtained: str, variant: str | None = None) -> ModelFile:
    known = identify(sha256)
    return ModelFile(
        path=path, sha256=sha256, size_bytes=path.stat().st_size, source=source, obtained=obtained,
        identity=known[1] if known else None, variant=known[0] if known else variant,
    )


def _checked_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ModelError(f"unknown model variant {variant!r} (choose from {', '.join(VARIANTS)})")
    return variant


def _offline() -> bool:
    return os.environ.get(ENV_OFFLINE, "").strip().lower() in {"1", "true", "yes", "on"}


def _ensure_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"{folder}: cannot create the model cache ({exc.strerror or exc}); "
            f"set ${ENV_CACHE_DIR} to a writable folder or pass --model PATH"
        ) from None


def _nothing_worked(variant: str, tried: list[str]) -> str:
    official = OFFICIAL_MODELS[variant]
    command = "formcheck model" + ("" if variant == DEFAULT_VARIANT else f" --variant {variant}")
    return (
        f"no pose model ({official.filename}); tried: {'; '.join(tried)}. "
        f"Supply one with --model PATH or ${ENV_MODEL}=PATH (download {official.url} "
        f"on any connected machine; see {MODEL_DOCS_URL}), or run '{command}' where "
        "storage.googleapis.com, or PyPI and the npm registry, can be reached."
    )
