"""Pure parts of the import: money, column mapping, value parsing, times, keys, reading."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from holdfast.domain.columns import ORDERS, SPECS, resolve_mapping, spec_for
from holdfast.domain.money import currency_exponent, format_minor, from_minor, to_minor
from holdfast.errors import InputError, UserError
from holdfast.services.ingest.keys import find_conflicts, ordinals
from holdfast.services.readers.source import ReadSettings, read_source
from holdfast.services.readers.times import parse_times
from holdfast.services.readers.values import parse_integer, parse_money, parse_status


def test_money_is_exact_and_never_rounded() -> None:
    assert to_minor("19.99") == 1999
    assert to_minor(Decimal("-0.05")) == -5
    assert currency_exponent("jpy") == 0
    assert to_minor("1.00", currency_exponent("JPY")) == 1
    with pytest.raises(ValueError, match="more than 0 decimal places"):
        to_minor("1.50", currency_exponent("JPY"))
    assert currency_exponent("KWD") == 3
    assert currency_exponent("EUR") == 2
    assert to_minor("1000", 0) == 1000
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        to_minor("1.005")
    with pytest.raises(ValueError, match="not a number"):
        to_minor("12,50")
    assert from_minor(1999) == Decimal("19.99")
    assert format_minor(-5) == "-0.05"
    assert format_minor(1234, 3) == "1.234"
    with pytest.raises(UserError, match="ISO 4217"):
        currency_exponent("dollars")


@given(
    st.decimals(
        min_value=Decimal("-99999999999.99"),
        max_value=Decimal("99999999999.99"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_parse_money_agrees_with_decimal(value: Decimal) -> None:
    texts = [f"{value:f}", f"{value:,.2f}", f"{value:.2f}".rstrip("0")]
    minor, failures = parse_money(pa.array(texts), 2)
    assert failures == []
    assert minor.to_pylist() == [to_minor(value)] * 3
    comma = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    minor, failures = parse_money(pa.array([comma]), 2, decimal_comma=True)
    assert failures == [] and minor.to_pylist() == [to_minor(value)]


def test_parse_money_per_row_exponents_and_reasons() -> None:
    minor, failures = parse_money(
        pa.array(["1.5", "7", "$3.10", "-", "1e5"]), np.array([1, 0, 2, 2, 2])
    )
    assert minor.to_pylist() == [15, 7, 310, None, None]
    assert [(list(np.flatnonzero(f.mask)), f.reason) for f in failures] == [
        ([3, 4], "not a number")
    ]


def test_parse_integer_status() -> None:
    values, failures = parse_integer(pa.array(["3", "+4", "5.0", "0", None]), minimum=1)
    assert values.to_pylist() == [3, 4, 5, None, None]
    assert [f.reason for f in failures] == ["must be at least 1"]
    status, failures = parse_status(
        pa.array(["Shipped", "VOID", "chargeback", "Partially Refunded"])
    )
    assert status.to_pylist() == ["completed", "cancelled", "refunded", "completed"]
    assert failures == []


@pytest.mark.parametrize(
    ("values", "fmt", "expected"),
    [
        (["19970101", "19971231"], "%Y%m%d", "1997-12-31 00:00:00"),
        (["31.12.2024 18:30", "1.1.2024 08:00"], "%d.%m.%Y %H:%M", "2024-01-01 08:00:00"),
        (["12/31/2024", "1/2/2024"], "%m/%d/%Y", "2024-01-02 00:00:00"),
        (["31/12/2024", "2/1/2024"], "%d/%m/%Y", "2024-01-02 00:00:00"),
        (["2024-12-31T23:00:00.250-01:00", "2024-01-02"], "ISO 8601", "2024-01-02 00:00:00"),
        (["5 Jan 2024", "31 Dec 2024"], "%d %b %Y", "2024-12-31 00:00:00"),
    ],
)
def test_date_formats_are_detected(values: list[str], fmt: str, expected: str) -> None:
    parsed = parse_times(pa.array(values))
    assert parsed.format == fmt
    assert parsed.failures == []
    assert str(parsed.values[1].as_py()) == expected


def test_times_in_a_zone_and_across_dst() -> None:
    parsed = parse_times(
        pa.array(["2024-03-31 02:30", "2024-10-27 02:30", "2024-06-01 12:00Z"]), "Europe/Berlin"
    )
    assert parsed.values.to_pylist() == [
        datetime(2024, 3, 31, 1, 0),  # inside the spring gap: the first instant after it
        datetime(2024, 10, 27, 0, 30),  # ambiguous: the earlier instant (CEST)
        datetime(2024, 6, 1, 12, 0),
    ]
    typed = parse_times(pa.array([0], pa.timestamp("s", "Asia/Tokyo")), "Europe/Berlin")
    assert typed.values.to_pylist() == [datetime(1970, 1, 1)]
    assert (
        parse_times(pa.array(["1990-02-28"]), "Asia/Tokyo", dates=True)
        .values.to_pylist()[0]
        .isoformat()
        == "1990-02-28"
    )


def test_column_mapping() -> None:
    mapping = resolve_mapping(ORDERS, ["InvoiceNo", "Customer ID", "InvoiceDate", "Revenue", "Qty"])
    assert mapping.source == {
        "order_id": "InvoiceNo",
        "customer_id": "Customer ID",
        "ordered_at": "InvoiceDate",
        "amount": "Revenue",
    }
    assert mapping.unused == ("Qty",)
    explicit = resolve_mapping(
        ORDERS, ["id", "client", "when", "x"], {"date": "when", "amount": "x"}
    )
    assert explicit.source == {
        "order_id": "id",
        "customer_id": "client",
        "ordered_at": "when",
        "amount": "x",
    }
    generated = resolve_mapping(ORDERS, ["customer", "date", "total"])
    assert generated.generated is not None and generated.generated.column == "order_id"
    assert spec_for("survey_responses").kind == "surveys"
    assert spec_for("order_lines").kind == "order-lines"
    assert set(SPECS) == {"customers", "orders", "order-lines", "subscriptions", "surveys"}
    with pytest.raises(UserError, match="give it with --amount COLUMN"):
        resolve_mapping(ORDERS, ["order_id", "customer_id", "ordered_at"])


def test_ordinals_and_conflicts() -> None:
    table = pa.table(
        {
            "who": ["a", "b", "a", "a", None],
            "day": ["x", "x", "x", "y", "x"],
            "_row": [0, 1, 2, 3, 4],
        }
    )
    assert ordinals(table, ("who", "day")).tolist() == [1, 1, 2, 1, 1]
    conflicts = find_conflicts(table, ("who",), ["day"])
    assert sorted(conflicts.rows.tolist()) == [0, 2, 3]
    assert conflicts.columns[0] == ["day"]
    assert find_conflicts(table, ("day", "who"), ["_row"]).rows.tolist() == [0, 2]


def test_line_numbers_survive_quoted_newlines_blank_lines_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        b'\xef\xbb\xbfcustomer_id,comment\r\n\r\nc1,"two\r\nlines"\r\nc2,ok\r\nc3,"x",extra\r\n'
    )
    source = read_source(path)
    assert source.table.column_names == ["customer_id", "comment"]
    assert source.table.column("customer_id").to_pylist() == ["c1", "c2"]
    assert source.lines.tolist() == [3, 5]
    assert [(p.row, p.reason) for p in source.issues.problems()] == [
        (6, "expected 2 columns, found 3")
    ]


def test_utf16_spreadsheet_exports_are_recognised(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes("customer_id\tname\nc1\tZoë\n".encode("utf-16"))
    source = read_source(path)
    assert source.format == "tsv"
    assert source.table.column("name").to_pylist() == ["Zoë"]


def test_unknown_encoding_and_format(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(UserError, match="unknown encoding"):
        read_source(path, ReadSettings(encoding="klingon"))
    with pytest.raises(UserError, match="unknown format 'xlsx'"):
        read_source(path, ReadSettings(format="xlsx"))
    bogus = tmp_path / "x.parquet"
    bogus.write_text("not parquet")
    with pytest.raises(InputError, match="is not a readable Parquet file"):
        read_source(bogus)
