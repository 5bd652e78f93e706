"""What the real clips in ../shared/videos show (from their PROVENANCE.md and our own viewing), and a cache of their tracks.

The facts are what a therapist sees in each clip, written once so the tests read as claims about people:
the camera view where the provenance states it, the body position, and whether the hip flexes deep enough
(knee at or above the hip) for the safety rule. Tracks are extracted with the real MediaPipe model once per
test session and kept as .npz files in a session temp folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from formcheck.pose.estimator import PoseEstimator, extract_track
from formcheck.pose.sources import open_video
from formcheck.track import PoseTrack
from formcheck.track_io import read_track, write_track


@dataclass(frozen=True)
class ClipFacts:
    """What one clip shows: view (None when oblique or not stated), position, and frame count as decoded."""

    view: str | None
    position: str
    frames: int


CLIPS: dict[str, ClipFacts] = {
    "squat_fms_overhead_good_side.mov": ClipFacts("side", "standing", 80),
    "squat_fms_overhead_good_front.mov": ClipFacts("front", "standing", 72),
    "squat_fms_overhead_bad_front.mov": ClipFacts("front", "standing", 66),
    "squat_barbell_side_gym.mp4": ClipFacts("side", "standing", 614),
    "squat_deep_front_webcam_overlay.mp4": ClipFacts("front", "standing", 238),
    "squat_deep_front_replabels.mp4": ClipFacts("front", "standing", 198),
    "squat_bodyweight_side_replabels.mp4": ClipFacts("side", "standing", 110),
    "squat_incorrect_heelrise_oblique.mp4": ClipFacts(None, "standing", 47),
    "lunge_split_squat_side_01.mp4": ClipFacts("side", "standing", 961),
    "glute_bridge_side_1rep.mp4": ClipFacts("side", "supine", 91),
    "single_leg_stance_tree_pose_front.mp4": ClipFacts("front", "standing", 72),
    "single_leg_squat_supported_side.mp4": ClipFacts("side", "standing", 912),
    "single_leg_rdl_side_wahoo.mp4": ClipFacts("side", "standing", 479),
    # A side-lying body filmed from in front of it is a front view (see context.py).
    "clamshell_sidelying_band_01.gif": ClipFacts("front", "side_lying", 14),
    "clamshell_sidelying_band_02.gif": ClipFacts("front", "side_lying", 32),
    "stretch_figure4_seated_side.gif": ClipFacts("side", "sitting", 109),
    "jump_countermovement_landing_oblique.mp4": ClipFacts(None, "standing", 54),
    "squat_banded_front_gt.mp4": ClipFacts("front", "standing", 65),
}


class TrackCache:
    """MediaPipe tracks of the real clips, extracted on first use and stored as .npz for the session."""

    def __init__(self, videos: Path, model: Path, folder: Path) -> None:
        self.videos = videos
        self.model = model
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.videos / name

    def track(self, name: str) -> PoseTrack:
        stored = self.folder / f"{name}.npz"
        if not stored.is_file():
            with open_video(self.videos / name) as source, PoseEstimator(self.model) as estimator:
                write_track(extract_track(source, estimator, progress=False), stored)
        return read_track(stored)


def rep_start_frames(csv_path: Path) -> list[int]:
    """Frame indices labelled 1 (a rep starts) in a WorkoutTracker label file (frame,time,label)."""
    starts = []
    for line in csv_path.read_text().splitlines()[1:]:
        frame, _time, label = line.split(",")
        if float(label) == 1.0:
            starts.append(int(frame))
    return starts
