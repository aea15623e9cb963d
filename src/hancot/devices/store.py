"""A device's durable state: one SQLite database per device.

The device logic stays sans-IO: it is handed a :class:`Store` and never opens files itself.  A
store is either in memory (the default, for fast simulation) or a file on disk (``hancot demo
--store DIR``).  Every event a device handles runs in one transaction (:meth:`Store.transaction`),
so a power cut leaves either the state before the event or the state after it.

Records are dated: ``time`` is the earliest moment whose data a record may hold.  That is what a
Change of Tenancy clear compares against the CoT date-time (DOMAIN.md section 7, "Whose data").
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hancot.errors import HancotError

#: Bumped when the layout changes; a store from a newer hancot is refused, not misread.
SCHEMA_VERSION = 1

#: ``PRAGMA application_id`` of a hancot store ("HCOT"): tells a hancot store from any other
#: SQLite file, so hancot never adds its tables to someone else's database.
APPLICATION_ID = 0x48434F54
#: The first bytes of every SQLite 3 database file (sqlite.org/fileformat.html 1.3.1).
SQLITE_MAGIC = b"SQLite format 3\x00"

_TABLES = "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
_RECORDS = (
    "CREATE TABLE records (kind TEXT NOT NULL, key TEXT NOT NULL, time INTEGER NOT NULL, "
    "data TEXT NOT NULL, PRIMARY KEY (kind, key))"
)
_INDEX = "CREATE INDEX records_by_time ON records (kind, time)"


class StoreError(HancotError):
    """A store file is corrupt, from a newer schema, or not a hancot store."""


def _check_file(path: Path) -> None:
    """Refuse what is plainly not an SQLite database, before SQLite opens (or creates) it."""
    if path.is_dir():
        raise StoreError(f"device store {path} is a directory, not a file")
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError as exc:
        raise StoreError(f"cannot read device store {path}: {exc.strerror}") from exc
    if not head:
        return  # an empty file is an empty database (SQLite treats it so)
    if not head.startswith(SQLITE_MAGIC) or len(head) < 100:
        raise StoreError(
            f"device store {path} is not an SQLite database (damaged or another kind of file); "
            "it was left as it is: move it away or point hancot at another directory"
        )


def _check_contents(db: sqlite3.Connection, target: str) -> None:
    """Schema version, owner and structure of an existing store, read without writing."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"store {target} has schema version {version}, newer than this hancot "
            f"understands ({SCHEMA_VERSION}); upgrade hancot to open it "
            "(the file was left as it is)"
        )
    app = db.execute("PRAGMA application_id").fetchone()[0]
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if app not in (0, APPLICATION_ID) or (version == 0 and tables):
        raise StoreError(
            f"{target} is an SQLite database but not a hancot device store "
            f"(application id 0x{app:08X}, tables {sorted(tables) or 'none'}); "
            "it was left as it is"
        )
    if version and not {"kv", "records"} <= tables:
        raise StoreError(f"store {target} lacks its tables (damaged); it was left as it is")
    if version:
        check = [row[0] for row in db.execute("PRAGMA quick_check")]
        if check != ["ok"]:
            raise StoreError(
                f"store {target} is damaged ({'; '.join(map(str, check[:3]))}); "
                "it was left as it is"
            )


@dataclass(frozen=True, slots=True)
class Record:
    kind: str
    key: str
    time: int
    data: dict[str, Any]


class Store:
    """Key-value state and dated records of one device, in SQLite.

    Deletion is secure: ``secure_delete`` makes SQLite overwrite deleted content and freed pages
    with zeros, so a cleared occupier's bytes do not linger in the file's free space, and the
    rollback journal (``journal_mode = TRUNCATE``), which holds the pages as they were before a
    transaction, is cut to zero length when the transaction commits (docs/security.md).
    ``synchronous = FULL`` syncs the journal before the database is written, so a power cut leaves
    either the state before a transaction or the state after it (docs/reliability.md).

    Opening a file checks it before anything is written to it: a file that is not SQLite, is
    damaged, belongs to another program or comes from a newer hancot raises :class:`StoreError`
    and is left exactly as it was.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        target = str(path) if path is not None else ":memory:"
        if self.path is not None:
            _check_file(self.path)
        try:
            self._db = sqlite3.connect(target, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open device store {target}: {exc}") from exc
        try:
            # Read-only checks first: nothing is written to a file that fails them.
            _check_contents(self._db, target)
            self._db.execute("PRAGMA secure_delete = ON")
            self._db.execute("PRAGMA journal_mode = TRUNCATE")
            self._db.execute("PRAGMA synchronous = FULL")
            if self._db.execute("PRAGMA user_version").fetchone()[0] == 0:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(_TABLES)
                self._db.execute(_RECORDS)
                self._db.execute(_INDEX)
                self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._db.execute("COMMIT")
        except StoreError:
            self._db.close()
            raise
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(
                f"device store {target} is damaged or unreadable ({exc}); it was left as it is"
            ) from exc
        self._depth = 0

    @property
    def secure_delete(self) -> bool:
        return bool(self._db.execute("PRAGMA secure_delete").fetchone()[0])

    @property
    def journal_mode(self) -> str:
        return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def set_progress_handler(self, handler: Callable[[], int] | None, instructions: int) -> None:
        """Call ``handler`` every ``instructions`` SQLite VM steps (fault injection: the power
        loss test stops a device part-way through a statement)."""
        self._db.set_progress_handler(handler, instructions)

    @property
    def changes(self) -> int:
        """Rows inserted, updated or deleted since the store was opened (a cheap "did anything
        change" for the fuzzer: equal before and after means nothing was written)."""
        return self._db.total_changes

    def execute(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Run raw SQL (for tests and tools that inspect a store); returns all rows."""
        return list(self._db.execute(sql, tuple(params)))

    # -- transactions -----------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested calls join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._db.execute("ROLLBACK")
            raise
        self._depth = 0
        self._db.execute("COMMIT")

    # -- key-value state --------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    # -- dated records ----------------------------------------------------------------------
    def put(self, kind: str, key: str, time: int, data: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO records (kind, key, time, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(kind, key) DO UPDATE SET time = excluded.time, data = excluded.data",
            (kind, key, int(time), json.dumps(data)),
        )

    def fetch(self, kind: str, key: str) -> Record | None:
        row = self._db.execute(
            "SELECT kind, key, time, data FROM records WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return None if row is None else Record(row[0], row[1], row[2], json.loads(row[3]))

    def records(
        self, kind: str, *, since: int | None = None, until: int | None = None
    ) -> list[Record]:
        """Records of ``kind`` with ``since <= time < until``, oldest first."""
        query = "SELECT kind, key, time, data FROM records WHERE kind = ?"
        params: list[Any] = [kind]
        if since is not None:
            query += " AND time >= ?"
            params.append(int(since))
        if until is not None:
            query += " AND time < ?"
            params.append(int(until))
        query += " ORDER BY time, key"
        return [
            Record(k, key, time, json.loads(data))
            for k, key, time, data in self._db.execute(query, params)
        ]

    def count(self, kinds: Iterable[str], *, before: int | None = None) -> int:
        kinds = list(kinds)
        if not kinds:
            return 0
        query = f"SELECT COUNT(*) FROM records WHERE kind IN ({','.join('?' * len(kinds))})"
        params: list[Any] = list(kinds)
        if before is not None:
            query += " AND time < ?"
            params.append(int(before))
        return int(self._db.execute(query, params).fetchone()[0])

    def delete(self, kind: str, key: str) -> None:
        self._db.execute("DELETE FROM records WHERE kind = ? AND key = ?", (kind, key))

    def delete_before(self, kinds: Iterable[str], before: int) -> int:
        """Delete every record of ``kinds`` dated before ``before``; returns how many went."""
        kinds = list(kinds)
        if not kinds:
            return 0
        cursor = self._db.execute(
            f"DELETE FROM records WHERE kind IN ({','.join('?' * len(kinds))}) AND time < ?",
            [*kinds, int(before)],
        )
        return cursor.rowcount

    def kinds(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT DISTINCT kind FROM records")]

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        self._db.close()


def check_new_store_dir(directory: Path) -> None:
    """Refuse a directory that already holds device stores, for a run that starts a premises
    afresh (``hancot demo --store DIR``): reusing them would mix two runs' state.

    Each store found is opened first, so a damaged one is reported as such; nothing is changed.
    """
    if directory.exists() and not directory.is_dir():
        raise StoreError(f"store directory {directory} is a file, not a directory")
    found = sorted(directory.glob("*.sqlite")) if directory.is_dir() else []
    for path in found:
        Store(path).close()
    if found:
        raise StoreError(
            f"store directory {directory} already holds device stores "
            f"({', '.join(p.name for p in found)}) from an earlier run; this run starts a new "
            "premises: give it an empty directory (nothing was changed)"
        )
