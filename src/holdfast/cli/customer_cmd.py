"""``holdfast customer show ID``: one customer's history, latest scores and next products."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from holdfast.cli.app import DbOption, app, command, console

customer_app = typer.Typer(help="One customer.", no_args_is_help=True)
app.add_typer(customer_app, name="customer")

SCORE_FIELDS = (
    ("segment", "segment"),
    ("stage", "stage"),
    ("RFM scores", None),
    ("purchase days", "orders"),
    ("days since last purchase", "recency_days"),
    ("P(alive)", "p_alive"),
    ("expected purchases", "expected_purchases"),
    ("predicted value", "predicted_value"),
    ("expected next order", "expected_next_order"),
    ("VIP", "vip"),
)


def _shown(key: str | None, scores: dict) -> str:
    if key is None:
        return f"R {scores['r_score']}  F {scores['f_score']}  M {scores['m_score']}"
    value = scores[key]
    if value is None:
        return "–"
    if key == "p_alive":
        return f"{value:.1%}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


@command("show", group=customer_app)
def show_cmd(
    customer_id: Annotated[str, typer.Argument(metavar="ID", help="The shop's customer id.")],
    db: DbOption = None,
) -> None:
    """History, scores and recommendations of one customer."""
    from holdfast.config import load_settings
    from holdfast.services.segments.queries import customer_profile

    profile = customer_profile(load_settings(database_url=db).database_url, customer_id)
    who = " ".join(x for x in (profile.name, f"<{profile.email}>" if profile.email else None) if x)
    console.print(f"Customer {profile.customer_id} {who}".strip(), highlight=False, markup=False)
    money = f" ({profile.currency})" if profile.currency else ""
    history = Table(title=f"Orders ({len(profile.orders):,})", title_justify="left")
    for name in ("order", "ordered at (UTC)", f"amount{money}", "refunded", "status"):
        history.add_column(name, justify="right" if name.startswith(("amount", "ref")) else "left")
    for order in profile.orders:
        history.add_row(
            str(order["order_id"]),
            str(order["ordered_at"]),
            f"{order['amount']:,.2f}",
            f"{order['refunded']:,.2f}",
            str(order["status"]),
        )
    console.print(history)
    if profile.scores is None:
        reason = (
            "the store has no scores yet"
            if profile.run is None
            else (f"not scored in the run as of {profile.run.as_of} (no purchase by then)")
        )
        console.print(f"Scores: none ({reason}).", highlight=False, markup=False)
        return
    assert profile.run is not None
    table = Table(
        title=f"Scores as of {profile.run.as_of}", title_justify="left", show_header=False
    )
    table.add_column("what")
    table.add_column("value")
    for label, key in SCORE_FIELDS:
        table.add_row(label, _shown(key, profile.scores))
    console.print(table)
    recs = profile.scores["recommendations"]
    console.print(
        "Next products: " + (", ".join(recs) if recs else "none"), highlight=False, markup=False
    )
