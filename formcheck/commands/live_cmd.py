"""`formcheck live`: coach an exercise in real time through the webcam."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from formcheck.commands.options import echo_history, history_options, live_settings, plan_option
from formcheck.live import LiveRequest, run_live
from formcheck.live.model_choice import AUTO, LIVE_VARIANTS, TARGET_FPS
from formcheck.landmarks import SIDE_CHOICES
from formcheck.outputs.annotate import PATIENT, VIEWS


@click.command("live")
@click.option("--exercise", "-e", "exercises", multiple=True,
              help="Exercise id (see `formcheck exercises`); default safety_watch. Give several (-e bridge "
                   "-e clamshell, or bridge,clamshell) for a program done in turn: `n` moves on.")
@click.option("--spec", "spec_paths", type=click.Path(path_type=Path), multiple=True,
              help="Use this exercise spec TOML file instead of a bundled exercise (may be repeated).")
@click.option("--camera", default="0", show_default=True,
              help="Camera index, stream URL, or a video file played as if it were the camera.")
@click.option("--side", type=click.Choice(SIDE_CHOICES), default="auto", show_default=True,
              help="The side being exercised (for one-sided exercises); auto finds it.")
@click.option("--mirror", is_flag=True, help="Show the picture mirrored, like a mirror in front of you.")
@click.option("--record", "record_dir", type=click.Path(path_type=Path), default=None,
              help="Also save the annotated video (annotated.mp4) in this folder.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for report.json (default: the --record folder, else ./out).")
@click.option("--no-window", is_flag=True, help="Run without a window (the report is still written).")
@click.option("--voice", "language", metavar="LANG", default=None, is_flag=False, flag_value="",
              help="Speak in this language (an espeak-ng voice: en, en-gb, de, fr, es, ...; see `espeak-ng "
                   "--voices`). Speech is on by default where text-to-speech exists.")
@click.option("--no-voice", is_flag=True, help="Do not speak (tones only).")
@click.option("--voice-rate", "rate_wpm", type=click.FloatRange(80, 450), default=None, metavar="WPM",
              help="Speaking speed in words per minute (espeak-ng's default is 175).")
@click.option("--audio-only", is_flag=True,
              help="Say everything, to exercise without looking: each rep count, hold time to go, fault, set "
                   "change and the summary at the end (with or without a window).")
@click.option("--view", type=click.Choice(VIEWS), default=PATIENT, show_default=True,
              help="patient: the count, the timer and the one cue that matters; therapist: also every angle "
                   "with its plain name, threshold and confidence. Key t switches while live.")
@click.option("--large", is_flag=True, help="Bigger type on screen (1.5 times), for reading from farther away.")
@click.option("--model", type=click.Path(path_type=Path), default=None,
              help="Pose model .task file (default: $FORMCHECK_MODEL, then the cache; see `formcheck model`).")
@click.option("--model-variant", type=click.Choice(LIVE_VARIANTS), default=AUTO, show_default=True,
              help="Pose model variant; auto starts on full and switches to lite when full cannot keep "
                   f"{TARGET_FPS:.0f} FPS on this machine (timed over the first seconds).")
@click.option("--max-seconds", type=click.FloatRange(min=0.1), default=None,
              help="End the session after this many seconds.")
@click.option("--skeleton-only", is_flag=True,
              help="Show and record the skeleton on a plain background (no face, no room): the video and "
                   "report.html are safe to send.")
@plan_option
@history_options
def command(exercises: tuple[str, ...], spec_paths: tuple[Path, ...], camera: str, side: str, mirror: bool,
            record_dir: Path | None, out_dir: Path | None, no_window: bool, language: str | None, no_voice: bool,
            rate_wpm: float | None, audio_only: bool, view: str, large: bool, model: Path | None,
            model_variant: str, max_seconds: float | None, skeleton_only: bool, plan_path: Path | None,
            history_path: Path | None, no_history: bool) -> None:
    """Check an exercise live: skeleton, angles, faults in red, rep count and hold timer on screen.

    Keys: space pause/resume, n next side or exercise, r reset the count, p pain (stop at once), t patient /
    therapist view, q or Esc quit. Walking out of the picture pauses; getting back into the start position goes on.
    At the end (or on quit) writes report.json like `formcheck analyze`; with --record also annotated.mp4.
    A program of several exercises writes OUT/<n>_<exercise>/report.json for each and OUT/session.json.
    Each exercise is recorded in the history (unless --no-history); --plan uses the plan's dose and limits, and
    its sides: each side the plan names in turn, never a side it does not name.
    """
    if exercises and spec_paths:
        raise click.UsageError("give --exercise or --spec, not both")
    if audio_only and no_voice:
        raise click.UsageError("--audio-only speaks everything: it cannot go with --no-voice")
    ids = split_exercise_ids(exercises)
    specs, plans, history = live_settings(plan_path, ids, spec_paths, date.today(), history_path, no_history)
    outcome = run_live(LiveRequest(
        camera=camera, exercises=() if specs else ids, specs=specs, plans=plans, history=history, spec_paths=tuple(spec_paths), side=side, mirror=mirror, record_dir=record_dir,
        out_dir=out_dir, window=not no_window, voice=not no_voice, model=model, model_variant=model_variant,
        max_seconds=max_seconds, skeleton_only=skeleton_only, view=view, large=large, audio_only=audio_only,
        language=language or None, rate_wpm=rate_wpm,
    ))
    click.echo(outcome.summary)
    stats = outcome.stats
    click.echo(f"Live: {stats.frames_displayed} frames shown at {stats.displayed_fps:.1f} fps, "
               f"latency median {stats.latency_ms_median} ms, p95 {stats.latency_ms_p95} ms"
               + (f"; video: {outcome.video_path}" if outcome.video_path else "") + f" (ended: {outcome.ended_by}).")
    echo_history(*outcome.history)


def split_exercise_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    """`-e bridge -e clamshell` and `-e bridge,clamshell` both give ("bridge", "clamshell"), in order."""
    ids = tuple(part.strip() for value in values for part in value.split(","))
    if any(not part for part in ids):
        raise click.BadParameter(f"empty exercise id in {', '.join(values)!r}", param_hint="--exercise")
    return ids
