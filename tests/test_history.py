"""The history database: recorded runs, the list/show/export/import/delete commands, hostile text, damaged or
foreign files left untouched, a newer schema, a folder that cannot be written, kill -9 mid-recording, two
writers at once, video dates, and speech that is heard."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import wave
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from formcheck.analyze import AnalyzeRequest, run_analyze
from formcheck.cli import main
from formcheck.history import record as record_module
from formcheck.history.dates import container_creation_time, recording_time
from formcheck.history.db import ENV_HISTORY, default_path, open_history
from formcheck.history.query import get_session, list_sessions
from formcheck.history.record import HistoryTarget, record_pain, record_report
from formcheck.history.schema import SCHEMA_VERSION
from formcheck.live.sound import speech_wav

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
HOSTILE = "Robert'); DROP TABLE sessions;-- \"quoted\" <b>bold</b> Zoë 日本 \\ %_ \t end"
LIST_KEYS = {"id", "started_at", "kind", "source", "exercise", "side", "reps", "holds", "violations", "pain"}


def _analyze(track: str, exercise: str, out: Path, *extra: str) -> int:
    return main(["analyze", str(SAMPLES / f"{track}.track.csv"), "-e", exercise, "--out", str(out), "--no-video",
                 *extra])


def _list(capsys, *args: str) -> list[dict]:
    capsys.readouterr()
    assert main(["history", *args, "list", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _fake_report(n_reps: int = 3, source: str = "clip.mp4") -> dict:
    return {
        "schema": "formcheck.report/1", "exercise": "bridge", "source": source, "duration_s": 12.5, "frames": 375,
        "frames_with_pose": 360, "side": "left",
        "reps": [{"n": i + 1, "start_s": i * 2.0, "end_s": i * 2.0 + 1.5, "side": "left", "peak": {"hip_flexion": 3.0},
                  "violations": ["knee_valgus"] if i == 0 else []} for i in range(n_reps)],
        "holds": [{"n": 1, "start_s": 1.0, "end_s": 6.5, "duration_s": 5.5, "side": "left", "target_s": 30.0,
                   "met": False}],
        "violations": [{"rule": "knee_valgus", "start_s": 1.0, "end_s": 1.5, "side": "left", "peak": 14.2,
                        "message": "Knees out", "severity": "warning", "metric": "knee_fppa_left"}] * 2,
        "summary": {"pain_stop": True, "pain_stop_t_s": 9.0, "pose_coverage": 0.96},
        "spec": {"id": "bridge", "name": "Bridge"}, "formcheck_version": "0.1.0",
        "track": {"pose": {"model": "pose_landmarker_full.task", "model_sha256": "ab" * 32}},
    }


def _snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


# ----------------------------------------------------------------------------------- the database


def test_the_conftest_keeps_tests_out_of_the_users_folder(_private_history):
    assert default_path() == _private_history
    assert os.environ[ENV_HISTORY] == str(_private_history)


def test_a_new_database_has_wal_foreign_keys_a_schema_version_and_its_migrations(tmp_path):
    path = tmp_path / "deep" / "history.sqlite"
    with open_history(path) as db:
        assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [r["version"] for r in db.query("SELECT version FROM migrations")] == list(range(1, SCHEMA_VERSION + 1))
    with open_history(path) as db:  # opening again applies nothing twice
        assert len(db.query("SELECT * FROM migrations")) == SCHEMA_VERSION


def test_a_report_becomes_a_session_with_its_reps_holds_violations_and_pain(tmp_path):
    target = HistoryTarget(path=tmp_path / "h.sqlite", patient="P-7", plan="plan.toml", visit="v1")
    sid = record_report(target, _fake_report(), kind="analyze", report_path=tmp_path / "report.json",
                        started_at="2026-12-07T10:00:00+01:00")
    record_pain(target, "before", 4)
    record_pain(target, "after", 10)
    with open_history(target.path) as db:
        (listed,) = list_sessions(db)
        full = get_session(db, sid)
    assert LIST_KEYS <= set(listed)
    assert (listed["reps"], listed["holds"], listed["violations"]) == (3, [5.5], {"knee_valgus": 2})
    assert listed["pain"] == {"before": 4, "after": 10}
    assert (listed["started_at"], listed["kind"], listed["side"], listed["patient"]) == (
        "2026-12-07T10:00:00+01:00", "analyze", "left", "P-7")
    assert (listed["model_variant"], listed["model_sha256"], listed["pose_coverage"]) == ("full", "ab" * 32, 0.96)
    assert full["rep_list"][0]["faults"] == ["knee_valgus"] and full["rep_list"][0]["peak"] == {"hip_flexion": 3.0}
    assert full["hold_list"][0]["met"] is False and full["pain_stop_times_s"] == [9.0]
    assert full["violation_list"][0]["peak"] == 14.2


def test_analyze_records_the_run_and_history_list_json_has_the_contract_keys(tmp_path, capsys):
    assert _analyze("hip_hike_right_step_front", "hip_hike", tmp_path / "a") == 0
    assert "Recorded in the history as session 1" in capsys.readouterr().out
    (session,) = _list(capsys)
    assert LIST_KEYS <= set(session)
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert session["kind"] == "analyze" and session["exercise"] == "hip_hike"
    assert session["reps"] == len(report["reps"]) and session["side"] == report["side"]
    counts: dict[str, int] = {}
    for v in report["violations"]:
        counts[v["rule"]] = counts.get(v["rule"], 0) + 1
    assert session["violations"] == counts and session["pain"] is None
    datetime.fromisoformat(session["started_at"])  # ISO 8601
    assert session["report_path"] == str((tmp_path / "a" / "report.json").resolve())


def test_no_history_records_nothing_and_history_path_overrides_the_default(tmp_path, capsys, _private_history):
    assert _analyze("bridge_side", "bridge", tmp_path / "a", "--no-history") == 0
    assert not _private_history.exists()
    other = tmp_path / "other.sqlite"
    assert _analyze("bridge_side", "bridge", tmp_path / "b", "--history", str(other)) == 0
    assert not _private_history.exists() and other.is_file()
    assert len(_list(capsys, "--history", str(other))) == 1
    capsys.readouterr()
    assert main(["history", "list", "--json", "--history", str(other)]) == 0  # after the subcommand too
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_list_filters_by_exercise_date_and_patient(tmp_path, capsys):
    base = HistoryTarget(path=default_path())
    record_report(base, _fake_report(), kind="analyze", report_path=None, started_at="2026-12-01T09:00:00+00:00")
    record_report(HistoryTarget(path=default_path(), patient="P-1"), {**_fake_report(), "exercise": "clamshell"},
                  kind="live", report_path=None, started_at="2026-12-05T09:00:00+00:00")
    assert [s["exercise"] for s in _list(capsys)] == ["bridge", "clamshell"]
    capsys.readouterr()
    assert main(["history", "list", "--json", "--exercise", "clamshell"]) == 0
    assert [s["exercise"] for s in json.loads(capsys.readouterr().out)] == ["clamshell"]
    assert main(["history", "list", "--json", "--since", "2026-12-02"]) == 0
    assert [s["kind"] for s in json.loads(capsys.readouterr().out)] == ["live"]
    assert main(["history", "list", "--json", "--patient", "P-1"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    assert main(["history", "list"]) == 0
    assert "clamshell" in capsys.readouterr().out


def test_hostile_text_is_stored_and_read_back_unchanged(tmp_path, capsys):
    track = tmp_path / f"{HOSTILE.replace('/', '_').replace(chr(9), ' ')}.track.csv"
    shutil.copy(SAMPLES / "bridge_side.track.csv", track)
    plan = tmp_path / "plan.toml"
    plan.write_text(f'schema = "formcheck.plan/1"\npatient = {json.dumps(HOSTILE)}\nstart = 2026-12-01\n'
                    '[[exercise]]\nid = "bridge"\nper_week = 3\n', encoding="utf-8")
    assert main(["analyze", str(track), "-e", "bridge", "--plan", str(plan), "--out", str(tmp_path / "o"),
                 "--no-video"]) == 0, capsys.readouterr().err
    (session,) = _list(capsys)
    assert session["patient"] == HOSTILE and session["source"] == str(track)
    assert _list(capsys, "--history", str(default_path()))[0]["patient"] == HOSTILE  # the table is still there
    capsys.readouterr()
    assert main(["history", "list", "--json", "--patient", HOSTILE]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_show_export_import_and_delete(tmp_path, capsys):
    assert _analyze("single_leg_stance_left_holds_front", "single_leg_stance", tmp_path / "a", "--no-history") == 0
    report = tmp_path / "a" / "report.json"
    capsys.readouterr()
    assert main(["history", "import", str(report)]) == 0
    assert "recorded as session 1" in capsys.readouterr().out
    assert main(["history", "import", str(report)]) == 0
    assert "already recorded (session 1)" in capsys.readouterr().out
    (session,) = _list(capsys)
    holds = json.loads(report.read_text())["holds"]
    assert session["holds"] == [h["duration_s"] for h in holds] and session["kind"] == "analyze"
    capsys.readouterr()
    assert main(["history", "show", "1"]) == 0
    assert len(json.loads(capsys.readouterr().out)["hold_list"]) == len(holds)
    assert main(["history", "export", "--format", "csv", "--out", str(tmp_path / "h.csv")]) == 0
    rows = (tmp_path / "h.csv").read_text().splitlines()
    assert rows[0].startswith("id,started_at,kind,source") and len(rows) == 2
    assert main(["history", "export", "--format", "json", "--out", str(tmp_path / "h.json")]) == 0
    assert json.loads((tmp_path / "h.json").read_text())[0]["id"] == 1
    assert main(["history", "delete", "1"]) == 0
    assert _list(capsys) == []
    with open_history(default_path()) as db:  # its rows went with it
        assert db.query("SELECT count(*) FROM holds")[0][0] == 0
    assert main(["history", "delete", "1"]) == 2
    assert "no session 1" in capsys.readouterr().err


def test_import_refuses_a_file_that_is_not_a_report(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text('{"schema": "something/1"}')
    assert main(["history", "import", str(bad)]) == 2
    assert "not a formcheck report" in capsys.readouterr().err


# ----------------------------------------------------------------------------------- faults


@pytest.mark.parametrize("content, words", [
    (b"this is a text file, not a database\n" * 20, "not an SQLite file"),
    (b"SQLite format 3\x00" + os.urandom(4080), "damaged"),
])
def test_a_file_that_is_not_sqlite_or_is_damaged_is_reported_in_one_line_and_left_untouched(
        tmp_path, capsys, content, words):
    path = tmp_path / "history.sqlite"
    path.write_bytes(content)
    before = _snapshot(path)
    capsys.readouterr()
    assert main(["history", "--history", str(path), "list"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0] and str(path) in err[0]
    out = tmp_path / "out"
    assert _analyze("bridge_side", "bridge", out, "--history", str(path)) == 2
    err = capsys.readouterr().err
    assert "the session was not recorded" in err
    assert (out / "report.json").is_file() and (out / "metrics.csv").is_file()
    assert _snapshot(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.sqlite", "out"]  # no -wal or -journal beside it


def test_another_programs_sqlite_file_is_not_taken_over(tmp_path, capsys):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.close()
    before = _snapshot(path)
    assert main(["history", "--history", str(path), "list"]) == 2
    assert "another program" in capsys.readouterr().err
    assert _snapshot(path) == before


def test_a_database_from_a_newer_formcheck_names_the_version_that_wrote_it(tmp_path, capsys):
    path = tmp_path / "history.sqlite"
    open_history(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '7.3.0' WHERE key = 'formcheck_version'")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = _snapshot(path)
    assert main(["history", "--history", str(path), "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert "written by formcheck 7.3.0" in err and f"history schema {SCHEMA_VERSION + 1}" in err
    assert len(err.splitlines()) == 1
    assert _snapshot(path) == before


def test_a_history_folder_that_cannot_be_written_still_gives_the_outputs(tmp_path, capsys):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the history folder should be")
    out = tmp_path / "out"
    assert _analyze("bridge_side", "bridge", out, "--history", str(blocker / "history.sqlite")) == 2
    captured = capsys.readouterr()
    assert "bridge on bridge_side.track.csv" in captured.out  # the summary is still printed
    assert "the session was not recorded" in captured.err and len(captured.err.strip().splitlines()) == 1
    assert (out / "report.json").is_file() and (out / "metrics.csv").is_file()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_read_only_history_folder_still_gives_the_outputs(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert _analyze("bridge_side", "bridge", tmp_path / "out", "--history", str(folder / "h.sqlite")) == 2
        assert "the session was not recorded" in capsys.readouterr().err
        assert (tmp_path / "out" / "report.json").is_file()
    finally:
        folder.chmod(0o755)


def test_a_full_disk_mid_recording_leaves_nothing_half_written(tmp_path, monkeypatch):
    path = tmp_path / "h.sqlite"
    record_report(HistoryTarget(path=path), _fake_report(), kind="analyze", report_path=None)

    def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(record_module, "_insert_details", disk_full)
    outcome = run_analyze(AnalyzeRequest(input=SAMPLES / "bridge_side.track.csv", out_dir=tmp_path / "out",
                                         exercise="bridge", write_video=False, progress=False,
                                         history=HistoryTarget(path=path)))
    assert outcome.history is not None and outcome.history.session_id is None
    assert "disk is full" in outcome.history.error and "the session was not recorded" in outcome.history.error
    assert (tmp_path / "out" / "report.json").is_file()
    with open_history(path) as db:  # the session row of the failed transaction was rolled back
        assert db.query("SELECT count(*) FROM sessions")[0][0] == 1


WRITER = """
import sys
from pathlib import Path
sys.path[:0] = [{tests!r}]
from test_history import _fake_report
from formcheck.history.record import HistoryTarget, record_report
target = HistoryTarget(path=Path(sys.argv[1]), patient=sys.argv[2])
for i in range(int(sys.argv[3])):
    record_report(target, _fake_report(n_reps=200), kind="analyze", report_path=None)
"""


def _writer(tmp_path: Path, path: Path, patient: str, count: int) -> subprocess.Popen:
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(tests=str(Path(__file__).parent)))
    return subprocess.Popen([sys.executable, str(script), str(path), patient, str(count)])


def test_kill_9_while_recording_leaves_a_sound_database_with_complete_sessions(tmp_path):
    path = tmp_path / "h.sqlite"
    for _ in range(3):
        record_report(HistoryTarget(path=path), _fake_report(n_reps=200), kind="analyze", report_path=None)
    writer = _writer(tmp_path, path, "killed", 100_000)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            time.sleep(0.05)
            with sqlite3.connect(path, timeout=30) as conn:
                if conn.execute("SELECT count(*) FROM sessions").fetchone()[0] >= 8:
                    break
        time.sleep(0.037)  # somewhere in the middle of a transaction
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = conn.execute("SELECT s.id, (SELECT count(*) FROM reps r WHERE r.session_id = s.id) FROM sessions s"
                              ).fetchall()
    finally:
        conn.close()
    assert len(counts) >= 8 and all(n == 200 for _, n in counts)  # the first 3 kept, none half-written
    with open_history(path) as db:
        assert len(list_sessions(db)) == len(counts)


def test_two_runs_at_once_both_land(tmp_path):
    path = tmp_path / "h.sqlite"
    writers = [_writer(tmp_path, path, name, 8) for name in ("a", "b")]
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    with open_history(path) as db:
        patients = [s["patient"] for s in list_sessions(db)]
    assert patients.count("a") == 8 and patients.count("b") == 8


def test_two_threads_recording_at_once_both_land(tmp_path):
    path = tmp_path / "h.sqlite"
    errors: list[Exception] = []

    def work(name: str) -> None:
        try:
            for _ in range(10):
                record_report(HistoryTarget(path=path, patient=name), _fake_report(), kind="live", report_path=None)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with open_history(path) as db:
        assert len(list_sessions(db)) == 20


# ----------------------------------------------------------------------------------- dates and speech


def _mp4_with_mvhd(path: Path, seconds_since_1904: int, version: int = 0) -> Path:
    times = struct.pack(">QQ", seconds_since_1904, seconds_since_1904) if version else struct.pack(
        ">II", seconds_since_1904, seconds_since_1904)
    mvhd_body = bytes([version, 0, 0, 0]) + times + b"\x00" * 80
    mvhd = struct.pack(">I4s", 8 + len(mvhd_body), b"mvhd") + mvhd_body
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    ftyp = struct.pack(">I4s", 16, b"ftyp") + b"isom\x00\x00\x02\x00"
    free = struct.pack(">I4s", 12, b"free") + b"\x00" * 4
    path.write_bytes(ftyp + free + moov)
    return path


@pytest.mark.parametrize("version", [0, 1])
def test_a_videos_date_is_its_containers_creation_time(tmp_path, version):
    when = datetime(2025, 3, 4, 10, 11, 12, tzinfo=timezone.utc)
    seconds = int((when - datetime(1904, 1, 1, tzinfo=timezone.utc)).total_seconds())
    path = _mp4_with_mvhd(tmp_path / "phone.mp4", seconds, version)
    assert container_creation_time(path) == when
    assert recording_time(path) == when


def test_without_a_creation_time_the_files_date_is_used(tmp_path):
    path = _mp4_with_mvhd(tmp_path / "opencv.mp4", 0)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    assert container_creation_time(path) is None
    assert recording_time(path).timestamp() == 1_700_000_000
    assert container_creation_time(SAMPLES / "bridge_side.track.csv") is None


def test_ffmpegs_creation_time_is_read(tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    out = tmp_path / "dated.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-i", str(SAMPLES / "bridge_side.mp4"),
                    "-t", "0.5", "-c", "copy", "-metadata", "creation_time=2024-05-06T07:08:09Z", str(out)],
                   check=True, timeout=60)
    assert container_creation_time(out) == datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


@pytest.mark.skipif(shutil.which("espeak-ng") is None and shutil.which("espeak") is None,
                    reason="no text-to-speech engine installed (apt-get install espeak-ng)")
def test_a_cue_is_spoken_into_a_wav_of_plausible_length_not_silence(tmp_path):
    cue = "Keep your left knee below the level of your hip."
    path = speech_wav(cue, tmp_path / "cue.wav")
    assert path is not None
    with wave.open(str(path)) as wav:
        rate, frames = wav.getframerate(), wav.getnframes()
        samples = np.frombuffer(wav.readframes(frames), dtype="<i2").astype(float)
    duration = frames / rate
    words = len(cue.split())
    assert 0.15 * words < duration < 1.0 * words  # about 2 to 6 words a second
    assert np.sqrt(np.mean(samples ** 2)) > 300  # not silence
    voiced = np.abs(samples) > 1000
    assert voiced.mean() > 0.2
