"""The SQLite store: connection with pragmas, write transactions, and schema migrations.

`Database` is a plain sqlite3 connection with the few helpers the library uses, so interactive commands never
import sqlite-utils (which imports pandas and numpy when they are installed); the full Database is
built on demand (`db.utils`, `db["table"]`) by the paths that use it: sync, imports, exports.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecasts.store import db_faults, integrity
from forecasts.store.ledger_tables import OS_USER
from forecasts.timeutil import now_utc, to_iso

DEFAULT_DB = Path("db") / "forecasts.db"

# The ledgers of the first schema (m001), append-only: a correction is a new row, never an UPDATE or DELETE. Frozen
# as a migration is; every append-only table, and what else each records, is in forecasts.store.ledger_tables.
APPEND_ONLY_TABLES = (
    "evidence",
    "evidence_links",
    "evidence_retractions",
    "forecasts",
    "resolutions",
)


if TYPE_CHECKING:
    import sqlite_utils

_SAVEPOINTS = itertools.count(1)  # unique savepoint names for nested `atomic` blocks


class Database:
    """A sqlite3 connection plus the sqlite-utils-style helpers the library uses (`query`, `execute`, `atomic`,
    `table_names`); anything else sqlite-utils offers is reached through `utils`, imported only then."""

    def __init__(self, conn: sqlite3.Connection, read_only: str | None = None) -> None:
        self.conn = conn
        self.read_only = read_only  # why the file was opened read-only (the refusal writes get), or None
        self._utils: sqlite_utils.Database | None = None

    @property
    def utils(self) -> sqlite_utils.Database:
        """The sqlite_utils.Database over the same connection (imports sqlite-utils, and so pandas, on first use)."""
        if self._utils is None:
            import sqlite_utils

            self._utils = sqlite_utils.Database(self.conn)
        return self._utils

    def __getitem__(self, table: str) -> Any:
        return self.utils[table]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.utils, name)

    def execute(self, sql: str, params: Sequence | dict[str, Any] | None = None) -> sqlite3.Cursor:
        return self.conn.execute(sql, params if params is not None else ())

    def query(self, sql: str, params: Sequence | dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Rows as dicts keyed by column name (a repeated name gets _2, _3 ... as in sqlite-utils)."""
        cur = self.execute(sql, params)
        keys: list[str] = []
        for d in cur.description or ():
            key, n = d[0], 1
            while key in keys:
                n += 1
                key = f"{d[0]}_{n}"
            keys.append(key)
        return (dict(zip(keys, row, strict=True)) for row in cur)

    def close(self) -> None:
        self.conn.close()

    def table_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction, or a savepoint inside one already open (as sqlite-utils' `atomic`)."""
        if not self.conn.in_transaction:
            with write_transaction(self):
                yield self
            return
        savepoint = f"atomic_{next(_SAVEPOINTS)}"
        self.conn.execute(f"SAVEPOINT {savepoint}")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                self.conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            raise
        self.conn.execute(f"RELEASE SAVEPOINT {savepoint}")


def default_db_path(create: bool = False) -> Path:
    """`FORECASTS_DB` if set, else the project folder's database, found walking up as git finds .git."""
    from forecasts.project import default_db_path as project_db_path

    return project_db_path(create)


def connect(path: str | Path | None = None, migrate: bool = True, create: bool = True) -> Database:
    """Open the database with WAL, foreign keys and a busy timeout, creating it only if `create`.

    A database that cannot be written (a read-only file or folder, a full disk) opens read-only: reading works
    and writes are refused naming the cause (forecasts.store.db_faults); nothing is ever called damaged unless
    SQLite's quick_check finds damage."""
    path = Path(path) if path is not None else default_db_path(create)
    if str(path) == ":memory:":
        return _open(str(path), migrate)
    if not path.exists():
        if not create:
            raise db_faults.DatabaseFault(db_faults.missing_message(path))
        path.parent.mkdir(parents=True, exist_ok=True)
    reason = db_faults.unwritable(path)  # known before trying: no -wal/-shm files left behind by a doomed open
    unwritable = reason is not None
    if reason is None:
        try:
            return _open(str(path), migrate)
        except sqlite3.Error as exc:
            reason = db_faults.fallback_reason(exc, path)
            if reason is None:
                fault = _fault(exc, str(path))
                raise (fault if fault is not exc else db_faults.DatabaseFault(_unusable(exc, path))) from None
    for uri in db_faults.read_only_uris(path, immutable_first=unwritable):
        try:
            db = _open(uri, migrate, read_only=reason)
        except sqlite3.Error:
            continue
        db_faults.remember_read_only(path, reason)
        return db
    raise db_faults.DatabaseFault(reason)


def _unusable(exc: sqlite3.Error, path: Path) -> str:
    """The message for a database that cannot be opened at all."""
    return db_faults.describe(exc, path) or f"db: {path} is not a usable SQLite database ({exc})"


def _open(target: str, migrate: bool, read_only: str | None = None) -> Database:
    """Connect and set the pragmas; a read-only open (a `file:` URI) skips the writes: WAL switch, migrations."""
    conn = sqlite3.connect(target, timeout=db_faults.lock_timeout(), isolation_level=None, check_same_thread=False,
                           uri=read_only is not None)  # fmt: skip
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(db_faults.lock_timeout() * 1000)}")
        if read_only is None and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA recursive_triggers = ON")  # as sqlite-utils sets it: REPLACE fires DELETE triggers
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the file (and the WAL index) now
        db = Database(conn, read_only)
        if read_only is not None:
            _check_schema_read_only(db, read_only)
        elif migrate:
            apply_migrations(db)
    except BaseException:
        conn.close()
        raise
    return db


def _check_schema_read_only(db: Database, reason: str) -> None:
    """A read-only database must already have this package's schema (migrating would write)."""
    if "_migrations" not in db.table_names():
        raise db_faults.DatabaseFault(f"{reason}. Besides, it has no forecasts schema yet, which needs writing")
    done = {row[0] for row in db.conn.execute("SELECT name FROM _migrations")}
    known = [name for name, _ in MIGRATIONS]
    if integrity.newer_schema(db.conn, done, known) is None and set(known) - done:
        raise db_faults.DatabaseFault(f"{reason}. Besides, its schema needs upgrading to this forecasts, which writes")


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One write = one transaction: BEGIN IMMEDIATE (takes the write lock up front), all or nothing.

    Refused on a database that is damaged, newer than this package (forecasts.store.integrity) or opened read-only
    (forecasts.store.db_faults); a full disk, a lock held too long or an I/O error is told as such."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    if db.read_only is not None:
        raise db_faults.DatabaseFault(db.read_only)
    path = integrity.db_file(db.conn)
    try:
        integrity.before_write(db.conn)
        _begin_immediate(db.conn, path)
    except sqlite3.Error as exc:
        fault = _fault(exc, path)
        if fault is exc:
            raise
        raise fault from None
    try:
        yield db
        from forecasts.store.ledger import chain_pending

        chain_pending(db)  # the hash chain over the ledgers, in the same transaction as the rows
        db.conn.execute("COMMIT")
    except BaseException as exc:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        fault = _fault(exc, path) if isinstance(exc, sqlite3.Error) and path != ":memory:" else exc
        if fault is exc:
            raise
        raise fault from None


def _fault(exc: sqlite3.Error, path: str) -> BaseException:
    """The library error for an SQLite failure about the file or machine (the original for anything else)."""
    if integrity.is_corruption(exc):
        problems = db_faults.quick_check(Path(path))
        if problems is not None and problems != ["ok"]:
            integrity.mark_damaged(path, f"integrity check: {integrity.summary(problems)}")
            return integrity.DamagedDatabase(integrity.damaged_message(path, integrity.summary(problems)))
    message = db_faults.describe(exc, path) if path != ":memory:" else None
    return db_faults.DatabaseFault(message) if message else exc


def _begin_immediate(conn: sqlite3.Connection, path: str = "") -> None:
    """BEGIN IMMEDIATE, polling every few ms while another writer holds the lock (up to the lock timeout),
    saying on stderr after two seconds that it waits.

    SQLite's own busy handler backs off to 100 ms sleeps, so under many concurrent writers a waiter keeps
    missing the short gaps between transactions; a short randomised poll shares the lock fairly.
    """
    import random  # only writers poll (kept off the read-only commands' imports)

    timeout = db_faults.lock_timeout()
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        start = time.monotonic()
        noticed = False
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                waited = time.monotonic() - start
                if db_faults.primary(exc) not in (db_faults.BUSY, db_faults.LOCKED) or waited > timeout:
                    raise
                if not noticed and waited >= db_faults.LOCK_NOTICE_AFTER:
                    from forecasts.progress import note

                    note(db_faults.waiting_notice(path, timeout))
                    noticed = True
            time.sleep(random.uniform(0.0005, 0.003))
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")


# Tables whose rows record the operating-system account that wrote them (m010_identity).
OS_USER_TABLES = OS_USER


def insert_row(db: Database, table: str, row: dict) -> int:
    """Insert one row with plain SQL (inside the caller's transaction) and return its rowid; ledger rows get
    the writing OS account (`os_user`), and the row must pass its table's validation (forecasts.validation),
    the same rules imports, the restore and `db check` apply."""
    from forecasts.validation import check_row

    check_row(table, row)
    if table in OS_USER_TABLES and "os_user" not in row:
        from forecasts.os_account import os_user

        row = {**row, "os_user": os_user()}
    cols = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    cur = db.conn.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', list(row.values()))
    return int(cur.lastrowid)


# --- migrations -------------------------------------------------------------------------------

Migration = Callable[[Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    """Register a schema migration; they run once each, in definition order, each in a transaction."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def _append_only_triggers(db: Database, table: str) -> None:
    """Refuse UPDATE, DELETE and any insert over an existing row (REPLACE deletes without firing DELETE triggers;
    that one raises SQLite's own uniqueness message, so importers name the field as before)."""
    for op in ("UPDATE", "DELETE"):
        db.conn.execute(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a correction instead'); END"
        )
    key_clash = " OR (NEW.key IS NOT NULL AND key = NEW.key)" if table == "evidence" else ""
    db.conn.execute(
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id{key_clash}) "
        f"BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: {table}.id ({table} is append-only: "
        "record a correction instead)'); END"
    )


@migration
def m001_initial(db: Database) -> None:
    """Questions, forecasters and the append-only ledgers."""
    statements = [
        """CREATE TABLE questions (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            type TEXT NOT NULL CHECK (type IN ('binary', 'categorical', 'ordered')),
            outcomes TEXT NOT NULL,            -- JSON list of outcome names
            description TEXT NOT NULL DEFAULT '',
            resolution_criteria TEXT NOT NULL,
            fine_print TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]',   -- JSON list
            opens_at TEXT NOT NULL,
            closes_at TEXT NOT NULL,
            resolves_by TEXT NOT NULL,
            deadline_question INTEGER NOT NULL DEFAULT 0,
            prior TEXT NOT NULL,               -- JSON: kind, parameters, reference class, reasoning
            source_file TEXT NOT NULL DEFAULT '',
            content_hash TEXT NOT NULL DEFAULT '',
            synced_at TEXT NOT NULL
        )""",
        """CREATE TABLE forecasters (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('person', 'model', 'aggregate')),
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE evidence (
            id INTEGER PRIMARY KEY,
            key TEXT UNIQUE,                   -- optional stable id from an import file
            observed_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            summary TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            reliability REAL NOT NULL CHECK (reliability >= 0 AND reliability <= 1),
            reliability_grade TEXT NOT NULL DEFAULT '',
            recorded_by TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]'
        )""",
        """CREATE TABLE evidence_links (
            id INTEGER PRIMARY KEY,
            evidence_id INTEGER NOT NULL REFERENCES evidence(id),
            question_id TEXT NOT NULL REFERENCES questions(id),
            outcome TEXT,                      -- categorical: the outcome this ratio is for
            log_lr REAL NOT NULL,              -- ln P(E|outcome)/P(E|reference)
            log_lr_sd REAL NOT NULL DEFAULT 0 CHECK (log_lr_sd >= 0),
            grade TEXT NOT NULL DEFAULT '',
            reasoning TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX evidence_links_question ON evidence_links(question_id)",
        "CREATE INDEX evidence_links_evidence ON evidence_links(evidence_id)",
        """CREATE TABLE evidence_retractions (
            id INTEGER PRIMARY KEY,
            evidence_id INTEGER NOT NULL REFERENCES evidence(id),
            recorded_at TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            recorded_by TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE forecasts (
            id INTEGER PRIMARY KEY,
            question_id TEXT NOT NULL REFERENCES questions(id),
            forecaster_id TEXT NOT NULL REFERENCES forecasters(id),
            made_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            probability REAL CHECK (probability > 0 AND probability < 1),  -- binary P(yes)
            probabilities TEXT,                -- JSON {outcome: p} for categorical/ordered
            rationale TEXT NOT NULL DEFAULT '',
            evidence_ids TEXT NOT NULL DEFAULT '[]'  -- what caused it (model forecasts)
        )""",
        "CREATE INDEX forecasts_question ON forecasts(question_id, forecaster_id, made_at)",
        """CREATE TABLE resolutions (
            id INTEGER PRIMARY KEY,
            question_id TEXT NOT NULL REFERENCES questions(id),
            action TEXT NOT NULL CHECK (action IN ('resolve', 'unresolve')),
            outcome TEXT,                      -- yes/no/outcome name/ambiguous/annulled
            known_at TEXT,
            recorded_at TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            recorded_by TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX resolutions_question ON resolutions(question_id)",
    ]
    for sql in statements:
        db.conn.execute(sql)
    for table in APPEND_ONLY_TABLES:
        _append_only_triggers(db, table)


# --- migrations of bayes (m002_*) --------------------------------------------------------


@migration
def m002_posterior_runs(db: Database) -> None:
    """Stored PyMC posterior runs (summary, contributions, diagnostics) so reports reuse them."""
    db.conn.execute(
        """CREATE TABLE posterior_runs (
            id INTEGER PRIMARY KEY,
            question_id TEXT NOT NULL REFERENCES questions(id),
            as_of TEXT NOT NULL,               -- the moment the posterior describes
            created_at TEXT NOT NULL,          -- when the run was recorded
            method TEXT NOT NULL,
            interval TEXT NOT NULL DEFAULT '90% equal-tailed',
            draws INTEGER NOT NULL,
            tune INTEGER NOT NULL DEFAULT 0,
            chains INTEGER NOT NULL DEFAULT 1,
            seed INTEGER NOT NULL,
            trust REAL NOT NULL DEFAULT 1,     -- evidence-trust scale applied (1 = none)
            mean TEXT NOT NULL,                -- JSON {outcome: p}
            lo TEXT NOT NULL,
            hi TEXT NOT NULL,
            contributions TEXT NOT NULL DEFAULT '[]',
            evidence_ids TEXT NOT NULL DEFAULT '[]',
            extra TEXT NOT NULL DEFAULT '{}',  -- JSON: fast-path value, hazard posterior
            rhat_max REAL,
            ess_min REAL,
            divergences INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.conn.execute("CREATE INDEX posterior_runs_question ON posterior_runs(question_id, created_at)")
    _append_only_triggers(db, "posterior_runs")


# --- migrations of skill (m003_*) --------------------------------------------------------


@migration
def m003_skill_runs(db: Database) -> None:
    """Stored fits of the learning models (forecaster calibration, evidence trust), reusable by the crowd."""
    db.conn.execute(
        """CREATE TABLE skill_runs (
            id INTEGER PRIMARY KEY,
            model TEXT NOT NULL CHECK (model IN ('calibration', 'trust')),
            as_of TEXT NOT NULL,               -- the data cut-off (known_by) of the fit
            recorded_at TEXT NOT NULL,
            method TEXT NOT NULL,              -- nuts/pymc, advi, laplace-map, ...
            settings TEXT NOT NULL DEFAULT '{}',
            n_forecasts INTEGER NOT NULL DEFAULT 0,
            n_questions INTEGER NOT NULL DEFAULT 0,
            rhat_max REAL,
            ess_min REAL,
            divergences INTEGER,
            seconds REAL NOT NULL DEFAULT 0,
            summary TEXT NOT NULL              -- JSON: per-forecaster (or per-source) posterior summaries
        )"""
    )
    db.conn.execute("CREATE INDEX skill_runs_model ON skill_runs(model, as_of)")
    _append_only_triggers(db, "skill_runs")


# --- migrations of scenarios (m004_*) ----------------------------------------------------


@migration
def m004_scenario_runs(db: Database) -> None:
    """Scenario runs: fitted factor loadings (cached by the dependency file's hash) and scenario probabilities."""
    db.conn.execute(
        """CREATE TABLE scenario_runs (
            id INTEGER PRIMARY KEY,
            recorded_at TEXT NOT NULL,
            known_by TEXT NOT NULL,            -- as-of time of the scenario probabilities
            dependency_hash TEXT NOT NULL,     -- cache key: dependency file + anchor marginals + fit settings
            seed INTEGER NOT NULL,
            loadings TEXT NOT NULL,            -- JSON {question: posterior mean loading}
            loading_draws TEXT NOT NULL,       -- JSON list of {question: loading} posterior draws (intervals)
            diagnostics TEXT NOT NULL DEFAULT '{}',  -- JSON: R-hat, ESS per fitted loading
            scenarios TEXT NOT NULL            -- JSON list of scenario results
        )"""
    )
    db.conn.execute("CREATE INDEX scenario_runs_hash ON scenario_runs(dependency_hash)")
    _append_only_triggers(db, "scenario_runs")


# --- migrations of reliability (m005_*) --------------------------------------------------


@migration
def m006_question_bin_ends(db: Database) -> None:
    """Ordered "when" questions: the end date of each outcome's time window (JSON list)."""
    db.conn.execute("ALTER TABLE questions ADD COLUMN bin_ends TEXT NOT NULL DEFAULT '[]'")


@migration
def m007_retraction_index(db: Database) -> None:
    """Index retractions by evidence item: every probability read checks whether an item was retracted."""
    db.conn.execute("CREATE INDEX IF NOT EXISTS evidence_retractions_evidence ON evidence_retractions(evidence_id)")


@migration
def m008_ledgers_refuse_replace(db: Database) -> None:
    """INSERT OR REPLACE deletes the old row without firing DELETE triggers: every append-only table (the ledgers
    and the model-run tables) now also refuses an insert whose id (or evidence key) exists."""
    names = db.conn.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for table in sorted({t for t, name in names if name == f"{t}_no_update"} | set(APPEND_ONLY_TABLES)):
        _append_only_triggers(db, table)


# --- migrations of the trusted ledger (m010_*) -----------------------------------------------


@migration
def m010_identity(db: Database) -> None:
    """Every written row records the OS account that wrote it; forecaster names are unique regardless of case
    (a trigger, so an old database with `alice` and `Alice` still opens and `db check` lists them)."""
    for table in ("forecasters", "evidence", "evidence_retractions", "forecasts", "resolutions"):
        db.conn.execute(f"ALTER TABLE {table} ADD COLUMN os_user TEXT NOT NULL DEFAULT ''")
    db.conn.execute(
        "CREATE TRIGGER IF NOT EXISTS forecasters_unique_nocase BEFORE INSERT ON forecasters "
        "WHEN EXISTS (SELECT 1 FROM forecasters WHERE id = NEW.id COLLATE NOCASE AND id != NEW.id) "
        "BEGIN SELECT RAISE(ABORT, 'forecasters: name already registered in another case'); END"
    )


@migration
def m010_one_aggregate_row_per_instant(db: Database) -> None:
    """An aggregate forecaster has at most one forecast per question and instant (two pooling methods once wrote
    rows of one `crowd` at one made_at); existing duplicates stay readable and `db check` lists them."""
    db.conn.execute(
        "CREATE TRIGGER IF NOT EXISTS forecasts_one_aggregate_row_per_instant BEFORE INSERT ON forecasts "
        "WHEN (SELECT kind FROM forecasters WHERE id = NEW.forecaster_id) = 'aggregate' AND EXISTS (SELECT 1 "
        "FROM forecasts WHERE question_id = NEW.question_id AND forecaster_id = NEW.forecaster_id "
        "AND made_at = NEW.made_at) "
        "BEGIN SELECT RAISE(ABORT, 'forecasts: an aggregate has one forecast per question and instant'); END"
    )


@migration
def m010_ledger_digests(db: Database) -> None:
    """Tamper evidence: a per-table hash chain over the ledgers (forecasts.store.ledger), existing rows chained now."""
    from forecasts.store.ledger import chain_pending

    db.conn.execute(
        """CREATE TABLE ledger_digests (
            id INTEGER PRIMARY KEY,
            tbl TEXT NOT NULL,                 -- the ledger table
            ledger_row INTEGER NOT NULL,       -- the row's id there
            digest TEXT NOT NULL,              -- sha256(previous digest of tbl + canonical row content), hex
            UNIQUE (tbl, ledger_row)
        )"""
    )
    _append_only_triggers(db, "ledger_digests")
    chain_pending(db)


@migration
def m010_question_versions(db: Database) -> None:
    """Every synced version of a question (append-only, hash-chained). A question already stored becomes its
    version 1, known since the first row that referred to it (or its sync, if earlier), so past reports keep it."""
    db.conn.execute(
        """CREATE TABLE question_versions (
            id INTEGER PRIMARY KEY,
            question_id TEXT NOT NULL REFERENCES questions(id),
            version INTEGER NOT NULL,          -- 1, 2, ... per question
            content_hash TEXT NOT NULL,        -- of the question file's content
            synced_at TEXT NOT NULL,           -- when this version became known
            content TEXT NOT NULL,             -- JSON: the questions row of this version
            changed TEXT NOT NULL DEFAULT '[]',  -- JSON list of the fields changed since the previous version
            os_user TEXT NOT NULL DEFAULT '',
            UNIQUE (question_id, version)
        )"""
    )
    db.conn.execute("CREATE INDEX question_versions_synced ON question_versions(question_id, synced_at)")
    _append_only_triggers(db, "question_versions")
    first_seen = """SELECT min(t) FROM (
        SELECT :synced AS t UNION ALL SELECT min(recorded_at) FROM forecasts WHERE question_id = :id
        UNION ALL SELECT min(e.recorded_at) FROM evidence e JOIN evidence_links l ON l.evidence_id = e.id
                  WHERE l.question_id = :id
        UNION ALL SELECT min(recorded_at) FROM resolutions WHERE question_id = :id)"""
    cur = db.conn.execute("SELECT * FROM questions ORDER BY id")
    names = [d[0] for d in cur.description]
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        since = db.conn.execute(first_seen, {"synced": row["synced_at"], "id": row["id"]}).fetchone()[0]
        content = {k: v for k, v in row.items() if k not in ("synced_at", "content_hash")}
        db.conn.execute(
            "INSERT INTO question_versions (question_id, version, content_hash, synced_at, content) "
            "VALUES (?, 1, ?, ?, ?)",
            [row["id"], row["content_hash"], since, json.dumps(content, sort_keys=True, ensure_ascii=False)],
        )


# --- migrations of hostile input (m020_*) --------------------------------------------------------

# Questions are synced from files and may change (through `sync`), forecasters are created once: neither may
# be deleted (forecasts, evidence links and resolutions point at them), and neither may be renamed; a forecaster's
# kind is fixed. Named *_guard_* so `db check` does not take them for a ledger's three triggers.
GUARD_TRIGGERS = {
    "questions_guard_delete": "BEFORE DELETE ON questions",
    "questions_guard_id": "BEFORE UPDATE OF id ON questions",
    "forecasters_guard_delete": "BEFORE DELETE ON forecasters",
    "forecasters_guard_identity": "BEFORE UPDATE OF id, kind ON forecasters",
}

GUARD_REASONS = {
    "questions": "questions are never deleted or renamed: edit the file and run sync",
    "forecasters": "forecasters are never deleted, renamed or given another kind",
}


@migration
def m020_guard_questions_and_forecasters(db: Database) -> None:
    """Questions and forecasters are never deleted or renamed (a forecaster's kind never changes)."""
    for name, when in GUARD_TRIGGERS.items():
        table = when.rsplit(" ", 1)[1]
        why = GUARD_REASONS[table]
        db.conn.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {when} BEGIN SELECT RAISE(ABORT, '{why}'); END")


# --- migrations of the question pack (m050_*) ------------------------------------------------------


@migration
def m050_evidence_note(db: Database) -> None:
    """An evidence item may carry the analyst's note (provenance: which page says what, why this date)."""
    db.conn.execute("ALTER TABLE evidence ADD COLUMN note TEXT NOT NULL DEFAULT ''")


@migration
def m010_forecaster_logins(db: Database) -> None:
    """A person may be bound to an operating-system login: then only that login writes under their name."""
    db.conn.execute("ALTER TABLE forecasters ADD COLUMN login TEXT NOT NULL DEFAULT ''")


# --- migrations of imports (m030_*) ------------------------------------------------------


def _rebuild_table(db: Database, table: str, old: str, new: str) -> None:
    """Rewrite one clause of a table's CREATE statement by copying it into a new table (SQLite's documented
    way to change a constraint); every column, rowid, index and trigger present at the time is kept."""
    (sql,) = db.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
    if old not in sql:
        raise RuntimeError(f"{table}: expected {old!r} in its schema")
    extras = [
        r[0]
        for r in db.conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL "
            "ORDER BY type, name",
            [table],
        )
    ]
    temp = f"{table}_m030_new"
    db.conn.execute(sql.replace(old, new).replace(f"CREATE TABLE {table}", f"CREATE TABLE {temp}", 1))
    db.conn.execute(f"INSERT INTO {temp} SELECT * FROM {table}")
    db.conn.execute(f"DROP TABLE {table}")
    db.conn.execute(f"ALTER TABLE {temp} RENAME TO {table}")
    for stmt in extras:
        db.conn.execute(stmt)


@migration
def m030_forecasts_allow_certainty(db: Database) -> None:
    """Imported forecasts may be exactly 0 or 1 (21% of ForecastBench's human forecasts are): the CHECK on
    forecasts.probability becomes [0, 1]. The interactive `forecast` command still asks for (0, 1)."""
    _rebuild_table(
        db,
        "forecasts",
        "CHECK (probability > 0 AND probability < 1)",
        "CHECK (probability >= 0 AND probability <= 1)",
    )


@migration
def m030_resolution_value(db: Database) -> None:
    """A binary question may resolve to a probability (a market's value at close): resolutions.value holds it
    (NULL for yes/no/outcome names; the outcome column then holds the number as text)."""
    db.conn.execute(
        "ALTER TABLE resolutions ADD COLUMN value REAL CHECK (value IS NULL OR (value >= 0 AND value <= 1))"
    )


@migration
def m030_external_ids(db: Database) -> None:
    """Imported questions, forecasters and forecasts keep the id they had at their source and the source's name
    (for joins back to the original data); a question or forecaster is found again by (source, external_id)."""
    for table in ("questions", "forecasters", "forecasts"):
        db.conn.execute(f"ALTER TABLE {table} ADD COLUMN external_id TEXT NOT NULL DEFAULT ''")
        db.conn.execute(f"ALTER TABLE {table} ADD COLUMN source TEXT NOT NULL DEFAULT ''")
    for table in ("questions", "forecasters"):
        db.conn.execute(f"CREATE UNIQUE INDEX {table}_external ON {table}(source, external_id) WHERE external_id != ''")


# --- migrations of scenario history (m060_*) -------------------------------------------------------


@migration
def m060_scenario_file_versions(db: Database) -> None:
    """Every synced version of each scenario and dependency file (append-only, hash-chained), so a report as of a
    time reads the scenario definitions known then, as it reads the question versions known then."""
    db.conn.execute(
        """CREATE TABLE scenario_file_versions (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,                -- relative to the questions folder, e.g. road-ahead/scenarios/x.toml
            version INTEGER NOT NULL,          -- 1, 2, ... per path
            content_hash TEXT NOT NULL,        -- sha256 of the file's text ('' when removed)
            synced_at TEXT NOT NULL,           -- when this version became known
            content TEXT,                      -- the file's text; NULL: the file was removed
            os_user TEXT NOT NULL DEFAULT '',
            UNIQUE (path, version)
        )"""
    )
    db.conn.execute("CREATE INDEX scenario_file_versions_synced ON scenario_file_versions(path, synced_at)")
    _append_only_triggers(db, "scenario_file_versions")


# --- migrations of numeric and date questions (m080_*) ----------------------------------------------

_OLD_TYPES = "CHECK (type IN ('binary', 'categorical', 'ordered'))"
_NEW_TYPES = "CHECK (type IN ('binary', 'categorical', 'ordered', 'numeric', 'date'))"


@migration
def m080_numeric_questions(db: Database) -> None:
    """Numeric and date questions: questions.type admits them and questions.numeric holds the range, bounds and
    axis (JSON); a forecast may be a CDF (forecasts.cdf: JSON list of 201 values, Metaculus's form) with the input
    it was built from (forecasts.numeric_input: JSON, e.g. the percentile table); an evidence link may be an
    observation of the quantity (evidence_links.value and value_sd, with log_lr 0).

    The type CHECK is widened in place (SQLite's documented writable_schema edit for a loosened constraint, which
    changes no stored row): rebuilding `questions` would trip the foreign keys of every ledger that points at it."""
    (sql,) = db.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'questions'").fetchone()
    if _OLD_TYPES in sql:
        (version,) = db.conn.execute("PRAGMA schema_version").fetchone()
        db.conn.execute("PRAGMA writable_schema = ON")
        try:
            db.conn.execute(
                "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'questions'",
                [sql.replace(_OLD_TYPES, _NEW_TYPES)],
            )
            db.conn.execute(f"PRAGMA schema_version = {int(version) + 1}")
        finally:
            db.conn.execute("PRAGMA writable_schema = OFF")
    db.conn.execute("ALTER TABLE questions ADD COLUMN numeric TEXT NOT NULL DEFAULT '{}'")
    db.conn.execute("ALTER TABLE forecasts ADD COLUMN cdf TEXT")
    db.conn.execute("ALTER TABLE forecasts ADD COLUMN numeric_input TEXT")
    # an observation of a numeric question's quantity (question units; dates as Unix seconds), log_lr 0
    db.conn.execute("ALTER TABLE evidence_links ADD COLUMN value REAL")
    db.conn.execute("ALTER TABLE evidence_links ADD COLUMN value_sd REAL CHECK (value_sd IS NULL OR value_sd > 0)")


# --- migrations of the team server (m070_*) -----------------------------------------------------------


@migration
def m070_accounts(db: Database) -> None:
    """Accounts for the team server (forecasts.accounts): a user is a registered person with a role and an optional
    password hash (scrypt); API tokens are stored only as their SHA-256, revocable (a revoked row is kept)."""
    db.conn.execute(
        """CREATE TABLE users (
            name TEXT PRIMARY KEY REFERENCES forecasters(id),
            role TEXT NOT NULL CHECK (role IN ('forecaster', 'curator', 'admin')),
            password_hash TEXT NOT NULL DEFAULT '',  -- 'scrypt$n$r$p$salt$hash' or '' (no web sign-in)
            created_at TEXT NOT NULL,
            os_user TEXT NOT NULL DEFAULT ''
        )"""
    )
    db.conn.execute(
        """CREATE TABLE tokens (
            id INTEGER PRIMARY KEY,
            user TEXT NOT NULL REFERENCES users(name),
            token_hash TEXT NOT NULL UNIQUE,   -- sha256 hex of the token; the token itself is never stored
            label TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            revoked_at TEXT                    -- NULL while valid
        )"""
    )
    db.conn.execute("CREATE INDEX tokens_user ON tokens(user)")


@migration
def m070_comments(db: Database) -> None:
    """A comment thread per question (append-only: a comment is never edited or deleted)."""
    db.conn.execute(
        """CREATE TABLE comments (
            id INTEGER PRIMARY KEY,
            question_id TEXT NOT NULL REFERENCES questions(id),
            author TEXT NOT NULL REFERENCES forecasters(id),
            created_at TEXT NOT NULL,
            body TEXT NOT NULL
        )"""
    )
    db.conn.execute("CREATE INDEX comments_question ON comments(question_id, id)")
    _append_only_triggers(db, "comments")


def apply_migrations(db: Database) -> list[str]:
    """Apply every migration not yet recorded in `_migrations`; return the names applied."""
    if db.read_only is not None:
        return []  # opened read-only: its schema was checked to be current when it was opened
    db.conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.conn.execute("SELECT name FROM _migrations")}
    if integrity.newer_schema(db.conn, done, [name for name, _ in MIGRATIONS]):
        return []  # a newer package's schema: leave it alone (writes are refused, reads warn)
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with write_transaction(db):
            # Re-check under the write lock: another process may have migrated meanwhile.
            if db.conn.execute("SELECT 1 FROM _migrations WHERE name = ?", [name]).fetchone():
                continue
            fn(db)
            db.conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [name, to_iso(now_utc())])
        applied.append(name)
    return applied
