"""The per-frame pipeline of live mode, and the record of the session that becomes report.json.

    pose --TrackCleaner--> --LandmarkSmoother--> --MetricsStream--> --ContextStream--> --Engine.step--> events

The streaming twins give the same values as `analyze`'s batch functions on the same frames. The engine
may be restarted within a session (reset, next side): each run of one engine is a `Segment`.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.analyze import Analysis, make_report, withhold_for_camera
from formcheck.kinematics.camera_height import estimate_camera_height
from formcheck.kinematics.context import ContextStream, overall_view
from formcheck.engine.engine import Engine
from formcheck.engine.summary import merge_results
from formcheck.engine.types import PHASES, EngineResult, EngineStatus, Event, FrameState
from formcheck.landmarks import NUM_LANDMARKS
from formcheck.measures import MeasureOptions, measure_exercise
from formcheck.kinematics.metrics import MetricsStream, MetricTable
from formcheck.pose.estimator import DetectedPose
from formcheck.kinematics.quality import TrackCleaner
from formcheck.kinematics.smoothing import LandmarkSmoother
from formcheck.specs.spec import ExerciseSpec
from formcheck.track import PoseTrack

NO_POSE = np.full((NUM_LANDMARKS, 4), np.nan)
NO_WORLD = np.full((NUM_LANDMARKS, 3), np.nan)
CHUNK_FRAMES = 1024
SIDE_CODES = ("", "left", "right")


@dataclass(frozen=True)
class FrameOutcome:
    """What the pipeline made of one frame."""

    t_s: float
    landmarks: np.ndarray  # (33, 4) cleaned and smoothed; all NaN without a pose
    values: np.ndarray
    confidence: np.ndarray
    view: int
    position: int
    events: tuple[Event, ...]
    status: EngineStatus

    @property
    def has_pose(self) -> bool:
        return not np.isnan(self.landmarks[:, 0]).all()


class _ChunkedRows:
    """Rows of fixed shape appended one at a time (no per-row Python objects).

    Rows collect in one block of `chunk` rows in memory; a full block is appended to an anonymous temp
    file, so that memory stays flat however long the session runs. `array()` reads everything back.
    """

    def __init__(self, shape: tuple[int, ...], dtype: Any = np.float32, chunk: int = CHUNK_FRAMES) -> None:
        self.shape = shape
        self.dtype = np.dtype(dtype)
        self.chunk = chunk
        self._block = np.empty((chunk, *shape), dtype=self.dtype)
        self._used = 0
        self._spilled = 0
        self._file: Any = None

    def append(self, row: Any) -> None:
        self._block[self._used] = row
        self._used += 1
        if self._used == self.chunk:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="formcheck-live-")
            self._block.tofile(self._file)
            self._spilled += self.chunk
            self._used = 0

    def __len__(self) -> int:
        return self._spilled + self._used

    def array(self, start: int = 0, stop: int | None = None, dtype: Any = float) -> np.ndarray:
        """The rows ``start:stop`` as one array of `dtype`."""
        parts = []
        if self._spilled:
            self._file.flush()
            self._file.seek(0)
            spilled = np.fromfile(self._file, dtype=self.dtype, count=self._spilled * int(np.prod(self.shape or (1,))))
            self._file.seek(0, os.SEEK_END)
            parts.append(spilled.reshape(self._spilled, *self.shape))
        parts.append(self._block[: self._used])
        return np.concatenate(parts)[start:stop].astype(dtype)

    def close(self) -> None:
        """Remove the temp file (the rows are gone afterwards)."""
        if self._file is not None:
            self._file.close()
            self._file = None


@dataclass
class Segment:
    """One run of the engine: from `start_row` to `stop_row` of the session record."""

    engine: Engine
    side: str
    start_row: int
    stop_row: int | None = None
    ended_by: str | None = None  # "reset", "next", "pain", "end"
    result: EngineResult | None = None

    @property
    def kept(self) -> bool:
        """A segment ended by a reset is left out of the report's main lists (it is still listed)."""
        return self.ended_by != "reset"


@dataclass
class SessionRecord:
    """Every processed frame of the session, compact; enough to rebuild an `Analysis`."""

    metric_names: tuple[str, ...]
    frame: _ChunkedRows = field(default_factory=lambda: _ChunkedRows((), np.int64))
    t_s: _ChunkedRows = field(default_factory=lambda: _ChunkedRows((), np.float64))
    landmarks: _ChunkedRows = field(default_factory=lambda: _ChunkedRows((NUM_LANDMARKS, 4)))
    unsmoothed: _ChunkedRows = field(default_factory=lambda: _ChunkedRows((NUM_LANDMARKS, 4)))  # cleaned only
    world: _ChunkedRows = field(default_factory=lambda: _ChunkedRows((NUM_LANDMARKS, 3)))
    values: _ChunkedRows = field(init=False)
    confidence: _ChunkedRows = field(init=False)
    views: _ChunkedRows = field(default_factory=lambda: _ChunkedRows((), np.int8))
    positions: _ChunkedRows = field(default_factory=lambda: _ChunkedRows((), np.int8))
    engine_state: _ChunkedRows = field(default_factory=lambda: _ChunkedRows((5,)))  # a FrameState as numbers

    def __post_init__(self) -> None:
        self.values = _ChunkedRows((len(self.metric_names),))
        self.confidence = _ChunkedRows((len(self.metric_names),))

    def __len__(self) -> int:
        return len(self.t_s)

    def close(self) -> None:
        """Free the temp files behind the record."""
        for value in vars(self).values():
            if isinstance(value, _ChunkedRows):
                value.close()


class LivePipeline:
    """Cleaner, smoother, metrics, context and engine, one frame at a time, recording what it saw."""

    def __init__(self, spec: ExerciseSpec, image_size: tuple[int, int], *, side: str = "auto") -> None:
        self.spec = spec
        self.image_size = tuple(image_size)
        self.cleaner = TrackCleaner(self.image_size)
        self.smoother = LandmarkSmoother(self.image_size)
        self.metrics = MetricsStream(self.image_size)
        self.names: tuple[str, ...] = tuple(self.metrics.names)
        self.context = ContextStream(self.names)
        self.record = SessionRecord(self.names)
        self.segments: list[Segment] = [Segment(Engine(spec, self.names, side=side), side, 0)]
        self._steps = 0
        self._last_t_s = -np.inf
        self._last_world: np.ndarray | None = None

    @property
    def engine(self) -> Engine:
        return self.segments[-1].engine

    @property
    def last_t_s(self) -> float:
        return self._last_t_s

    @property
    def last_world(self) -> np.ndarray | None:
        """The last frame's world landmarks (None before the first frame)."""
        return self._last_world

    def step(self, frame_index: int, t_s: float, detected: DetectedPose | None) -> FrameOutcome:
        """Run one frame through the pipeline (frames in time order)."""
        raw = detected.landmarks if detected is not None else NO_POSE
        raw_world = detected.world if detected is not None else NO_WORLD
        cleaned, world = self.cleaner.update(t_s, raw, raw_world)
        landmarks, world = self.smoother.update(t_s, cleaned, world)
        world = NO_WORLD if world is None else world
        row = self.metrics.update(t_s, landmarks, world)
        view, position = self.context.update(t_s, row.values, world)
        events = self.engine.step(self._steps, t_s, row.values, row.confidence, position, view)
        status = self.engine.status
        self._steps += 1
        self._last_t_s = t_s
        self._last_world = world
        self._remember(frame_index, t_s, landmarks, world, row.values, row.confidence, view, position,
                       self.engine.frame_state())
        self.record.unsmoothed.append(cleaned)
        return FrameOutcome(t_s, landmarks, row.values, row.confidence, view, position, tuple(events), status)

    def _remember(self, frame_index, t_s, landmarks, world, values, confidence, view, position,
                  state: FrameState) -> None:
        rec = self.record
        rec.frame.append(frame_index)
        rec.t_s.append(t_s)
        rec.landmarks.append(landmarks)
        rec.world.append(world)
        rec.values.append(values)
        rec.confidence.append(confidence)
        rec.views.append(view)
        rec.positions.append(position)
        side_code = SIDE_CODES.index(state.side) if state.side in SIDE_CODES else 0
        hold = state.hold_elapsed_s if state.hold_elapsed_s is not None else np.nan
        rec.engine_state.append((state.in_position, PHASES.index(state.phase), side_code, state.rep_count, hold))

    # ------------------------------------------------------------------------------ segments

    def stop_for_pain(self, t_s: float | None = None) -> list[Event]:
        """The patient pressed `p`: the engine stops at once and records it."""
        return self.engine.stop_for_pain(self._time(t_s))

    def new_segment(self, *, side: str, ended_by: str) -> None:
        """Close the current engine run (its result is kept) and start a fresh one."""
        self._close_segment(ended_by)
        self.segments.append(Segment(Engine(self.spec, self.names, side=side), side, len(self.record)))

    def finish(self, ended_by: str = "end") -> list[Segment]:
        """Close the last engine run (ended by `ended_by`, or "pain"); returns every segment with its result."""
        if self.segments[-1].result is None:
            self._close_segment("pain" if self.engine.status.stopped_for_pain else ended_by)
        return self.segments

    def _close_segment(self, ended_by: str) -> None:
        segment = self.segments[-1]
        segment.result = segment.engine.finish(self._time(None))
        segment.stop_row = len(self.record)
        segment.ended_by = "pain" if segment.engine.status.stopped_for_pain and ended_by != "reset" else ended_by

    def _time(self, t_s: float | None) -> float:
        if t_s is not None:
            return t_s
        return self._last_t_s if np.isfinite(self._last_t_s) else 0.0

    # -------------------------------------------------------------------------------- report

    def analysis(self, *, source: str, options: MeasureOptions = MeasureOptions(),
                 meta: dict | None = None) -> Analysis:
        """The whole session as an `Analysis`, the results of the kept segments merged."""
        segments = self.finish()
        rec = self.record
        track = PoseTrack(
            frame=rec.frame.array(dtype=np.int64),
            t_s=rec.t_s.array(),
            image_size=self.image_size,
            landmarks=rec.landmarks.array(),
            world=rec.world.array(),
            source=source,
            meta={"quality": self.cleaner.counts.as_dict(), **(meta or {})},
        )
        table = MetricTable(self.names, rec.values.array(), rec.confidence.array())
        views = rec.views.array(dtype=int)
        positions = rec.positions.array(dtype=int)
        result = merge_results([s.result for s in segments if s.kept and s.result is not None]
                               or [segments[-1].result])
        result = withhold_for_camera(self.spec, result, estimate_camera_height(track))
        state = rec.engine_state.array()
        columns = {
            "in_position": state[:, 0].astype(np.int8),
            "phase": np.asarray(PHASES, dtype=object)[state[:, 1].astype(int)].astype(str),
            "side": np.asarray(SIDE_CODES, dtype=object)[state[:, 2].astype(int)].astype(str),
            "rep_count": state[:, 3].astype(np.int32),
            "hold_elapsed_s": state[:, 4],
        }
        unsmoothed = track.replace(landmarks=rec.unsmoothed.array())  # event times free of the filter's lag
        measures = measure_exercise(self.spec, track, table, positions, views, result, options,
                                    unsmoothed=unsmoothed)
        return Analysis(raw=track, track=track, table=table, positions=positions, views=views,
                        view=overall_view(views), spec=self.spec, result=result, columns=columns,
                        measures=measures, side=segments[0].side)

    def report(self, *, source: str, fps: float, extra: dict | None = None, meta: dict | None = None,
               outputs: list[str] | None = None, options: MeasureOptions = MeasureOptions()) -> dict:
        """report.json (formcheck.report/1, as `analyze` writes it) with a "live" section of the segments."""
        analysis = self.analysis(source=source, options=options, meta=meta)
        live = {"segments": [segment_summary(s, self.record) for s in self.segments], **(extra or {})}
        sections: dict[str, Any] = {"live": live}
        if outputs is not None:
            sections["outputs"] = outputs
        return make_report(analysis, source=source, fps=fps, extra=sections)


def segment_summary(segment: Segment, record: SessionRecord) -> dict:
    """One segment of the session, for report.json's "live" section."""
    t_s = record.t_s.array()
    stop = segment.stop_row if segment.stop_row is not None else len(t_s)
    result = segment.result
    return {
        "side": segment.side,
        "start_s": float(t_s[segment.start_row]) if segment.start_row < len(t_s) else None,
        "end_s": float(t_s[stop - 1]) if stop > segment.start_row else None,
        "frames": stop - segment.start_row,
        "ended_by": segment.ended_by,
        "kept_in_report": segment.kept,
        "reps": len(result.reps) if result else 0,
        "holds": len(result.holds) if result else 0,
        "violations": len(result.violations) if result else 0,
        "pain_stop": bool(result and result.stats.pain_stop),
        "result": dataclasses.asdict(result) if result and not segment.kept else None,
    }


__all__ = ["LivePipeline", "FrameOutcome", "Segment", "SessionRecord"]
