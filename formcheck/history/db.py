"""Opening the history database: checked before anything is written, WAL mode, foreign keys, migrations.

    with open_history(path) as db:          # creates the file (and its folder) when missing
        with db.transaction() as conn:      # BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error
            conn.execute("INSERT ...", (...,))

A file that is not SQLite, a damaged database or one written by a newer formcheck raises HistoryError
(one line) and is never written to: it is first opened read-only and checked. Every query is parameterised.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import platformdirs

from formcheck import __version__
from formcheck.errors import HistoryError
from formcheck.history.schema import MIGRATIONS, SCHEMA_VERSION

ENV_HISTORY = "FORMCHECK_HISTORY"
DB_NAME = "history.sqlite"
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30.0
RETRY_S = 0.05  # between attempts while another process holds a lock SQLite does not wait for itself


def default_path() -> Path:
    """$FORMCHECK_HISTORY, else history.sqlite in the user's data folder (~/.local/share/formcheck on Linux)."""
    override = os.environ.get(ENV_HISTORY, "").strip()
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path("formcheck", appauthor=False) / DB_NAME


def resolve_path(option: Path | None) -> Path:
    """The database of a command: its --history option, else the default."""
    return Path(option).expanduser() if option is not None else default_path()


def now_iso() -> str:
    """The current time, ISO 8601 with the UTC offset, to the second."""
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


class History:
    """An open history database (use `open_history`)."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands, or none of it (also when the process is killed)."""
        try:
            _patiently(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        except sqlite3.Error as exc:
            raise _error(self.path, exc) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise _error(self.path, exc) from None
            raise

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """Rows of a read query."""
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _error(self.path, exc) from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_history(path: Path, *, create: bool = True) -> History:
    """Open (and when `create`, create or migrate) the database at `path`, checking it first.

    Without `create`, a missing file gives an empty in-memory database (reading commands create nothing).
    """
    path = Path(path)
    if path.is_dir():
        raise HistoryError(f"{path}: is a folder, not a history database")
    if path.exists():
        try:
            _patiently(lambda: _check_existing(path))
        except sqlite3.Error as exc:
            raise _error(path, exc) from None
    elif not create:
        empty = _connect(":memory:", None)
        empty.path = path  # named in messages: "no session 3 in the history (PATH)"
        return empty
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"{path}: cannot create the history folder ({exc.strerror or exc})") from None
    db = _connect(str(path), path)
    try:
        _patiently(lambda: db.conn.execute("PRAGMA journal_mode=WAL"))
        _migrate(db)
    except sqlite3.Error as exc:
        db.close()
        raise _error(path, exc) from None
    except HistoryError:
        db.close()
        raise
    return db


def _connect(target: str, path: Path | None) -> History:
    try:
        conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    except sqlite3.Error as exc:
        raise _error(path, exc) from None
    db = History(conn, path)
    if path is None:
        _migrate(db)
    return db


def _check_existing(path: Path) -> None:
    """Raise HistoryError unless `path` is a sound formcheck database this version can read (opened read-only)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise HistoryError(f"{path}: cannot read the history database ({exc.strerror or exc})") from None
    if head and head != SQLITE_MAGIC:
        raise HistoryError(f"{path}: not a formcheck history database (not an SQLite file); left as it is")
    if not head:
        return  # an empty file: SQLite makes a new database of it
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise _error(path, exc) from None
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise HistoryError(f"{path}: the history database is damaged ({check}); left as it is")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "meta" not in tables:
            raise HistoryError(f"{path}: an SQLite file of another program, not a formcheck history database; "
                               "left as it is")
        if version > SCHEMA_VERSION:
            rows = conn.execute("SELECT value FROM meta WHERE key = 'formcheck_version'").fetchall()
            writer = rows[0][0] if rows else "unknown"
            raise HistoryError(f"{path}: written by formcheck {writer} (history schema {version}); this formcheck "
                               f"({__version__}) reads schema {SCHEMA_VERSION} at most: upgrade formcheck")
    except sqlite3.DatabaseError as exc:
        if _locked(exc):
            raise  # another process is writing: tried again by the caller
        raise HistoryError(f"{path}: the history database is damaged or not SQLite ({exc}); left as it is") from None
    finally:
        conn.close()


def _patiently(step, deadline_s: float = BUSY_TIMEOUT_S):
    """Run `step`, trying again while the database is locked by another writer (up to `deadline_s`)."""
    give_up = time.monotonic() + deadline_s
    while True:
        try:
            return step()
        except (sqlite3.OperationalError, HistoryError) as exc:
            if not _locked(exc) or time.monotonic() >= give_up:
                raise
        time.sleep(RETRY_S)


def _locked(exc: Exception) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _migrate(db: History) -> None:
    """Bring the schema up to SCHEMA_VERSION, one migration per transaction (safe with two processes at once)."""
    while True:
        version = db.conn.execute("PRAGMA user_version").fetchone()[0]
        if version >= SCHEMA_VERSION:
            return
        with db.transaction() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                continue
            target = version + 1
            for statement in MIGRATIONS[target]:
                conn.execute(statement)
            conn.execute("INSERT INTO migrations (version, applied_at, formcheck_version) VALUES (?, ?, ?)",
                         (target, now_iso(), __version__))
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('formcheck_version', ?)", (__version__,))
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(target),))
            conn.execute(f"PRAGMA user_version = {int(target)}")


def _error(path: Path | None, exc: sqlite3.Error) -> HistoryError:
    """An sqlite3 error as one line naming the database."""
    text = str(exc) or type(exc).__name__
    label = str(path) if path is not None else "history"
    if "full" in text:
        return HistoryError(f"{label}: the disk is full ({text})")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return HistoryError(f"{label}: cannot write the history database ({text})")
    if isinstance(exc, sqlite3.DatabaseError) and ("malformed" in text or "not a database" in text):
        return HistoryError(f"{label}: the history database is damaged ({text}); left as it is")
    return HistoryError(f"{label}: history database error ({text})")
