"""知情告知 and consent (登记): the guardian's 同意 / 不同意 / 到点再议 per vaccine of the day, signed.

One consent per child, visit day and vaccine (product).  It keeps the 告知书 exactly as shown —
the text is stored once by its SHA-256 (table ``consent_text``) and never changed, so a later
version of the text (an upgrade) leaves a stored consent as it was —, the choice, the reason of a
不同意, the signature as JSON vectors plus a PNG (or 纸质签字, no strokes), the hash that ties the
signature to the text, the child and the order (:func:`epimanager.domain.consent.signature_hash`),
who, which desk and when.  A change (到点再议 → 同意 …) is a new signature on the same row and needs
the version the desk saw (stale → :class:`StaleRecord`, nothing saved); it is audited.

A 不同意 row *is* the not-given record: :func:`refusals` feeds the FHIR export
(``Immunization.status = not-done`` with its ``statusReason``).  :func:`consent_block` is the check
the 接种台's scan applies: a reason when no signed (or paper) 同意 is on record for the vaccine that day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from epimanager.domain import consent as dc
from epimanager.errors import NotFoundError, StaleRecord, ValidationError
from epimanager.resources import catalog
from epimanager.services import audit, permissions
from epimanager.services.clinical import session_facts
from epimanager.services.consent_texts import text_for
from epimanager.services.forecast import engine
from epimanager.services.next_visit import proposed_dose_number
from epimanager.services.visits import DEFAULT_DESK
from epimanager.store.database import Database
from epimanager.store.models import Child, Dose, new_uuid
from epimanager.store.models_consent import Consent, ConsentText
from epimanager.store.models_visit import Visit
from epimanager.store.models_visit_order import VisitOrder, VisitOrderItem

#: How the receipt and the lists say each state.
STATUS_WORDS = {"signed": "已签署知情同意", "paper": "纸质签字", "refused": "拒绝", "deferred": "到点再议"}


@dataclass(frozen=True)
class ConsentRecord:
    """A stored consent (frozen: its text is the one shown then)."""

    uuid: str
    child_code: str
    child_name: str
    day: dt.date
    vaccine_code: str
    vaccine_name: str
    vaccine_abbr: str
    dose_number: int | None
    ticket: str | None
    choice: dc.Choice
    paper: bool
    reason: str | None
    text_key: str
    text_version: str
    text_sha256: str
    text_generic: bool
    signature_hash: str
    strokes: tuple[tuple[dc.Point, ...], ...]
    has_png: bool
    operator: str | None
    desk: str | None
    at: dt.datetime
    version: int

    @property
    def status(self) -> str:
        """已签署知情同意 / 纸质签字 / 拒绝 / 到点再议"""
        if self.choice is dc.Choice.REFUSE:
            return STATUS_WORDS["refused"]
        if self.choice is dc.Choice.DEFER:
            return STATUS_WORDS["deferred"]
        return STATUS_WORDS["paper" if self.paper else "signed"]

    def to_json(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid, "child_code": self.child_code, "day": self.day.isoformat(),
            "vaccine": self.vaccine_abbr, "code": self.vaccine_code, "name": self.vaccine_name,
            "dose_number": self.dose_number, "ticket": self.ticket, "choice": self.choice.value,
            "status": self.status, "paper": self.paper, "reason": self.reason,
            "text": {"key": self.text_key, "version": self.text_version, "sha256": self.text_sha256,
                     "generic": self.text_generic},
            "signature_hash": self.signature_hash, "strokes": len(self.strokes), "operator": self.operator,
            "desk": self.desk, "at": self.at.isoformat(timespec="seconds"), "version": self.version,
        }  # fmt: skip


def _strokes(raw: str | None) -> tuple[tuple[dc.Point, ...], ...]:
    if not raw:
        return ()
    data = json.loads(raw)
    # stored canonical: 0.1 px and 1/1000 of pressure
    return tuple(tuple((x / 10, y / 10, p / 1000) for x, y, p in stroke) for stroke in data["strokes"])


def _record(row: Consent, child: Child, text: ConsentText) -> ConsentRecord:
    vac = catalog().get(row.vaccine_code)
    name, abbr = (vac.name, vac.abbr) if vac else (row.vaccine_code, row.vaccine_code)
    return ConsentRecord(
        row.uuid, child.code, child.name, row.day, row.vaccine_code, name, abbr, row.dose_number, row.ticket,
        dc.Choice(row.choice), row.paper, row.reason, text.text_key, text.version, text.sha256, text.generic,
        row.signature_hash, _strokes(row.strokes), row.png is not None, row.operator, row.desk, row.at, row.version,
    )  # fmt: skip


def _child(s: Session, code: str) -> Child:
    child = s.scalar(select(Child).where(Child.code == code.strip(), Child.deleted.is_(False)))
    if child is None:
        raise NotFoundError(f"没有儿童编码为 {code.strip()} 的儿童")
    return child


def _rows(s: Session, child: Child, day: dt.date | None) -> list[ConsentRecord]:
    query = select(Consent, ConsentText).join(ConsentText, ConsentText.id == Consent.text_id)
    query = query.where(Consent.child_id == child.id)
    if day is not None:
        query = query.where(Consent.day == day)
    rows = s.execute(query.order_by(Consent.day.desc(), Consent.id)).all()
    return [_record(c, child, t) for c, t in rows]


# --- reading -------------------------------------------------------------------------------------


def consents_of(db: Database, child_code: str, day: dt.date | None = None) -> list[ConsentRecord]:
    """The child's consents (of ``day``, or of every day, newest day first)."""
    with db.session() as s:
        return _rows(s, _child(s, child_code), day)


def refusals(db: Database, child_code: str) -> list[ConsentRecord]:
    """The child's not-given records (不同意 with its reason), oldest first."""
    return sorted((c for c in consents_of(db, child_code) if c.choice is dc.Choice.REFUSE), key=lambda c: c.day)


def stored_text(db: Database, sha256: str) -> dc.ConsentText:
    """A 告知书 exactly as a consent showed it (by its hash), whatever the current version is."""
    with db.session() as s:
        row = s.scalar(select(ConsentText).where(ConsentText.sha256 == sha256))
        if row is None:
            raise NotFoundError(f"没有哈希为 {sha256[:12]}… 的告知书")
        lines = row.body.split("\n")
        sections = tuple((line[1:].split("】", 1)[0], line.split("】", 1)[1]) for line in lines[1:])
        return dc.ConsentText(row.text_key, row.version, row.title, sections, generic=row.generic)


def signature_png(db: Database, uuid: str) -> bytes | None:
    with db.session() as s:
        return s.scalar(select(Consent.png).where(Consent.uuid == uuid))


def verify(db: Database, uuid: str) -> bool:
    """The stored strokes, text, child and order still give the stored signature hash."""
    with db.session() as s:
        found = s.execute(
            select(Consent, ConsentText, Child.uuid)
            .join(ConsentText, ConsentText.id == Consent.text_id)
            .join(Child, Child.id == Consent.child_id)
            .where(Consent.uuid == uuid)
        ).first()
        if found is None:
            raise NotFoundError(f"没有编号为 {uuid} 的知情同意记录")
        row, text, child_uuid = found
        return _hash(row, text.version, text.sha256, child_uuid, _strokes(row.strokes)) == row.signature_hash


def _hash(row: Consent, version: str, sha: str, child_uuid: str, strokes: Sequence[dc.Stroke]) -> str:
    return dc.signature_hash(
        strokes, text_version=version, text_sha256=sha, child_uuid=child_uuid, vaccine_code=row.vaccine_code,
        dose_number=row.dose_number, day=row.day, choice=dc.Choice(row.choice), paper=row.paper,
    )  # fmt: skip


def consent_block(s: Session, child_id: int, vaccine_code: str, day: dt.date) -> str | None:
    """For the 接种台 (in the caller's transaction): a Chinese reason when no 同意 (signed on the
    screen or on paper) is on record for ``vaccine_code`` that day, else None."""
    vac = catalog().get(vaccine_code)
    name = vac.name if vac else vaccine_code
    row = s.execute(
        select(Consent.choice, Consent.reason).where(
            Consent.child_id == child_id,
            Consent.day == day,
            Consent.vaccine_code == (vac.code if vac else vaccine_code),
        )
    ).first()
    return dc.block_reason(name, dc.Choice(row[0]) if row else None, row[1] if row else None)


# --- recording -----------------------------------------------------------------------------------


def _visit_item(s: Session, child: Child, day: dt.date, code: str) -> tuple[str | None, int | None]:
    """(ticket, dose number on today's order) of the child's visit that day."""
    visit = s.scalar(select(Visit).where(Visit.child_id == child.id, Visit.day == day))
    if visit is None:
        return None, None
    number = s.scalar(
        select(VisitOrderItem.dose_number)
        .join(VisitOrder, VisitOrder.id == VisitOrderItem.order_id)
        .where(VisitOrder.visit_id == visit.id, VisitOrderItem.vaccine_code == code)
    )
    return visit.ticket, number


def _dose_number(s: Session, child: Child, code: str, day: dt.date) -> int | None:
    """The dose of ``code`` the child would get on ``day`` (the forecast's next number)."""
    doses = list(s.scalars(select(Dose).where(Dose.child_id == child.id, Dose.deleted.is_(False))))
    facts = session_facts(s, child.id, child.mother_hbsag, child.birth_weight_kg)
    fc = engine().forecast(child.birth_date, max(day, child.birth_date), doses, child.sex, facts=facts)
    return proposed_dose_number(fc, doses, code)


def _text_row(s: Session, text: dc.ConsentText) -> ConsentText:
    row = s.scalar(select(ConsentText).where(ConsentText.sha256 == text.sha256))
    if row is None:
        row = ConsentText(sha256=text.sha256, text_key=text.key, version=text.version, title=text.title[:100],
                          body=text.body, generic=text.generic)  # fmt: skip
        s.add(row)
        s.flush()
    return row


def _describe(row: Consent) -> str:
    how = "纸质签字" if row.paper else ("屏幕签名" if row.strokes else "")
    return "，".join(x for x in (row.choice, how, f"原因：{row.reason}" if row.reason else "") if x)


def record_consent(
    db: Database,
    child_code: str,
    vaccine: str,
    choice: dc.Choice | str,
    *,
    paper: bool = False,
    strokes: Sequence[dc.Stroke] = (),
    png: bytes | None = None,
    reason: str | None = None,
    dose_number: int | None = None,
    shown_text_sha256: str | None = None,
    expected_version: int | None = None,
    desk: str | None = None,
    user: str | None = None,
    now: dt.datetime | None = None,
) -> ConsentRecord:
    """Store the guardian's choice for ``vaccine`` today (``now``'s day), signed as given.

    The dose number is the one on today's order, else ``dose_number``, else the forecast's next.
    ``shown_text_sha256`` is the hash of the text the desk showed (refused when the current text
    differs: it was replaced meanwhile).  Changing a consent already on record needs
    ``expected_version``, the version the desk saw (0: none); a stale one is refused.
    """
    now = (now or dt.datetime.now()).replace(microsecond=0)
    day = now.date()
    if isinstance(choice, str):
        try:
            choice = dc.parse_choice(choice)
        except dc.ConsentError as exc:
            raise ValidationError(str(exc)) from None
    reason = (reason or "").strip() or None
    if choice is dc.Choice.AGREE:
        reason = None  # a reason belongs to 不同意 (or a note to 到点再议)
    problems = dc.problems(choice, paper=paper, strokes=strokes, reason=reason)
    if problems:
        raise ValidationError(problems)
    if dose_number is not None and not 1 <= dose_number <= 10:
        raise ValidationError("剂次应为 1–10")
    text = text_for(vaccine)
    vac = catalog().resolve(vaccine)
    if shown_text_sha256 is not None and shown_text_sha256 != text.sha256:
        raise StaleRecord(f"{vac.name}的告知书刚刚更新为 {text.version} 版，请让监护人阅读新版本后重新签字（未保存）")
    with db.transaction() as s:
        child = _child(s, child_code)
        row = s.scalar(
            select(Consent).where(Consent.child_id == child.id, Consent.day == day, Consent.vaccine_code == vac.code)
        )
        seen = row.version if row is not None else 0
        if row is not None and expected_version is None:
            raise StaleRecord(
                f"{child.name} 今天已有{vac.name}的知情同意（{row.choice}，第 {row.version} 版）；"
                "更改时请给出所见的版本"
            )
        if expected_version is not None and expected_version != seen:
            raise StaleRecord(f"另一台电脑刚刚改了 {child.name} 的{vac.name}知情同意，请刷新后重试（未保存任何改动）")
        ticket, ordered = _visit_item(s, child, day, vac.code)
        number = ordered or dose_number or _dose_number(s, child, vac.code, day)
        text_row = _text_row(s, text)
        before = _describe(row) if row is not None else None
        if row is None:
            row = Consent(uuid=new_uuid(), child_id=child.id, day=day, vaccine_code=vac.code)
            s.add(row)
        row.dose_number, row.ticket, row.choice, row.paper, row.reason = number, ticket, choice.value, paper, reason
        row.text_id = text_row.id
        row.strokes = json.dumps({"strokes": dc.canonical_strokes(strokes)}, separators=(",", ":")) if strokes else None
        row.png = png if strokes else None
        row.operator = permissions.operator(db, user)
        row.desk = (desk or "").strip() or db.desk or DEFAULT_DESK
        row.at = now
        row.signature_hash = _hash(row, text.version, text.sha256, child.uuid, _strokes(row.strokes))
        try:
            s.flush()
        except StaleDataError as exc:
            raise StaleRecord(f"另一台电脑刚刚改了 {child.name} 的{vac.name}知情同意，请刷新后重试") from exc
        audit.record(
            s, kind="consent", entity="consent", entity_uuid=row.uuid, child_id=child.id, user=user,
            old=before, new=f"{vac.name}：{_describe(row)}（告知书 {text.version} 版，{row.desk}）", at=now,
        )  # fmt: skip
        return _record(row, child, text_row)
