"""The clinical figures the progress report judges change by, each with its source, in one place.

A change between sessions is marked *real* only when it is larger than the measure's smallest detectable
difference (SDD, for what formcheck measures) or minimal clinically important difference (MCID, for scores
the patient reports). Measures without a published figure for how formcheck measures them are shown, never
marked real.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Figure:
    """A published threshold for a real change: its value, its unit and where it comes from."""

    measure: str
    kind: str  # "SDD" or "MCID"
    value: float
    unit: str
    source: str
    note: str = ""


FPPA_SDD: Final = Figure(
    "knee frontal plane projection angle (2D video)", "SDD", 8.9, "deg",
    "Munro A, Herrington L, Carolan M. Reliability of 2-dimensional video assessment of frontal-plane dynamic "
    "knee valgus during common athletic screening tasks. J Sport Rehabil. 2012;21(1):7-11",
    "SDD 7.5 to 8.9 deg across the screening tasks; the larger figure is used. Check against the paper before "
    "clinical use.")
IHOT12_MCID: Final = Figure(
    "iHOT-12", "MCID", 13.0, "points",
    "Griffin DR, Parsons N, Mohtadi NGH, Safran MR. A short version of the International Hip Outcome Tool "
    "(iHOT-12) for use in routine clinical practice. Arthroscopy. 2012;28(5):611-616",
    "0 to 100, higher is better.")
PAIN_MCID: Final = Figure(
    "pain rating 0-10", "MCID", 2.0, "points",
    "Farrar JT, Young JP Jr, LaMoreaux L, Werth JL, Poole RM. Clinical importance of changes in chronic pain "
    "intensity measured on an 11-point numerical pain rating scale. Pain. 2001;94(2):149-158",
    "about 2 points (or 30%) is a clinically important change.")

# Patient-reported scores `formcheck history add-score` knows: name -> (lowest, highest, MCID figure or None).
SCORES: Final[dict[str, tuple[float, float, Figure | None]]] = {
    "iHOT-12": (0.0, 100.0, IHOT12_MCID),
}


def score_problem(measure: str, value: float) -> str | None:
    """Why a hand-entered score cannot be right (out of its scale), or None."""
    known = SCORES.get(measure)
    if known is not None and not known[0] <= value <= known[1]:
        return f"{measure} runs from {known[0]:g} to {known[1]:g}, not {value:g}"
    return None


def mcid_of(measure: str) -> Figure | None:
    """The MCID figure of a patient-reported score, or None when formcheck knows none."""
    known = SCORES.get(measure)
    return known[2] if known is not None else None
