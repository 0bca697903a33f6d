"""File formats, encodings, decimal commas and time zones: the same orders from every format."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import import_, rows, summary_line, when, write

EXPECTED = [
    ("o1", "c1", "2024-01-05 10:00:00", 1999),
    ("o2", "c1", "2024-02-29 00:00:00", 123456),
    ("o3", "c2", "2024-03-01 23:59:59", 5),
]
ORDERS = "SELECT o.external_id, c.external_id, o.ordered_at, o.amount_minor FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.external_id"  # noqa: E501


def _stored(url: str) -> list[tuple]:
    return [(o, c, when(t), a) for o, c, t, a in rows(url, ORDERS)]


def _records() -> list[dict]:
    return [
        {
            "order_id": "o1",
            "customer_id": "c1",
            "ordered_at": "2024-01-05T10:00:00Z",
            "amount": "19.99",
        },
        {"order_id": "o2", "customer_id": "c1", "ordered_at": "2024-02-29", "amount": "1234.56"},
        {
            "order_id": "o3",
            "customer_id": "c2",
            "ordered_at": "2024-03-01 23:59:59",
            "amount": "0.05",
        },
    ]


def _delimited(delimiter: str) -> str:
    lines = [delimiter.join(_records()[0])]
    lines += [delimiter.join(r.values()) for r in _records()]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", ["orders.csv", "orders.tsv", "orders.txt", "orders.csv.gz"])
def test_delimited_text(tmp_path: Path, store_url: str, name: str) -> None:
    text = _delimited("," if ".csv" in name else "\t")
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        write(path, text)
    result = import_("orders", path, store_url)
    assert result.exit_code == 0, result.output
    assert _stored(store_url) == EXPECTED


def test_parquet_with_typed_columns(tmp_path: Path, store_url: str) -> None:
    table = pa.table(
        {
            "order_id": ["o1", "o2", "o3"],
            "customer_id": ["c1", "c1", "c2"],
            "ordered_at": pa.array(
                [1704448800_000000, 1709164800_000000, 1709337599_000000], pa.timestamp("us", "UTC")
            ),
            "amount": pa.array(
                [Decimal("19.99"), Decimal("1234.56"), Decimal("0.05")], pa.decimal128(18, 2)
            ),
        }
    )
    pq.write_table(table, tmp_path / "orders.parquet")
    result = import_("orders", tmp_path / "orders.parquet", store_url)
    assert result.exit_code == 0, result.output
    assert _stored(store_url) == EXPECTED
    # Parquet with more decimals than the currency allows is refused row by row
    precise = table.set_column(
        3, "amount", pa.array([Decimal("1.001"), Decimal("2"), Decimal("3")], pa.decimal128(18, 3))
    )
    pq.write_table(precise, tmp_path / "precise.parquet")
    refused = import_("orders", tmp_path / "precise.parquet", store_url)
    assert refused.exit_code == 3
    assert "row 1, column 'amount': value '1.001': more than 2 decimal places" in refused.output


def test_json_lines(tmp_path: Path, store_url: str) -> None:
    records = _records()
    records[0]["amount"] = 19.99  # a JSON number: read exactly, never through float rounding
    records[1]["extra"] = {"nested": True}
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    result = import_("orders", path, store_url)
    assert result.exit_code == 0, result.output
    assert _stored(store_url) == EXPECTED
    broken = write(tmp_path / "broken.jsonl", '{"order_id": "o9", "customer_id": "c9"\n')
    refused = import_("orders", broken, store_url)
    assert refused.exit_code == 3
    assert f"{broken}, row 1" in refused.output
    assert "not valid JSON" in refused.output


def test_decimal_comma_and_semicolons(tmp_path: Path, store_url: str) -> None:
    path = write(
        tmp_path / "bestellungen.csv",
        "order_id;customer_id;ordered_at;amount\n"
        "o1;c1;05.01.2024;1.234,56\no2;c1;06.01.2024;0,5\no2;c1;08.01.2024;-0,10\n",
    )
    result = import_("orders", path, store_url, "--delimiter", ";", "--decimal-comma")
    assert result.exit_code == 0, result.output
    assert "read as %d.%m.%Y" in result.output
    assert rows(
        store_url, "SELECT external_id, amount_minor, refunded_minor FROM orders ORDER BY 1"
    ) == [("o1", 123456, 0), ("o2", 50, 10)]


def test_latin1_with_encoding(tmp_path: Path, store_url: str) -> None:
    path = write(
        tmp_path / "kunden.csv",
        "customer_id,name,email,country\nc1,José Müller,jose@example.com,de\n",
        encoding="latin-1",
    )
    result = import_("customers", path, store_url, "--encoding", "latin-1")
    assert result.exit_code == 0, result.output
    assert rows(store_url, "SELECT external_id, name, email, country FROM customers") == [
        ("c1", "José Müller", "jose@example.com", "DE")
    ]


def test_naive_times_are_local_and_stored_as_utc(tmp_path: Path, store_url: str) -> None:
    path = write(
        tmp_path / "o.csv",
        "order_id,customer_id,ordered_at,amount\n"
        "winter,c1,2024-01-15 12:00,1\n"
        "summer,c1,2024-07-15 12:00,1\n"
        "offset,c1,2024-07-15T12:00:00+05:30,1\n"
        "zulu,c1,2024-07-15T12:00:00Z,1\n"
        "day,c1,2024-07-15,1\n",
    )
    result = import_("orders", path, store_url, "--timezone", "Europe/Berlin")
    assert result.exit_code == 0, result.output
    stored = {o: when(t) for o, t in rows(store_url, "SELECT external_id, ordered_at FROM orders")}
    assert stored == {
        "winter": "2024-01-15 11:00:00",
        "summer": "2024-07-15 10:00:00",
        "offset": "2024-07-15 06:30:00",
        "zulu": "2024-07-15 12:00:00",
        "day": "2024-07-14 22:00:00",
    }
    # the same file read in UTC is a different set of instants: every naive row updates
    again = import_("orders", path, store_url)
    assert "updated 3, unchanged 2" in summary_line(again)


def test_explicit_date_format_and_no_header(tmp_path: Path, store_url: str) -> None:
    path = write(tmp_path / "o.txt", "o1 c1 20240105 19.99\no2 c2 20240106 1\n")
    result = import_(
        "orders",
        path,
        store_url,
        "--no-header",
        "--order",
        "column_1",
        "--customer",
        "column_2",
        "--date",
        "column_3",
        "--amount",
        "column_4",
        "--date-format",
        "%Y%m%d",
    )
    assert result.exit_code == 0, result.output
    assert "whitespace separated, no header line" in result.output
    assert rows(store_url, "SELECT external_id, amount_minor FROM orders ORDER BY 1") == [
        ("o1", 1999),
        ("o2", 100),
    ]
