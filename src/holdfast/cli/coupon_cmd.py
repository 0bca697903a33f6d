"""``holdfast coupon …``: create coupons and batches, redeem, show, disable, release, issue.

Refusals exit with their own codes and one line (docs/coupons.md): 12 already redeemed or
used up, 13 expired or not yet valid, 14 not eligible (minimum order, first order, tier,
segment, another coupon on the order), 15 a key or order used for another request.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from holdfast.cli.app import DbOption, app, command
from holdfast.cli.points_cmd import AsOfOption, Customer, KeyOption, say, store, when
from holdfast.errors import UserError

if TYPE_CHECKING:
    from holdfast.services.coupons import CouponSpec, IssuedCoupon

coupon_app = typer.Typer(
    help="Coupons: create, batch, redeem, show, disable, release, issue, reward.",
    no_args_is_help=True,
)
app.add_typer(coupon_app, name="coupon")

Code = Annotated[str, typer.Argument(help="The coupon code (case and dashes do not matter).")]
Percent = Annotated[
    str | None, typer.Option("--percent", metavar="P", help="Percent off, e.g. 10 or 12.5.")
]
Amount = Annotated[
    str | None, typer.Option("--amount", metavar="A", help="Fixed amount off, e.g. 5.00.")
]
FreeShipping = Annotated[bool, typer.Option("--free-shipping", help="Free shipping.")]
MinOrder = Annotated[
    str | None, typer.Option("--min-order", metavar="A", help="Minimum order value.")
]
FirstOrder = Annotated[
    bool, typer.Option("--first-order-only", help="Only on a customer's first order.")
]
PerCustomer = Annotated[
    int | None, typer.Option("--per-customer", metavar="N", help="Uses per customer at most.")
]
Starts = Annotated[
    str | None, typer.Option("--starts", metavar="DATE", help="Valid from (UTC, ISO 8601).")
]
Expires = Annotated[
    str | None,
    typer.Option("--expires", metavar="DATE", help="Valid until, exclusive (UTC, ISO 8601)."),
]
Tier = Annotated[
    str | None, typer.Option("--tier", metavar="TIER", help="Only for this tier and above.")
]
Segment = Annotated[
    str | None, typer.Option("--segment", metavar="NAME", help="Only for this segment.")
]


def _money(text: str | None, what: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise UserError(f"{what} {text!r} is not a number like 5.00") from None
    if not value.is_finite():
        raise UserError(f"{what} {text!r} is not a number like 5.00")
    return value


def _spec(
    percent: str | None,
    amount: str | None,
    free_shipping: bool,
    min_order: str | None,
    first_order_only: bool,
    tier: str | None,
    segment: str | None,
    per_customer: int | None,
    starts: str | None,
    expires: str | None,
    max_uses: int | None = None,
) -> CouponSpec:
    from holdfast.services.coupons import CouponSpec

    return CouponSpec(
        percent=_money(percent, "--percent"),
        amount=_money(amount, "--amount"),
        free_shipping=free_shipping,
        min_order=_money(min_order, "--min-order") or Decimal(0),
        first_order_only=first_order_only,
        min_tier=tier,
        segment=segment,
        max_uses=max_uses,
        per_customer=per_customer,
        starts_at=when(starts),
        expires_at=when(expires),
    )


@command("create", group=coupon_app)
def create_cmd(
    code: Code,
    single_use: Annotated[bool, typer.Option("--single-use", help="One use in all.")] = False,
    max_uses: Annotated[
        int | None, typer.Option("--max-uses", metavar="N", help="Uses in all (default: any).")
    ] = None,
    percent: Percent = None,
    amount: Amount = None,
    free_shipping: FreeShipping = False,
    min_order: MinOrder = None,
    first_order_only: FirstOrder = False,
    per_customer: PerCustomer = None,
    starts: Starts = None,
    expires: Expires = None,
    tier: Tier = None,
    segment: Segment = None,
    db: DbOption = None,
) -> None:
    """Create a coupon code (running it again with the same terms changes nothing)."""
    from holdfast.services import coupons

    if single_use and max_uses not in (None, 1):
        raise UserError("--single-use and --max-uses disagree: give one of them")
    spec = _spec(
        percent,
        amount,
        free_shipping,
        min_order,
        first_order_only,
        tier,
        segment,
        per_customer,
        starts,
        expires,
        1 if single_use else max_uses,
    )
    view = coupons.create_coupon(store(db), code, spec)
    say(("created " if view.created else "exists: ") + view.line())


@command("batch", group=coupon_app)
def batch_cmd(
    count: Annotated[int, typer.Argument(help="How many single-use codes to make.")],
    key: KeyOption,
    prefix: Annotated[str, typer.Option("--prefix", help="Codes start with this.")] = "",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the codes to this file.")
    ] = None,
    percent: Percent = None,
    amount: Amount = None,
    free_shipping: FreeShipping = False,
    min_order: MinOrder = None,
    first_order_only: FirstOrder = False,
    starts: Starts = None,
    expires: Expires = None,
    tier: Tier = None,
    segment: Segment = None,
    db: DbOption = None,
) -> None:
    """Make COUNT unguessable single-use codes; the same --key again gives the same codes."""
    from holdfast.services import coupons

    spec = _spec(
        percent,
        amount,
        free_shipping,
        min_order,
        first_order_only,
        tier,
        segment,
        None,
        starts,
        expires,
    )
    result = coupons.create_batch(store(db), count, key, spec, prefix)
    text = "".join(f"{c}\n" for c in result.codes)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UserError(f"cannot write {out}: {error.strerror}") from None
    state = "made" if result.created else "already made (same key)"
    say(f"batch {result.batch_key!r}: {len(result.codes):,} codes {state}, written to {out}")


@command("redeem", group=coupon_app)
def redeem_cmd(
    code: Code,
    customer: Annotated[str, typer.Option("--customer", help="The shop's customer id.")],
    order: Annotated[str, typer.Option("--order", help="The shop's order id.")],
    total: Annotated[
        str | None,
        typer.Option("--total", metavar="A", help="Order value (default: the stored order)."),
    ] = None,
    tier: Annotated[
        str | None, typer.Option("--tier", help="The customer's tier (default: the stored one).")
    ] = None,
    segment: Annotated[
        list[str] | None, typer.Option("--segment", help="A segment of the customer (repeat).")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only say whether it would be accepted.")
    ] = False,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Redeem a coupon on an order, atomically; refused with a reason and its exit code."""
    from holdfast.services import coupons

    result = coupons.redeem(
        store(db),
        code,
        customer,
        order,
        order_total=_money(total, "--total"),
        tier=tier,
        segments=segment or (),
        now=when(as_of),
        dry_run=check,
    )
    say(("would redeem " if check else "") + result.line())


@command("show", group=coupon_app)
def show_cmd(code: Code, db: DbOption = None) -> None:
    """Show a coupon's terms and how much it is used."""
    from holdfast.services import coupons

    view = coupons.show_coupon(store(db), code)
    say(view.line())
    if view.batch_key is not None:
        say(f"  from batch {view.batch_key!r}")
    if view.released:
        say(f"  {view.released:,} redemptions released (refunded or cancelled orders)")


@command("disable", group=coupon_app)
def disable_cmd(
    code: Code,
    enable: Annotated[bool, typer.Option("--enable", help="Switch it on again.")] = False,
    db: DbOption = None,
) -> None:
    """Switch a coupon off (later redemptions exit 13), or on again with --enable."""
    from holdfast.services import coupons

    say(coupons.set_disabled(store(db), code, disabled=not enable).line())


@command("release", group=coupon_app)
def release_cmd(
    order: Annotated[
        str | None, typer.Argument(help="The order whose coupon use is given back.")
    ] = None,
    undone: Annotated[
        bool,
        typer.Option("--undone", help="Release every cancelled or fully refunded order's."),
    ] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "order cancelled",
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Give back the coupon use of a cancelled or refunded order (safe to repeat)."""
    from holdfast.services import coupons

    if (order is None) == (not undone):
        raise UserError("give an ORDER or --undone (one of them)")
    if order is not None:
        say(coupons.release(store(db), order, reason=reason, now=when(as_of)).line())
        return
    released = coupons.release_undone_orders(store(db), now=when(as_of))
    for result in released:
        say(result.line())
    say(f"{len(released):,} redemptions released")


@command("issue", group=coupon_app)
def issue_cmd(
    template: Annotated[str, typer.Argument(help="A [coupons.NAME] template of the program.")],
    customer: Annotated[str, typer.Option("--customer", help="The shop's customer id.")],
    trigger: Annotated[
        str, typer.Option("--trigger", help="What it is for (an order, a campaign, a year).")
    ],
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Issue an automatic coupon once per (template, customer, trigger)."""
    from holdfast.services import coupons

    issued = coupons.issue_coupon(store(db), template, customer, trigger, now=when(as_of))
    _say_issued(issued)


@command("reward", group=coupon_app)
def reward_cmd(
    customer: Customer,
    reward: Annotated[str, typer.Argument(help="Reward id (see `holdfast points rewards`).")],
    key: KeyOption,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Spend points on a reward of the catalogue and issue its coupon, in one go."""
    from holdfast.services import coupons

    _say_issued(coupons.reward_coupon(store(db), customer, reward, key, now=when(as_of)))


def _say_issued(issued: IssuedCoupon) -> None:
    until = _until(issued.expires_at)
    head = "issued" if issued.created else "already issued"
    say(f"{head} {issued.code} to {issued.customer}{until}")


def _until(moment: datetime | None) -> str:
    return "" if moment is None else f", valid until {moment:%Y-%m-%d %H:%M}"
