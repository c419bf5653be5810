"""Bring platform records in: look a child up (异地接种 / 外地转来), pull newborns for this unit.

Records are written with ``session.info[REMOTE_APPLY]`` so they are not queued
for upload again.  A record another unit owns is remembered in ``sync_owner``
and is read-only here (the outbox's flush guard refuses edits).  Local
changes not yet uploaded are never overwritten (the local version wins until
it is sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from epimanager.domain.identifiers import is_child_code
from epimanager.domain.platform_protocol import CHILDREN, KIND_CHILD, KIND_DOSE, NEWBORNS
from epimanager.errors import EpiError, ValidationError
from epimanager.services import audit
from epimanager.services.children import reserve_code
from epimanager.services.search_index import index_child
from epimanager.store.database import Database, get_config, set_config
from epimanager.store.models import Child, Committee, Dose
from epimanager.store.models_sync import SyncOwner
from epimanager.store.outbox import REMOTE_APPLY
from epimanager.sync import config as cfg
from epimanager.sync.client import PlatformClient, PlatformProtocolError
from epimanager.sync.mapping import child_fields, dose_fields


@dataclass(frozen=True)
class RemoteChild:
    """A child record as the platform holds it, with its doses."""

    uuid: str
    version: int
    owner_unit: str
    data: dict[str, Any]
    doses: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_json(cls, rec: dict[str, Any]) -> RemoteChild:
        return cls(rec["uuid"], int(rec["version"]), rec["owner_unit"], rec["data"], tuple(rec.get("doses") or ()))

    @property
    def code(self) -> str:
        return str(self.data.get("chil_code"))

    def to_json(self) -> dict[str, Any]:
        d = self.data
        return {
            "uuid": self.uuid,
            "version": self.version,
            "owner_unit": self.owner_unit,
            "child_code": d.get("chil_code"),
            "code": d.get("chil_code"),  # alias of child_code for one release
            "name": d.get("chil_name"),
            "sex": d.get("chil_sex"),
            "birth_date": d.get("chil_birthday"),
            "mother_name": d.get("chil_mother"),
            "doses": len([x for x in self.doses if not x.get("data", {}).get("deleted")]),
        }


@dataclass(frozen=True)
class BroughtIn:
    code: str
    name: str
    created: bool
    updated: bool
    doses_added: int
    doses_updated: int
    read_only: bool
    kept_local: bool

    def to_json(self) -> dict[str, Any]:
        # ``code``: alias of ``child_code`` for one release
        return {"child_code": self.code, **{k: getattr(self, k) for k in self.__dataclass_fields__}}

    def summary(self) -> str:
        what = "已导入" if self.created else ("已更新" if self.updated or self.doses_added else "已是最新")
        s = f"{what}：{self.code} {self.name}，新增接种记录 {self.doses_added} 条，更新 {self.doses_updated} 条"
        if self.read_only:
            s += "（属于其他单位，只读）"
        if self.kept_local:
            s += "；本地有未上传的修改，已保留本地数据"
        return s


def lookup(
    client: PlatformClient,
    own_unit: str,
    *,
    code: str | None = None,
    id_number: str | None = None,
    name: str | None = None,
    birth_date: date | None = None,
    mother: str | None = None,
) -> list[RemoteChild]:
    """Children on the platform found by child code, ID number, or name + birth date (+ mother)."""
    params: dict[str, str] = {"unit": own_unit}
    if code:
        params["code"] = code.strip()
    elif id_number:
        params["id_number"] = id_number.strip().upper()
    elif name and birth_date:
        params |= {"name": name.strip(), "birth_date": birth_date.isoformat()}
        if mother:
            params["mother"] = mother.strip()
    else:
        raise ValidationError("请提供儿童编码、身份证号，或 姓名 + 出生日期（可加母亲姓名）")
    reply = client.request_json("GET", CHILDREN, params=params)
    children = reply.get("children", []) if isinstance(reply, dict) else None
    return [_remote(r, client) for r in _list(children, client)]


def _not_protocol(client: PlatformClient, what: str) -> PlatformProtocolError:
    return PlatformProtocolError(f"平台的回复不符合协议（{what}），本地没有任何改动；请核对平台地址 {client.url}")


def _list(value: Any, client: PlatformClient) -> list[Any]:
    if not isinstance(value, list):
        raise _not_protocol(client, "缺少记录列表")
    return value


def _remote(rec: Any, client: PlatformClient) -> RemoteChild:
    try:
        return RemoteChild.from_json(rec)
    except (KeyError, TypeError, ValueError):
        raise _not_protocol(client, "记录缺少 uuid、version 或 owner_unit") from None


def _has_local_changes(s: Session, uuid: str) -> bool:
    state = s.execute(text("SELECT state FROM sync_outbox WHERE uuid = :u"), {"u": uuid}).scalar()
    return state in ("pending", "sending", "rejected")


def _set_owner(s: Session, uuid: str, kind: str, owner: str, own_unit: str) -> None:
    row = s.get(SyncOwner, uuid)
    if owner == own_unit:
        if row is not None:
            s.delete(row)
    elif row is None:
        s.add(SyncOwner(uuid=uuid, kind=kind, owner_unit=owner, fetched_at=datetime.now()))
    else:
        row.owner_unit = owner
        row.fetched_at = datetime.now()


def _apply(s: Session, remote: RemoteChild, own_unit: str, user: str | None) -> BroughtIn:
    now = datetime.now()
    fields = child_fields(remote.data)
    if not fields["managing_unit"]:
        fields["managing_unit"] = remote.owner_unit
    if remote.owner_unit == own_unit:
        cname = remote.data.get("chil_committee")
        fields["committee_id"] = (
            s.scalar(select(Committee.id).where(Committee.unit_code == own_unit, Committee.name == cname))
            if cname
            else None
        )
    child = s.scalar(select(Child).where(Child.uuid == remote.uuid))
    created = updated = kept_local = False
    if child is None:
        clash = s.scalar(select(Child.id).where(Child.code == fields["code"]))
        if clash is not None:
            raise EpiError(f"儿童编码 {fields['code']} 已被本地另一个个案使用，无法导入该平台记录")
        child = Child(uuid=remote.uuid, version=remote.version, updated_at=now, **fields)
        s.add(child)
        s.flush()
        if is_child_code(child.code):
            reserve_code(s, child.code)
        created = True
    elif _has_local_changes(s, remote.uuid):
        kept_local = True
    elif remote.version > child.version:
        for k, v in fields.items():
            setattr(child, k, v)
        child.version = remote.version
        child.updated_at = now
        updated = True
    if created or updated:
        s.flush()
        index_child(s, child.id, child.name, child.mother_name, child.father_name)
    _set_owner(s, remote.uuid, KIND_CHILD, remote.owner_unit, own_unit)
    added = changed = 0
    for rec in remote.doses:
        dose = s.scalar(select(Dose).where(Dose.uuid == rec["uuid"]))
        values = dose_fields(rec["data"])
        version = int(rec["version"])
        if dose is None:
            s.add(Dose(uuid=rec["uuid"], child_id=child.id, version=version, created_at=now, updated_at=now, **values))
            added += 1
        elif not _has_local_changes(s, rec["uuid"]) and version > dose.version:
            for k, v in values.items():
                setattr(dose, k, v)
            dose.version = version
            dose.updated_at = now
            changed += 1
        elif _has_local_changes(s, rec["uuid"]):
            kept_local = True
        _set_owner(s, rec["uuid"], KIND_DOSE, rec.get("owner_unit") or remote.owner_unit, own_unit)
    s.flush()
    if created or updated or added or changed:
        audit.record(
            s,
            kind="download",
            entity="child",
            entity_uuid=remote.uuid,
            child_id=child.id,
            user=user,
            new=f"从平台{'导入' if created else '更新'}（管理单位 {remote.owner_unit}，接种记录 +{added}）",
        )
    return BroughtIn(
        child.code,
        child.name,
        created,
        updated,
        added,
        changed,
        remote.owner_unit != own_unit,
        kept_local,
    )


def bring_in(db: Database, remote: RemoteChild, *, user: str | None = None) -> BroughtIn:
    """Store (or refresh) one platform child and its doses locally, in one transaction."""
    own = db.own_unit_code()
    with db.transaction() as s:
        s.info[REMOTE_APPLY] = True
        return _apply(s, remote, own, user)


def pull_newborns(db: Database, client: PlatformClient, *, user: str | None = None) -> list[BroughtIn]:
    """Newborns that maternity wards registered for this unit since the last pull."""
    own = db.own_unit_code()
    with db.session() as s:
        since = int(get_config(s, cfg.NEWBORNS_SINCE_KEY) or 0)
    out: list[BroughtIn] = []
    while True:
        reply = client.request_json("GET", NEWBORNS, params={"unit": own, "since": str(since)})
        if not isinstance(reply, dict):
            raise _not_protocol(client, "回复不是对象")
        records = _list(reply.get("records") or [], client)
        if not records:
            return out
        following = reply.get("next")
        if isinstance(following, bool) or not isinstance(following, int) or following <= since:
            # a cursor that does not move on would bring the same page back for ever
            raise _not_protocol(client, f"新生儿游标 next 没有前进：{str(following)[:20]}")
        remote = [_remote(r, client) for r in records]
        with db.transaction() as s:
            s.info[REMOTE_APPLY] = True
            for rec in remote:
                out.append(_apply(s, rec, own, user))
            since = following
            set_config(s, cfg.NEWBORNS_SINCE_KEY, str(since))


def is_read_only(db: Database, uuid: str) -> str | None:
    """The owning unit when the record (child or dose) is another unit's, else None (for the GUI)."""
    with db.session() as s:
        row = s.get(SyncOwner, uuid)
        return row.owner_unit if row else None
