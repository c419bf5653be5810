"""Validate raw schedule versions (parsed JSON) and compile them into :mod:`.model` structures.

Done once per process by the services; no I/O here: the caller passes parsed JSON.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from epimanager.domain.catalog import Catalog
from epimanager.domain.dates import parse_date
from epimanager.domain.schedule.ages import ZERO, Offset
from epimanager.domain.schedule.facts import Condition, compile_condition
from epimanager.domain.schedule.fields import (
    advice,
    check_keys,
    early_course,
    offset,
    opt_offset,
    req,
    skip_dose,
)
from epimanager.domain.schedule.fields import product as product_code
from epimanager.domain.schedule.model import (
    DoseRule,
    Handover,
    HistoryProduct,
    Interval,
    Need,
    ProductRule,
    ScheduleDataError,
    ScheduleVersion,
    SeriesRule,
    Track,
)

#: Raw-format version understood by this compiler.
FORMAT = 1


def compile_versions(raw_versions: Iterable[Mapping[str, Any]], catalog: Catalog) -> list[ScheduleVersion]:
    """Validate, resolve ``extends`` and compile raw version objects.

    Returns the versions sorted by effective date.  Raises
    :class:`ScheduleDataError` on malformed data.
    """
    raws = {}
    for raw in raw_versions:
        vid = req(raw, "id", "版本")
        if vid in raws:
            raise ScheduleDataError(f"免疫程序版本重复：{vid}")
        if int(raw.get("format", FORMAT)) != FORMAT:
            raise ScheduleDataError(f"免疫程序 {vid} 的格式版本 {raw.get('format')} 不受支持")
        raws[vid] = raw
    if not raws:
        raise ScheduleDataError("没有免疫程序数据")
    resolved: dict[str, dict[str, Any]] = {}
    for vid in raws:
        _resolve(vid, raws, resolved, ())
    versions = [_compile_version(r, catalog) for r in resolved.values()]
    versions.sort(key=lambda v: v.effective_from)
    for a, b in itertools.pairwise(versions):
        if a.effective_from == b.effective_from:
            raise ScheduleDataError(f"两个免疫程序版本生效日期相同：{a.id}、{b.id}")
    return versions


def _resolve(
    vid: str,
    raws: Mapping[str, Mapping[str, Any]],
    out: dict[str, dict[str, Any]],
    chain: tuple[str, ...],
) -> dict[str, Any]:
    """Merge a version over its ``extends`` parent (settings by key, series by id)."""
    if vid in out:
        return out[vid]
    if vid in chain:
        raise ScheduleDataError(f"免疫程序继承出现循环：{' → '.join((*chain, vid))}")
    raw = raws.get(vid)
    if raw is None:
        raise ScheduleDataError(f"免疫程序 {chain[-1] if chain else ''} 继承的版本 {vid} 不存在")
    parent_id = raw.get("extends")
    merged: dict[str, Any] = {k: v for k, v in raw.items() if k not in ("series", "settings", "extends")}
    if parent_id:
        parent = _resolve(str(parent_id), raws, out, (*chain, vid))
        settings = dict(parent.get("settings", {}))
        settings.update(raw.get("settings", {}))
        series = list(parent.get("series", []))
        position = {s["id"]: i for i, s in enumerate(series)}
        for s in raw.get("series", []):
            if s["id"] in position:
                series[position[s["id"]]] = s
            else:
                series.append(s)
        removed = set(raw.get("remove_series", []))
        merged["settings"] = settings
        merged["series"] = [s for s in series if s["id"] not in removed]
    else:
        merged["settings"] = dict(raw.get("settings", {}))
        merged["series"] = list(raw.get("series", []))
    merged.pop("remove_series", None)
    out[vid] = merged
    return merged


def _compile_version(raw: Mapping[str, Any], catalog: Catalog) -> ScheduleVersion:
    vid = str(raw["id"])
    check_keys(raw, {"format", "id", "effective_from", "settings", "series"}, f"免疫程序 {vid} ")
    try:
        effective = parse_date(req(raw, "effective_from", f"免疫程序 {vid} "))
    except ValueError as e:
        raise ScheduleDataError(f"免疫程序 {vid}：{e}") from None
    settings = raw["settings"]
    where = f"免疫程序 {vid} settings"
    check_keys(
        settings,
        {"catch_up_max_age", "live_spacing_days", "live_spacing_exempt", "timely_within", "immunoglobulin_wait"},
        where,
    )
    catch_up = offset(settings.get("catch_up_max_age", "18y"), where)
    timely = offset(settings.get("timely_within", "1m"), where)
    exempt = frozenset(product_code(catalog, p, where) for p in settings.get("live_spacing_exempt", []))
    ig_wait = _ig_wait(settings.get("immunoglobulin_wait"), catalog, where)
    series: list[SeriesRule] = []
    for s in raw["series"]:
        series.append(_compile_series(s, vid, catalog, catch_up, timely))
    ids = [s.id for s in series]
    if len(set(ids)) != len(ids):
        raise ScheduleDataError(f"免疫程序 {vid} 的疫苗系列重复")
    by_id = {s.id: s for s in series}
    for s in series:
        if s.handover is not None and s.handover.from_series not in by_id:
            raise ScheduleDataError(f"免疫程序 {vid} 系列 {s.id} 交接的系列 {s.handover.from_series} 不存在")
        if s.handover is not None and ids.index(s.handover.from_series) > ids.index(s.id):
            raise ScheduleDataError(f"免疫程序 {vid} 系列 {s.id} 须排在 {s.handover.from_series} 之后")
    return ScheduleVersion(
        id=vid,
        name=str(raw.get("name", vid)),
        effective_from=effective,
        source=str(raw.get("source", "")),
        confidence=str(raw.get("confidence", "")),
        catch_up_max_age=catch_up,
        live_spacing_days=int(settings.get("live_spacing_days", 28)),
        live_spacing_exempt=exempt,
        timely_within=timely,
        series=tuple(series),
        by_id=by_id,
        ig_wait=ig_wait,
    )


def _ig_wait(raw: Any, catalog: Catalog, where: str) -> dict[str, Offset]:
    """``{"live_injectable": "3m", "products": {"1802": "1m"}}`` → product → wait."""
    if not raw:
        return {}
    check_keys(raw, {"live_injectable", "products"}, f"{where} immunoglobulin_wait")
    out: dict[str, Offset] = {}
    if raw.get("live_injectable"):
        live = offset(raw["live_injectable"], where)
        out.update({v.code: live for v in catalog.vaccines if v.live_injectable})
    for p, wait in raw.get("products", {}).items():
        code = product_code(catalog, p, where)
        off = offset(wait, where)
        if off == ZERO:
            out.pop(code, None)  # no wait (BCG)
        else:
            out[code] = off
    return out


def _compile_series(raw: Mapping[str, Any], vid: str, catalog: Catalog, catch_up: Offset, timely: Offset) -> SeriesRule:
    sid = req(raw, "id", f"免疫程序 {vid} 的系列")
    where = f"免疫程序 {vid} 系列 {sid}"
    check_keys(
        raw,
        {"id", "sex", "max_age", "tracks", "default_track", "handover", "track_when", "needs", "history_products"},
        where,
    )
    counting = {v.code for v in catalog.for_series(sid)}
    if not counting:
        raise ScheduleDataError(f"{where}：疫苗目录中没有计入该系列的疫苗（counts_for）")
    tracks_raw: Sequence[Mapping[str, Any]] = raw.get("tracks", [])
    if not tracks_raw:
        raise ScheduleDataError(f"{where}：至少需要一个 track")
    owners: dict[str, list[str]] = {}
    for t in tracks_raw:
        for p in t.get("products", []):
            owners.setdefault(product_code(catalog, p, where), []).append(str(t["id"]))
    product_track = {code: ts[0] for code, ts in owners.items() if len(ts) == 1}
    for code in product_track:
        if code not in counting:
            raise ScheduleDataError(f"{where}：疫苗 {code} 的 counts_for 不含 {sid}")
    shared = frozenset(counting - set(product_track))
    tracks = {}
    for t in tracks_raw:
        track = _compile_track(t, where, catalog, counting, shared, timely)
        tracks[track.id] = track
    default = str(raw.get("default_track", tracks_raw[0]["id"]))
    if default not in tracks:
        raise ScheduleDataError(f"{where}：默认 track {default} 不存在")
    sex = raw.get("sex")
    if sex is not None:
        sex = {"M": "1", "F": "2", "1": "1", "2": "2", "男": "1", "女": "2"}.get(str(sex).upper())
        if sex is None:
            raise ScheduleDataError(f"{where}：sex 应为 M 或 F")
    max_age = catch_up
    own_max = opt_offset(raw, "max_age", where)
    if own_max is not None and own_max < catch_up:
        max_age = own_max
    handover = None
    if raw.get("handover"):
        h = raw["handover"]
        check_keys(h, {"from", "min_interval", "if_none", "if_partial"}, f"{where} handover")
        none = h.get("if_none", {})
        check_keys(none, {"min_age", "complete_before"}, f"{where} handover.if_none")
        partial = h.get("if_partial", {})
        check_keys(partial, {"min_age", "complete_before", "min_interval"}, f"{where} handover.if_partial")
        handover = Handover(
            from_series=req(h, "from", f"{where} handover"),
            min_interval=offset(h.get("min_interval", "0d"), f"{where} handover"),
            if_none_min_age=opt_offset(none, "min_age", where),
            if_none_complete_before=opt_offset(none, "complete_before", where),
            if_partial_min_interval=opt_offset(partial, "min_interval", where),
            if_partial_min_age=opt_offset(partial, "min_age", where),
            if_partial_complete_before=opt_offset(partial, "complete_before", where),
        )
    track_when = []
    for tw in raw.get("track_when", []):
        check_keys(tw, {"when", "track"}, f"{where} track_when")
        if str(tw.get("track")) not in tracks:
            raise ScheduleDataError(f"{where}：track_when 的 track {tw.get('track')} 不存在")
        track_when.append((_condition(tw.get("when"), where), str(tw["track"])))
    return SeriesRule(
        id=sid,
        name=str(raw.get("name", sid)),
        sex=sex,
        max_age=max_age,
        tracks=tracks,
        default_track=default,
        product_track=product_track,
        handover=handover,
        track_when=tuple(track_when),
        needs=tuple(_need(n, where, catalog, counting, timely) for n in raw.get("needs", [])),
        history_products=tuple(_history_product(hp, where, catalog) for hp in raw.get("history_products", [])),
    )


def _history_product(raw: Mapping[str, Any], where: str, catalog: Catalog) -> HistoryProduct:
    hw = f"{where} history_products"
    check_keys(raw, {"any_of", "none_of", "product"}, hw)
    return HistoryProduct(
        frozenset(product_code(catalog, p, hw) for p in raw.get("any_of", [])),
        frozenset(product_code(catalog, p, hw) for p in raw.get("none_of", [])),
        product_code(catalog, req(raw, "product", hw), hw),
    )


def _condition(raw: Any, where: str) -> Condition:
    try:
        return compile_condition(raw, where)
    except ValueError as e:
        raise ScheduleDataError(str(e)) from None


def _need(raw: Mapping[str, Any], where: str, catalog: Catalog, counting: set[str], timely: Offset) -> Need:
    """A series-level ``needs`` entry, with the dose it adds past the end of the track."""
    nw = f"{where} needs"
    check_keys(raw, {"products", "count", "product", "min_age", "interval", "waived_by", "when", "early"}, nw)
    products = frozenset(product_code(catalog, p, nw) for p in raw.get("products", []))
    if not products or not products <= counting:
        raise ScheduleDataError(f"{nw}：products 应为计入该系列的疫苗")
    product = product_code(catalog, req(raw, "product", nw), nw)
    rule = DoseRule(
        index=-1,
        min_age=offset(raw.get("min_age", "0d"), nw),
        complete_before=None,
        effective_complete_before=None,
        intervals=(Interval(-1, offset(raw.get("interval", "0d"), nw), None),),
        product=product,
        product_rules=(),
        accepts=products,
        skip_if_previous_dose_at_age=None,
        timely_within=timely,
        product_min_age={},
    )
    return Need(
        products=products,
        count=int(raw.get("count", 1)),
        product=product,
        waived_by=frozenset(product_code(catalog, p, nw) for p in raw.get("waived_by", [])),
        when=_condition(raw["when"], nw) if raw.get("when") else None,
        rule=rule,
        early=bool(raw.get("early", False)),
    )


def _compile_track(
    raw: Mapping[str, Any],
    series_where: str,
    catalog: Catalog,
    counting: set[str],
    shared: frozenset[str],
    timely: Offset,
) -> Track:
    tid = req(raw, "id", f"{series_where} 的 track")
    where = f"{series_where} track {tid}"
    check_keys(raw, {"id", "products", "doses"}, where)
    products = tuple(product_code(catalog, p, where) for p in raw.get("products", []))
    if not products:
        raise ScheduleDataError(f"{where}：products 不能为空")
    default_accepts = frozenset(products) | shared
    doses_raw: Sequence[Mapping[str, Any]] = raw.get("doses", [])
    if not doses_raw:
        raise ScheduleDataError(f"{where}：doses 不能为空")
    own_cb = [opt_offset(d, "complete_before", f"{where} 第{i + 1}剂") for i, d in enumerate(doses_raw)]
    effective_cb: list[Offset | None] = [None] * len(doses_raw)
    nearest: Offset | None = None
    for i in range(len(doses_raw) - 1, -1, -1):
        if own_cb[i] is not None:
            nearest = own_cb[i] if nearest is None else min(own_cb[i], nearest)  # type: ignore[type-var]
        effective_cb[i] = nearest
    doses = []
    for i, d in enumerate(doses_raw):
        dw = f"{where} 第{i + 1}剂"
        check_keys(
            d,
            {
                "min_age",
                "complete_before",
                "intervals",
                "product",
                "product_rules",
                "accepts",
                "skip_if_previous_dose_at_age",
                "timely_within",
                "product_min_age",
                "early_course",
                "advice",
                "skip_if_dose_at_age",
            },
            dw,
        )
        intervals = []
        for iv in d.get("intervals", []):
            check_keys(iv, {"from", "min", "max", "from_age"}, f"{dw} interval")
            frm = iv.get("from", "previous")
            if frm == "previous":
                idx = -1
            else:
                idx = int(frm) - 1
                if not 0 <= idx < i:
                    raise ScheduleDataError(f"{dw}：interval.from 应为此前的剂次")
            intervals.append(
                Interval(
                    idx, offset(iv.get("min", "0d"), dw), opt_offset(iv, "max", dw), opt_offset(iv, "from_age", dw)
                )
            )
        if i > 0 and not intervals:
            intervals.append(Interval(-1, ZERO, None))
        rules = []
        for r in d.get("product_rules", []):
            check_keys(r, {"product", "born_before", "age_at_least"}, f"{dw} product_rules")
            born = r.get("born_before")
            try:
                born_ord = parse_date(str(born)).toordinal() if born else None
            except ValueError as e:
                raise ScheduleDataError(f"{dw}：{e}") from None
            rule = ProductRule(
                product_code(catalog, req(r, "product", dw), dw),
                born_ord,
                opt_offset(r, "age_at_least", dw),
            )
            if rule.born_before_ord is None and rule.age_at_least is None:
                raise ScheduleDataError(f"{dw}：product_rules 需要 born_before 或 age_at_least")
            rules.append(rule)
        accepts = frozenset(product_code(catalog, p, dw) for p in d["accepts"]) if "accepts" in d else default_accepts
        if not accepts <= counting:
            raise ScheduleDataError(f"{dw}：accepts 中有不计入该系列的疫苗")
        doses.append(
            DoseRule(
                index=i,
                min_age=offset(req(d, "min_age", dw), dw),
                complete_before=own_cb[i],
                effective_complete_before=effective_cb[i],
                intervals=tuple(intervals),
                product=product_code(catalog, d.get("product", products[0]), dw),
                product_rules=tuple(rules),
                accepts=accepts,
                skip_if_previous_dose_at_age=opt_offset(d, "skip_if_previous_dose_at_age", dw),
                timely_within=opt_offset(d, "timely_within", dw) or timely,
                product_min_age={
                    product_code(catalog, p, dw): offset(age, dw) for p, age in d.get("product_min_age", {}).items()
                },
                early_course=early_course(d.get("early_course"), catalog, dw),
                advice=tuple(advice(a, dw) for a in d.get("advice", [])),
                skip_if_dose_at_age=skip_dose(d.get("skip_if_dose_at_age"), i, dw),
            )
        )
    return Track(tid, str(raw.get("name", tid)), products, tuple(doses))
