"""The key numbers at the top of the report, each with one plain sentence built from the data."""

from __future__ import annotations

from dataclasses import dataclass

from holdfast.report import fmt
from holdfast.report.data import ReportData, is_missing


@dataclass(frozen=True)
class Card:
    """One headline number: a label, the formatted value and a sentence saying what it means."""

    label: str
    value: str
    explanation: str


def cards(data: ReportData) -> list[Card]:
    """The headline cards in reading order; the NPS card only when there are survey answers."""
    out = [
        _customers(data),
        _revenue(data),
        _crr(data),
        _churn(data),
        _repeat(data),
        _aov(data),
        _top20(data),
    ]
    if data.nps is not None:
        out.append(_nps(data))
    return out


def _money(data: ReportData, value: object, whole: bool = False) -> str:
    return fmt.money(value, data.meta.get("currency"), whole=whole)


def _latest_name(data: ReportData) -> str | None:
    row = data.latest
    return None if row is None else fmt.period_name(row["period"], data.meta["period"])


def _customers(data: ReportData) -> Card:
    s = data.summary
    return Card(
        "Customers",
        fmt.count(s["customers"]),
        f"{fmt.plural(s['customers'], 'customer')} placed {fmt.plural(s['orders'], 'order')} "
        f"between {fmt.day(s['first_order'])} and {fmt.day(s['last_order'])}.",
    )


def _revenue(data: ReportData) -> Card:
    s = data.summary
    return Card(
        "Revenue",
        _money(data, s["revenue"], whole=True),
        f"Net of refunds. That is {_money(data, s['mean_historical_clv'])} per customer on "
        f"average; half of all customers have spent {_money(data, s['median_historical_clv'])} "
        "or less.",
    )


def _crr(data: ReportData) -> Card:
    row, name = data.latest, _latest_name(data)
    label = f"Retention rate (CRR), {name}" if name else "Retention rate (CRR)"
    if row is None:
        return Card(label, fmt.DASH, "No period is complete yet, so there is no retention rate.")
    start = int(row["customers_start"])
    if start == 0:
        return Card(
            label,
            fmt.DASH,
            f"No customers were active at the start of {name}, so there was nobody to retain.",
        )
    text = (
        f"Of the {fmt.plural(start, 'customer')} active at the start of {name}, "
        f"{fmt.count(row['retained'])} were still active at its end"
    )
    back = int(row["reactivated"])
    if back:
        text += f"; {fmt.count(back)} lapsed {'customer' if back == 1 else 'customers'} came back"
    return Card(label, fmt.percent(row["crr"]), text + ".")


def _churn(data: ReportData) -> Card:
    row, name = data.latest, _latest_name(data)
    window = data.meta["active_window_days"]
    label = f"Churn, {name}" if name else "Churn"
    if row is None or int(row["customers_start"]) == 0:
        return Card(label, fmt.DASH, "There were no active customers to lose in that period.")
    return Card(
        label,
        fmt.percent(row["churn_rate"]),
        f"{fmt.count(row['lost'])} of the {fmt.count(row['customers_start'])} customers active "
        f"at the start of {name} had gone {fmt.count(window)} days without an order by its end.",
    )


def _repeat(data: ReportData) -> Card:
    s = data.summary
    return Card(
        "Repeat-customer rate",
        fmt.percent(s["lifetime_repeat_rate"]),
        f"Share of your {fmt.plural(s['customers'], 'customer')} who have ordered twice or more; "
        "the rest have bought only once so far.",
    )


def _aov(data: ReportData) -> Card:
    s = data.summary
    return Card(
        "Average order value",
        _money(data, s["average_order_value"]),
        "Revenue divided by orders. A customer has placed "
        f"{fmt.number(s['purchase_frequency'], 2)} orders on average.",
    )


def _top20(data: ReportData) -> Card:
    share = data.summary["top20_revenue_share"]
    if is_missing(share):
        return Card("Top 20 % of customers", fmt.DASH, "There is no revenue to divide up yet.")
    return Card(
        "Top 20 % of customers",
        fmt.percent(share),
        f"Your biggest-spending fifth of customers brings {fmt.percent(share)} of revenue "
        "(the 80/20 rule of thumb would be 80 %).",
    )


def _nps(data: ReportData) -> Card:
    s = data.summary
    return Card(
        "Net Promoter Score",
        fmt.points(s["nps"]),
        f"From {fmt.plural(s['nps_responses'], 'survey answer')}: % promoters (9–10) minus % "
        f"detractors (0–6); the 95 % interval runs from {fmt.points(s['nps_ci_low'])} to "
        f"{fmt.points(s['nps_ci_high'])}.",
    )
