"""Thumbnails of chosen moments: a frame of the video (or a plain background) with the skeleton drawn.

    images = thumbnails(analysis, moments, video=Path("clip.mp4"))      # {row: JPEG bytes}
    images = thumbnails(analysis, moments, video=None)                  # skeleton only, no face, no home

Drawn with the overlay's `Annotator`, the same drawing as annotated.mp4: the fault's segments red and
the metric's value beside the body.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from formcheck.analyze import CANVAS_BGR, Analysis
from formcheck.outputs.overlay import Annotator, metric_label
from formcheck.reports.session_data import Moment

THUMB_WIDTH = 480
JPEG_QUALITY = 82


def _video_images(path: Path, frame_numbers: set[int]) -> dict[int, np.ndarray]:
    """The video's images for the given frame numbers (one decoding pass, stopping after the last)."""
    from formcheck.pose.sources import open_video

    found: dict[int, np.ndarray] = {}
    last = max(frame_numbers, default=-1)
    with open_video(path) as source:
        for frame in source:
            if frame.index in frame_numbers:
                found[frame.index] = frame.image.copy()
            if frame.index >= last:
                break
    return found


def _canvas(analysis: Analysis) -> np.ndarray:
    width, height = (int(v) for v in analysis.track.image_size)
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = CANVAS_BGR
    return image


def draw_moment(image: np.ndarray, analysis: Analysis, moment: Moment) -> np.ndarray:
    """The skeleton of the moment's frame on ``image`` (BGR, in place), its fault segments red."""
    track, table = analysis.track, analysis.table
    height, width = image.shape[:2]
    labels = ()
    if moment.metric is not None and moment.metric in table.names:
        value = float(table.values[moment.row, table.names.index(moment.metric)])
        label = metric_label(moment.metric, value, fault=moment.fault)
        labels = (label,) if label is not None else ()
    Annotator(width, height).annotate(image, track.xy_px[moment.row], track.visibility[moment.row],
                                      red_segments=moment.segments, labels=labels)
    return image


def crop_to_person(image: np.ndarray, xy_px: np.ndarray, visibility: np.ndarray, *, pad: float = 0.3,
                   aspect: float = 4 / 3) -> np.ndarray:
    """The part of ``image`` around the visible landmarks (padded, ``aspect`` wide), or all of it."""
    seen = np.isfinite(xy_px).all(axis=1) & (np.nan_to_num(visibility) >= 0.5)
    height, width = image.shape[:2]
    if seen.sum() < 3:
        return image
    (x0, y0), (x1, y1) = xy_px[seen].min(axis=0), xy_px[seen].max(axis=0)
    box_h = max(y1 - y0, (x1 - x0) / aspect, 0.25 * height) * (1 + 2 * pad)
    box_h = min(box_h, height, width / aspect)
    box_w = box_h * aspect
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left = int(np.clip(cx - box_w / 2, 0, width - box_w))
    top = int(np.clip(cy - box_h / 2, 0, height - box_h))
    return image[top: top + int(box_h), left: left + int(box_w)]


def _encode(image: np.ndarray) -> bytes:
    height, width = image.shape[:2]
    if width > THUMB_WIDTH:
        image = cv2.resize(image, (THUMB_WIDTH, round(height * THUMB_WIDTH / width)), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("cannot encode a thumbnail")
    return data.tobytes()


def thumbnails(analysis: Analysis, moments: Iterable[Moment], *, video: Path | None) -> dict[int, bytes]:
    """JPEG bytes per moment row: the video's frame when ``video`` is given, else a plain background."""
    moments = list(moments)
    frame_of = {m.row: int(analysis.track.frame[m.row]) for m in moments}
    images = _video_images(video, set(frame_of.values())) if video is not None and moments else {}
    out: dict[int, bytes] = {}
    for moment in moments:
        base = images.get(frame_of[moment.row])
        image = base.copy() if base is not None else _canvas(analysis)
        drawn = draw_moment(image, analysis, moment)
        track = analysis.track
        out[moment.row] = _encode(crop_to_person(drawn, track.xy_px[moment.row], track.visibility[moment.row]))
    return out
