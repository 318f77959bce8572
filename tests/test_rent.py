"""Rent or buy: the faster path is bought once what it would have saved reaches its price."""

from __future__ import annotations

from recolor.core.choice import RentOrBuy

NEVER_IMPORTED = "recolor_tests_a_module_that_does_not_exist"


def test_buys_on_the_first_call_after_the_savings_reach_the_price() -> None:
    rule = RentOrBuy(NEVER_IMPORTED, 1.0, saved_seconds_per_pixel=0.01, saved_seconds_per_call=0.05)
    answers = [rule.worth_buying(10) for _ in range(8)]  # each call would have saved 0.15 s
    # 7 calls make 1.05 s >= 1.0: the eighth buys, and the rented path cost at most twice.
    assert answers == [False] * 7 + [True]
    assert rule.worth_buying(10)


def test_a_module_someone_else_imported_is_used_at_once() -> None:
    rule = RentOrBuy("sys", 1e9, saved_seconds_per_pixel=0.0)
    assert rule.worth_buying(1)


def test_asking_without_counting_adds_nothing() -> None:
    rule = RentOrBuy(NEVER_IMPORTED, 1.0, saved_seconds_per_pixel=1.0)
    assert not rule.worth_buying(1, count=False)
    assert rule.unpaid_seconds == 0.0
    assert not rule.worth_buying(1)
    assert rule.worth_buying(1)
