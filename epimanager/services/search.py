"""F3 quick search (个案快速查询): one box, the child appears.

:func:`search` understands pinyin (full, prefix, initials, mixed), Chinese
characters, birth dates and identifiers (see
:mod:`epimanager.domain.search.query`).  Every lookup is an index range or
an exact index probe:

* pinyin → prefix range on the primary key of ``child_search_key``
  (``key >= 'lpp' AND key < 'lpq'``), at most :data:`KEY_CAP` key rows;
* Chinese → prefix ranges on ``ix_child_name`` / ``ix_child_mother_name`` /
  ``ix_child_father_name``; a part of the child's name (浩然 for 张浩然) is
  looked for with a scan of the name index only when no child's, mother's or
  father's name starts with it (≈ 50 ms per million children);
* dates → range on ``ix_child_birth_date``;
* identifiers → exact probes of child code, ID number, birth-certificate
  number and phone.

Ranking: in-register children (:data:`MANAGED_STATUSES`) first, then
closeness (exact key before prefix before part of name; for equal closeness
the child's own name before the mother's before the father's), then birth
date (youngest first; date queries list in date order).  At most ``limit``
rows are returned; ``more`` says there were more matches.

Thread use: :func:`search` opens its own short read session, so the GUI can
call it from a worker thread while the user types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from epimanager.domain.codes import MANAGED_STATUSES, Sex, Status
from epimanager.domain.search.query import MAX_LIMIT, DateRange, ParsedQuery, next_prefix, parse_query
from epimanager.store.quick import SessionReader

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from epimanager.store.database import Database

#: At most this many search-key rows (or name-index rows) are ranked per query;
#: when a short query matches more, the result says ``more`` and the nurse types on.
KEY_CAP = 1000
#: The same when a birth date narrows the name down (``zhang 2013``): more
#: candidates are needed to find enough born in that range.
KEY_CAP_FILTERED = 5000
__all__ = ["MAX_LIMIT", "Rows", "SearchResult", "SearchRow", "search", "search_in", "search_rows"]

#: What matched, by closeness tier (lower = closer).
MATCH_NAME, MATCH_MOTHER, MATCH_FATHER = "姓名", "母亲", "父亲"
MATCH_CODE, MATCH_BIRTH = "编码", "出生日期"

# Closeness tiers: 0–2 exact (child/mother/father), 3–5 prefix, 6 part of the name;
# -1 identifiers, 7 birth date only.
_TIER_CODE = -1
_TIER_PART = 6
_TIER_DATE = 7
_TIER_MATCH = {
    _TIER_CODE: MATCH_CODE,
    _TIER_PART: MATCH_NAME,
    _TIER_DATE: MATCH_BIRTH,
}

_MANAGED_SQL = ",".join(str(int(s)) for s in sorted(MANAGED_STATUSES))


@dataclass(frozen=True)
class SearchRow:
    """One child in the result list (what the F3 dialog shows)."""

    child_id: int
    child_code: str
    name: str
    sex: str
    birth_date: date
    mother_name: str | None
    father_name: str | None
    status: int
    committee: str | None
    #: what matched: 姓名 / 母亲 / 父亲 / 编码 / 出生日期
    matched: str
    #: closeness tier used for ranking (lower = closer)
    tier: int
    #: 联系电话 (tells two children of the same name apart, with the mother's name and the age)
    phone: str | None = None

    @property
    def in_register(self) -> bool:
        """在册 (managed here): ranked first."""
        return self.status in MANAGED_STATUSES

    @property
    def sex_label(self) -> str:
        """男 / 女."""
        try:
            return Sex(self.sex).label
        except ValueError:
            return self.sex

    @property
    def status_label(self) -> str:
        """在册情况 label, e.g. 本地, 迁出."""
        try:
            return Status(self.status).label
        except ValueError:
            return str(self.status)

    def to_json(self) -> dict[str, Any]:
        """The row as ``epimanager search --json`` prints it."""
        return {
            "child_code": self.child_code,
            "name": self.name,
            "sex": self.sex_label,
            "birth_date": self.birth_date.isoformat(),
            "mother_name": self.mother_name,
            "phone": self.phone,
            "status": self.status_label,
            "committee": self.committee,
        }


@dataclass(frozen=True)
class SearchResult:
    """Rows in display order; ``more`` = there were more matches than shown."""

    query: ParsedQuery
    rows: tuple[SearchRow, ...]
    more: bool

    def to_json(self) -> list[dict[str, Any]]:
        """The rows as a JSON-ready list."""
        return [r.to_json() for r in self.rows]

    @property
    def notice(self) -> str | None:
        """What the dialog says under the list when not everything is shown."""
        if self.more:
            return f"结果多于 {len(self.rows)} 条，只显示前 {len(self.rows)} 条；请输入更多内容缩小范围。"
        return None


class Rows(Protocol):
    """Where the search reads from: SQL with ``:name`` parameters → rows indexable by position.

    A SQLAlchemy session (GUI, services) or :class:`epimanager.store.quick.Reader` (the one-shot
    CLI, which then never imports SQLAlchemy).
    """

    #: True on PostgreSQL (no ``INDEXED BY`` hints there)
    server: bool

    def rows(self, sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]: ...


def search(db: Database, query: str, limit: int = 50) -> SearchResult:
    """Find children for what was typed into the quick-search box.

    Never raises for odd input: an empty or unreadable query gives no rows.
    """
    with db.session() as session:
        return search_in(session, query, limit)


def search_in(session: Session, query: str, limit: int = 50) -> SearchResult:
    """:func:`search` inside an existing session."""
    return search_rows(SessionReader(session), query, limit)


def search_rows(session: Rows, query: str, limit: int = 50) -> SearchResult:
    """:func:`search` reading through ``session`` (see :class:`Rows`)."""
    parsed = parse_query(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    if parsed.empty:
        return SearchResult(parsed, (), False)
    if not parsed.pinyin and not parsed.hanzi and parsed.dates is not None:
        return _date_search(session, parsed, limit)
    cap = KEY_CAP_FILTERED if parsed.dates is not None else KEY_CAP
    params: dict[str, Any] = {"cap": cap}
    parts: list[str] = []
    counts: list[str] = []
    for i, code in enumerate(parsed.codes):
        params[f"c{i}"] = code
        parts.extend(
            f"SELECT id AS cid, {_TIER_CODE} AS tier FROM child WHERE {col} = :c{i}"
            for col in ("code", "id_number", "birth_cert_no", "phone")
        )
    if parsed.pinyin:
        # Exact keys sort first in the range, so the cap never drops an exact match for a prefix one.
        params["q"], params["qn"] = parsed.pinyin, next_prefix(parsed.pinyin)
        parts.append(
            "SELECT child_id AS cid, CASE WHEN key <> :q THEN 3 ELSE 0 END + kind % 10 - 1 AS tier FROM ("
            "SELECT key, child_id, kind FROM child_search_key WHERE key >= :q AND key < :qn "
            "ORDER BY key, child_id LIMIT :cap) AS k"
        )
        counts.append("SELECT 1 FROM child_search_key WHERE key >= :q AND key < :qn")
    if parsed.hanzi:
        params["h"], params["hn"] = parsed.hanzi, next_prefix(parsed.hanzi)
        for person, col in enumerate(("name", "mother_name", "father_name")):
            parts.append(
                f"SELECT id AS cid, CASE WHEN {col} <> :h THEN 3 ELSE 0 END + {person} AS tier FROM ("
                f"SELECT id, {col} FROM child WHERE {col} >= :h AND {col} < :hn ORDER BY {col} LIMIT :cap) AS n"
            )
            counts.append(f"SELECT 1 FROM child WHERE {col} >= :h AND {col} < :hn")
    dates = parsed.dates if (parsed.pinyin or parsed.hanzi) else None
    rows, total = _rank(session, parts, params, dates, limit)
    if total == 0 and parsed.hanzi:
        # Nobody's name starts with it: a part of a child's name (浩然 for 张浩然).  Scans
        # the name index (not the table); only reached when nothing else matched.
        h = parsed.hanzi
        params["p"] = "%" + h.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        hint = "" if session.server else "INDEXED BY ix_child_name"
        part = f"SELECT id FROM child {hint} WHERE name LIKE :p ESCAPE '\\'"
        rows, total = _rank(
            session, [f"SELECT id AS cid, {_TIER_PART} AS tier FROM ({part} LIMIT :cap) AS p"], params, dates, limit
        )
        counts = [part]
    more = total > limit
    if not more and total:
        # Few rows shown: say "more" only if a lookup stopped at its cap.
        more = any(
            session.rows(f"SELECT COUNT(*) FROM ({c} LIMIT :cap1) AS c", {**params, "cap1": cap + 1})[0][0] > cap
            for c in counts
        )
    return SearchResult(parsed, rows, more)


def _rank(
    session: Rows, parts: list[str], params: dict[str, Any], dates: DateRange | None, limit: int
) -> tuple[tuple[SearchRow, ...], int]:
    """Rank the hits of ``parts`` (each selecting ``cid, tier``) in one SQL statement.

    Returns the first ``limit`` rows and the number of distinct matching children.
    """
    if not parts:
        return (), 0
    date_sql = ""
    params = {**params, "lim": limit}
    if dates is not None:
        date_sql = " AND c.birth_date >= :d0 AND c.birth_date < :d1"
        params["d0"], params["d1"] = dates.start.isoformat(), dates.end.isoformat()
    hits = " UNION ALL ".join(parts)
    sql = f"""
        WITH hits AS ({hits}),
        m AS (SELECT cid, MIN(tier) AS tier FROM hits GROUP BY cid),
        r AS (
            SELECT c.id AS id, m.tier AS tier, (c.status IN ({_MANAGED_SQL})) AS managed,
                   c.birth_date AS bd, COUNT(*) OVER () AS total
            FROM m JOIN child c ON c.id = m.cid
            WHERE c.deleted = false{date_sql}
            ORDER BY managed DESC, tier, bd DESC, c.id
            LIMIT :lim
        )
        SELECT r.total, r.tier, c.id, c.code, c.name, c.sex, c.birth_date, c.mother_name, c.father_name,
               c.status, cm.name, c.phone
        FROM r JOIN child c ON c.id = r.id LEFT JOIN committee cm ON cm.id = c.committee_id
        ORDER BY r.managed DESC, r.tier, r.bd DESC, c.id
    """
    result = session.rows(sql, params)
    total = int(result[0][0]) if result else 0
    return tuple(_row(t[2:], t[1]) for t in result), total


def _row(t: Any, tier: int) -> SearchRow:
    cid, code, name, sex, birth, mother, father, status, committee, phone = t
    matched = _TIER_MATCH.get(tier) or (MATCH_NAME, MATCH_MOTHER, MATCH_FATHER)[tier % 3]
    return SearchRow(
        child_id=cid,
        child_code=code,
        name=name,
        sex=sex,
        birth_date=birth if isinstance(birth, date) else date.fromisoformat(birth),
        mother_name=mother,
        father_name=father,
        status=status,
        committee=committee,
        matched=matched,
        tier=tier,
        phone=phone,
    )


_DISPLAY_SQL = (
    "SELECT c.id, c.code, c.name, c.sex, c.birth_date, c.mother_name, c.father_name, c.status, cm.name, c.phone "
    "FROM child c LEFT JOIN committee cm ON cm.id = c.committee_id "
)


def _date_search(session: Rows, parsed: ParsedQuery, limit: int) -> SearchResult:
    """Children born in a year / month / day: in-register first, then in date order."""
    assert parsed.dates is not None
    params: dict[str, Any] = {
        "d0": parsed.dates.start.isoformat(),
        "d1": parsed.dates.end.isoformat(),
        "lim": limit + 1,
    }
    found: list[tuple[Any, ...]] = []
    code_ids: set[int] = set()
    for code in parsed.codes:
        for t in session.rows(
            _DISPLAY_SQL + "WHERE c.deleted = false AND (c.code = :c OR c.id_number = :c OR c.birth_cert_no = :c "
            "OR c.phone = :c)",
            {"c": code},
        ):
            if t[0] not in code_ids:
                code_ids.add(t[0])
                found.append((*t, _TIER_CODE))
    for managed in (True, False):
        if len(found) > limit:
            break
        cond = "IN" if managed else "NOT IN"
        params["lim"] = limit + 1 - len(found)
        rows = session.rows(
            _DISPLAY_SQL
            + "WHERE c.birth_date >= :d0 AND c.birth_date < :d1 AND c.deleted = false "
            + f"AND c.status {cond} ({_MANAGED_SQL}) ORDER BY c.birth_date, c.id LIMIT :lim",
            params,
        )
        found.extend((*t, _TIER_DATE) for t in rows if t[0] not in code_ids)
    rows_out = tuple(_row(t[:-1], t[-1]) for t in found[:limit])
    return SearchResult(parsed, rows_out, len(found) > limit)
