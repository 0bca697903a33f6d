"""ReportData checks its structure and names every missing or malformed field at once."""

from __future__ import annotations

import numpy as np
import pytest
from report_sample import sample

from holdfast.errors import InputError
from holdfast.report import ReportData
from holdfast.report.data import mask_password


def _rebuild(data: ReportData, **changes: object) -> ReportData:
    fields = {
        "meta": data.meta,
        "summary": data.summary,
        "periods": data.periods,
        "cohorts": data.cohorts,
        "concentration": data.concentration,
        "tenure": data.tenure,
        "days_between_orders": data.days_between_orders,
        "nps": data.nps,
    }
    return ReportData(**{**fields, **changes})


def test_missing_columns_are_all_named(data: ReportData) -> None:
    periods = data.periods.drop(columns=["crr", "repeat_rate"])
    tenure = data.tenure.drop(columns=["spend_per_customer"])
    with pytest.raises(InputError) as caught:
        _rebuild(data, periods=periods, tenure=tenure)
    message = str(caught.value)
    assert "periods, column 'crr': column is missing" in message
    assert "periods, column 'repeat_rate': column is missing" in message
    assert "tenure, column 'spend_per_customer': column is missing" in message
    assert len(caught.value.problems) == 3


def test_missing_and_derived_summary_keys(data: ReportData) -> None:
    summary = {k: v for k, v in data.summary.items() if k != "orders"}
    summary["latest_crr"] = 0.9
    with pytest.raises(InputError) as caught:
        _rebuild(data, summary=summary)
    message = str(caught.value)
    assert "summary, column 'orders': is missing" in message
    assert "column 'latest_crr': is derived from periods" in message


def test_nps_summary_without_nps_table_is_refused(data: ReportData) -> None:
    with pytest.raises(InputError, match=r"nps_responses'.*no nps table"):
        _rebuild(data, nps=None)


def test_bad_values_are_reported_with_their_row(data: ReportData) -> None:
    periods = data.periods.astype({"orders": "float64"})
    periods.loc[2, "orders"] = np.nan
    meta = {**data.meta, "period": "fortnight"}
    lorenz = data.concentration.iloc[::-1].reset_index(drop=True)
    with pytest.raises(InputError) as caught:
        _rebuild(data, periods=periods, meta=meta, concentration=lorenz)
    message = str(caught.value)
    assert "periods, row 2, column 'orders': must not be empty" in message
    assert "meta, column 'period': value 'fortnight': must be one of day, week" in message
    # structure problems come first; row checks (the Lorenz order) wait until the shape is right
    periods.loc[2, "orders"] = 720
    with pytest.raises(InputError, match=r"customer_share'.*never decrease"):
        _rebuild(data, meta=data.meta, concentration=lorenz)


def test_extra_sections_must_be_sections(data: ReportData) -> None:
    with pytest.raises(InputError, match="extra_sections, row 0: value 'str': is not a Section"):
        ReportData(**{**_rebuild(data).__dict__, "extra_sections": ["models"]})


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        (
            "postgresql+psycopg://shop:s3cr:et@db.example/prod",
            "postgresql+psycopg://shop:***@db.example/prod",
        ),
        ("postgresql://shop@db/prod", "postgresql://shop@db/prod"),
        ("sqlite:///holdfast.db", "sqlite:///holdfast.db"),
        ("exports/orders:2024.csv", "exports/orders:2024.csv"),
    ],
)
def test_store_passwords_are_masked(source: str, shown: str) -> None:
    assert mask_password(source) == shown
    assert sample(source=source).meta["source"] == shown


def test_latest_is_the_last_complete_period(data: ReportData) -> None:
    assert data.latest is not None
    assert data.latest["period"] == "1997-05"
    assert data.partial_periods == ["1997-06"]
    assert data.derived_summary()["latest_crr"] == pytest.approx((1218 - 150) / 1204)
