"""The duplicate check of 新建儿童: the 数据清理 rule without its close-pinyin part."""

from __future__ import annotations

from datetime import date

from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child
from epimanager.services.ui_support import find_duplicates
from epimanager.store.database import Database

TODAY = date(2026, 11, 26)
BIRTH = date(2026, 3, 1)
ID_A = "110105202603010012"  # valid, born 2026-03-01, male
ID_B = "110105202603010039"


def test_new_child_duplicates_follow_the_one_rule(db: Database) -> None:
    old = create_child(db, ChildInput("张浩", "1", BIRTH, mother_name="李梅", id_number=ID_A), today=TODAY).code
    # the same ID number, whatever the name
    assert [(d.code, d.reason) for d in find_duplicates(db, "王方", BIRTH, None, ID_A)] == [(old, "身份证号")]
    # the same name, birth date and mother, no ID number typed
    got = find_duplicates(db, "张浩", BIRTH, "李梅", None)
    assert [(d.code, d.reason) for d in got] == [(old, "姓名+出生日期+母亲")]
    # a homophone name is only for 数据清理; another day or mother is another child
    assert find_duplicates(db, "章浩", BIRTH, "李梅", None) == []
    assert find_duplicates(db, "张浩", date(2026, 3, 2), "李梅", None) == []
    assert find_duplicates(db, "张浩", BIRTH, "王芳", None) == []
    # two different valid ID numbers are two children (twins), as in 数据清理
    assert find_duplicates(db, "张浩", BIRTH, "李梅", ID_B) == []
