"""Orders: CDNOW, re-imports, changed rows, refunds and cancellation invoices (both stores)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from unittest.mock import ANY

from ingest_helpers import count, import_, rows, summary_line, when, write

HEADER = "order_id,customer_id,ordered_at,amount\n"


def _cdnow_totals(path: Path, header: bool, customer_col: int, amount_col: int) -> dict:
    """Per-customer dollar totals straight from the text, as the oracle."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    lines = path.read_text().splitlines()[1 if header else 0 :]
    for line in lines:
        fields = line.split()
        totals[fields[customer_col]] += Decimal(fields[amount_col])
    return totals


def test_cdnow_master_one_liner(shared_data: Path, store_url: str) -> None:
    master = shared_data / "cdnow" / "CDNOW_master.txt"
    result = import_("orders", master, store_url)
    assert result.exit_code == 0, result.output
    assert "whitespace separated, with a header line" in result.output
    assert "date → ordered_at, dollar_value → amount; not imported: number_of_cds" in result.output
    assert "read as %Y%m%d" in result.output
    assert summary_line(result).startswith(
        "orders: read 69,659 rows; inserted 69,659, updated 0, unchanged 0, rejected 0; "
        "23,570 new customers"
    )
    assert count(store_url, "orders") == 69_659
    assert count(store_url, "customers") == 23_570
    totals = _cdnow_totals(master, header=True, customer_col=0, amount_col=3)
    stored = dict(
        rows(
            store_url,
            "SELECT c.external_id, sum(o.amount_minor) FROM orders o "
            "JOIN customers c ON c.id = o.customer_id GROUP BY c.external_id",
        )
    )
    biggest = max(totals, key=lambda c: totals[c])
    for customer in ("00001", "00002", biggest):
        assert stored[customer] == int(totals[customer] * 100)
    assert sum(stored.values()) == int(sum(totals.values()) * 100)
    # customer 00002 bought twice on 1997-01-12: two orders, numbered in file order
    assert rows(
        store_url,
        "SELECT o.external_id, o.ordered_at, o.amount_minor, o.status FROM orders o "
        "JOIN customers c ON c.id = o.customer_id WHERE c.external_id = '00002' "
        "ORDER BY o.external_id",
    )[:2] == [
        ("00002@1997-01-12T00:00:00Z#1", ANY, 1200, "completed"),
        ("00002@1997-01-12T00:00:00Z#2", ANY, 7700, "completed"),
    ]
    again = import_("orders", master, store_url)
    assert again.exit_code == 0, again.output
    assert "inserted 0, updated 0, unchanged 69,659, rejected 0" in summary_line(again)
    assert count(store_url, "orders") == 69_659
    assert rows(store_url, "SELECT count(*), sum(inserted), sum(unchanged) FROM import_runs") == [
        (2, 69_659, 69_659)
    ]


def test_cdnow_sample_without_header(shared_data: Path, store_url: str) -> None:
    sample = shared_data / "cdnow" / "CDNOW_sample.txt"
    refused = import_("orders", sample, store_url)
    assert refused.exit_code == 2
    assert "looks like data, not a header" in refused.output
    result = import_(
        "orders",
        sample,
        store_url,
        "--columns",
        "customer_id,sample_id,date,number_of_cds,dollar_value",
    )
    assert result.exit_code == 0, result.output
    assert "inserted 6,919" in summary_line(result)
    assert count(store_url, "customers") == 2_357
    totals = _cdnow_totals(sample, header=False, customer_col=0, amount_col=4)
    stored = dict(
        rows(
            store_url,
            "SELECT c.external_id, sum(o.amount_minor) FROM orders o "
            "JOIN customers c ON c.id = o.customer_id GROUP BY c.external_id",
        )
    )
    assert stored == {c: int(v * 100) for c, v in totals.items()}
    first = rows(store_url, "SELECT ordered_at FROM orders WHERE external_id LIKE '00004@%%#1'")
    assert [when(r[0]) for r in first] == [
        "1997-01-01 00:00:00",
        "1997-01-18 00:00:00",
        "1997-08-02 00:00:00",
        "1997-12-12 00:00:00",
    ]


def test_reimport_changes_nothing_and_a_changed_row_updates(tmp_path: Path, store_url: str) -> None:
    first = write(
        tmp_path / "o.csv",
        HEADER + "o1,c1,2024-01-05 10:00,19.99\no2,c1,2024-01-06,5\no3,c2,2024-01-07,0.10\n",
    )
    assert "inserted 3, updated 0, unchanged 0" in summary_line(import_("orders", first, store_url))
    assert "inserted 0, updated 0, unchanged 3" in summary_line(import_("orders", first, store_url))
    changed = write(
        tmp_path / "o2.csv",
        HEADER + "o1,c1,2024-01-05 10:00,19.99\no2,c1,2024-01-06,6\no3,c2,2024-01-07,0.10\n"
        "o4,c3,2024-01-08,1\n",
    )
    result = import_("orders", changed, store_url)
    assert "inserted 1, updated 1, unchanged 2, rejected 0; 1 new customer" in summary_line(result)
    assert rows(store_url, "SELECT external_id, amount_minor FROM orders ORDER BY external_id") == [
        ("o1", 1999),
        ("o2", 600),
        ("o3", 10),
        ("o4", 100),
    ]
    assert count(store_url, "customers") == 3
    assert rows(
        store_url, "SELECT kind, inserted, updated, unchanged FROM import_runs ORDER BY id"
    ) == [
        ("orders", 3, 0, 0),
        ("orders", 0, 0, 3),
        ("orders", 1, 1, 2),
    ]


def test_refund_rows_in_the_file_and_for_stored_orders(tmp_path: Path, store_url: str) -> None:
    orders = write(
        tmp_path / "o.csv",
        HEADER + "o1,c1,2024-01-05,50.00\no1,c1,2024-01-20,-20.00\no2,c1,2024-01-06,30.00\n",
    )
    result = import_("orders", orders, store_url)
    assert result.exit_code == 0, result.output
    assert "1 row with a negative amount: refunds of their order" in result.output
    assert rows(
        store_url, "SELECT external_id, amount_minor, refunded_minor, status FROM orders ORDER BY 1"
    ) == [("o1", 5000, 2000, "completed"), ("o2", 3000, 0, "completed")]
    refunds = write(tmp_path / "r.csv", HEADER + "o2,c1,2024-02-01,-10\no2,c1,2024-02-02,-5.50\n")
    result = import_("orders", refunds, store_url)
    assert "inserted 0, updated 1, unchanged 0" in summary_line(result)
    assert "(1 order not in this file, so in the store)" in result.output
    again = import_("orders", refunds, store_url)
    assert "inserted 0, updated 0, unchanged 1" in summary_line(again)
    # re-importing the original orders keeps the refund the second file recorded
    assert "unchanged 2" in summary_line(import_("orders", orders, store_url))
    assert rows(store_url, "SELECT refunded_minor FROM orders WHERE external_id = 'o2'") == [
        (1550,)
    ]
    too_much = write(tmp_path / "x.csv", HEADER + "o2,c1,2024-02-03,-31\n")
    refused = import_("orders", too_much, store_url)
    assert refused.exit_code == 3
    assert "refunds of order 'o2' total 31.00, more than its amount 30.00 in the store" in (
        refused.output
    )
    other = write(tmp_path / "y.csv", HEADER + "o2,c9,2024-02-03,-1\n")
    assert "refunds order 'o2', which belongs to customer 'c1'" in (
        import_("orders", other, store_url).output
    )
    over = write(tmp_path / "z.csv", HEADER + "o5,c1,2024-01-05,10\no5,c1,2024-01-09,-12\n")
    assert "order 'o5': refunds total 12.00, more than the order amount 10.00" in (
        import_("orders", over, store_url).output
    )
    assert rows(store_url, "SELECT refunded_minor FROM orders WHERE external_id = 'o2'") == [
        (1550,)
    ]


def test_line_level_rows_add_up_and_cancellation_invoices(tmp_path: Path, store_url: str) -> None:
    # an Online-Retail-like export: one row per product, C-prefixed cancellation invoices
    retail = write(
        tmp_path / "retail.csv",
        """
InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Country,Total
536365,85123A,6,12/1/2010 8:26,2.55,17850,United Kingdom,15.30
536365,71053,6,12/1/2010 8:26,3.39,17850,United Kingdom,20.34
536366,22633,6,12/13/2010 8:28,1.85,17850,United Kingdom,11.10
C536379,D,-1,12/1/2010 9:41,27.50,14527,United Kingdom,-27.50
C536379,D,-1,12/1/2010 9:41,2.50,14527,United Kingdom,-2.50
""",
    )
    plain = import_("orders", retail, store_url)
    assert plain.exit_code == 3
    assert "a negative amount refunds order 'C536379'" in plain.output
    assert "give --cancel-prefix C" in plain.output
    result = import_("orders", retail, store_url, "--cancel-prefix", "C")
    assert result.exit_code == 0, result.output
    assert "InvoiceNo → order_id, CustomerID → customer_id, InvoiceDate → ordered_at" in (
        result.output
    )
    assert "4 order rows make 3 orders" not in result.output
    assert "5 order rows make 3 orders" in result.output
    assert "1 order with an id starting with 'C': cancellation invoices" in result.output
    assert rows(
        store_url,
        "SELECT external_id, ordered_at, amount_minor, refunded_minor, status FROM orders "
        "ORDER BY external_id",
    ) == [
        ("536365", ANY, 3564, 0, "completed"),
        ("536366", ANY, 1110, 0, "completed"),
        ("C536379", ANY, 3000, 0, "cancelled"),
    ]
    assert [when(r[0]) for r in rows(store_url, "SELECT ordered_at FROM orders ORDER BY 1")] == [
        "2010-12-01 08:26:00",
        "2010-12-01 09:41:00",
        "2010-12-13 08:28:00",
    ]


def test_status_column(tmp_path: Path, store_url: str) -> None:
    f = write(
        tmp_path / "o.csv",
        "order_id,customer_id,ordered_at,amount,status,refunded\n"
        "o1,c1,2024-01-05,10,Paid,\n"
        "o2,c1,2024-01-06,10,canceled,\n"
        "o3,c1,2024-01-07,10,REFUNDED,\n"
        "o4,c1,2024-01-08,10,partially_refunded,4\n",
    )
    result = import_("orders", f, store_url)
    assert result.exit_code == 0, result.output
    assert rows(
        store_url, "SELECT external_id, status, refunded_minor FROM orders ORDER BY external_id"
    ) == [
        ("o1", "completed", 0),
        ("o2", "cancelled", 0),
        ("o3", "refunded", 1000),
        ("o4", "completed", 400),
    ]
    bad = write(
        tmp_path / "b.csv",
        "order_id,customer_id,ordered_at,amount,status\no9,c1,2024-01-05,1,pending\n",
    )
    refused = import_("orders", bad, store_url)
    assert refused.exit_code == 3
    assert "column 'status': value 'pending': not an order status" in refused.output


def test_dry_run_counts_and_writes_nothing(tmp_path: Path, store_url: str) -> None:
    f = write(tmp_path / "o.csv", HEADER + "o1,c1,2024-01-05,1\no2,c2,2024-01-05,2\n")
    result = import_("orders", f, store_url, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "inserted 2, updated 0, unchanged 0" in result.output
    assert "dry run, nothing was written" in result.output
    assert count(store_url, "orders") == 0
    assert count(store_url, "customers") == 0
    assert count(store_url, "import_runs") == 0
