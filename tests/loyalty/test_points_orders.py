"""Points for imported orders: each completed order earns once; refunds and cancellations take
back their share; reruns change nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from loyalty_helpers import (
    add_customers,
    add_order,
    ledger_problems,
    rows,
    update_order,
    use_program,
)

from holdfast.errors import UserError
from holdfast.services import loyalty

PROGRAM = """
[program]
currency = "USD"
starts = 2026-01-01
[earn]
points_per_unit = "1"
per_order = 10
min_order = "5.00"
[earn.categories]
beans = "2"
[expiry]
after_months = 12
"""


@pytest.fixture
def shop(store_url: str, tmp_path: Path) -> str:
    use_program(store_url, PROGRAM, tmp_path)
    add_customers(store_url, ["ann", "bob"])
    return store_url


def _earned(url: str) -> list[tuple]:
    return rows(
        url,
        "SELECT o.external_id, e.kind, e.points FROM loyalty_entries e "
        "JOIN orders o ON o.id = e.order_id ORDER BY e.id",
    )


def test_completed_orders_earn_once(shop: str) -> None:
    add_order(shop, "o1", "ann", 4999, datetime(2026, 2, 1))  # 49 + 10
    add_order(shop, "o2", "ann", 1000, datetime(2026, 2, 2), lines=[("beans", 600), ("mugs", 400)])
    add_order(shop, "o3", "bob", 400, datetime(2026, 2, 3))  # below the minimum
    add_order(shop, "o4", "bob", 9000, datetime(2025, 12, 31))  # before the program
    add_order(shop, "o5", "bob", 9000, datetime(2026, 2, 4), status="cancelled")
    summary = loyalty.earn_for_orders(shop, now=datetime(2026, 2, 5))
    assert (summary.credited, summary.points, summary.skipped) == (2, 59 + 26, 1)
    # o2: 10.00 × (6×2 + 4×1)/10 = 16, plus 10 per order
    assert _earned(shop) == [("o1", "earn", 59), ("o2", "earn", 26)]
    assert loyalty.balance(shop, "ann", now=datetime(2026, 2, 5)).points == 85
    again = loyalty.earn_for_orders(shop)
    assert (again.credited, again.points, again.reversed) == (0, 0, 0)
    lot = rows(shop, "SELECT earned_at, expires_at FROM loyalty_lots ORDER BY entry_id")[0]
    assert str(lot[0]).startswith("2026-02-01") and str(lot[1]).startswith("2027-02-01")
    assert ledger_problems(shop) == []


def test_refunds_take_back_their_share_and_cancellations_all(shop: str) -> None:
    add_order(shop, "o1", "ann", 10000, datetime(2026, 3, 1))  # 100 + 10 = 110
    add_order(shop, "o2", "bob", 5000, datetime(2026, 3, 1))  # 50 + 10 = 60
    loyalty.earn_for_orders(shop)
    update_order(shop, "o1", refunded_minor=2500)  # a quarter: 27 of 110
    update_order(shop, "o2", status="cancelled")
    summary = loyalty.earn_for_orders(shop, now=datetime(2026, 3, 10))
    assert (summary.reversed, summary.points_reversed) == (2, 27 + 60)
    assert loyalty.earn_for_orders(shop).reversed == 0  # a rerun takes nothing twice
    update_order(shop, "o1", refunded_minor=10000, status="refunded")
    assert loyalty.earn_for_orders(shop).points_reversed == 110 - 27
    backs = rows(
        shop,
        "SELECT reference, points FROM loyalty_entries WHERE kind = 'reverse' ORDER BY id",
    )
    assert backs == [("order:o1", -27), ("order:o2", -60), ("order:o1", -83)]
    assert loyalty.balance(shop, "ann").points == 0
    assert ledger_problems(shop) == []


def test_points_already_spent_are_not_taken_below_zero(shop: str) -> None:
    add_order(shop, "o1", "ann", 10000, datetime(2026, 3, 1))  # 110 points
    loyalty.earn_for_orders(shop)
    loyalty.redeem(shop, "ann", 100, "r1", now=datetime(2026, 3, 2))
    update_order(shop, "o1", status="cancelled")
    summary = loyalty.earn_for_orders(shop, now=datetime(2026, 3, 3))
    assert summary.points_reversed == 10
    assert loyalty.balance(shop, "ann").points == 0
    assert loyalty.earn_for_orders(shop).points_reversed == 0
    assert ledger_problems(shop) == []


def test_orders_need_a_program(store_url: str) -> None:
    with pytest.raises(UserError, match="no loyalty program"):
        loyalty.earn_for_orders(store_url)


def test_importing_orders_earns_their_points_and_a_refund_takes_them_back(
    shop: str, tmp_path: Path
) -> None:
    from holdfast.services.ingest import ImportRequest, import_file

    export = tmp_path / "orders.csv"
    export.write_text(
        "order_id,customer_id,ordered_at,amount,refunded,status\n"
        "i1,ann,2026-03-01 10:00,49.99,0,completed\n"
        "i2,bob,2026-03-02 11:00,20.00,0,completed\n"
    )
    first = import_file(ImportRequest("orders", export), shop)
    assert first.points is not None
    assert (first.points.credited, first.points.points) == (2, 59 + 30)
    again = import_file(ImportRequest("orders", export), shop)
    assert again.points is not None and again.points.credited == 0
    export.write_text(
        "order_id,customer_id,ordered_at,amount,refunded,status\n"
        "i1,ann,2026-03-01 10:00,49.99,0,completed\n"
        "i2,bob,2026-03-02 11:00,20.00,10.00,completed\n"
    )
    refund = import_file(ImportRequest("orders", export), shop)
    assert refund.points is not None and refund.points.reversed == 1
    assert ledger_problems(shop) == []
    balances = dict(
        rows(
            shop,
            "SELECT c.external_id, SUM(e.points) FROM loyalty_entries e "
            "JOIN customers c ON c.id = e.customer_id GROUP BY c.external_id",
        )
    )
    assert balances["ann"] == 59
    assert 0 < balances["bob"] < 30  # half refunded: part of the 30 points taken back


def test_importing_orders_without_a_program_earns_nothing(store_url: str, tmp_path: Path) -> None:
    from holdfast.services.ingest import ImportRequest, import_file

    export = tmp_path / "orders.csv"
    export.write_text("order_id,customer_id,ordered_at,amount\nj1,cy,2026-03-01,12.00\n")
    summary = import_file(ImportRequest("orders", export), store_url)
    assert summary.inserted == 1 and summary.points is None


def test_a_program_creates_a_new_store_in_its_currency(tmp_path: Path) -> None:
    from holdfast.errors import InputError
    from holdfast.services.ingest import ImportRequest, import_file

    url = f"sqlite:///{tmp_path / 'new.db'}"
    use_program(url, PROGRAM.replace('currency = "USD"', 'currency = "EUR"'), tmp_path)
    assert rows(url, "SELECT value FROM store_settings WHERE key = 'currency'") == [("EUR",)]
    export = tmp_path / "orders.csv"
    export.write_text("order_id,customer_id,ordered_at,amount,currency\nk1,di,2026-03-01,9,USD\n")
    with pytest.raises(InputError, match="the amount is in USD, the store keeps EUR"):
        import_file(ImportRequest("orders", export), url)
