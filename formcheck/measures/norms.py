"""Age-group reference times for the single-leg (unipedal) stance test.

Source: Springer BA, Marin R, Cyhan T, Roberts H, Gill NW. Normative values for the unipedal stance
test with eyes open and closed. J Geriatr Phys Ther. 2007;30(1):8-15.

What could be checked against the published abstract (journal page, April 2007): 549 healthy adults
aged 18 and over; mean and best of 3 trials with eyes open and closed; six age groups 18-39, 40-49,
50-59, 60-69, 70-79 and 80+; times fall with age; performance "is age-specific and not related to
gender". NOT checked: the numbers in the tables below (the paper's tables were not available to
verify them; a secondary web summary gives eyes-open averages of about 43 s at 18-39, 37-40 s in the
40s and 50s, 27-29 s in the 60s and 11-18 s in the 70s, roughly in line with them), and the test
protocol details (45 s ceiling, arms position). Treat them as approximate and check them against the
paper before clinical use; the report says so too (``verified`` in the reference entry).
"""

from __future__ import annotations

from typing import Any

SOURCE = (
    "Springer BA, Marin R, Cyhan T, Roberts H, Gill NW. Normative values for the unipedal stance test with eyes "
    "open and closed. J Geriatr Phys Ther. 2007;30(1):8-15 (best of three trials, firm floor)"
)
VERIFIED = ("age groups, sample and design checked against the paper's abstract; the times themselves are not "
            "verified against the paper's tables: check them before clinical use")

# (lowest age, highest age, women s, men s)
EYES_OPEN: tuple[tuple[int, int, float, float], ...] = (
    (18, 39, 43.5, 43.2),
    (40, 49, 40.4, 40.1),
    (50, 59, 36.0, 38.1),
    (60, 69, 25.1, 28.7),
    (70, 79, 11.3, 18.3),
    (80, 120, 7.4, 5.6),
)
EYES_CLOSED: tuple[tuple[int, int, float, float], ...] = (
    (18, 39, 13.1, 16.9),
    (40, 49, 13.5, 12.0),
    (50, 59, 7.9, 8.6),
    (60, 69, 3.6, 5.1),
    (70, 79, 3.7, 2.6),
    (80, 120, 2.1, 1.8),
)


def stance_reference(age: int | None, eyes_closed: bool, surface: str) -> dict[str, Any]:
    """The reference time for the patient's age group and test variant, or why there is none."""
    base: dict[str, Any] = {"eyes": "closed" if eyes_closed else "open", "surface": surface}
    if surface != "firm":
        return {**base, "measured": False,
                "reason": "no age norms for the unstable-surface variant (the norms were taken on a firm floor)"}
    if age is None:
        return {**base, "measured": False, "reason": "age not given (use --age to compare with age norms)"}
    table = EYES_CLOSED if eyes_closed else EYES_OPEN
    for low, high, women, men in table:
        if low <= age <= high:
            label = f"{low}-{high}" if high < 120 else f"{low}+"
            return {**base, "age": age, "age_group": label, "women_s": women, "men_s": men,
                    "reference_s": round((women + men) / 2, 1), "source": SOURCE, "verified": VERIFIED}
    return {**base, "measured": False, "reason": f"no norms for age {age} (the study covers adults 18 and over)"}
