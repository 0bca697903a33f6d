"""Program files: the example is complete and valid; bad files list every problem at once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from holdfast.domain.loyalty_config import parse_program
from holdfast.errors import InputError


def test_the_example_program_is_complete(example_program: Path) -> None:
    program = parse_program(example_program.read_text(), "loyalty.toml")
    assert program.name == "Bean Club"
    assert program.currency == "EUR"
    assert program.earn.points_per_unit == Decimal(1)
    assert program.earn.per_order == 10
    assert program.earn.min_order_minor == 500
    assert program.earn.categories == {"beans": Decimal(2), "gift-cards": Decimal(0)}
    assert program.earn.events["newsletter_signup"] == 25
    assert (program.expiry.after_months, program.expiry.round_to) == (12, "month_end")
    assert program.tiers is not None
    assert [t.name for t in program.tiers.levels] == ["Bean", "Silver", "Gold", "Platinum"]
    assert [t.threshold for t in program.tiers.levels] == [0, 20000, 50000, 100000]
    assert program.tiers.levels[2].free_shipping
    assert program.rewards["espresso"].points == 350
    assert program.rewards["espresso"].coupon.terms.amount_minor == 350
    assert program.rewards["ten-percent"].coupon.terms.percent == Decimal(10)
    assert program.referral is not None and program.referral.friend_coupon == "welcome"
    assert program.coupons["gold_gift"].terms.min_tier == "Gold"


def test_an_empty_file_is_a_program_that_never_expires() -> None:
    program = parse_program("")
    assert program.currency == "USD"
    assert program.expiry.after_months is None
    assert program.tiers is None


BAD = """
[program]
currency = "EURO"
[earn]
points_per_unit = -1
per_ordr = 5
[expiry]
after_months = 0
[tiers]
basis = "visits"
[[tiers.levels]]
name = "Silver"
threshold = "100"
[[tiers.levels]]
name = "Gold"
threshold = "50"
[[rewards]]
id = "r"
points = 0
percent = "150"
[referral]
friend_coupon = "nope"
"""


def test_every_problem_is_reported_with_its_key_and_value() -> None:
    with pytest.raises(InputError) as caught:
        parse_program(BAD, "shop.toml")
    error = caught.value
    where = {p.column: (p.value, p.reason) for p in error.problems}
    assert "program.currency" in where
    assert where["earn.points_per_unit"][1] == "must not be negative"
    assert "did you mean 'per_order'?" in where["earn.per_ordr"][1]
    assert "0 months" in where["expiry.after_months"][1]
    assert "must be one of spend, points" in where["tiers.basis"][1]
    assert where["tiers.levels[0].threshold"][1] == "the first level is 0"
    assert where["rewards[0].points"][0] == 0
    assert "percentage" in where["rewards[0].percent"][1]
    assert "names no [coupons.NAME] template" in where["referral.friend_coupon"][1]
    assert all(p.file == "shop.toml" for p in error.problems)
    assert str(error).startswith("shop.toml: ")


def test_money_must_fit_the_currency_and_toml_must_parse() -> None:
    with pytest.raises(InputError) as caught:
        parse_program('[program]\ncurrency = "JPY"\n[earn]\nmin_order = "5.5"\n')
    assert "decimal places" in caught.value.problems[0].reason
    with pytest.raises(InputError, match="not valid TOML"):
        parse_program("[earn\n")


def test_coupons_need_exactly_one_discount() -> None:
    with pytest.raises(InputError) as caught:
        parse_program('[coupons.x]\npercent = "10"\namount = "5"\n[coupons.y]\nvalid_days = 3\n')
    columns = sorted(p.column for p in caught.value.problems)
    assert columns == ["coupons.x", "coupons.y"]


def test_the_docs_show_the_example_program_as_it_is(example_program: Path) -> None:
    docs = (example_program.parents[1] / "docs" / "loyalty.md").read_text(encoding="utf-8")
    block = docs.split("```toml\n", 1)[1].split("```", 1)[0]
    assert block == example_program.read_text(encoding="utf-8")
