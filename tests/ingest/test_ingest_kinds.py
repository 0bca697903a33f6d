"""Customers, order lines, subscriptions, survey answers, a whole simulated shop, --rejects."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
from ingest_helpers import count, import_, nothing_written, rows, run, summary_line, when, write

from holdfast.simulate import SimulationConfig, simulate, write_shop
from holdfast.store.migrate import head_revision


def test_customers_update_only_the_columns_a_file_has(tmp_path: Path, store_url: str) -> None:
    first = write(
        tmp_path / "c.csv",
        "CustomerID,Email,Name,Country,signup_date,dob\n"
        "c1,ann@example.com,Ann,us,2023-05-01 08:00,1990-02-28\n"
        "c2,bo@example.com,Bo,GB,2023-06-01,\n"
        "c2,bo@example.com,Bo,GB,2023-06-01,\n",
    )
    result = import_("customers", first, store_url)
    assert result.exit_code == 0, result.output
    assert "1 repeated rows were identical to an earlier row and were merged" in result.output
    assert "inserted 2" in summary_line(result)
    phones = write(tmp_path / "p.csv", "customer,phone\nc1,+1 555 0100\nc3,+44 20 7946 0000\n")
    assert "inserted 1, updated 1, unchanged 0" in summary_line(
        import_("customers", phones, store_url)
    )
    stored = rows(
        store_url,
        "SELECT external_id, email, name, phone, country, signed_up_at, birthday FROM customers "
        "ORDER BY external_id",
    )
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in stored] == [
        ("c1", "ann@example.com", "Ann", "+1 555 0100", "US"),
        ("c2", "bo@example.com", "Bo", None, "GB"),
        ("c3", None, None, "+44 20 7946 0000", None),
    ]
    assert when(stored[0][5]) == "2023-05-01 08:00:00"
    assert str(stored[0][6]) == "1990-02-28"
    bad = write(tmp_path / "b.csv", "customer_id,email,country\nc4,not-an-email,Germany\n")
    refused = import_("customers", bad, store_url)
    assert refused.exit_code == 3
    assert "column 'email': value 'not-an-email': not an e-mail address" in refused.output
    assert "column 'country': value 'Germany': not an ISO 3166 country code" in refused.output


def test_order_lines(tmp_path: Path, store_url: str) -> None:
    orders = write(
        tmp_path / "o.csv", "order_id,customer_id,ordered_at,amount\nA,c1,2024-01-01,12.50\n"
    )
    assert import_("orders", orders, store_url).exit_code == 0
    lines = write(
        tmp_path / "l.csv",
        "order_id,sku,description,qty,price\nA,P1,Mug,2,3.25\nA,P2,Tea,1,6.00\nB,P1,Mug,1,3.25\n",
    )
    refused = import_("order-lines", lines, store_url)
    assert refused.exit_code == 3
    assert f"{lines}, row 4, column 'order_id': value 'B': no order 'B' in the store" in (
        refused.output
    )
    assert count(store_url, "order_lines") == 0
    good = write(tmp_path / "g.csv", "\n".join(lines.read_text().splitlines()[:3]) + "\n")
    result = import_("order-lines", good, store_url)
    assert result.exit_code == 0, result.output
    assert "lines are numbered 1, 2, … within each order" in result.output
    assert rows(
        store_url,
        "SELECT o.external_id, l.line_no, l.product_id, l.product_name, l.quantity, "
        "l.unit_price_minor, l.amount_minor FROM order_lines l JOIN orders o ON o.id = l.order_id "
        "ORDER BY l.line_no",
    ) == [("A", 1, "P1", "Mug", 2, 325, 650), ("A", 2, "P2", "Tea", 1, 600, 600)]
    assert "unchanged 2" in summary_line(import_("order-lines", good, store_url))


def test_subscriptions_and_surveys(tmp_path: Path, store_url: str) -> None:
    subs = write(
        tmp_path / "s.csv",
        "subscription_id,customer_id,plan,started_at,ended_at,mrr\n"
        "s1,c1,basic,2024-01-01,,9.99\ns2,c2,pro,2024-01-15,2024-03-15,29\n",
    )
    result = import_("subscriptions", subs, store_url)
    assert result.exit_code == 0, result.output
    assert "2 new customers" in summary_line(result)
    stored = rows(
        store_url,
        "SELECT s.external_id, c.external_id, s.plan, s.ended_at, s.monthly_amount_minor "
        "FROM subscriptions s JOIN customers c ON c.id = s.customer_id ORDER BY 1",
    )
    assert [(r[0], r[1], r[2], r[4]) for r in stored] == [
        ("s1", "c1", "basic", 999),
        ("s2", "c2", "pro", 2900),
    ]
    assert stored[0][3] is None
    assert when(stored[1][3]) == "2024-03-15 00:00:00"
    answers = write(
        tmp_path / "r.csv",
        "customer_id,submitted_at,rating,feedback\nc1,2024-02-01 09:00,10,great\n"
        ",2024-02-01 09:00,3,\n,2024-02-01 09:00,3,\n",
    )
    result = import_("surveys", answers, store_url)
    assert result.exit_code == 0, result.output
    assert "no response id column" in result.output
    assert rows(
        store_url,
        "SELECT r.external_id, c.external_id, r.survey, r.score, r.comment FROM survey_responses r "
        "LEFT JOIN customers c ON c.id = r.customer_id ORDER BY r.external_id",
    ) == [
        ("@2024-02-01T09:00:00Z#1", None, "nps", 3, None),
        ("@2024-02-01T09:00:00Z#2", None, "nps", 3, None),
        ("c1@2024-02-01T09:00:00Z#1", "c1", "nps", 10, "great"),
    ]
    assert "unchanged 3" in summary_line(import_("surveys", answers, store_url))


def test_a_simulated_shop_round_trips(tmp_path: Path, store_url: str) -> None:
    shop = simulate(SimulationConfig(customers=300, seed=5))
    write_shop(shop, tmp_path / "shop", "parquet")
    write_shop(shop, tmp_path / "csv", "csv")
    for kind, name in [
        ("customers", "customers"),
        ("orders", "orders"),
        ("order-lines", "order_lines"),
        ("subscriptions", "subscriptions"),
        ("surveys", "survey_responses"),
    ]:
        path = tmp_path / "shop" / f"{name}.parquet"
        result = import_(kind, path, store_url)
        assert result.exit_code == 0, result.output
        n = shop.tables[name].num_rows
        assert f"inserted {n:,}, updated 0, unchanged 0, rejected 0" in summary_line(result)
        assert "new customer" not in summary_line(result)
        again = import_(kind, tmp_path / "csv" / f"{name}.csv", store_url)
        assert again.exit_code == 0, again.output
        assert f"inserted 0, updated 0, unchanged {n:,}" in summary_line(again)
    orders = shop.tables["orders"]
    cents = pc.sum(pc.cast(pc.multiply(orders["amount"], 100), "int64")).as_py()
    refunded = pc.sum(pc.cast(pc.multiply(orders["refunded"], 100), "int64")).as_py()
    assert rows(store_url, "SELECT sum(amount_minor), sum(refunded_minor) FROM orders") == [
        (cents, refunded)
    ]
    by_status = dict(rows(store_url, "SELECT status, count(*) FROM orders GROUP BY status"))
    assert by_status == {
        d["values"]: d["counts"] for d in pc.value_counts(orders["status"]).to_pylist()
    }
    assert pq.read_table(tmp_path / "shop" / "orders.parquet").num_rows == count(
        store_url, "orders"
    )


def test_rejects_file_loads_the_good_rows(tmp_path: Path, store_url: str) -> None:
    path = write(
        tmp_path / "o.csv",
        "order_id,customer_id,ordered_at,amount,channel\n"
        "o1,c1,2024-01-05,10.00,web\n"
        "o2,c2,2024-13-05,10.00,web\n"
        "o3,c3,2024-01-07,ten,shop\n"
        "o4,c4,2024-01-08,4\n"
        "o5,c5,2024-01-09,-5,web\n"
        "o6,c6,2024-01-10,6.00,web\n",
    )
    rejects = tmp_path / "out" / "rejects.csv"
    result = import_("orders", path, store_url, "--rejects", rejects)
    assert result.exit_code == 0, result.output
    assert "read 6 rows; inserted 2, updated 0, unchanged 0, rejected 4" in summary_line(result)
    assert f"4 rejected rows written to {rejects}" in result.output
    assert rows(store_url, "SELECT external_id FROM orders ORDER BY 1") == [("o1",), ("o6",)]
    assert rows(store_url, "SELECT rejected FROM import_runs") == [(4,)]
    with rejects.open(newline="") as f:
        got = list(csv.DictReader(f))
    assert [r["row"] for r in got] == ["3", "4", "5", "6"]
    assert got[0]["order_id"] == "o2"
    assert got[0]["ordered_at"] == "2024-13-05"
    assert "ordered_at: not a date/time" in got[0]["reason"]
    assert got[1]["reason"] == "amount: not a number ('ten')"
    assert got[1]["channel"] == "shop"
    assert got[2]["reason"] == "expected 5 columns, found 4: 'o4,c4,2024-01-08,4'"
    assert "a negative amount refunds order 'o5'" in got[3]["reason"]
    fixed = write(
        tmp_path / "fixed.csv", "order_id,customer_id,ordered_at,amount\no3,c3,2024-01-07,3\n"
    )
    assert "inserted 1" in summary_line(import_("orders", fixed, store_url))


def test_db_upgrade_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = run("db", "upgrade", "--db", url)
    assert result.exit_code == 0, result.output
    assert f"Store {url} is at schema revision {head_revision()}" in result.output
    assert nothing_written(url)
    assert run("db", "upgrade", "--db", url).exit_code == 0
    down = run("db", "upgrade", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert down.exit_code == 6
    assert "cannot open the store postgresql+psycopg://nobody@127.0.0.1:1/none" in down.output
