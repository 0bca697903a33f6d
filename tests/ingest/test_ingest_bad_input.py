"""Bad input: every case gives a clear message (file, row, column, value, reason), the right exit
code, and writes nothing, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import count, import_, nothing_written, rows, write

HEADER = "order_id,customer_id,ordered_at,amount\n"


def _fails(result, code: int, *parts: str) -> str:
    assert result.exit_code == code, result.output
    for part in parts:
        assert part in result.output, f"{part!r} not in:\n{result.output}"
    assert "Traceback" not in result.output
    return result.output


def test_malformed_dates(tmp_path: Path, store_url: str) -> None:
    f = write(
        tmp_path / "o.csv",
        HEADER + "o1,c1,2024-01-05,10.00\no2,c2,2024-13-45,10.00\no3,c3,yesterday,1.00\n",
    )
    _fails(
        import_("orders", f, store_url),
        3,
        f"{f}: 2 problems in 2 rows; nothing was written",
        f"{f}, row 3, column 'ordered_at': value '2024-13-45': not a date/time in the format "
        "ISO 8601",
        f"{f}, row 4, column 'ordered_at': value 'yesterday': not a date/time",
    )
    assert nothing_written(store_url)


@pytest.mark.parametrize(
    "value", ["2023-02-29", "2024-04-31T10:00:00", "2024-06-31T10:00:00Z", "2024-02-30 08:00"]
)
def test_days_that_do_not_exist_are_refused(tmp_path: Path, store_url: str, value: str) -> None:
    # Arrow's parsers roll 31 April over to 1 May; the import must refuse it instead
    f = write(tmp_path / "o.csv", HEADER + f"o1,c1,2024-01-05,10.00\no2,c2,{value},10.00\n")
    _fails(
        import_("orders", f, store_url),
        3,
        f"{f}, row 3, column 'ordered_at': value '{value}': not a date/time",
    )
    assert nothing_written(store_url)


def test_non_numeric_and_comma_amounts(tmp_path: Path, store_url: str) -> None:
    f = write(
        tmp_path / "o.csv",
        HEADER + 'o1,c1,2024-01-05,abc\no2,c2,2024-01-05,"12,50"\no3,c3,2024-01-05,1.005\n',
    )
    _fails(
        import_("orders", f, store_url),
        3,
        f"{f}, row 2, column 'amount': value 'abc': not a number",
        "row 3, column 'amount': value '12,50': not a number (a decimal comma? give "
        "--decimal-comma)",
        "row 4, column 'amount': value '1.005': more than 2 decimal places (amounts are not "
        "rounded)",
    )
    assert nothing_written(store_url)


def test_negative_amounts(tmp_path: Path, store_url: str) -> None:
    subs = write(
        tmp_path / "s.csv",
        "subscription_id,customer_id,started_at,monthly_amount\ns1,c1,2024-01-01,-9.99\n",
    )
    _fails(
        import_("subscriptions", subs, store_url),
        3,
        f"{subs}, row 2, column 'monthly_amount': value '-9.99': must not be negative",
    )
    orders = write(tmp_path / "o.csv", HEADER + "o1,c1,2024-01-05,10.00\no9,c1,2024-01-06,-4\n")
    _fails(
        import_("orders", orders, store_url),
        3,
        f"{orders}, row 3, column 'amount': value '-4': a negative amount refunds order 'o9', "
        "which is neither in this file nor in the store",
        "give --cancel-prefix C",
    )
    assert nothing_written(store_url)


def test_missing_ids(tmp_path: Path, store_url: str) -> None:
    f = write(tmp_path / "o.csv", HEADER + ",c1,2024-01-05,10.00\no2,,2024-01-05,3\n")
    _fails(
        import_("orders", f, store_url),
        3,
        f"{f}, row 2, column 'order_id': missing order id",
        f"{f}, row 3, column 'customer_id': missing customer id",
    )
    assert nothing_written(store_url)


def test_duplicate_order_ids_with_conflicting_data(tmp_path: Path, store_url: str) -> None:
    f = write(
        tmp_path / "o.csv",
        HEADER
        + "o1,c1,2024-01-05,10.00\no2,c2,2024-01-05,5.00\no1,c9,2024-01-05,10.00\n"
        + "o3,c3,2024-01-05,1.00\no3,c3,2024-02-01,1.00\n",
    )
    _fails(
        import_("orders", f, store_url),
        3,
        "4 problems in 4 rows",
        "row 2, column 'customer_id': value 'c1': order 'o1' is on rows 2, 4 with different "
        "customer_id",
        "row 4, column 'customer_id': value 'c9': order 'o1' is on rows 2, 4",
        "row 5, column 'ordered_at'",
        "order 'o3' is on rows 5, 6 with different ordered_at",
    )
    assert nothing_written(store_url)


def test_wrong_delimiter(tmp_path: Path, store_url: str) -> None:
    f = write(tmp_path / "o.csv", "order_id;customer_id;ordered_at;amount\no1;c1;2024-01-05;1\n")
    _fails(
        import_("orders", f, store_url),
        3,
        f"{f}: found 1 column 'order_id;customer_id;ordered_at;amount' — is the delimiter ';'? "
        "(give --delimiter ';')",
    )
    assert nothing_written(store_url)


def test_non_utf8_bytes(tmp_path: Path, store_url: str) -> None:
    f = write(tmp_path / "c.csv", "customer_id,name\nc1,Ann\nc2,José\n", encoding="latin-1")
    _fails(
        import_("customers", f, store_url),
        3,
        f"{f}: is not UTF-8 text",
        f"{f}, row 3",
        "value 'c2,Jos\\\\xe9': byte 0xe9 at offset 30 is not UTF-8",
        "give --encoding latin-1",
    )
    assert nothing_written(store_url)


def test_empty_file_and_header_only(tmp_path: Path, store_url: str) -> None:
    empty = write(tmp_path / "empty.csv", "")
    _fails(import_("orders", empty, store_url), 3, f"{empty}: the file is empty")
    blank = write(tmp_path / "blank.csv", "\n\n  \n")
    _fails(import_("orders", blank, store_url), 3, f"{blank}: the file is empty")
    header = write(tmp_path / "header.csv", HEADER)
    _fails(import_("orders", header, store_url), 3, f"{header}: has a header line but no data")
    assert nothing_written(store_url)


def test_unknown_columns_are_listed_and_ignored(tmp_path: Path, store_url: str) -> None:
    f = write(
        tmp_path / "o.csv", "order_id,customer_id,ordered_at,amount,note\no1,c1,2024-01-05,2,x\n"
    )
    result = import_("orders", f, store_url)
    assert result.exit_code == 0, result.output
    assert "not imported: note" in result.output
    assert rows(store_url, "SELECT external_id, amount_minor FROM orders") == [("o1", 200)]


def test_a_required_column_missing_names_the_flag(tmp_path: Path, store_url: str) -> None:
    f = write(tmp_path / "o.csv", "Bestellung,Kunde,Datum,Betrag\nA1,K1,2024-01-05,2\n")
    _fails(
        import_("orders", f, store_url),
        2,
        "required column not found: 'customer_id' (give it with --customer COLUMN); "
        "'ordered_at' (give it with --date COLUMN); 'amount' (give it with --amount COLUMN); "
        "columns not mapped: Bestellung, Kunde, Datum, Betrag",
    )
    _fails(
        import_("orders", f, store_url, "--customer", "Kunde", "--amount", "Summe"),
        2,
        "--amount 'Summe': the file has no such column (columns: Bestellung, Kunde, Datum, Betrag)",
    )
    _fails(
        import_("orders", f, store_url, "--score", "Betrag"), 2, "--score does not apply to orders"
    )
    assert nothing_written(store_url)
    flags = (
        "--order",
        "Bestellung",
        "--customer",
        "Kunde",
        "--date",
        "Datum",
        "--amount",
        "Betrag",
    )
    mapped = import_("orders", f, store_url, *flags)
    assert mapped.exit_code == 0, mapped.output
    assert "Bestellung → order_id, Kunde → customer_id, Datum → ordered_at, Betrag → amount" in (
        mapped.output
    )
    assert rows(store_url, "SELECT external_id, amount_minor FROM orders") == [("A1", 200)]


def test_ragged_rows(tmp_path: Path, store_url: str) -> None:
    f = write(
        tmp_path / "o.csv", HEADER + "o1,c1,2024-01-05,1\no2,c2,2024-01-05,1,extra\n\no3,c3\n"
    )
    _fails(
        import_("orders", f, store_url),
        3,
        f"{f}, row 3: value 'o2,c2,2024-01-05,1,extra': expected 4 columns, found 5",
        f"{f}, row 5: value 'o3,c3': expected 4 columns, found 2",
    )
    assert nothing_written(store_url)


def test_problems_are_listed_up_to_the_limit(tmp_path: Path, store_url: str) -> None:
    lines = "".join(f"o{i},c{i},2024-01-05,x{i}\n" for i in range(60))
    f = write(tmp_path / "o.csv", HEADER + lines)
    output = _fails(
        import_("orders", f, store_url, "--max-errors", "5"),
        3,
        "60 problems in 60 rows",
        "row 6, column 'amount': value 'x4': not a number",
        "  ... and 55 more",
    )
    assert "value 'x5'" not in output
    assert nothing_written(store_url)


def test_ambiguous_dates_ask_for_a_format(tmp_path: Path, store_url: str) -> None:
    f = write(tmp_path / "o.csv", HEADER + "o1,c1,01/02/2024,1\no2,c1,03/04/2024,1\n")
    _fails(
        import_("orders", f, store_url),
        2,
        "dates like '01/02/2024' can be read as %m/%d/%Y or %d/%m/%Y: give --date-format "
        "'%m/%d/%Y' or --date-format '%d/%m/%Y'",
    )
    ok = import_("orders", f, store_url, "--date-format", "%d/%m/%Y")
    assert ok.exit_code == 0, ok.output
    assert count(store_url, "orders") == 2


def test_missing_file_and_unknown_kind(tmp_path: Path, store_url: str) -> None:
    _fails(import_("orders", tmp_path / "nope.csv", store_url), 4, "no such file")
    f = write(tmp_path / "o.csv", HEADER + "o1,c1,2024-01-05,1\n")
    _fails(import_("invoices", f, store_url), 2, "unknown kind 'invoices'")
    _fails(import_("orders", f, store_url, "--timezone", "Mars/Base"), 2, "unknown time zone")
    assert nothing_written(store_url)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("s1,c1,2024-01-01,2023-12-01,5", "ends before it starts"),
        ("s1,c1,someday,,5", "not a date"),
    ],
)
def test_subscription_dates(tmp_path: Path, store_url: str, text: str, reason: str) -> None:
    header = "subscription_id,customer_id,started_at,ended_at,monthly_amount\n"
    f = write(tmp_path / "s.csv", header + text + "\n")
    _fails(import_("subscriptions", f, store_url), 3, f"{f}, row 2", reason)
    assert nothing_written(store_url)


def test_survey_scores_out_of_range(tmp_path: Path, store_url: str) -> None:
    f = write(
        tmp_path / "r.csv",
        "response_id,customer_id,responded_at,score\nr1,c1,2024-01-01,11\nr2,,2024-01-01,7.5\n",
    )
    _fails(
        import_("surveys", f, store_url),
        3,
        f"{f}, row 2, column 'score': value '11': must be between 0 and 10",
        f"{f}, row 3, column 'score': value '7.5': not a whole number",
    )
    assert nothing_written(store_url)


def test_rows_in_another_currency_than_the_store_are_refused(
    tmp_path: Path, store_url: str
) -> None:
    f = write(
        tmp_path / "o.csv",
        "order_id,customer_id,ordered_at,amount,currency\n"
        "o1,c1,2024-01-05,10.00,usd\no2,c2,2024-01-06,12.00,EUR\no3,c3,2024-01-07,3.00,EUR\n",
    )
    _fails(
        import_("orders", f, store_url),
        3,
        f"{f}: 2 problems in 2 rows; nothing was written",
        f"{f}, row 3, column 'currency': value 'EUR': the amount is in EUR, the store keeps USD",
    )
    assert nothing_written(store_url)
    # the same file into a store of euros: only the dollar row is refused
    euros = import_("orders", f, store_url, "--currency", "EUR")
    _fails(euros, 3, f"{f}, row 2, column 'currency': value 'USD': the amount is in USD")
