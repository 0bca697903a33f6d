"""``holdfast fit``: fit a customer-base model on an export or the store, print the parameters
with intervals and diagnostics, and write every customer's predictions."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from holdfast.cli.app import DbOption, command, console, err_console
from holdfast.cli.reading import (
    AmountColumn,
    CancelPrefix,
    ColumnNames,
    CustomerColumn,
    DateColumn,
    DateFormat,
    DecimalComma,
    Delimiter,
    Encoding,
    NoHeader,
    OrderColumn,
    RefundedColumn,
    StatusColumn,
    column_names,
    order_flags,
    orders_request,
)
from holdfast.cli.report_cmd import Currency, InputFormat
from holdfast.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

    from holdfast.services.fitting import FitOutcome, Validation
    from holdfast.services.sources import DataSource

MODEL = "Model"
DEFAULT_OUTPUT = Path("holdfast-predictions.csv")

FIT_HELP = (
    "Fit a customer-base model on an order export, or the store, and predict every customer.\n\n"
    "The per-customer summary (repeat purchases, recency, age, mean spend) is computed where "
    "the data lives; BG/NBD (default), MBG/NBD or Pareto/NBD is fitted for purchases and "
    "Gamma-Gamma for spend. Prints the parameters with 95 % intervals and every warning in "
    "plain words, and writes one row per customer (P(alive), expected purchases, spend and "
    "value over the horizon, next-order date) to -o (.csv or .parquet).\n\n"
    "With --calibration-end the model is also fitted on the data up to that date and its "
    "forecast compared with what customers bought after it.\n\n"
    "Examples: holdfast fit orders.csv; holdfast fit CDNOW_sample.txt --columns "
    "master_id,customer_id,date,cds,amount --as-of 1998-06-30 --calibration-end "
    "1997-09-30; holdfast fit --db postgresql://host/shop --model paretonbd -o scores.parquet"
)


def _date(value: str | None, flag: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{flag} must be a date like 1997-09-30, got {value!r}") from None


def _open(
    file: Path | None, db: str | None, reading: dict, timezone: str, currency: str
) -> DataSource:
    from holdfast.config import load_settings
    from holdfast.services.sources import open_file, open_store

    if file is not None:
        if db is not None:
            raise UserError("give either FILE or --db, not both")
        request = orders_request(file, timezone=timezone, **reading)
        return open_file(request, timezone=timezone, default_currency=currency)
    return open_store(load_settings(database_url=db).database_url)


def _number(value: float) -> str:
    """Four significant digits, the precision the papers print; – when undefined."""
    return "–" if not math.isfinite(value) else f"{value:.4g}"


def _parameter_table(parameters: pd.DataFrame, title: str) -> Table:
    """The parameters as a rich table: estimate, standard error, 95 % interval."""
    table = Table(title=title, title_justify="left", title_style="bold")
    table.add_column("parameter")
    for name in ("estimate", "std. error", "95 % interval"):
        table.add_column(name, justify="right")
    for row in parameters.itertuples(index=False):
        table.add_row(
            f"{row.model} {row.parameter}",
            _number(row.estimate),
            _number(row.std_error),
            f"{_number(row.ci_low)} – {_number(row.ci_high)}",
        )
    return table


def _money(value: float, currency: str | None) -> str:
    """An amount with two decimals and the currency; – without a spend model."""
    if not math.isfinite(value):
        return "–"
    return f"{value:,.2f}" + (f" {currency}" if currency else "")


def _loglik_line(outcome: FitOutcome) -> str:
    parts = []
    for result in (outcome.purchase, outcome.spend):
        if result is not None:
            state = "converged" if result.converged else "NOT converged"
            parts.append(f"{result.model} {result.loglik:.2f} ({state})")
    return "log-likelihood: " + ", ".join(parts)


def _print_validation(v: Validation) -> None:
    start = v.calibration_end + dt.timedelta(days=1)
    days = (v.holdout_end - v.calibration_end).days
    console.print(
        f"\nHoldout check: fitted on the data up to {v.calibration_end}, its forecast of "
        f"{start} – {v.holdout_end} ({days:,} days) compared with what happened",
        highlight=False,
        markup=False,
    )
    console.print(_parameter_table(v.parameters, "Calibration fit"))
    console.print(
        f"log-likelihood: {v.fit.model} {v.fit.loglik:.2f}", highlight=False, markup=False
    )
    s = v.summary
    actual, predicted = s["actual_total"], s["predicted_total"]
    gap = f" ({(predicted - actual) / actual:+.1%})" if actual > 0 else ""
    console.print(
        f"{s['customers']:,.0f} customers made {actual:,.0f} purchases in the holdout; the "
        f"model expected {predicted:,.1f}{gap}. Mean absolute error per customer "
        f"{s['mae']:.3f}, correlation {s['correlation']:.3f}.",
        highlight=False,
        markup=False,
    )
    table = Table(title="Holdout purchases per customer, by calibration purchases")
    for name in ("repeat purchases", "customers", "actual", "model"):
        table.add_column(name, justify="right")
    for row in v.by_frequency.itertuples(index=False):
        table.add_row(
            str(row.frequency),
            f"{row.customers:,}",
            "–" if math.isnan(row.actual) else f"{row.actual:.3f}",
            "–" if math.isnan(row.predicted) else f"{row.predicted:.3f}",
        )
    console.print(table)


def _print(outcome: FitOutcome, currency: str | None) -> None:
    options, totals = outcome.options, outcome.totals()
    unit = options.unit_name
    console.print(
        f"{outcome.purchase.model} on {totals['customers']:,} customers "
        f"({totals['repeat_buyers']:,} repeat buyers), time in {unit}s, as of {outcome.as_of}",
        highlight=False,
        markup=False,
    )
    console.print(_parameter_table(outcome.parameters, "Parameters"))
    console.print(_loglik_line(outcome), highlight=False, markup=False)
    if outcome.diagnostics:
        console.print("\nDiagnostics:", style="bold yellow")
        for text in outcome.diagnostics:
            console.print(f"  - {text}", highlight=False, markup=False)
    else:
        console.print("Diagnostics: none, the fit looks sound.", highlight=False)
    if outcome.validation is not None:
        _print_validation(outcome.validation)
    horizon = f"{outcome.horizon:g} {unit}{'' if outcome.horizon == 1 else 's'}"
    console.print(
        f"\nNext {horizon}: {totals['expected_purchases']:,.1f} expected purchases, "
        f"{_money(totals['expected_revenue'], currency)} expected revenue, predicted value "
        f"{_money(totals['predicted_clv'], currency)} (discounted at "
        f"{options.discount_rate:.1%} a year); {totals['likely_active']:,} customers are more "
        "likely than not still active.",
        highlight=False,
        markup=False,
    )


Model = Annotated[
    str,
    typer.Option(
        "--model", help="bgnbd, mbgnbd or paretonbd (spend: Gamma-Gamma).", rich_help_panel=MODEL
    ),
]
Unit = Annotated[
    str,
    typer.Option(
        "--unit", help="Time unit: D (days), W (weeks) or M (months).", rich_help_panel=MODEL
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Last day of data to use (default: the last order's day).",
        rich_help_panel=MODEL,
        show_default=False,
    ),
]
CalibrationEnd = Annotated[
    str | None,
    typer.Option(
        "--calibration-end",
        metavar="DATE",
        help="Also fit on the data up to DATE and check the forecast against the rest.",
        rich_help_panel=MODEL,
        show_default=False,
    ),
]
Horizon = Annotated[
    float | None,
    typer.Option(
        "--horizon",
        help="Forecast length in time units (default one year: 365 D, 52 W, 12 M).",
        rich_help_panel=MODEL,
        show_default=False,
    ),
]
DiscountRate = Annotated[
    float,
    typer.Option(
        "--discount-rate",
        help="Yearly discount rate for the predicted customer value, e.g. 0.1 for 10 %.",
        rich_help_panel=MODEL,
    ),
]
Penalizer = Annotated[
    float,
    typer.Option(
        "--penalizer",
        help="L2 pull of the log-parameters (0: plain maximum likelihood).",
        rich_help_panel=MODEL,
    ),
]
Timezone = Annotated[
    str | None,
    typer.Option(
        help="Business time zone for purchase days, e.g. Europe/Berlin (default "
        "HOLDFAST_TIMEZONE or UTC).",
        show_default=False,
    ),
]


@command("fit", help=FIT_HELP)
def fit_cmd(
    file: Annotated[
        Path | None,
        typer.Argument(help="An order export; omit it to use the store.", show_default=False),
    ] = None,
    db: DbOption = None,
    model: Model = "bgnbd",
    unit: Unit = "W",
    as_of: AsOf = None,
    calibration_end: CalibrationEnd = None,
    horizon: Horizon = None,
    discount_rate: DiscountRate = 0.1,
    penalizer: Penalizer = 0.0,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Per-customer predictions, .csv or .parquet."
        ),
    ] = DEFAULT_OUTPUT,
    save_model: Annotated[
        Path | None,
        typer.Option(
            "--save-model",
            metavar="FILE",
            help="Also write the fitted parameters, errors and diagnostics as JSON.",
            show_default=False,
        ),
    ] = None,
    timezone: Timezone = None,
    input_format: InputFormat = None,
    delimiter: Delimiter = None,
    encoding: Encoding = "utf-8",
    decimal_comma: DecimalComma = False,
    date_format: DateFormat = None,
    no_header: NoHeader = False,
    columns: ColumnNames = None,
    customer: CustomerColumn = None,
    order: OrderColumn = None,
    date: DateColumn = None,
    amount: AmountColumn = None,
    status: StatusColumn = None,
    refunded: RefundedColumn = None,
    cancel_prefix: CancelPrefix = None,
    currency: Currency = None,
) -> None:
    """Fit, print the parameters and diagnostics, write predictions (help: FIT_HELP above)."""
    from holdfast.config import load_settings
    from holdfast.services.fit_output import PREDICTION_FORMATS, write_models, write_predictions
    from holdfast.services.fitting import FitOptions, fit_source
    from holdfast.services.readers.source import ReadSettings

    settings = load_settings(timezone=timezone)
    options = FitOptions(
        model=model,
        unit=unit,
        as_of=_date(as_of, "--as-of"),
        calibration_end=_date(calibration_end, "--calibration-end"),
        horizon=horizon,
        discount_rate=discount_rate,
        penalizer=penalizer,
        timezone=settings.timezone,
    ).checked()
    if output.suffix.lower() not in PREDICTION_FORMATS:
        raise UserError(f"-o {output}: predictions are written as .csv or .parquet")
    reading = {
        "read": ReadSettings(
            input_format, delimiter, encoding, not no_header, column_names(columns)
        ),
        "flags": order_flags(customer, order, date, amount, status, refunded),
        "date_format": date_format,
        "decimal_comma": decimal_comma,
        "currency": currency,
        "cancel_prefix": cancel_prefix,
    }
    source = _open(file, db, reading, settings.timezone, settings.currency)
    try:
        if err_console.is_terminal:
            with err_console.status("Fitting the model"):
                outcome = fit_source(source, options)
        else:
            outcome = fit_source(source, options)
    finally:
        source.close()
    _print(outcome, source.currency)
    write_predictions(outcome.predictions, output)
    console.print(
        f"Predictions for {len(outcome.predictions):,} customers written to {output}",
        highlight=False,
        markup=False,
    )
    if save_model is not None:
        write_models(outcome, save_model)
        console.print(f"Models written to {save_model}", highlight=False, markup=False)
