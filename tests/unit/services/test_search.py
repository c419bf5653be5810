"""F3 quick search on a real SQLite database, as a nurse would use it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from epimanager.domain.codes import Status
from epimanager.domain.identifiers import id_check_char
from epimanager.domain.validation import ChildInput
from epimanager.paths import DbLocation
from epimanager.services.children import create_child, update_child
from epimanager.services.search import MATCH_BIRTH, MATCH_CODE, MATCH_MOTHER, MATCH_NAME, search
from epimanager.services.search_index import bulk_index, rebuild_index
from epimanager.services.units import init_database
from epimanager.store.database import Database, open_database
from tests.conftest import BACKENDS, server_database

TODAY = date(2026, 11, 26)

#: (surname, pypinyin's everyday reading, surname reading) — shared/domain/README.md §7
POLYPHONIC_SURNAMES = [
    ("单", "dan", "shan"),
    ("曾", "ceng", "zeng"),
    ("解", "jie", "xie"),
    ("仇", "chou", "qiu"),
    ("区", "qu", "ou"),
    ("朴", "pu", "piao"),
    ("查", "cha", "zha"),
    ("盖", "gai", "ge"),
    ("华", "hua", "hua"),
    ("缪", "mou", "miao"),
    ("乐", "le", "yue"),
    ("翟", "di", "zhai"),
    ("覃", "tan", "qin"),
    ("种", "zhong", "chong"),
    ("繁", "fan", "po"),
    ("员", "yuan", "yun"),
    ("任", "ren", "ren"),
    ("纪", "ji", "ji"),
    ("秘", "mi", "bi"),
    ("燕", "yan", "yan"),
    ("召", "zhao", "shao"),
    ("过", "guo", "guo"),
    ("折", "zhe", "she"),
    ("那", "na", "na"),
    ("重", "zhong", "chong"),
    ("藏", "cang", "zang"),
    ("卜", "bo", "bu"),
    ("薄", "bao", "bo"),
    ("阚", "han", "kan"),
    ("隗", "kui", "wei"),
    ("黑", "hei", "he"),
    ("宁", "ning", "ning"),
]

COMPOUND = [
    ("尉迟恭", "yuchigong", "ycg"),
    ("万俟雪", "moqixue", "mqx"),
    ("欧阳娜娜", "ouyangnana", "oynn"),
    ("诸葛亮", "zhugeliang", "zgl"),
    ("上官婉儿", "shangguanwaner", "sgwe"),
    ("长孙无忌", "zhangsunwuji", "zswj"),
    ("司马光", "simaguang", "smg"),
    ("夏侯惇", "xiahoudun", "xhd"),
]


def _id_number(birth: date, male: bool, seq: int) -> str:
    first17 = f"320102{birth:%Y%m%d}{seq * 2 + (1 if male else 0):03d}"
    return first17 + id_check_char(first17)


def _add(db: Database, name: str, birth: date, **kw: object) -> str:
    kw.setdefault("mother_name", "赵敏")
    inp = ChildInput(name=name, sex=str(kw.pop("sex", "1")), birth_date=birth, **kw)  # type: ignore[arg-type]
    return create_child(db, inp, today=TODAY).code


@pytest.fixture(scope="module", params=BACKENDS)
def db(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Database]:
    with ExitStack() as stack:
        yield from _clinic(tmp_path_factory, request.param, stack)


def _clinic(tmp_path_factory: pytest.TempPathFactory, backend: str, stack: ExitStack) -> Iterator[Database]:
    if backend == "postgresql":
        path: DbLocation = stack.enter_context(server_database())
    else:
        path = tmp_path_factory.mktemp("search") / "clinic.sqlite"
    init_database(path, "3201020101", "测试接种门诊", ["城关社区", "东风村"])
    d = open_database(path)
    add = _add
    add(d, "刘佩佩", date(2020, 3, 1), sex="2", committee="城关社区")
    add(d, "李萍萍", date(2021, 4, 2), sex="2")
    add(d, "张浩", date(2013, 1, 5), committee="东风村")
    add(d, "张浩然", date(2013, 6, 1), id_number=_id_number(date(2013, 6, 1), True, 7))
    add(d, "张昊天", date(2019, 2, 2), status=Status.MOVED_OUT)
    add(d, "单丽", date(2018, 5, 5), sex="2", phone="13812345678")
    add(d, "吕雪", date(2017, 7, 7), sex="2", birth_cert_no="Q440012345")
    add(d, "卢雪", date(2016, 7, 7), sex="2")
    add(d, "张乐", date(2015, 8, 8))
    add(d, "李长青", date(2014, 9, 9))
    add(d, "王丽", date(2012, 10, 10), sex="2", mother_name="陈红")
    add(d, "孙小宝", date(2022, 1, 1), mother_name="王丽", father_name="孙大伟")
    add(d, "周小贝", date(2022, 2, 2), mother_name="王丽华", father_name="周强")
    add(d, "钱多多", date(2013, 1, 20), status=Status.DEAD)
    add(d, "删除了", date(2013, 1, 21))
    for i, (ch, _common, _surname) in enumerate(POLYPHONIC_SURNAMES):
        add(d, ch + "思远", date(2000 + i % 10, 1 + i % 12, 1 + i % 28))
    for i, (name, _full, _ini) in enumerate(COMPOUND):
        add(d, name, date(2016, 1 + i, 11))
    with d.transaction() as s:
        s.execute(text("UPDATE child SET deleted = true WHERE name = '删除了'"))
    yield d
    d.close()


def names(db: Database, q: str, limit: int = 50) -> list[str]:
    return [r.name for r in search(db, q, limit).rows]


def test_initials_find_both_liu_peipei_and_li_pingping(db: Database) -> None:
    assert set(names(db, "lpp")) == {"刘佩佩", "李萍萍"}
    rows = search(db, "lpp").rows
    assert all(r.matched == MATCH_NAME for r in rows)


@pytest.mark.parametrize("q", ["zhanghao", "zhangh", "zhang hao", "ZhangHao", "zh", "zhhr", "zhanghr", "张hr"])
def test_pinyin_prefix_and_mixed_forms(db: Database, q: str) -> None:
    assert "张浩然" in names(db, q)


def test_exact_before_prefix_and_in_register_first(db: Database) -> None:
    found = names(db, "zhanghao")
    # 张浩 (exact) before 张浩然 (prefix); 张昊天 moved out → last although a prefix match too
    assert found == ["张浩", "张浩然", "张昊天"]
    rows = search(db, "zhanghao").rows
    assert [r.in_register for r in rows] == [True, True, False]


@pytest.mark.parametrize(("ch", "common", "surname"), POLYPHONIC_SURNAMES)
def test_polyphonic_surname_both_readings(db: Database, ch: str, common: str, surname: str) -> None:
    # 种/重 are both "chong", 卜/薄 both "bo": then both children are found
    found = names(db, surname + "siyuan")
    assert ch + "思远" in found and len(found) <= 2
    assert ch + "思远" in names(db, common + "siyuan")
    assert ch + "思远" in names(db, surname[0] + "sy")


def test_shan_li(db: Database) -> None:
    assert names(db, "shanli") == ["单丽"]
    assert names(db, "danli") == ["单丽"]
    assert names(db, "sl") == ["单丽"]


@pytest.mark.parametrize(("name", "full", "initials"), COMPOUND)
def test_compound_surnames(db: Database, name: str, full: str, initials: str) -> None:
    assert names(db, full) == [name]
    assert name in names(db, initials)
    assert name in names(db, full[:4])
    assert name in names(db, name[:2])


def test_u_umlaut(db: Database) -> None:
    assert names(db, "lvxue") == ["吕雪"]
    assert names(db, "lüxue") == ["吕雪"]
    assert set(names(db, "luxue")) == {"吕雪", "卢雪"}


def test_polyphonic_given_names(db: Database) -> None:
    assert names(db, "zhangyue") == ["张乐"]
    assert names(db, "zhangle") == ["张乐"]
    assert names(db, "lizhangqing") == ["李长青"]
    assert names(db, "lichangqing") == ["李长青"]


def test_chinese_name_prefix_and_part(db: Database) -> None:
    assert names(db, "张浩") == ["张浩", "张浩然"]
    assert names(db, "张浩然") == ["张浩然"]
    assert names(db, "浩然") == ["张浩然"]  # part of the name
    assert names(db, "欧阳") == ["欧阳娜娜"]


def test_mother_name(db: Database) -> None:
    # child named 王丽 first, then children of mother 王丽, then of 王丽华 (prefix)
    rows = search(db, "王丽").rows
    assert [r.name for r in rows] == ["王丽", "孙小宝", "周小贝"]
    assert [r.matched for r in rows] == [MATCH_NAME, MATCH_MOTHER, MATCH_MOTHER]
    assert [r.name for r in search(db, "wangli").rows] == ["王丽", "孙小宝", "周小贝"]
    assert names(db, "孙大伟") == ["孙小宝"]
    assert names(db, "chenhong") == ["王丽"]


def test_birth_year_month_day(db: Database) -> None:
    year = search(db, "2013").rows
    assert [r.name for r in year] == ["张浩", "张浩然", "钱多多"]  # dead child last, deleted one missing
    assert all(r.matched == MATCH_BIRTH for r in year)
    assert names(db, "2013-01") == ["张浩", "钱多多"]
    assert names(db, "201301") == ["张浩", "钱多多"]
    assert names(db, "2013-01-05") == ["张浩"]
    assert names(db, "20130105") == ["张浩"]
    assert names(db, "2013-02") == []


def test_name_and_date_together(db: Database) -> None:
    assert names(db, "zhanghao 2013-06") == ["张浩然"]
    assert names(db, "张 2013") == ["张浩然", "张浩"]  # equally close: youngest first


def test_codes(db: Database) -> None:
    with db.session() as s:
        code = s.execute(text("SELECT code FROM child WHERE name = '刘佩佩'")).scalar_one()
    rows = search(db, code).rows
    assert [r.name for r in rows] == ["刘佩佩"] and rows[0].matched == MATCH_CODE
    idn = _id_number(date(2013, 6, 1), True, 7)
    assert names(db, idn) == ["张浩然"]
    assert names(db, idn.lower()) == ["张浩然"]
    assert names(db, "13812345678") == ["单丽"]
    assert names(db, "Q440012345") == ["吕雪"]
    assert names(db, "q440012345") == ["吕雪"]
    assert names(db, "99999999999") == []


def test_row_shows_what_the_dialog_needs(db: Database) -> None:
    r = search(db, "liupeipei").rows[0]
    assert (r.name, r.sex_label, r.birth_date, r.mother_name, r.status_label, r.committee) == (
        "刘佩佩",
        "女",
        date(2020, 3, 1),
        "赵敏",
        "本地",
        "城关社区",
    )
    assert len(r.child_code) == 18
    assert r.to_json() == {
        "child_code": r.child_code,
        "name": "刘佩佩",
        "sex": "女",
        "birth_date": "2020-03-01",
        "mother_name": "赵敏",
        "phone": None,
        "status": "本地",
        "committee": "城关社区",
    }


def test_rows_carry_the_phone_to_tell_two_children_apart(db: Database) -> None:
    """F3 shows age, mother and phone: the search returns the phone with every row (name and code look-ups)."""
    [r] = search(db, "13812345678").rows
    assert (r.name, r.phone) == ("单丽", "13812345678")
    assert next(x for x in search(db, "shanli").rows if x.name == "单丽").phone == "13812345678"
    assert [x.phone for x in search(db, "2020-03").rows if x.name == "刘佩佩"] == [None]


def test_limit_and_more(db: Database) -> None:
    full = search(db, "zhang")
    assert len(full.rows) >= 5 and not full.more
    cut = search(db, "zhang", limit=2)
    assert len(cut.rows) == 2 and cut.more
    assert [r.name for r in cut.rows] == [r.name for r in full.rows[:2]]
    assert search(db, "2013", limit=1).more
    assert cut.notice is not None and "只显示前 2 条" in cut.notice
    assert full.notice is None


def test_very_long_names_and_queries(tmp_path: Path) -> None:
    path = tmp_path / "long.sqlite"
    init_database(path, "3201020101", "测试接种门诊")
    d = open_database(path)
    try:
        long_name = "买买提·艾力江·阿不都热合曼"
        _add(d, long_name, date(2020, 1, 1))
        full = "maimaitiailijiangabudurehemanxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        assert names(d, "maimaiti") == [long_name]
        assert names(d, full[:29]) == [long_name]
        assert names(d, full) == []
        assert names(d, "买买提·艾力") == [long_name]
    finally:
        d.close()


def test_deleted_children_are_never_found(db: Database) -> None:
    for q in ("shanchule", "删除了", "2013-01-21"):
        assert "删除了" not in names(db, q)


@pytest.mark.parametrize("q", ["", "   ", "!!", "xxxxxxxxqqq", "2013-13", "🙂"])
def test_nothing_sensible_gives_nothing(db: Database, q: str) -> None:
    r = search(db, q)
    assert r.rows == () and not r.more


def test_index_follows_updates(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite"
    init_database(path, "3201020101", "测试接种门诊")
    d = open_database(path)
    try:
        code = _add(d, "张三", date(2020, 1, 1), mother_name="李四")
        assert names(d, "zhangsan") == ["张三"]
        update_child(d, code, {"name": "单丽", "mother_name": "曾红"}, today=TODAY)
        assert names(d, "zhangsan") == []
        assert names(d, "lisi") == []
        assert names(d, "shanli") == ["单丽"]
        assert names(d, "zenghong") == ["单丽"]
        assert names(d, "单丽") == ["单丽"]
    finally:
        d.close()


def test_bulk_and_rebuild_give_the_same_keys(db: Database) -> None:
    with db.engine.connect() as conn:
        before = conn.execute(text("SELECT key, child_id, kind FROM child_search_key ORDER BY 1, 2")).all()
        n = rebuild_index(conn)
        after = conn.execute(text("SELECT key, child_id, kind FROM child_search_key ORDER BY 1, 2")).all()
        conn.rollback()
    assert n == len(before) and before == after


def test_bulk_index_writes_keys_for_new_rows(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite"
    init_database(path, "3201020101", "测试接种门诊")
    d = open_database(path)
    try:
        _add(d, "占位", date(2020, 1, 1))
        with d.engine.begin() as conn:
            conn.execute(text("DELETE FROM child_search_key"))
            cid = conn.execute(text("SELECT id FROM child")).scalar_one()
            assert bulk_index(conn, [(cid, "翟明", "覃红", None)]) > 0
        assert names(d, "zhaiming") == ["翟明"] or names(d, "zhaiming") == ["占位"]
        assert names(d, "qinhong") == names(d, "tanhong") != []
    finally:
        d.close()


def test_migration_0002_recomputes_old_keys(tmp_path: Path) -> None:
    """A database written before 0002 (plain pypinyin keys: 单丽 = danli only) is re-keyed."""
    from alembic import command

    from epimanager.store import migrate
    from epimanager.store.engine import make_engine

    path = tmp_path / "old.sqlite"
    engine = make_engine(path)
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001_initial")
        conn.execute(
            text(
                "INSERT INTO child (id, uuid, code, name, sex, birth_date, mother_name, residence, status, "
                "managing_unit, created_unit, mother_hbsag, created_at, updated_at, version, deleted) VALUES "
                "(1, 'u1', '320102010120200001', '单丽', '2', '2020-01-01', '曾红', 1, 1, '3201020101', "
                "'3201020101', '0', '2020-01-01 00:00:00', '2020-01-01 00:00:00', 1, 0)"
            )
        )
        conn.execute(text("INSERT INTO child_search_key (key, child_id, kind) VALUES ('danli', 1, 1)"))
    engine.dispose()
    d = open_database(path)  # migrates to head
    try:
        assert names(d, "shanli") == ["单丽"]
        assert names(d, "danli") == ["单丽"]
        assert names(d, "zenghong") == ["单丽"]
        assert names(d, "单丽") == ["单丽"]
    finally:
        d.close()
