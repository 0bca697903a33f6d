"""The simulated shop: determinism, canonical schema, referential integrity, files, edge sizes."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from simulate_helpers import cents, micros

from holdfast.errors import UserError
from holdfast.simulate import (
    BGNBD,
    Shop,
    SimulationConfig,
    simulate,
    simulate_to,
    write_shop,
)

DATA_MODEL = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"
TABLES = ("customers", "orders", "order_lines", "subscriptions", "survey_responses")
DOC_TYPES = {
    "text": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "decimal": pa.decimal128(18, 2),
    "integer": pa.int32(),
    "date": pa.date32(),
}


def _documented_columns() -> dict[str, list[tuple[str, str]]]:
    """(column, type) per table as docs/data-model.md lists them."""
    tables: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in DATA_MODEL.read_text().splitlines():
        if line.startswith("### "):
            current = line[4:].strip()
            tables[current] = []
        row = re.match(r"\| `(\w+)` \| (\w+) \|", line)
        if current and row:
            tables[current].append((row.group(1), row.group(2)))
    return tables


def _read_dir(folder: Path, fmt: str = "parquet") -> dict[str, pa.Table]:
    if fmt == "parquet":
        return {name: pq.read_table(folder / f"{name}.parquet") for name in TABLES}
    return {name: pacsv.read_csv(folder / f"{name}.csv") for name in TABLES}


def _same(a: dict[str, pa.Table], b: dict[str, pa.Table]) -> bool:
    return all(a[name].equals(b[name]) for name in TABLES)


# --- determinism -------------------------------------------------------------------------


def test_same_seed_same_shop_and_different_seed_different_shop() -> None:
    config = SimulationConfig(customers=500, seed=3)
    first, second = simulate(config), simulate(config)
    assert _same(first.tables, second.tables)
    assert first.truth_customers.equals(second.truth_customers)
    assert first.truth == second.truth
    other = simulate(SimulationConfig(customers=500, seed=4))
    assert not other.tables["orders"].equals(first.tables["orders"])
    assert not other.truth_customers["lambda"].equals(first.truth_customers["lambda"])


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    config = SimulationConfig(customers=800, seed=5)
    simulate_to(config, tmp_path / "a", progress=False)
    simulate_to(config, tmp_path / "b", progress=False)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert len(names) == 7
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_streamed_files_equal_the_in_memory_shop_whatever_the_chunk_size(tmp_path: Path) -> None:
    # 25,000 customers span three fixed blocks of 10,000
    config = SimulationConfig(customers=25_000, seed=9, start=date(2024, 1, 1))
    shop = simulate(config)
    seen: list[tuple[int, int]] = []
    simulate_to(config, tmp_path / "one", progress=lambda d, t: seen.append((d, t)))
    simulate_to(config, tmp_path / "many", progress=False, chunk_customers=7_000)
    write_shop(shop, tmp_path / "memory")
    memory = _read_dir(tmp_path / "memory")
    assert _same(memory, _read_dir(tmp_path / "one"))
    assert _same(memory, _read_dir(tmp_path / "many"))
    assert pq.read_table(tmp_path / "many" / "truth_customers.parquet").equals(
        shop.truth_customers.combine_chunks()
    )
    assert json.loads((tmp_path / "many" / "truth.json").read_text()) == shop.truth
    assert pq.ParquetFile(tmp_path / "many" / "orders.parquet").num_row_groups == 3
    assert seen[-1] == (25_000, 25_000)


def test_changing_the_survey_rate_leaves_the_orders_alone() -> None:
    base = simulate(SimulationConfig(customers=400, seed=2))
    more = simulate(SimulationConfig(customers=400, seed=2, survey_rate=0.5))
    assert base.tables["orders"].equals(more.tables["orders"])
    assert more.tables["survey_responses"].num_rows > base.tables["survey_responses"].num_rows


# --- schema ------------------------------------------------------------------------------


def test_tables_have_exactly_the_documented_canonical_columns(shop: Shop) -> None:
    documented = _documented_columns()
    assert set(TABLES) <= set(documented)
    for name in TABLES:
        schema = shop.tables[name].schema
        assert [(f.name) for f in schema] == [c for c, _ in documented[name]], name
        for column, kind in documented[name]:
            assert schema.field(column).type == DOC_TYPES[kind], (name, column)


def test_ids_are_unique_fixed_width_strings(shop: Shop) -> None:
    for table, column, pattern in [
        ("customers", "customer_id", r"C\d{9}"),
        ("orders", "order_id", r"O\d{10}"),
        ("subscriptions", "subscription_id", r"S\d{9}"),
        ("survey_responses", "response_id", r"R\d{10}"),
    ]:
        values = shop.tables[table][column]
        assert pc.all(pc.match_substring_regex(values, f"^{pattern}$")).as_py(), column
        assert pc.count_distinct(values).as_py() == len(values), column


# --- referential integrity and business rules --------------------------------------------


def test_every_reference_points_at_an_existing_row(shop: Shop) -> None:
    t = shop.tables
    customers = t["customers"]["customer_id"]
    assert pc.all(pc.is_in(t["orders"]["customer_id"], customers)).as_py()
    assert pc.all(pc.is_in(t["subscriptions"]["customer_id"], customers)).as_py()
    answered = t["survey_responses"]["customer_id"].drop_null()
    assert pc.all(pc.is_in(answered, customers)).as_py()
    assert t["survey_responses"]["customer_id"].null_count > 0  # some answers are anonymous
    assert pc.all(pc.is_in(t["order_lines"]["order_id"], t["orders"]["order_id"])).as_py()
    assert pc.all(pc.is_in(t["orders"]["order_id"], t["order_lines"]["order_id"])).as_py()


def test_order_amounts_refunds_and_statuses(shop: Shop) -> None:
    orders = shop.tables["orders"]
    amount, refunded = cents(orders["amount"]), cents(orders["refunded"])
    status = orders["status"].to_numpy(zero_copy_only=False)
    assert set(status) == {"completed", "cancelled", "refunded"}
    assert (amount > 0).all()
    assert ((refunded >= 0) & (refunded <= amount)).all()
    assert (refunded[status == "refunded"] == amount[status == "refunded"]).all()
    assert (refunded[status == "cancelled"] == 0).all()
    completed = status == "completed"
    assert (amount[completed] - refunded[completed] > 0).all()
    partly = completed & (refunded > 0)
    assert 0.01 < partly.mean() < 0.06
    assert 0.005 < (status == "cancelled").mean() < 0.04
    assert set(orders["currency"].to_pylist()) == {"USD"}


def test_order_lines_add_up_to_the_order_amount(shop: Shop) -> None:
    lines, orders = shop.tables["order_lines"], shop.tables["orders"]
    index = {oid: i for i, oid in enumerate(orders["order_id"].to_pylist())}
    position = np.array([index[o] for o in lines["order_id"].to_pylist()])
    line_amount = cents(lines["amount"])
    total = np.bincount(position, weights=line_amount, minlength=orders.num_rows)
    assert (total.astype(np.int64) == cents(orders["amount"])).all()
    quantity = lines["quantity"].to_numpy()
    unit = cents(lines["unit_price"])
    assert (quantity > 0).all() and (unit >= 0).all()
    discount = quantity * unit - line_amount
    assert ((discount >= 0) & (discount < quantity)).all()
    # line numbers run 1 … n within each order
    line_no = lines["line_no"].to_numpy()
    first_of_order = np.r_[True, position[1:] != position[:-1]]
    assert (line_no[first_of_order] == 1).all()
    assert (line_no[~first_of_order] == line_no[np.flatnonzero(~first_of_order) - 1] + 1).all()
    pairs = pc.binary_join_element_wise(lines["order_id"], lines["product_id"], "|")
    assert pc.count_distinct(pairs).as_py() == lines.num_rows  # no product twice in an order


def test_times_lie_in_the_period_and_signups_precede_orders(shop: Shop) -> None:
    start = micros(pa.array([shop.truth["period"]["start"]]).cast(pa.timestamp("us", "UTC")))
    end = micros(pa.array([shop.truth["period"]["end"]]).cast(pa.timestamp("us", "UTC")))
    t = shop.tables
    for table, column in [
        ("orders", "ordered_at"),
        ("subscriptions", "started_at"),
        ("survey_responses", "responded_at"),
    ]:
        us = micros(t[table][column])
        assert ((us >= start[0]) & (us < end[0])).all(), column
    first_order = t["orders"].group_by("customer_id").aggregate([("ordered_at", "min")])
    first_order = first_order.sort_by("customer_id")
    signup = t["customers"].filter(pc.is_in(t["customers"]["customer_id"], first_order[0]))
    signup = signup.sort_by("customer_id")
    assert (micros(signup["signed_up_at"]) <= micros(first_order["ordered_at_min"])).all()
    subs = t["subscriptions"]
    ended = subs.filter(pc.is_valid(subs["ended_at"]))
    assert (micros(ended["ended_at"]) > micros(ended["started_at"])).all()
    assert (micros(ended["ended_at"]) < end[0]).all()
    scores = t["survey_responses"]["score"].to_numpy()
    assert scores.min() >= 0 and scores.max() <= 10


def test_customer_details_look_plausible(shop: Shop) -> None:
    customers = shop.tables["customers"]
    emails = customers["email"]
    email_pattern = r"^[a-z]+\.[a-z]+\d+@example\.(com|net|org)$"
    assert pc.all(pc.match_substring_regex(emails, email_pattern)).as_py()
    assert pc.count_distinct(emails).as_py() == customers.num_rows
    assert pc.all(pc.match_substring_regex(customers["name"], r"^[A-Z][a-z]+ [A-Z]")).as_py()
    countries = set(customers["country"].to_pylist())
    assert {"US", "GB", "DE"} <= countries and all(len(c) == 2 for c in countries)
    phones = customers["phone"].drop_null()
    phone_pattern = r"^\+(1 555-01\d\d|44 7700 900\d{3})$"
    assert pc.all(pc.match_substring_regex(phones, phone_pattern)).as_py()
    birthdays = customers["birthday"].drop_null().cast(pa.int32()).to_numpy()
    ages = (np.datetime64("2023-01-01").astype(int) - birthdays) / 365.25
    assert ages.min() >= 18 and ages.max() <= 86


def test_truth_agrees_with_the_tables(shop: Shop) -> None:
    t, truth, per_customer = shop.tables, shop.truth, shop.truth_customers
    counts = truth["counts"]
    assert counts["customers"] == t["customers"].num_rows == per_customer.num_rows
    assert counts["orders"] == t["orders"].num_rows
    assert counts["order_lines"] == t["order_lines"].num_rows
    assert counts["subscriptions"] == t["subscriptions"].num_rows
    assert counts["survey_responses"] == t["survey_responses"].num_rows
    orders = t["orders"]
    done = orders.filter(pc.equal(orders["status"], "completed"))
    net = cents(done["amount"]).sum() - cents(done["refunded"]).sum()
    assert counts["net_revenue"] == f"{net / 100:.2f}"
    # every buyer made 1 + repeat_purchases purchases; non-buyers none
    per = done.group_by("customer_id").aggregate([("ordered_at", "count"), ("ordered_at", "max")])
    truth_rows = per_customer.join(per, "customer_id", join_type="left outer").sort_by(
        "customer_id"
    )
    buyer = truth_rows["buyer"].to_numpy(zero_copy_only=False)
    made = pc.fill_null(truth_rows["ordered_at_count"], 0).to_numpy()
    assert (made[buyer] == truth_rows["repeat_purchases"].to_numpy()[buyer] + 1).all()
    assert (made[~buyer] == 0).all()
    dropped = truth_rows["dropped_out"].to_numpy(zero_copy_only=False)
    last = micros(truth_rows["ordered_at_max"])
    assert (micros(truth_rows["dropout_at"])[dropped] == last[dropped]).all()
    alive = truth_rows["alive_at_end"].to_numpy(zero_copy_only=False)
    assert (alive == (buyer & ~dropped)).all()
    subscribers = per_customer.filter(per_customer["subscriber"])
    assert set(subscribers["customer_id"].to_pylist()) == set(
        t["subscriptions"]["customer_id"].to_pylist()
    )
    assert subscribers["theta"].null_count == 0
    products = {p["product_id"]: p for p in truth["catalogue"]}
    assert len(products) == 200
    assert set(t["order_lines"]["product_id"].to_pylist()) <= set(products)


# --- sizes and edges ---------------------------------------------------------------------


def test_target_order_count_picks_the_customer_count() -> None:
    shop = simulate(SimulationConfig(orders=20_000, seed=1))
    assert abs(shop.tables["orders"].num_rows - 20_000) < 1_000
    assert shop.truth["size"]["requested_orders"] == 20_000


def test_one_customer_and_no_customers(tmp_path: Path) -> None:
    one = simulate(SimulationConfig(customers=1, seed=1, non_buyer_share=0.0))
    assert one.tables["customers"].num_rows == 1
    assert one.tables["orders"].num_rows >= 1
    for config in (SimulationConfig(customers=0), SimulationConfig(orders=0)):
        empty = simulate(config)
        assert all(empty.tables[name].num_rows == 0 for name in TABLES)
        assert empty.truth["counts"]["orders"] == 0
    written = simulate_to(SimulationConfig(orders=0), tmp_path / "empty", progress=False)
    assert len(written.files) == 7
    assert pq.read_table(tmp_path / "empty" / "orders.parquet").num_rows == 0


def test_a_one_day_period_works() -> None:
    day = date(2024, 2, 29)
    shop = simulate(SimulationConfig(customers=200, start=day, end=day, seed=1))
    assert shop.truth["period"]["days"] == 1
    dates = set(pc.cast(shop.tables["orders"]["ordered_at"], pa.date32()).to_pylist())
    assert dates == {day}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"customers": -1}, "customers must be 0 or more"),
        ({"orders": -5}, "orders must be 0 or more"),
        ({"customers": 10, "orders": 10}, "not both"),
        ({"start": date(2024, 1, 2), "end": date(2024, 1, 1)}, "is before start"),
        ({"seed": -1}, "seed"),
        ({"bgnbd": BGNBD(r=0.0)}, "bgnbd.r must be a positive number"),
        ({"cancel_rate": 1.5}, "cancel_rate must be a share"),
        ({"products": 3}, "products"),
        ({"currency": "dollars"}, "currency"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(kwargs: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        SimulationConfig(**kwargs)


def test_a_folder_that_is_not_empty_is_refused_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    config = SimulationConfig(customers=50)
    with pytest.raises(UserError, match="not empty"):
        simulate_to(config, tmp_path, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    simulate_to(config, tmp_path, progress=False, force=True)
    simulate_to(config, tmp_path, fmt="csv", progress=False, force=True)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "notes.txt" in names and "orders.csv" in names
    assert "orders.parquet" not in names  # the other format's files are replaced, not mixed
    with pytest.raises(UserError, match="unknown format"):
        simulate_to(config, tmp_path / "x", fmt="xlsx", progress=False)


def test_csv_files_hold_the_same_values_as_parquet(tmp_path: Path) -> None:
    config = SimulationConfig(customers=300, seed=8)
    simulate_to(config, tmp_path / "p", progress=False)
    simulate_to(config, tmp_path / "c", fmt="csv", progress=False)
    parquet, csv = _read_dir(tmp_path / "p"), _read_dir(tmp_path / "c", "csv")
    for name in TABLES:
        assert csv[name].column_names == parquet[name].column_names
    text = (tmp_path / "c" / "orders.csv").read_text().splitlines()
    header = '"order_id","customer_id","ordered_at","amount","refunded","status","currency"'
    assert text[0] == header
    assert re.match(r'^"O\d{10}","C\d{9}",\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ,\d+\.\d\d,', text[1])
    assert (
        cents(csv["orders"]["amount"].cast(pa.decimal128(18, 2)))
        == cents(parquet["orders"]["amount"])
    ).all()
    assert (
        micros(csv["orders"]["ordered_at"].cast(pa.timestamp("us", "UTC")))
        == micros(parquet["orders"]["ordered_at"])
    ).all()
