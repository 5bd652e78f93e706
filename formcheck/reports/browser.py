"""Render a report page with the system's headless Chromium: to PNG, to PDF, or to its DOM after loading.

    chrome = find_chromium()                       # None when no Chromium is installed
    screenshot(chrome, Path("report.html"), Path("report.png"), size=(1100, 2400))
    print_pdf(chrome, Path("report.html"), Path("report.pdf"))
    dom = dump_dom(chrome, Path("report.html"))    # the document as the browser built it

Used by the browser tests and to make the README's screenshots. Chromium runs with a throw-away profile
and without any background networking, so rendering a page never reaches the network.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from formcheck.errors import FormcheckError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio")
TIMEOUT_S = 120


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable, or None."""
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def _run(chrome: str, page: Path, *args: str) -> str:
    with tempfile.TemporaryDirectory(prefix="formcheck-chromium-") as profile:
        done = subprocess.run([chrome, *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise FormcheckError(f"{page}: chromium failed ({done.stderr.strip().splitlines()[-1:] or done.returncode})")
    return done.stdout


def screenshot(chrome: str, page: Path, out: Path, *, size: tuple[int, int] = (1100, 2400)) -> Path:
    """A PNG of the page's top ``size`` (width, height) pixels."""
    _run(chrome, page, f"--screenshot={out.resolve()}", f"--window-size={size[0]},{size[1]}")
    return out


def print_pdf(chrome: str, page: Path, out: Path) -> Path:
    """The page printed to PDF (the page's own print stylesheet: A4)."""
    _run(chrome, page, f"--print-to-pdf={out.resolve()}", "--no-pdf-header-footer")
    return out


def dump_dom(chrome: str, page: Path) -> str:
    """The page's DOM serialised after it has loaded (and after any script it ran)."""
    return _run(chrome, page, "--virtual-time-budget=3000", "--dump-dom")
