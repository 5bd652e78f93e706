"""Screenshots of `formcheck live` as the patient sees it: a real OpenCV window on an X display, grabbed from the
screen (not the image handed to the window), in the patient and the therapist view.

    xvfb-run -s "-screen 0 2000x1000x24" .venv/bin/python bench/screenshots.py docs/

For a stretch (a hold), a rep exercise with a fault and the single-leg stance timer, each sample clip plays as
the camera with its exact pose track standing in for the model (so that the picture is the same on every
machine), and the screen is grabbed at a chosen moment of the clip: docs/live_<name>_<view>.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
from PIL import ImageGrab

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from live_fakes import TrackDetector  # noqa: E402

from formcheck.live import LiveRequest, run_live  # noqa: E402
from formcheck.live.capture import CameraTarget, open_capture  # noqa: E402
from formcheck.live.keys import Window  # noqa: E402
from formcheck.live.session import _window_size  # noqa: E402
from formcheck.live.sound import SoundBoard  # noqa: E402

SHOTS = (  # name, clip, exercise, side, the clip time to grab the screen at (s)
    ("stretch", "hip_flexor_stretch_left_side", "hip_flexor_stretch", "auto", 6.5),
    ("reps", "single_leg_squat_right_valgus_front", "single_leg_squat", "right", 9.2),
    ("stance", "single_leg_stance_left_holds_front", "single_leg_stance", "auto", 5.5),
)


class TimedDetector(TrackDetector):
    """The clip's true track, remembering the time of the latest frame it was asked about."""

    last_ms = -1

    def __call__(self, image, t_ms):
        self.last_ms = t_ms
        return super().__call__(image, t_ms)


def shoot(out: Path, name: str, clip: str, exercise: str, side: str, at_s: float, view: str) -> Path:
    """Play `clip` as the camera in a real window and grab the screen once the clip reaches `at_s`."""
    video = ROOT / "sample_videos" / f"{clip}.mp4"
    detector = TimedDetector(ROOT / "sample_videos" / f"{clip}.track.csv")
    path = out / f"live_{name}_{view}.png"
    capture = open_capture(CameraTarget.parse(str(video)))
    window = Window(size=_window_size(capture.size))  # as `formcheck live` opens it: at least 720 px high
    cv2.moveWindow(window.title, 0, 0)
    show = window.show
    taken: list[Path] = []

    def show_and_grab(image):
        show(image)
        cv2.waitKey(1)
        if not taken and detector.last_ms >= at_s * 1000:
            cv2.waitKey(150)  # let the X server draw it
            x, y, width, height = cv2.getWindowImageRect(window.title)  # the picture inside the window
            ImageGrab.grab(bbox=(x, y, x + width, y + height), xdisplay=None).save(path)
            taken.append(path)

    window.show = show_and_grab
    request = LiveRequest(camera=str(video), exercise=exercise, side=side,
                          out_dir=Path(tempfile.mkdtemp(prefix="formcheck-shots-")),
                          view=view, max_seconds=at_s + 3.0, strict=True)
    run_live(request, window=window, detect=detector, capture=capture,
             sound=SoundBoard(voice=False, tones=False))
    if not taken:
        raise SystemExit(f"{name}: the clip never reached {at_s} s")
    return path


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    for name, clip, exercise, side, at_s in SHOTS:
        for view in ("patient", "therapist"):
            print(shoot(out, name, clip, exercise, side, at_s, view))


if __name__ == "__main__":
    main()
