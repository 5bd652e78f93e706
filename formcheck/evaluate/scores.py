"""Score analysis reports against ground truth: rep counts, hold durations and violation detection.

A report (``formcheck.report/1``) is compared with the truth of its clip (``formcheck.truth/1``, made by
`formcheck synth`)::

    score = score_clip(read_report(path), read_truth(truth_path))
    summary = summarise([score, ...])          # per exercise and overall
    print(format_table([score, ...], summary))

Definitions (one place, so the tests and the README agree):

- Reps: the report's counted reps against the truth's ``rep_count`` (full reps; partial reps are not reps).
  The error is detected minus true.
- Holds: each true hold is paired with the detected hold of the same side (a missing side matches any)
  that overlaps it most in time, each detected hold used once. The error is detected minus true duration
  (seconds); a true hold left unpaired is "missed", a detected hold left unpaired is "extra".
- Violations: only the rules the truth checked (its ``rules_checked``) are scored; the report's other rules
  are listed as unscored. A detection matches a true window of the same rule, and the same side where both
  name one, when the two intervals overlap after widening the detection by the tolerance on both sides
  (a gap of exactly the tolerance still matches). Precision = detections matching some true window /
  detections; recall = true windows matched by some detection / true windows. With nothing to find and
  nothing found both are 1.0 (no false alarm, nothing missed).
- Acceptance (``passed``): rep count exact, every true hold paired within ``hold_tolerance_s`` and no
  extra hold, violation precision and recall 1.0.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from formcheck.errors import InputError
from formcheck.jsonfile import read_json_file
from formcheck.synth.truth import SCHEMA as TRUTH_SCHEMA, read_truth as read_truth_document

REPORT_SCHEMA = "formcheck.report/1"
DEFAULT_VIOLATION_TOLERANCE_S = 0.5
DEFAULT_HOLD_TOLERANCE_S = 0.5
_EPS = 1e-9
LOST_SHARE = 0.5  # a true rep or hold this much inside the report's pose_lost spans is not held against it
WILDCARD_SIDES = (None, "both")


@dataclass(frozen=True)
class Interval:
    """A rep, hold or violation window reduced to what scoring needs."""

    start_s: float
    end_s: float
    side: str | None = None
    rule: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class HoldPair:
    """A true hold and the detected hold paired with it (None: missed)."""

    truth: Interval
    detected: Interval | None

    @property
    def error_s(self) -> float | None:
        """Detected minus true duration; None when the hold was missed."""
        return None if self.detected is None else self.detected.duration_s - self.truth.duration_s


@dataclass(frozen=True)
class ViolationMatch:
    """One violation window (true or detected) and whether the other side has a match for it."""

    window: Interval
    matched: bool


@dataclass(frozen=True)
class ClipScore:
    """The scores of one report against its truth."""

    clip: str
    exercise: str
    reps_truth: int
    reps_detected: int
    partial_truth: int
    partial_detected: int | None
    holds: tuple[HoldPair, ...]
    extra_holds: tuple[Interval, ...]
    truth_violations: tuple[ViolationMatch, ...]  # matched = found by some detection (recall)
    detections: tuple[ViolationMatch, ...]  # matched = some true window (precision)
    unscored_rules: tuple[str, ...]
    hold_tolerance_s: float
    violation_tolerance_s: float
    reps_not_measured: str | None = None  # the report's reason when it says reps are not counted
    reps_lost: int = 0  # true reps mostly inside spans the report says the person was lost from view
    # true holds mostly inside those spans, or all of them when the report says (with its reason, under
    # not_measured "holds") that no hold could be timed: missed or mistimed there, not held against it
    holds_lost: tuple[Interval, ...] = ()

    @property
    def rep_error(self) -> int:
        """Counted minus true reps: 0 when the report says, with its reason, that reps are not counted, or when
        the only reps missing are those inside spans it reports the person lost from view."""
        raw = self.reps_detected - self.reps_truth
        return 0 if self.reps_not_measured or -self.reps_lost <= raw <= 0 else raw

    @property
    def holds_missed(self) -> int:
        return sum(1 for h in self.holds if h.detected is None)

    @property
    def max_hold_error_s(self) -> float | None:
        """Largest |duration error| of the paired holds (None without paired holds)."""
        errors = [abs(h.error_s) for h in self.holds if h.error_s is not None]
        return max(errors) if errors else None

    @property
    def precision(self) -> float:
        return _ratio(sum(d.matched for d in self.detections), len(self.detections))

    @property
    def recall(self) -> float:
        return _ratio(sum(t.matched for t in self.truth_violations), len(self.truth_violations))

    @property
    def holds_ok(self) -> bool:
        return not self.extra_holds and all(self._hold_ok(h) for h in self.holds)

    def _hold_ok(self, h: HoldPair) -> bool:
        if h.truth in self.holds_lost:
            return True
        return h.error_s is not None and abs(h.error_s) <= self.hold_tolerance_s + _EPS

    @property
    def passed(self) -> bool:
        return self.rep_error == 0 and self.holds_ok and self.precision == 1.0 and self.recall == 1.0

    def failures(self) -> list[str]:
        """What misses the acceptance thresholds, in words (empty when passed)."""
        out: list[str] = []
        if self.rep_error:
            out.append(f"reps {self.reps_detected} counted, {self.reps_truth} true")
        for h in self.holds:
            if h.truth in self.holds_lost:
                continue
            if h.detected is None:
                out.append(f"hold {h.truth.start_s:.1f}-{h.truth.end_s:.1f} s missed")
            elif abs(h.error_s) > self.hold_tolerance_s + _EPS:
                out.append(f"hold {h.truth.start_s:.1f}-{h.truth.end_s:.1f} s off by {h.error_s:+.2f} s")
        for e in self.extra_holds:
            out.append(f"extra hold {e.start_s:.1f}-{e.end_s:.1f} s")
        for t in self.truth_violations:
            if not t.matched:
                out.append(f"missed {_window_text(t.window)}")
        for d in self.detections:
            if not d.matched:
                out.append(f"false {_window_text(d.window)}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "clip": self.clip,
            "exercise": self.exercise,
            "passed": self.passed,
            "reps": {"truth": self.reps_truth, "detected": self.reps_detected, "error": self.rep_error,
                     "partial_truth": self.partial_truth, "partial_detected": self.partial_detected,
                     "not_measured": self.reps_not_measured, "lost_from_view": self.reps_lost},
            "holds": {
                "pairs": [
                    {"truth": _interval_dict(h.truth), "detected": _interval_dict(h.detected) if h.detected else None,
                     "error_s": _round(h.error_s)}
                    for h in self.holds
                ],
                "missed": self.holds_missed,
                "extra": [_interval_dict(e) for e in self.extra_holds],
                "max_abs_error_s": _round(self.max_hold_error_s),
            },
            "violations": {
                "truth": [dict(_interval_dict(t.window), found=t.matched) for t in self.truth_violations],
                "detected": [dict(_interval_dict(d.window), true=d.matched) for d in self.detections],
                "precision": _round(self.precision),
                "recall": _round(self.recall),
                "unscored_rules": list(self.unscored_rules),
            },
            "failures": self.failures(),
        }


@dataclass(frozen=True)
class GroupScore:
    """Scores pooled over several clips (one exercise, or all)."""

    name: str
    clips: int
    clips_passed: int
    reps_truth: int
    rep_abs_error: int
    holds_truth: int
    holds_missed: int
    holds_extra: int
    max_hold_error_s: float | None
    detections: int
    detections_matched: int
    truth_windows: int
    truth_windows_found: int
    clip_names: tuple[str, ...] = field(default=())

    @property
    def precision(self) -> float:
        return _ratio(self.detections_matched, self.detections)

    @property
    def recall(self) -> float:
        return _ratio(self.truth_windows_found, self.truth_windows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "clips": self.clips,
            "clips_passed": self.clips_passed,
            "reps_truth": self.reps_truth,
            "rep_abs_error": self.rep_abs_error,
            "holds_truth": self.holds_truth,
            "holds_missed": self.holds_missed,
            "holds_extra": self.holds_extra,
            "max_abs_hold_error_s": _round(self.max_hold_error_s),
            "violations_detected": self.detections,
            "violations_detected_true": self.detections_matched,
            "violations_truth": self.truth_windows,
            "violations_truth_found": self.truth_windows_found,
            "precision": _round(self.precision),
            "recall": _round(self.recall),
        }


# ------------------------------------------------------------------------------------------ reading


def read_report(path: str | os.PathLike) -> dict:
    """A report.json, checked to be ``formcheck.report/1`` with reps, holds and violations lists."""
    path = Path(path)
    data = read_json_file(path, "report")
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
        raise InputError(f"{path}: not a {REPORT_SCHEMA} document")
    _check_lists(path, data, ("reps", "holds", "violations"))
    return data


def read_truth(path: str | os.PathLike) -> dict:
    """A NAME.truth.json, checked to be ``formcheck.truth/1`` with reps, holds and violations lists."""
    path = Path(path)
    data = read_truth_document(path)
    _check_lists(path, data, ("reps", "holds", "violations"))
    if not isinstance(data.get("exercise"), str):
        raise InputError(f"{path}: truth has no exercise id")
    return data


def _check_lists(path: Path, data: dict, keys: tuple[str, ...]) -> None:
    for key in keys:
        items = data.get(key)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InputError(f"{path}: '{key}' must be a list of objects")
        for n, item in enumerate(items):
            for name in ("start_s", "end_s"):
                if key != "reps" and not isinstance(item.get(name), (int, float)):
                    raise InputError(f"{path}: {key}[{n}].{name} must be a number")


# ------------------------------------------------------------------------------------------ scoring


def score_clip(
    report: Mapping[str, Any],
    truth: Mapping[str, Any],
    *,
    violation_tolerance_s: float = DEFAULT_VIOLATION_TOLERANCE_S,
    hold_tolerance_s: float = DEFAULT_HOLD_TOLERANCE_S,
    clip: str | None = None,
) -> ClipScore:
    """Score one report against its truth; InputError when they are of different exercises."""
    if violation_tolerance_s < 0 or hold_tolerance_s < 0:
        raise InputError("tolerances must be >= 0 seconds")
    name = clip or str(truth.get("clip") or "clip")
    if report.get("exercise") != truth.get("exercise"):
        raise InputError(
            f"{name}: the report is of exercise '{report.get('exercise')}', the truth of '{truth.get('exercise')}'"
        )
    holds, extra = pair_holds(_intervals(truth["holds"]), _intervals(report["holds"]))
    scored = _scored_rules(truth)
    said = report.get("not_measured") if isinstance(report.get("not_measured"), dict) else {}
    reps_unmeasured = str(said["rep_count"]) if said.get("rep_count") and not report["reps"] else None
    holds_unmeasured = bool(said.get("holds")) and not report["holds"]
    truth_windows = _intervals(truth["violations"], with_rule=True)
    if reps_unmeasured or holds_unmeasured:  # nothing judged: the rules the report says it could not judge
        truth_windows = [w for w in truth_windows if not said.get(w.rule)]
    detected_all = _intervals(report["violations"], with_rule=True)
    detected = [d for d in detected_all if d.rule in scored]
    unscored = sorted({d.rule for d in detected_all if d.rule not in scored})
    truth_matches, detection_matches = match_violations(truth_windows, detected, violation_tolerance_s)
    summary = report.get("summary") if isinstance(report.get("summary"), dict) else {}
    partial = summary.get("partial_reps")
    lost = _intervals(report.get("pose_lost") or [])
    return ClipScore(
        clip=name,
        exercise=str(truth["exercise"]),
        reps_truth=int(truth.get("rep_count", sum(1 for r in truth["reps"] if r.get("full", True)))),
        reps_detected=len(report["reps"]),
        partial_truth=int(truth.get("partial_reps", sum(1 for r in truth["reps"] if not r.get("full", True)))),
        partial_detected=int(partial) if isinstance(partial, (int, float)) else None,
        holds=tuple(holds),
        extra_holds=tuple(extra),
        truth_violations=tuple(truth_matches),
        detections=tuple(detection_matches),
        unscored_rules=tuple(unscored),
        hold_tolerance_s=hold_tolerance_s,
        violation_tolerance_s=violation_tolerance_s,
        reps_not_measured=reps_unmeasured,
        reps_lost=sum(1 for r in _intervals(truth["reps"]) if _mostly_lost(r, lost)),
        holds_lost=tuple(h for h in _intervals(truth["holds"]) if holds_unmeasured or _mostly_lost(h, lost)),
    )


def _mostly_lost(window: Interval, lost: list[Interval]) -> bool:
    """Whether at least ``LOST_SHARE`` of a true window lies in spans the report says the person was lost."""
    inside = sum(max(0.0, overlap_s(window, span)) for span in lost)
    return window.duration_s > 0 and inside >= LOST_SHARE * window.duration_s


def _scored_rules(truth: Mapping[str, Any]) -> set[str]:
    checked = truth.get("rules_checked")
    rules = {c.get("rule") for c in checked if isinstance(c, dict)} if isinstance(checked, list) else set()
    return rules | {v.get("rule") for v in truth["violations"]}


def _intervals(items: Iterable[Mapping[str, Any]], *, with_rule: bool = False) -> list[Interval]:
    return [
        Interval(float(i["start_s"]), float(i["end_s"]), i.get("side"), i.get("rule") if with_rule else None)
        for i in items
    ]


def sides_agree(a: str | None, b: str | None) -> bool:
    """Same side, or either names none (or "both")."""
    return a in WILDCARD_SIDES or b in WILDCARD_SIDES or a == b


def overlap_s(a: Interval, b: Interval) -> float:
    """Length of time the two intervals share (negative: the gap between them)."""
    return min(a.end_s, b.end_s) - max(a.start_s, b.start_s)


def pair_holds(truth: list[Interval], detected: list[Interval]) -> tuple[list[HoldPair], list[Interval]]:
    """Pair true and detected holds one to one by largest time overlap and side; returns pairs and extras."""
    candidates = sorted(
        ((overlap_s(t, d), ti, di) for ti, t in enumerate(truth) for di, d in enumerate(detected)
         if sides_agree(t.side, d.side) and overlap_s(t, d) > 0),
        key=lambda c: -c[0],
    )
    paired: dict[int, int] = {}
    used: set[int] = set()
    for _, ti, di in candidates:
        if ti not in paired and di not in used:
            paired[ti] = di
            used.add(di)
    pairs = [HoldPair(t, detected[paired[ti]] if ti in paired else None) for ti, t in enumerate(truth)]
    extra = [d for di, d in enumerate(detected) if di not in used]
    return pairs, extra


def violation_matches(detection: Interval, window: Interval, tolerance_s: float) -> bool:
    """Same rule, agreeing sides, and intervals overlapping once the detection is widened by the tolerance."""
    return (
        detection.rule == window.rule
        and sides_agree(detection.side, window.side)
        and overlap_s(detection, window) >= -tolerance_s - _EPS
    )


def match_violations(
    truth: list[Interval], detected: list[Interval], tolerance_s: float
) -> tuple[list[ViolationMatch], list[ViolationMatch]]:
    """For each true window whether some detection matches it, and for each detection whether it is true."""
    found = [ViolationMatch(t, any(violation_matches(d, t, tolerance_s) for d in detected)) for t in truth]
    true = [ViolationMatch(d, any(violation_matches(d, t, tolerance_s) for t in truth)) for d in detected]
    return found, true


def summarise(scores: Iterable[ClipScore]) -> dict[str, GroupScore]:
    """Pooled scores per exercise (keyed by exercise id) and over all clips (key ``"overall"``)."""
    scores = list(scores)
    groups: dict[str, list[ClipScore]] = {}
    for s in scores:
        groups.setdefault(s.exercise, []).append(s)
    out = {name: _group(name, items) for name, items in sorted(groups.items())}
    out["overall"] = _group("overall", scores)
    return out


def _group(name: str, scores: list[ClipScore]) -> GroupScore:
    errors = [s.max_hold_error_s for s in scores if s.max_hold_error_s is not None]
    return GroupScore(
        name=name,
        clips=len(scores),
        clips_passed=sum(s.passed for s in scores),
        reps_truth=sum(s.reps_truth for s in scores),
        rep_abs_error=sum(abs(s.rep_error) for s in scores),
        holds_truth=sum(len(s.holds) for s in scores),
        holds_missed=sum(s.holds_missed for s in scores),
        holds_extra=sum(len(s.extra_holds) for s in scores),
        max_hold_error_s=max(errors) if errors else None,
        detections=sum(len(s.detections) for s in scores),
        detections_matched=sum(sum(d.matched for d in s.detections) for s in scores),
        truth_windows=sum(len(s.truth_violations) for s in scores),
        truth_windows_found=sum(sum(t.matched for t in s.truth_violations) for s in scores),
        clip_names=tuple(s.clip for s in scores),
    )


def evaluation_json(scores: Iterable[ClipScore], *, sources: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The whole evaluation as a JSON-ready dict (schema ``formcheck.evaluation/1``)."""
    scores = list(scores)
    groups = summarise(scores)
    clips = []
    for s in scores:
        item = s.to_dict()
        if sources and s.clip in sources:
            item["report"] = sources[s.clip]
        clips.append(item)
    return {
        "schema": "formcheck.evaluation/1",
        "violation_tolerance_s": scores[0].violation_tolerance_s if scores else DEFAULT_VIOLATION_TOLERANCE_S,
        "hold_tolerance_s": scores[0].hold_tolerance_s if scores else DEFAULT_HOLD_TOLERANCE_S,
        "passed": all(s.passed for s in scores),
        "clips": clips,
        "exercises": {k: v.to_dict() for k, v in groups.items() if k != "overall"},
        "overall": groups["overall"].to_dict(),
    }


# ------------------------------------------------------------------------------------------ table


def format_table(scores: Iterable[ClipScore]) -> str:
    """A plain-text table: one row per clip, then one per exercise, then overall; failures listed below."""
    scores = list(scores)
    header = ("clip", "reps", "err", "holds", "max hold err", "viol det/true", "precision", "recall", "ok")
    rows: list[tuple[str, ...]] = []
    for s in scores:
        rows.append((
            s.clip,
            f"nm/{s.reps_truth}" if s.reps_not_measured else f"{s.reps_detected}/{s.reps_truth}"
            + (f" ({s.reps_lost} lost)" if s.reps_lost and not s.reps_not_measured else ""),
            "nm" if s.reps_not_measured else f"{s.rep_error:+d}",
            f"{len(s.holds) - s.holds_missed}/{len(s.holds)}" + (f" +{len(s.extra_holds)}" if s.extra_holds else ""),
            _seconds(s.max_hold_error_s),
            f"{len(s.detections)}/{len(s.truth_violations)}",
            f"{s.precision:.2f}",
            f"{s.recall:.2f}",
            "yes" if s.passed else "NO",
        ))
    groups = summarise(scores)
    group_rows = []
    for name, g in groups.items():
        if name == "overall" and len(groups) == 2 and g.clips == 1:
            continue
        group_rows.append((
            f"[{name}]",
            f"{g.reps_truth + 0}",
            f"{g.rep_abs_error}",
            f"{g.holds_truth - g.holds_missed}/{g.holds_truth}" + (f" +{g.holds_extra}" if g.holds_extra else ""),
            _seconds(g.max_hold_error_s),
            f"{g.detections}/{g.truth_windows}",
            f"{g.precision:.2f}",
            f"{g.recall:.2f}",
            f"{g.clips_passed}/{g.clips}",
        ))
    widths = [max(len(r[i]) for r in [header, *rows, *group_rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    out = [line(header), line(tuple("-" * w for w in widths))]
    out += [line(r) for r in rows]
    if group_rows:
        out.append(line(tuple("-" * w for w in widths)))
        out += [line(r) for r in group_rows]
    problems = [f"{s.clip}: {'; '.join(s.failures())}" for s in scores if not s.passed]
    unmeasured = [f"{s.clip}: reps not measured ({s.reps_not_measured})" for s in scores if s.reps_not_measured]
    unmeasured += [f"{s.clip}: {s.reps_lost} rep(s) and {len(s.holds_lost)} hold(s) reported as not measured "
                   "(the person lost from view there, or no hold could be timed)" for s in scores
                   if (s.reps_lost or s.holds_lost) and not s.reps_not_measured]
    if problems or unmeasured:
        out.append("")
        out += problems + unmeasured
    return "\n".join(out)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _ratio(num: int, den: int) -> float:
    return 1.0 if den == 0 else num / den


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def _interval_dict(i: Interval) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if i.rule is not None:
        out["rule"] = i.rule
    out.update(start_s=round(i.start_s, 3), end_s=round(i.end_s, 3), side=i.side)
    return out


def _window_text(i: Interval) -> str:
    side = f" {i.side}" if i.side else ""
    return f"{i.rule}{side} {i.start_s:.1f}-{i.end_s:.1f} s"
