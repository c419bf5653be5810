"""The county's recall/lock list (召回/封存批号): batches the 接种台 scan refuses.

Kept three ways, all here: a 业务管理员 adds and lifts entries (GUI 库存 → 召回/封存批号, CLI
``epimanager recall add|remove|list``); an upgrade package delivers the county's list as
``data/recalls.json`` (laid over the reference data, see :mod:`epimanager.resources`), which is
applied to the database by :func:`apply_delivered` — by the upgrade right after installing, and
again (a no-op unless the file changed) before the list is read or a scan is checked.

``recalls.json``::

    {"issuer": "某某县疾控中心", "recalls": [
      {"id": "2027-001", "batch": "202611A", "vaccine": "HepB", "manufacturer": "深圳康泰",
       "kind": "召回", "reason": "…", "lifted": {"reason": "…"}}]}

``id`` must be unique in the file; ``vaccine``, ``manufacturer`` and ``lifted`` are optional;
``kind`` is 召回 or 封存.  A delivered entry lifted locally stays lifted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain import stock as rules
from epimanager.errors import NotFoundError, ValidationError
from epimanager.resources import catalog, overrides_dir
from epimanager.services import audit, permissions
from epimanager.store.database import Database, get_config, set_config
from epimanager.store.models_recall import BatchRecall

RECALL, LOCK = "recall", "lock"
KIND_LABELS = {RECALL: "召回", LOCK: "封存"}
LOCAL_SOURCE = "本地录入"
DELIVERED_FILE = "recalls.json"
_DELIVERED_KEY = "recalls_delivered_sha256"


@dataclass(frozen=True)
class RecallRecord:
    uuid: str
    batch_no: str
    vaccine_code: str | None
    vaccine_abbr: str | None
    manufacturer: str | None
    kind: str
    reason: str
    created_by: str | None
    created_at: datetime
    source: str
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None
    version: int

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    @property
    def product_text(self) -> str:
        """乙肝 深圳康泰 / 任何产品"""
        parts = [p for p in (self.vaccine_abbr, self.manufacturer) if p]
        return " ".join(parts) if parts else "任何产品"

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("created_at", "lifted_at"):
            d[k] = d[k].isoformat(timespec="seconds") if d[k] else None
        return {**d, "kind_label": self.kind_label, "active": self.active}


def _record(r: BatchRecall) -> RecallRecord:
    vac = catalog().get(r.vaccine_code) if r.vaccine_code else None
    return RecallRecord(
        uuid=r.uuid,
        batch_no=r.batch_no,
        vaccine_code=r.vaccine_code,
        vaccine_abbr=vac.abbr if vac else r.vaccine_code,
        manufacturer=r.manufacturer,
        kind=r.kind,
        reason=r.reason,
        created_by=r.created_by,
        created_at=r.created_at,
        source=r.source,
        lifted_at=r.lifted_at,
        lifted_by=r.lifted_by,
        lift_reason=r.lift_reason,
        version=r.version,
    )


def _vaccine(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        return catalog().resolve(text.strip()).code
    except KeyError as exc:
        raise ValidationError(str(exc.args[0])) from None


def _reason(text: str | None, what: str) -> str:
    r = (text or "").strip()
    if not r:
        raise ValidationError(f"请填写{what}原因")
    if len(r) > 200:
        raise ValidationError(f"{what}原因不能超过 200 个字")
    return r


def describe(r: RecallRecord | BatchRecall) -> str:
    """批号 202611A 已被召回：原因（张三 2026-12-01 录入）"""
    label = KIND_LABELS.get(r.kind, r.kind)
    who = f"{r.created_by} " if r.created_by else ""
    return f"批号 {r.batch_no} 已被{label}：{r.reason}（{who}{r.created_at:%Y-%m-%d}，{r.source}）"


# ---------------------------------------------------------------- reading


def active_recall(s: Session, batch_no: str, vaccine_code: str | None, manufacturer: str | None) -> BatchRecall | None:
    """The entry in force that stops this batch (of this vaccine and manufacturer when known), or None."""
    bno = rules.normalize_batch_no(batch_no)
    rows = s.scalars(
        select(BatchRecall).where(BatchRecall.batch_no == bno, BatchRecall.lifted_at.is_(None)).order_by(BatchRecall.id)
    )
    for r in rows:
        if r.vaccine_code and vaccine_code and r.vaccine_code != vaccine_code:
            continue
        if r.manufacturer and manufacturer and r.manufacturer != manufacturer.strip():
            continue
        return r
    return None


def stopped(db: Database, vaccine_code: str) -> list[tuple[str, str | None]]:
    """(batch, manufacturer or None) of the entries in force for ``vaccine_code`` (or for any product):
    batches the dose form no longer proposes."""
    with db.session() as s:
        rows = s.execute(
            select(BatchRecall.batch_no, BatchRecall.manufacturer).where(
                BatchRecall.lifted_at.is_(None),
                (BatchRecall.vaccine_code.is_(None)) | (BatchRecall.vaccine_code == vaccine_code),
            )
        ).all()
    return [(b, m) for b, m in rows]


def list_recalls(db: Database, *, include_lifted: bool = False) -> list[RecallRecord]:
    """The list, newest first; lifted entries only when asked."""
    with db.transaction() as s:
        apply_delivered(s)
        q = select(BatchRecall).order_by(BatchRecall.created_at.desc(), BatchRecall.id.desc())
        if not include_lifted:
            q = q.where(BatchRecall.lifted_at.is_(None))
        return [_record(r) for r in s.scalars(q)]


# ---------------------------------------------------------------- a 业务管理员's entries


def add_recall(
    db: Database,
    batch_no: str,
    *,
    reason: str | None,
    vaccine: str | None = None,
    manufacturer: str | None = None,
    lock: bool = False,
    user: str | None = None,
    now: datetime | None = None,
) -> RecallRecord:
    """Put a batch on the list (召回, or 封存 with ``lock``); needs 业务管理员; audited."""
    permissions.check(db, "manage_recalls")
    bno = rules.normalize_batch_no(batch_no or "")
    if not bno:
        raise ValidationError("请填写批号")
    if len(bno) > 40:
        raise ValidationError("批号不能超过 40 个字符")
    kind = LOCK if lock else RECALL
    why = _reason(reason, KIND_LABELS[kind])
    code = _vaccine(vaccine)
    maker = manufacturer.strip() if manufacturer and manufacturer.strip() else None
    now = now or datetime.now()
    with db.transaction() as s:
        same = s.scalar(
            select(BatchRecall).where(
                BatchRecall.batch_no == bno,
                BatchRecall.lifted_at.is_(None),
                BatchRecall.vaccine_code.is_(None) if code is None else BatchRecall.vaccine_code == code,
                BatchRecall.manufacturer.is_(None) if maker is None else BatchRecall.manufacturer == maker,
            )
        )
        if same is not None:
            raise ValidationError(f"批号 {bno} 已在清单中（{KIND_LABELS.get(same.kind, same.kind)}：{same.reason}）")
        row = BatchRecall(
            batch_no=bno,
            vaccine_code=code,
            manufacturer=maker,
            kind=kind,
            reason=why,
            created_by=permissions.operator(s, user),
            created_at=now,
            source=LOCAL_SOURCE,
        )
        s.add(row)
        s.flush()
        _audit_add(s, row, user)
        return _record(row)


def _audit_add(s: Session, row: BatchRecall, user: str | None) -> None:
    audit.record(
        s, kind="recall_add", entity="batch_recall", entity_uuid=row.uuid, child_id=None, user=user, new=describe(row)
    )


def _lift(s: Session, row: BatchRecall, reason: str, user: str | None, now: datetime) -> None:
    row.lifted_at = now
    row.lifted_by = permissions.operator(s, user)
    row.lift_reason = reason
    s.flush()
    audit.record(
        s,
        kind="recall_lift",
        entity="batch_recall",
        entity_uuid=row.uuid,
        child_id=None,
        user=user,
        old=describe(row),
        new=f"解除：{reason}",
    )


def lift_recall(
    db: Database,
    uuid: str,
    *,
    reason: str | None,
    expected_version: int | None,
    user: str | None = None,
    now: datetime | None = None,
) -> RecallRecord:
    """Lift one entry (解除); needs 业务管理员; ``expected_version`` is the version the user saw."""
    permissions.check(db, "manage_recalls")
    why = _reason(reason, "解除")
    with db.transaction() as s:
        row = s.scalar(select(BatchRecall).where(BatchRecall.uuid == uuid))
        if row is None:
            raise NotFoundError("找不到该召回/封存记录")
        audit.require_version(s, row.uuid, row.version, expected_version)
        if row.lifted_at is not None:
            label = KIND_LABELS.get(row.kind, row.kind)
            raise ValidationError(f"批号 {row.batch_no} 的{label}已于 {row.lifted_at:%Y-%m-%d} 解除")
        _lift(s, row, why, user, now or datetime.now())
        return _record(row)


def lift_batch(
    db: Database,
    batch_no: str,
    *,
    reason: str | None,
    vaccine: str | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> list[RecallRecord]:
    """Lift every entry in force for a batch number (of ``vaccine`` when given): the CLI's ``recall remove``."""
    permissions.check(db, "manage_recalls")
    why = _reason(reason, "解除")
    bno = rules.normalize_batch_no(batch_no or "")
    code = _vaccine(vaccine)
    now = now or datetime.now()
    with db.transaction() as s:
        apply_delivered(s)
        q = select(BatchRecall).where(BatchRecall.batch_no == bno, BatchRecall.lifted_at.is_(None))
        if code is not None:
            q = q.where(BatchRecall.vaccine_code == code)
        rows = list(s.scalars(q.order_by(BatchRecall.id)))
        if not rows:
            raise NotFoundError(f"批号 {bno} 不在召回/封存清单中")
        for row in rows:
            _lift(s, row, why, user, now)
        return [_record(r) for r in rows]


# ---------------------------------------------------------------- the county's list, delivered by an upgrade


def delivered_file() -> Path | None:
    """``recalls.json`` of the installed reference-data update, if it has one."""
    folder = overrides_dir()
    path = folder / DELIVERED_FILE if folder is not None else None
    return path if path is not None and path.is_file() else None


def read_delivered(raw: bytes) -> list[dict[str, Any]]:
    """The entries of a ``recalls.json`` (refuses a file the list cannot take, in Chinese)."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{DELIVERED_FILE} 不是有效的 UTF-8 JSON（{exc}）") from None
    items = data.get("recalls") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValidationError(f"{DELIVERED_FILE} 应有 recalls 列表")
    labels = {v: k for k, v in KIND_LABELS.items()}
    seen: set[str] = set()
    out = []
    for n, item in enumerate(items, 1):
        where = f"{DELIVERED_FILE} 第 {n} 条"
        if not isinstance(item, dict):
            raise ValidationError(f"{where} 不是对象")
        key, batch = str(item.get("id") or "").strip(), str(item.get("batch") or "").strip()
        if not key or not batch or key in seen:
            raise ValidationError(f"{where} 缺少 id 或 batch，或 id 重复")
        seen.add(key)
        kind = labels.get(str(item.get("kind", "召回")), str(item.get("kind")))
        if kind not in KIND_LABELS:
            raise ValidationError(f"{where} 的 kind 应为 召回 或 封存")
        lifted = item.get("lifted")
        out.append(
            {
                "key": key[:70],
                "batch_no": rules.normalize_batch_no(batch)[:40],
                "vaccine_code": _vaccine(item.get("vaccine")),
                "manufacturer": (str(item.get("manufacturer") or "").strip() or None),
                "kind": kind,
                "reason": _reason(item.get("reason"), KIND_LABELS[kind])[:200],
                "lift_reason": (str(lifted.get("reason") or "升级包解除") if isinstance(lifted, dict) else None),
            }
        )
    return out


def apply_delivered(s: Session, path: Path | None = None, source: str | None = None) -> int:
    """Bring the delivered list into the database (in the caller's transaction); returns the
    entries added or lifted.  Nothing happens when the file is the one applied last."""
    path = path or delivered_file()
    if path is None:
        return 0
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if get_config(s, _DELIVERED_KEY) == digest:
        return 0
    source = source or f"升级包 {path.parent.name}"[:40]
    now = datetime.now()
    changed = 0
    for item in read_delivered(raw):
        key = f"pkg:{item['key']}"
        row = s.scalar(select(BatchRecall).where(BatchRecall.source_key == key))
        if row is None:
            row = BatchRecall(
                batch_no=item["batch_no"],
                vaccine_code=item["vaccine_code"],
                manufacturer=item["manufacturer"],
                kind=item["kind"],
                reason=item["reason"],
                created_by=None,
                created_at=now,
                source=source,
                source_key=key,
            )
            s.add(row)
            s.flush()
            _audit_add(s, row, None)
            changed += 1
        if item["lift_reason"] and row.lifted_at is None:
            _lift(s, row, item["lift_reason"], None, now)
            changed += 1
    set_config(s, _DELIVERED_KEY, digest)
    return changed
