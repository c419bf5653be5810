"""预检: the numbered health questions, the temperature and the 禁忌/慎用 rules (pure, no storage).

The question list is data (``resources/precheck/questions.json``, compiled by
:func:`compile_questions`); :func:`evaluate` turns a nurse's answers, the temperature and the
vaccines concerned into one :class:`VaccineOutcome` per vaccine:

* 可接种 — nothing stands in the way (a 慎用 caution may still be shown);
* 暂缓 — not before ``until`` (the first day it may be given again);
* 禁忌 — not until a 业务管理员 lifts it with a doctor's note.

Rules (each question's ``rule``; the temperature has its own):
    * ``all`` — every vaccine (fever above the limit, acute illness): 暂缓 for ``days`` days;
    * ``live`` — the live vaccines (``live`` in vaccines.json): immunodeficiency, HIV with symptoms,
      high-dose steroids;
    * ``vaccines`` — the products the rule names (by abbreviation or code);
    * ``answered`` — the products the nurse names with the answer (a severe reaction to *that*
      vaccine, an allergy to it);
    * ``immunoglobulin_wait`` — the schedule's waits after an immunoglobulin or blood product: the
      latest entry (the one answered, or one already on record) counts, as in the forecast.

禁忌 wins over 暂缓; of several 暂缓 the latest date counts; every reason is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from epimanager.domain.schedule.ages import Offset, shift_date
from epimanager.domain.schedule.facts import Immunoglobulin, offset_label


class Outcome(StrEnum):
    OK = "可接种"
    DEFER = "暂缓"
    CONTRA = "禁忌"


class Scope(StrEnum):
    ALL = "all"
    LIVE = "live"
    VACCINES = "vaccines"
    ANSWERED = "answered"
    IG_WAIT = "immunoglobulin_wait"


class AnswerKind(StrEnum):
    YES_NO = "yes_no"
    VACCINES = "vaccines"  # yes names the vaccines concerned
    IMMUNOGLOBULIN = "immunoglobulin"  # yes gives the product and its date


@dataclass(frozen=True, slots=True)
class Rule:
    effect: Outcome
    scope: Scope
    reason: str
    days: int = 0
    vaccines: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Question:
    number: int
    text: str
    answer: AnswerKind
    rule: Rule | None
    caution: str | None = None


@dataclass(frozen=True, slots=True)
class QuestionList:
    version: str
    questions: tuple[Question, ...]
    temperature_min: float
    temperature_max: float
    fever_above: float
    fever_rule: Rule

    def question(self, number: int) -> Question | None:
        return next((q for q in self.questions if q.number == number), None)


@dataclass(frozen=True, slots=True)
class Answer:
    """A nurse's answer: yes/no, and with yes the vaccines named or the immunoglobulin entry."""

    yes: bool
    vaccines: tuple[str, ...] = ()
    product: str | None = None
    date: date | None = None

    @property
    def detail(self) -> str:
        """What goes with a yes, as text (``DTaP、MMR`` or ``IVIG 2026-11-20``)."""
        if not self.yes:
            return ""
        if self.date is not None:
            return f"{self.product or '免疫球蛋白'} {self.date.isoformat()}"
        return "、".join(self.vaccines)


NO = Answer(False)


@dataclass(frozen=True, slots=True)
class VaccineInfo:
    """What the rules need to know about a product."""

    code: str
    abbr: str
    name: str
    live: bool


@dataclass(frozen=True, slots=True)
class VaccineOutcome:
    code: str
    name: str
    outcome: Outcome
    until: date | None = None
    reasons: tuple[str, ...] = ()
    cautions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """可接种 / 暂缓至 2026-12-14 / 禁忌"""
        if self.outcome is Outcome.DEFER and self.until is not None:
            return f"暂缓至 {self.until.isoformat()}"
        return self.outcome.value


# --- the data ----------------------------------------------------------------------------------


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}：rule 应为对象")
    try:
        effect = Outcome(str(raw.get("effect")))
        scope = Scope(str(raw.get("scope")))
    except ValueError:
        raise ValueError(
            f"{where}：effect 应为 暂缓/禁忌，scope 应为 all/live/vaccines/answered/immunoglobulin_wait"
        ) from None
    if effect is Outcome.OK:
        raise ValueError(f"{where}：effect 应为 暂缓 或 禁忌")
    days = int(raw.get("days", 0))
    if effect is Outcome.DEFER and scope is not Scope.IG_WAIT and days < 1:
        raise ValueError(f"{where}：暂缓需要 days（天数）")
    vaccines = frozenset(str(v) for v in raw.get("vaccines", ()))
    if scope is Scope.VACCINES and not vaccines:
        raise ValueError(f"{where}：scope 为 vaccines 时需列出 vaccines")
    return Rule(effect, scope, str(raw.get("reason") or ""), days, vaccines)


def compile_questions(raw: Any) -> QuestionList:
    """The question list from its JSON data; ``ValueError`` (Chinese) naming what is wrong."""
    if not isinstance(raw, Mapping) or not raw.get("version") or not isinstance(raw.get("questions"), list):
        raise ValueError("预检数据应含 version 和 questions")
    questions: list[Question] = []
    for n, q in enumerate(raw["questions"], start=1):
        where = f"预检问题第{n}条"
        if not isinstance(q, Mapping) or not q.get("text") or not isinstance(q.get("number"), int):
            raise ValueError(f"{where}：需要 number（整数）和 text")
        try:
            kind = AnswerKind(str(q.get("answer", "yes_no")))
        except ValueError:
            raise ValueError(f"{where}：answer 应为 yes_no / vaccines / immunoglobulin") from None
        rule = _rule(q["rule"], where) if q.get("rule") else None
        if rule is not None and rule.scope is Scope.ANSWERED and kind is not AnswerKind.VACCINES:
            raise ValueError(f"{where}：scope 为 answered 时 answer 应为 vaccines")
        questions.append(Question(int(q["number"]), str(q["text"]), kind, rule, q.get("caution") or None))
    numbers = [q.number for q in questions]
    if len(set(numbers)) != len(numbers) or any(n < 1 for n in numbers):
        raise ValueError("预检问题的编号应为不重复的正整数")
    t = raw.get("temperature") or {}
    fever = _rule({"scope": "all", **t}, "体温") if t else Rule(Outcome.DEFER, Scope.ALL, "发热", 7)
    return QuestionList(
        str(raw["version"]),
        tuple(sorted(questions, key=lambda q: q.number)),
        float(t.get("min", 34.0)),
        float(t.get("max", 43.0)),
        float(t.get("fever_above", 37.3)),
        fever,
    )


def check(qlist: QuestionList, answers: Mapping[int, Answer], temperature: float | None) -> list[str]:
    """Every problem with the input (Chinese); empty when it can be evaluated."""
    problems: list[str] = []
    if temperature is None:
        problems.append("请填写体温")
    elif not qlist.temperature_min <= temperature <= qlist.temperature_max:
        problems.append(
            f"体温应在 {qlist.temperature_min:.1f}–{qlist.temperature_max:.1f}°C 之间（收到 {temperature}）"
        )
    for number, a in sorted(answers.items()):
        q = qlist.question(number)
        if q is None:
            problems.append(f"没有第{number}题（本问卷共{len(qlist.questions)}题）")
        elif a.yes and q.answer is AnswerKind.VACCINES and not a.vaccines and q.caution is None:
            problems.append(f"第{number}题答“是”时请注明是哪种疫苗")
        elif a.yes and q.answer is AnswerKind.IMMUNOGLOBULIN and a.date is None:
            problems.append(f"第{number}题答“是”时请填写注射日期")
    return problems


# --- the rules ---------------------------------------------------------------------------------


def _applies(rule: Rule, vac: VaccineInfo, answer: Answer) -> bool:
    if rule.scope is Scope.ALL:
        return True
    if rule.scope is Scope.LIVE:
        return vac.live
    if rule.scope is Scope.VACCINES:
        return vac.code in rule.vaccines or vac.abbr in rule.vaccines
    if rule.scope is Scope.ANSWERED:
        return vac.code in answer.vaccines or vac.abbr in answer.vaccines
    return False


def evaluate(
    qlist: QuestionList,
    answers: Mapping[int, Answer],
    temperature: float,
    vaccines: Iterable[VaccineInfo],
    day: date,
    *,
    ig_wait: Mapping[str, Offset] | None = None,
    immunoglobulin: Sequence[Immunoglobulin] = (),
) -> tuple[VaccineOutcome, ...]:
    """One outcome per vaccine, in the order given (unanswered questions count as 否).

    ``ig_wait`` is the schedule's wait per product after an immunoglobulin / blood product and
    ``immunoglobulin`` the entries already on record (an answered one is added to them).
    """
    findings: list[tuple[Rule, Answer, str]] = []
    if temperature > qlist.fever_above:
        reason = qlist.fever_rule.reason.replace("{temperature}", f"{temperature:.1f}")
        findings.append((qlist.fever_rule, NO, reason.replace("{limit}", f"{qlist.fever_above:.1f}")))
    cautions: list[str] = []
    entries = list(immunoglobulin)
    for q in qlist.questions:
        a = answers.get(q.number, NO)
        if not a.yes:
            continue
        if q.caution:
            cautions.append(q.caution)
        if q.rule is None:
            continue
        if q.rule.scope is Scope.IG_WAIT:
            if a.date is not None:
                entries.append(Immunoglobulin(a.product or "免疫球蛋白", a.date))
            continue
        findings.append((q.rule, a, q.rule.reason))
    latest = max(entries, key=lambda e: e.date) if entries else None
    ig_rule = next((q.rule for q in qlist.questions if q.rule and q.rule.scope is Scope.IG_WAIT), None)
    out: list[VaccineOutcome] = []
    for vac in vaccines:
        contra: list[str] = []
        defer: list[tuple[date, str]] = []
        for rule, answer, reason in findings:
            if not _applies(rule, vac, answer):
                continue
            if rule.effect is Outcome.CONTRA:
                contra.append(reason)
            else:
                defer.append((day + timedelta(days=rule.days), reason))
        if latest is not None and ig_wait and (wait := ig_wait.get(vac.code)) is not None:
            until = shift_date(latest.date, wait)
            if until > day:
                label = ig_rule.reason if ig_rule is not None and ig_rule.reason else "注射免疫球蛋白或血液制品后需间隔"
                defer.append((until, f"{latest.product}（{latest.date.isoformat()}）{label}{offset_label(wait)}"))
        if contra:
            out.append(VaccineOutcome(vac.code, vac.name, Outcome.CONTRA, None, tuple(contra + [r for _d, r in defer]),
                                      tuple(cautions)))  # fmt: skip
        elif defer:
            until = max(d for d, _r in defer)
            out.append(VaccineOutcome(vac.code, vac.name, Outcome.DEFER, until, tuple(r for _d, r in defer),
                                      tuple(cautions)))  # fmt: skip
        else:
            out.append(VaccineOutcome(vac.code, vac.name, Outcome.OK, None, (), tuple(cautions)))
    return tuple(out)


_YES = frozenset({"yes", "y", "是", "有", "1", "true"})
_NO = frozenset({"no", "n", "否", "无", "0", "false"})


def parse_answer(ql: QuestionList, text: str) -> tuple[int, Answer]:
    """``N=yes`` / ``N=no``; with a yes what goes with it: ``2=DTaP,MMR`` (the vaccines),
    ``6=IVIG@2026-11-20`` or ``6=2026-11-20`` (product and date).  ``ValueError`` in Chinese."""
    from epimanager.domain.dates import parse_date

    number_text, sep, value = text.replace("＝", "=").partition("=")
    try:
        number = int(number_text.strip())
    except ValueError:
        raise ValueError(f"答案应为 题号=是/否，如 1=yes、2=DTaP、6=IVIG@2026-11-20（收到“{text}”）") from None
    q = ql.question(number)
    if q is None or not sep:
        raise ValueError(f"没有第{number}题，或缺少答案（收到“{text}”）")
    value = value.strip()
    head, _colon, rest = value.replace("：", ":").partition(":")
    if value.lower() in _NO:
        return number, NO
    if value.lower() in _YES:
        return number, Answer(True)
    if head.lower() in _YES and rest:
        value = rest.strip()
    if q.answer is AnswerKind.IMMUNOGLOBULIN:
        product, _at, day = value.rpartition("@")
        try:
            return number, Answer(True, product=product.strip() or None, date=parse_date(day.strip()))
        except ValueError:
            raise ValueError(f"第{number}题的答案应为 品名@日期，如 IVIG@2026-11-20（收到“{value}”）") from None
    if q.answer is AnswerKind.VACCINES:
        names = tuple(v.strip() for v in value.replace("，", ",").replace("、", ",").split(",") if v.strip())
        return number, Answer(True, names)
    raise ValueError(f"第{number}题只能答 yes 或 no（收到“{value}”）")
