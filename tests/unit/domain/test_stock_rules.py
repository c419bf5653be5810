"""Pure stock rules: multi-dose vials, taking stock out, months, prices."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from epimanager.domain import stock as rules
from epimanager.domain.stock import ShortStock, VialState

T0 = datetime(2026, 11, 26, 8, 0)


def test_a_dose_opens_a_vial_then_draws_from_it_until_it_is_empty() -> None:
    st = VialState(10)  # two closed 5-dose vials
    st, drawn = rules.draw_dose(st, 5, T0)
    assert (st, drawn) == (VialState(9, 4, T0), T0)
    for left in (3, 2, 1):
        st, drawn = rules.draw_dose(st, 5, datetime(2026, 11, 26, 8, 10))
        assert (st.open_remaining, drawn) == (left, T0)
    st, _ = rules.draw_dose(st, 5, T0)
    assert st == VialState(5, 0, None)  # vial used up, the second still closed


def test_single_dose_products_have_no_open_vial() -> None:
    assert rules.draw_dose(VialState(3), 1, T0) == (VialState(2), None)
    with pytest.raises(ShortStock) as exc:
        rules.draw_dose(VialState(0), 1, T0)
    assert exc.value.shortfall == 1


def test_returning_a_dose_goes_back_to_its_vial_and_a_full_vial_closes() -> None:
    st = VialState(9, 4, T0)
    assert rules.return_dose(st, 5, T0) == VialState(10, 0, None)
    # another vial is open now: the dose goes back to closed stock
    later = datetime(2026, 11, 26, 9, 0)
    assert rules.return_dose(VialState(8, 3, later), 5, T0) == VialState(9, 3, later)


def test_open_vial_expires_after_its_hours() -> None:
    st = VialState(9, 4, T0)
    assert not st.open_expired(0.5, datetime(2026, 11, 26, 8, 29))
    assert st.open_expired(0.5, datetime(2026, 11, 26, 8, 30))
    assert rules.default_open_vial_hours(live=True) == 0.5
    assert rules.default_open_vial_hours(live=False) == 1.0


def test_take_uses_closed_vials_first_and_returns_only_closed_ones() -> None:
    st = VialState(12, 2, T0)
    assert rules.take(st, 10) == VialState(2, 2, T0)
    assert rules.take(st, 11) == VialState(1, 1, T0)
    assert rules.take(st, 2, open_first=True) == VialState(10, 0, None)
    with pytest.raises(ShortStock) as exc:
        rules.take(st, 11, closed_only=True)
    assert (exc.value.available, exc.value.needed) == (10, 11)


def test_a_count_below_the_open_remainder_shrinks_it() -> None:
    assert rules.counted(VialState(12, 3, T0), 2) == VialState(2, 2, T0)
    assert rules.counted(VialState(12, 3, T0), 0) == VialState(0, 0, None)


def test_months_prices_subtypes() -> None:
    assert rules.parse_month("2026-02") == (2026, 2)
    assert rules.parse_month("202611") == (2026, 11)
    assert rules.month_bounds(2028, 2) == (date(2028, 2, 1), date(2028, 3, 1))
    assert rules.month_bounds(2026, 12) == (date(2026, 12, 1), date(2027, 1, 1))
    with pytest.raises(ValueError, match="YYYY-MM"):
        rules.parse_month("2026-13")
    assert rules.parse_price_fen("12.5") == 1250
    with pytest.raises(ValueError, match="价格"):
        rules.parse_price_fen("1.234")
    assert rules.parse_subtype("破损", rules.WASTE_SUBTYPES) == "broken"
    assert rules.parse_subtype("冷链", rules.WASTE_SUBTYPES) == "cold_chain"
    assert rules.parse_subtype("transfer", rules.ISSUE_SUBTYPES) == "transfer"
    with pytest.raises(ValueError, match="类型不正确"):
        rules.parse_subtype("丢了", rules.WASTE_SUBTYPES)
    assert rules.trace_product_id("81234560000000000001") == "8123456"
