"""Run `formcheck live` in a real OpenCV window (under Xvfb) and report what the patient saw.

    python tests/live_window_probe.py OUT_DIR MODEL CLIP [--mirror] [--close-after N] [--exercise ID] [--seconds S]

Wraps the display function to keep the exact images passed to cv2.imshow, checks the window is visible,
and writes OUT_DIR/probe.json and OUT_DIR/last_shown.png. With --close-after N the window is destroyed
after N frames, as if the patient closed it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2

from formcheck.live import LiveRequest, run_live
from formcheck.live.keys import Window


def main() -> None:
    out, model, clip = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    mirror = "--mirror" in sys.argv
    exercise = sys.argv[sys.argv.index("--exercise") + 1] if "--exercise" in sys.argv else "bridge"
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 8.0
    close_after = int(sys.argv[sys.argv.index("--close-after") + 1]) if "--close-after" in sys.argv else None
    shown = []
    visible = []

    def show(title, image):
        cv2.imshow(title, image)
        cv2.waitKey(1)
        visible.append(cv2.getWindowProperty(title, cv2.WND_PROP_VISIBLE))
        shown.append(image.copy() if len(shown) < 1 else image)
        if len(shown) > 2:
            shown[-2] = None
        if close_after is not None and len(visible) == close_after:
            cv2.destroyWindow(title)
            cv2.waitKey(1)

    window = Window("formcheck live", show_fn=show)
    outcome = run_live(LiveRequest(camera=clip, exercise=exercise, mirror=mirror, out_dir=out, window=True,
                                   voice=False, tones=False, model=model, max_seconds=seconds), window=window)
    last = next(image for image in reversed(shown) if image is not None)
    cv2.imwrite(str(out / "last_shown.png"), last)
    cv2.imwrite(str(out / "first_shown.png"), shown[0])
    (out / "probe.json").write_text(json.dumps({
        "frames_shown": len(visible), "visible": visible[:5] + visible[-5:], "ended_by": outcome.ended_by,
        "shape": list(last.shape), "report": str(outcome.report_path),
    }))


if __name__ == "__main__":
    main()
