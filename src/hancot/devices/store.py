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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hancot.errors import HancotError

#: Bumped when the layout changes; a store from a newer hancot is refused, not misread.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    kind  TEXT    NOT NULL,
    key   TEXT    NOT NULL,
    time  INTEGER NOT NULL,
    data  TEXT    NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS records_by_time ON records (kind, time);
"""


class StoreError(HancotError):
    """A store file is corrupt, from a newer schema, or not a hancot store."""


@dataclass(frozen=True, slots=True)
class Record:
    kind: str
    key: str
    time: int
    data: dict[str, Any]


class Store:
    """Key-value state and dated records of one device, in SQLite.

    ``secure_delete`` makes SQLite overwrite deleted content with zeros, so a cleared occupier's
    bytes do not linger in free pages; the rollback journal is truncated after each commit.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        target = str(path) if path is not None else ":memory:"
        try:
            self._db = sqlite3.connect(target, isolation_level=None)
            self._db.execute("PRAGMA secure_delete = ON")
            self._db.execute("PRAGMA journal_mode = TRUNCATE")
            self._db.execute("PRAGMA synchronous = FULL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"store {target} has schema version {version}, newer than this hancot "
                    f"understands ({SCHEMA_VERSION}); upgrade hancot to open it"
                )
            self._db.executescript(_SCHEMA)
            if version == 0:
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open device store {target}: {exc}") from exc
        self._depth = 0

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
