"""Code lists of the national platform (shared/domain/README.md §3)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Sex(StrEnum):
    MALE = "1"
    FEMALE = "2"

    @property
    def label(self) -> str:
        return "男" if self is Sex.MALE else "女"

    @classmethod
    def parse(cls, text: str) -> Sex:
        t = text.strip().upper()
        if t in ("1", "男", "M", "MALE"):
            return cls.MALE
        if t in ("2", "女", "F", "FEMALE"):
            return cls.FEMALE
        raise ValueError(f"性别不正确：“{text}”（应为 男/女）")


class Residence(IntEnum):
    """居住属性."""

    LOCAL = 1
    FLOATING = 2
    TEMPORARY = 3

    @property
    def label(self) -> str:
        return {1: "本地", 2: "流动", 3: "临时"}[self.value]

    @classmethod
    def parse(cls, text: str) -> Residence:
        t = text.strip()
        for r in cls:
            if t in (str(r.value), r.label):
                return r
        raise ValueError(f"居住属性不正确：“{text}”（应为 本地/流动/临时）")


class Status(IntEnum):
    """在册情况 (national platform values)."""

    LOCAL = 1
    MOVED_OUT = 2
    TEMP_OUT = 3
    DEAD = 4
    DELETED = 5
    SCHOOL = 6
    NURSERY = 7
    ELSEWHERE = 8
    TEMP_VACCINATION = 9
    MOVED_IN = 10

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def managed(self) -> bool:
        """Counted as managed by this unit (reports, gap list)."""
        return self in MANAGED_STATUSES

    @classmethod
    def parse(cls, text: str) -> Status:
        t = text.strip()
        for s in cls:
            if t in (str(s.value), s.label):
                return s
        if t == "在册":
            return cls.LOCAL
        raise ValueError(f"在册情况不正确：“{text}”")


STATUS_LABELS: dict[Status, str] = {
    Status.LOCAL: "本地",
    Status.MOVED_OUT: "迁出",
    Status.TEMP_OUT: "临时外转",
    Status.DEAD: "死亡",
    Status.DELETED: "删除",
    Status.SCHOOL: "入学",
    Status.NURSERY: "入托",
    Status.ELSEWHERE: "异地接种",
    Status.TEMP_VACCINATION: "临时接种",
    Status.MOVED_IN: "外地转来",
}

#: Children counted as managed here (GZ uses {1, 6, 7, 10}).
MANAGED_STATUSES = frozenset({Status.LOCAL, Status.SCHOOL, Status.NURSERY, Status.MOVED_IN})


class DoseAttribute(IntEnum):
    """接种属性 — the grid's dose columns are grouped by these."""

    ROUTINE = 0
    BOOSTER = 1
    CAMPAIGN = 2
    EMERGENCY = 3
    DISEASE_PREVENTION = 4
    CATCH_UP = 5

    @property
    def label(self) -> str:
        return {
            0: "常规",
            1: "加强",
            2: "强化",
            3: "应急",
            4: "防病需要",
            5: "补种",
        }[self.value]

    @classmethod
    def parse(cls, text: str) -> DoseAttribute:
        t = text.strip()
        for a in cls:
            if t in (str(a.value), a.label):
                return a
        raise ValueError(f"接种属性不正确：“{text}”")


class MotherHBsAg(StrEnum):
    UNKNOWN = "0"
    NEGATIVE = "1"
    POSITIVE = "2"

    @property
    def label(self) -> str:
        return {"0": "不详", "1": "阴性", "2": "阳性"}[self.value]


class UnitLevel(IntEnum):
    CLINIC = 4
    TOWNSHIP = 3
    COUNTY = 2
    OTHER = 9

    @property
    def label(self) -> str:
        return {4: "接种单位", 3: "乡级", 2: "县级", 9: "其他"}[self.value]
