"""The reference platform's own SQLite store (plain ``sqlite3``, one connection, one lock).

``record`` holds one row per record UUID at its highest version; ``batch``
keeps the reply of every ``Idempotency-Key``; ``write_log`` has one row per
write actually made (a replayed or duplicate record writes nothing).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from epimanager.domain.platform_protocol import ACCEPTED, KIND_CHILD, KIND_DOSE, KINDS, REJECTED, STALE
from epimanager.platform_sim.validate import data_problems, envelope_problem
from epimanager.store.sqlite_files import connect_raw

_SCHEMA = """
CREATE TABLE IF NOT EXISTS record (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    owner_unit TEXT NOT NULL,
    data TEXT NOT NULL,
    child_code TEXT, id_number TEXT, name TEXT, birth_date TEXT, mother TEXT, child_uuid TEXT,
    newborn_seq INTEGER,
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_record_uuid ON record (uuid);
CREATE INDEX IF NOT EXISTS ix_record_code ON record (child_code);
CREATE INDEX IF NOT EXISTS ix_record_id_number ON record (id_number);
CREATE INDEX IF NOT EXISTS ix_record_name ON record (name, birth_date);
CREATE INDEX IF NOT EXISTS ix_record_child_uuid ON record (child_uuid);
CREATE INDEX IF NOT EXISTS ix_record_newborn ON record (owner_unit, newborn_seq);
CREATE TABLE IF NOT EXISTS batch (
    key TEXT PRIMARY KEY,
    unit TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    reply TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS write_log (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL,
    version INTEGER NOT NULL,
    batch_key TEXT,
    at TEXT NOT NULL
);
"""

_UPSERT = """
INSERT INTO record (uuid, kind, version, owner_unit, data, child_code, id_number, name, birth_date,
                    mother, child_uuid, newborn_seq, received_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (uuid) DO UPDATE SET
    version = excluded.version, data = excluded.data, child_code = excluded.child_code,
    id_number = excluded.id_number, name = excluded.name, birth_date = excluded.birth_date,
    mother = excluded.mother, child_uuid = excluded.child_uuid,
    newborn_seq = COALESCE(excluded.newborn_seq, record.newborn_seq), updated_at = excluded.updated_at
WHERE excluded.version > record.version
"""


class IdempotencyConflict(Exception):
    """An Idempotency-Key was reused with a different body."""


class PlatformStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = connect_raw(self.path, autocommit=True, shared=True)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=FULL")
        self._con.execute("PRAGMA busy_timeout=10000")
        self._con.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    # ------------------------------------------------------------------ writes
    def replay(self, key: str, body_sha256: str) -> dict[str, Any] | None:
        """The stored reply of an Idempotency-Key (None if new)."""
        with self._lock:
            return self._replay(key, body_sha256)

    def _replay(self, key: str, body_sha256: str) -> dict[str, Any] | None:
        row = self._con.execute("SELECT body_sha256, reply FROM batch WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        if row[0] != body_sha256:
            raise IdempotencyConflict(key)
        reply: dict[str, Any] = json.loads(row[1])
        return reply

    def apply_batch(self, key: str, unit: str, body_sha256: str, records: list[Any]) -> dict[str, Any]:
        """Validate and upsert one batch, store its reply, commit — atomically per key."""
        with self._lock:
            stored = self._replay(key, body_sha256)
            if stored is not None:
                return stored
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                results = self._upsert(records, unit, key, newborn=False)
                reply = {"results": results}
                con.execute(
                    "INSERT INTO batch (key, unit, body_sha256, reply, received_at) VALUES (?, ?, ?, ?, ?)",
                    (key, unit, body_sha256, json.dumps(reply, ensure_ascii=False), _now()),
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            return reply

    def register_newborns(self, ward_unit: str, records: list[Any]) -> dict[str, Any]:
        """A maternity ward registers newborns; each is owned by its ``chil_curdepartment``."""
        with self._lock:
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                results = self._upsert(records, ward_unit, None, newborn=True)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            return {"results": results}

    def _upsert(self, records: list[Any], unit: str, key: str | None, *, newborn: bool) -> list[dict[str, Any]]:
        con = self._con
        uuids = [r.get("uuid") for r in records if isinstance(r, dict) and isinstance(r.get("uuid"), str)]
        current: dict[str, tuple[int, str]] = {}
        for start in range(0, len(uuids), 900):
            chunk = uuids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for u, v, o in con.execute(f"SELECT uuid, version, owner_unit FROM record WHERE uuid IN ({marks})", chunk):
                current[u] = (v, o)
        next_newborn = 0
        if newborn:
            next_newborn = (con.execute("SELECT MAX(newborn_seq) FROM record").fetchone()[0] or 0) + 1
        now = _now()
        results: list[dict[str, Any]] = []
        writes: list[tuple[Any, ...]] = []
        log: list[tuple[Any, ...]] = []
        for item in records:
            rec: Any = item
            if newborn and isinstance(item, dict):
                data: dict[str, Any] = item["data"] if isinstance(item.get("data"), dict) else {}
                rec = {**item, "kind": KIND_CHILD, "owner_unit": data.get("chil_curdepartment")}
                problem = envelope_problem(rec, str(rec.get("owner_unit")))
            else:
                problem = envelope_problem(rec, unit)
            uuid: Any = rec.get("uuid") if isinstance(rec, dict) else None
            version: Any = rec.get("version") if isinstance(rec, dict) else None
            if problem is None:
                problems = data_problems(rec["kind"], rec["data"])
                if problems:
                    problem = "；".join(problems)
            if problem is None and uuid in current and current[uuid][1] != rec["owner_unit"]:
                problem = f"记录属于单位 {current[uuid][1]}，本单位无权修改"
            if problem is not None:
                results.append({"uuid": uuid, "version": version, "status": REJECTED, "reason": problem})
                continue
            have = current.get(uuid)
            if have is not None and have[0] > version:
                results.append(
                    {"uuid": uuid, "version": version, "status": STALE, "reason": f"平台已有更新的版本 {have[0]}"}
                )
                continue
            results.append({"uuid": uuid, "version": version, "status": ACCEPTED, "reason": None})
            if have is not None and have[0] == version:
                continue  # the same version again: nothing to write
            d = rec["data"]
            kind = rec["kind"]
            is_child = kind == KIND_CHILD
            writes.append(
                (
                    uuid,
                    kind,
                    version,
                    rec["owner_unit"],
                    json.dumps(d, ensure_ascii=False),
                    d.get("chil_code") if kind in (KIND_CHILD, KIND_DOSE) else None,
                    d.get("chil_no") if is_child else None,
                    d.get("chil_name") if is_child else None,
                    d.get("chil_birthday") if is_child else None,
                    d.get("chil_mother") if is_child else None,
                    d.get("chil_uuid") or d.get("chhe_chil_uuid"),
                    next_newborn if newborn else None,
                    now,
                    now,
                )
            )
            log.append((uuid, version, key, now))
            current[uuid] = (version, rec["owner_unit"])
            if newborn:
                next_newborn += 1
        if writes:
            con.executemany(_UPSERT, writes)
            con.executemany("INSERT INTO write_log (uuid, version, batch_key, at) VALUES (?, ?, ?, ?)", log)
        return results

    # ------------------------------------------------------------------ reads
    def find_children(
        self,
        *,
        code: str | None = None,
        id_number: str | None = None,
        name: str | None = None,
        birth_date: str | None = None,
        mother: str | None = None,
        limit: int = 20,
    ) -> list[dict[str, Any]]:
        """Children matching one way of looking up, each with its doses."""
        if code:
            where, params = "child_code = ?", [code]
        elif id_number:
            where, params = "id_number = ?", [id_number.upper()]
        elif name and birth_date:
            where, params = "name = ? AND birth_date = ?", [name, birth_date]
            if mother:
                where += " AND mother = ?"
                params.append(mother)
        else:
            return []
        with self._lock:
            rows = self._con.execute(
                f"SELECT uuid, version, owner_unit, data FROM record WHERE kind = 'child' AND {where} "
                "ORDER BY seq LIMIT ?",
                [*params, limit],
            ).fetchall()
            out = []
            for u, v, o, d in rows:
                doses = self._con.execute(
                    "SELECT uuid, version, owner_unit, data FROM record WHERE kind = 'dose' AND child_uuid = ? "
                    "ORDER BY seq",
                    (u,),
                ).fetchall()
                out.append({**_rec(KIND_CHILD, u, v, o, d), "doses": [_rec(KIND_DOSE, *r) for r in doses]})
            return out

    def newborns(self, unit: str, since: int, limit: int = 500) -> dict[str, Any]:
        with self._lock:
            rows = self._con.execute(
                "SELECT uuid, version, owner_unit, data, newborn_seq FROM record "
                "WHERE owner_unit = ? AND newborn_seq > ? ORDER BY newborn_seq LIMIT ?",
                (unit, since, limit),
            ).fetchall()
        records = [_rec(KIND_CHILD, u, v, o, d) for u, v, o, d, _ in rows]
        return {"records": records, "next": rows[-1][4] if rows else since}

    def counts(self) -> dict[str, Any]:
        """Distinct records per kind and rows in all (checks exactly-once from outside)."""
        with self._lock:
            con = self._con
            kinds = {k: 0 for k in KINDS}
            for kind, n in con.execute("SELECT kind, COUNT(DISTINCT uuid) FROM record GROUP BY kind"):
                kinds[kind] = n
            rows = con.execute("SELECT COUNT(*) FROM record").fetchone()[0]
            distinct = con.execute("SELECT COUNT(DISTINCT uuid) FROM record").fetchone()[0]
            writes = con.execute("SELECT COUNT(*) FROM write_log").fetchone()[0]
            batches = con.execute("SELECT COUNT(*) FROM batch").fetchone()[0]
        return {"kinds": kinds, "records": distinct, "rows": rows, "writes": writes, "batches": batches}

    def versions(self) -> dict[str, int]:
        """uuid → stored version (for tests)."""
        with self._lock:
            return dict(self._con.execute("SELECT uuid, version FROM record").fetchall())


def _rec(kind: str, uuid: str, version: int, owner: str, data: str) -> dict[str, Any]:
    return {"kind": kind, "uuid": uuid, "version": version, "owner_unit": owner, "data": json.loads(data)}


def _now() -> str:
    return datetime.now().isoformat(sep=" ", timespec="microseconds")
