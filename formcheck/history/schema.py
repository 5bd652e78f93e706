"""The history database's tables: one migration per schema version, applied in order, never edited once released."""

from __future__ import annotations

from typing import Final

SCHEMA_VERSION: Final = 2

_V1: Final[tuple[str, ...]] = (
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE migrations (
        version INTEGER PRIMARY KEY,
        applied_at TEXT NOT NULL,
        formcheck_version TEXT NOT NULL
    )""",
    """CREATE TABLE visits (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        started_at TEXT NOT NULL,
        patient TEXT,
        plan TEXT
    )""",
    """CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        visit_id INTEGER REFERENCES visits(id) ON DELETE SET NULL,
        started_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('analyze', 'live')),
        source TEXT NOT NULL,
        patient TEXT,
        plan TEXT,
        exercise TEXT NOT NULL,
        exercise_name TEXT,
        side TEXT,
        duration_s REAL,
        frames INTEGER,
        pose_coverage REAL,
        model_variant TEXT,
        model_sha256 TEXT,
        formcheck_version TEXT,
        report_path TEXT,
        ended_by TEXT
    )""",
    "CREATE INDEX sessions_started ON sessions (started_at)",
    "CREATE INDEX sessions_patient ON sessions (patient, exercise)",
    """CREATE TABLE reps (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        n INTEGER,
        side TEXT,
        start_s REAL,
        end_s REAL,
        peak TEXT NOT NULL,
        faults TEXT NOT NULL
    )""",
    """CREATE TABLE holds (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        n INTEGER,
        side TEXT,
        start_s REAL,
        end_s REAL,
        duration_s REAL,
        target_s REAL,
        met INTEGER
    )""",
    """CREATE TABLE violations (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        rule TEXT NOT NULL,
        side TEXT,
        start_s REAL,
        end_s REAL,
        peak REAL,
        metric TEXT,
        severity TEXT,
        message TEXT
    )""",
    """CREATE TABLE pain_stops (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        t_s REAL
    )""",
    """CREATE TABLE pain_ratings (
        id INTEGER PRIMARY KEY,
        visit_id INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
        moment TEXT NOT NULL CHECK (moment IN ('before', 'after')),
        rating INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 10),
        recorded_at TEXT NOT NULL,
        UNIQUE (visit_id, moment)
    )""",
    "CREATE INDEX reps_session ON reps (session_id)",
    "CREATE INDEX holds_session ON holds (session_id)",
    "CREATE INDEX violations_session ON violations (session_id)",
    "CREATE INDEX pain_stops_session ON pain_stops (session_id)",
)

# v2: patient-reported scores entered by hand (`formcheck history add-score iHOT-12 72 --date 2026-12-01`).
_V2: Final[tuple[str, ...]] = (
    """CREATE TABLE scores (
        id INTEGER PRIMARY KEY,
        patient TEXT,
        measure TEXT NOT NULL,
        value REAL NOT NULL,
        day TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    )""",
    "CREATE INDEX scores_patient ON scores (patient, measure, day)",
)

# MIGRATIONS[v] brings a database at schema v - 1 to schema v.
MIGRATIONS: Final[dict[int, tuple[str, ...]]] = {1: _V1, 2: _V2}
