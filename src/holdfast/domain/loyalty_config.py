"""Read a loyalty program from TOML text and check it, reporting every problem at once.

Each problem names the file, the key path (``tiers.levels[2].threshold``), the value and why
it is refused; unknown keys are problems too (with a suggestion), so a typo never silently
turns a rule off. The layout is documented with a complete example in docs/loyalty.md.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from holdfast.domain.coupons import CouponTemplate, CouponTerms
from holdfast.domain.loyalty_program import (
    BUILTIN_EVENTS,
    DOWNGRADES,
    EXPIRY_ROUNDING,
    TIER_BASES,
    EarnRules,
    ExpiryRules,
    Program,
    ReferralRules,
    Reward,
    Tier,
    TierRules,
)
from holdfast.domain.money import currency_exponent, to_minor
from holdfast.errors import InputError, Problem, UserError

MAX_POINTS = 10**12
_MISSING = object()

SECTIONS = {"program", "earn", "expiry", "tiers", "rewards", "referral", "coupons"}
DISCOUNTS = ("percent", "amount", "free_shipping")
COUPON_KEYS = {
    *DISCOUNTS,
    "min_order",
    "first_order_only",
    "min_tier",
    "segment",
    "valid_days",
}


def parse_program(text: str, source: str = "program.toml") -> Program:
    """The program described by TOML ``text``; InputError listing every problem otherwise."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{source}: not valid TOML", [Problem(str(error), file=source)]) from None
    reader = _Reader(source)
    program = _program(reader, data)
    if reader.problems:
        count = len(reader.problems)
        noun = "problem" if count == 1 else "problems"
        raise InputError(f"{source}: {count} {noun} in the loyalty program", reader.problems)
    assert program is not None
    return program


class _Reader:
    """Typed access to TOML tables that collects problems instead of stopping at the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.exponent = 2

    def problem(self, path: str, value: object, reason: str) -> None:
        self.problems.append(Problem(reason, file=self.source, column=path, value=value))

    def table(self, data: Any, path: str, known: set[str] | None) -> dict[str, Any]:
        """``data`` as a table; keys outside ``known`` (None: any) are reported."""
        if not isinstance(data, dict):
            self.problem(path, data, "must be a table")
            return {}
        for key in data if known is not None else ():
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.problem(_join(path, key), data[key], f"unknown key{hint}")
        return data

    def get(
        self,
        data: dict[str, Any],
        path: str,
        key: str,
        convert: Callable[[Any], Any],
        default: Any = _MISSING,
    ) -> Any:
        """``convert(data[key])``; a missing required key or a ValueError is a problem."""
        where = _join(path, key)
        if key not in data:
            if default is _MISSING:
                self.problem(where, None, "is required")
                return None
            return default
        try:
            return convert(data[key])
        except (ValueError, TypeError) as error:
            self.problem(where, data[key], str(error))
            return default if default is not _MISSING else None

    def money(self, value: Any) -> int:
        amount = _decimal(value)
        if amount < 0:
            raise ValueError("must not be negative")
        try:
            return to_minor(amount, self.exponent)
        except ValueError as error:
            raise ValueError(str(error)) from None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError('must be a number (write decimals as strings, e.g. "1.5")')
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("is not a number") from None
    if not number.is_finite():
        raise ValueError("must be a finite number")
    return number


def _positive_decimal(value: Any) -> Decimal:
    number = _decimal(value)
    if number <= 0:
        raise ValueError("must be greater than 0")
    return number


def _percent(value: Any) -> Decimal:
    number = _decimal(value)
    if not 0 < number <= 100:
        raise ValueError("must be a percentage above 0 and at most 100")
    if number != number.quantize(Decimal("0.01")):
        raise ValueError("may have at most two decimals")
    return number


def _whole(minimum: int, maximum: int = MAX_POINTS) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not minimum <= value <= maximum:
            raise ValueError(f"must be between {minimum:,} and {maximum:,}")
        return value

    return convert


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return convert


def _date(value: Any) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be a date like 2026-01-01")


def _currency(value: Any) -> str:
    try:
        code = _text(value)
        currency_exponent(code)
    except UserError as error:
        raise ValueError(str(error)) from None
    return code.upper()


def _program(reader: _Reader, data: dict[str, Any]) -> Program | None:
    root = reader.table(data, "", SECTIONS)
    head = reader.table(
        root.get("program", {}), "program", {"name", "currency", "starts", "members_club"}
    )
    currency = reader.get(head, "program", "currency", _currency, "USD")
    reader.exponent = currency_exponent(currency)
    name = reader.get(head, "program", "name", _text, "Loyalty program")
    starts = reader.get(head, "program", "starts", _date, None)
    members_club = reader.get(head, "program", "members_club", _flag, False)
    earn = _earn(reader, root.get("earn", {}))
    expiry = _expiry(reader, root.get("expiry", {}))
    tiers = _tiers(reader, root["tiers"]) if "tiers" in root else None
    coupons = _coupons(reader, root.get("coupons", {}))
    rewards = _rewards(reader, root.get("rewards", []))
    referral = _referral(reader, root["referral"], coupons) if "referral" in root else None
    _check_tier_names(reader, tiers, coupons, rewards)
    if reader.problems:
        return None
    return Program(
        name=name,
        currency=currency,
        exponent=reader.exponent,
        earn=earn,
        expiry=expiry,
        starts=starts,
        members_club=members_club,
        tiers=tiers,
        rewards=rewards,
        referral=referral,
        coupons=coupons,
    )


def _earn(reader: _Reader, data: Any) -> EarnRules:
    path = "earn"
    table = reader.table(
        data, path, {"points_per_unit", "per_order", "min_order", "categories", "events"}
    )
    rate = reader.get(table, path, "points_per_unit", _nonnegative_decimal, Decimal(1))
    per_order = reader.get(table, path, "per_order", _whole(0), 0)
    min_order = reader.get(table, path, "min_order", reader.money, 0)
    categories = {}
    for key, value in reader.table(table.get("categories", {}), "earn.categories", None).items():
        where = f"earn.categories.{key}"
        try:
            categories[key] = _nonnegative_decimal(value)
        except ValueError as error:
            reader.problem(where, value, str(error))
    events = {}
    for key, value in reader.table(table.get("events", {}), "earn.events", None).items():
        try:
            events[key] = _whole(1)(value)
        except ValueError as error:
            reader.problem(f"earn.events.{key}", value, str(error))
    return EarnRules(rate, per_order, min_order, categories, events)


def _nonnegative_decimal(value: Any) -> Decimal:
    number = _decimal(value)
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _expiry(reader: _Reader, data: Any) -> ExpiryRules:
    path = "expiry"
    table = reader.table(data, path, {"after_months", "round_to", "remind_days"})
    months = reader.get(table, path, "after_months", _whole(0, 1200), None)
    round_to = reader.get(table, path, "round_to", _one_of(EXPIRY_ROUNDING), "none")
    remind = reader.get(table, path, "remind_days", _whole(0, 3660), 30)
    if months == 0 and round_to == "none":
        reader.problem(
            "expiry.after_months", 0, "0 months would expire points at once; use round_to"
        )
    if months is None and "round_to" in table:
        reader.problem("expiry.round_to", round_to, "needs after_months (0 = the same month/year)")
    return ExpiryRules(months, round_to, remind)


def _tiers(reader: _Reader, data: Any) -> TierRules | None:
    path = "tiers"
    table = reader.table(
        data, path, {"basis", "window_months", "hold_months", "downgrade", "levels"}
    )
    basis = reader.get(table, path, "basis", _one_of(TIER_BASES), "spend")
    window = reader.get(table, path, "window_months", _whole(1, 120), 12)
    hold = reader.get(table, path, "hold_months", _whole(0, 120), 12)
    downgrade = reader.get(table, path, "downgrade", _one_of(DOWNGRADES), "to_qualifying")
    raw = table.get("levels")
    if not isinstance(raw, list) or not raw:
        reader.problem("tiers.levels", raw, "needs at least one [[tiers.levels]] table")
        return None
    levels = []
    for i, item in enumerate(raw):
        where = f"tiers.levels[{i}]"
        level = reader.table(
            item,
            where,
            {"name", "threshold", "discount_percent", "free_shipping", "earn_multiplier"},
        )
        threshold_of = reader.money if basis == "spend" else _whole(0)
        levels.append(
            Tier(
                name=reader.get(level, where, "name", _text, f"level {i}"),
                threshold=reader.get(level, where, "threshold", threshold_of, 0),
                discount_percent=reader.get(
                    level, where, "discount_percent", _percent_or_zero, Decimal(0)
                ),
                free_shipping=reader.get(level, where, "free_shipping", _flag, False),
                earn_multiplier=reader.get(
                    level, where, "earn_multiplier", _positive_decimal, Decimal(1)
                ),
            )
        )
    _check_levels(reader, levels)
    return TierRules(tuple(levels), basis, window, hold, downgrade)


def _percent_or_zero(value: Any) -> Decimal:
    return Decimal(0) if value in (0, "0") else _percent(value)


def _check_levels(reader: _Reader, levels: list[Tier]) -> None:
    if levels and levels[0].threshold != 0:
        reader.problem("tiers.levels[0].threshold", levels[0].threshold, "the first level is 0")
    for i in range(1, len(levels)):
        if levels[i].threshold <= levels[i - 1].threshold:
            reader.problem(
                f"tiers.levels[{i}].threshold",
                levels[i].threshold,
                "thresholds must rise from level to level",
            )
    seen: set[str] = set()
    for i, level in enumerate(levels):
        if level.name in seen:
            reader.problem(f"tiers.levels[{i}].name", level.name, "names must be unique")
        seen.add(level.name)


def _coupon(reader: _Reader, data: Any, path: str, extra: set[str]) -> CouponTemplate:
    table = reader.table(data, path, COUPON_KEYS | extra)
    percent = reader.get(table, path, "percent", _percent, None)
    amount = reader.get(table, path, "amount", reader.money, None)
    free = reader.get(table, path, "free_shipping", _flag, False)
    given = [v for v in (percent, amount, free) if v]
    bad_value = any(p.column in {f"{path}.{k}" for k in DISCOUNTS} for p in reader.problems)
    if len(given) != 1 and not bad_value:
        reader.problem(path, None, "needs exactly one of percent, amount or free_shipping = true")
    if amount == 0:
        reader.problem(f"{path}.amount", 0, "must be greater than 0")
    terms = CouponTerms(
        percent=percent,
        amount_minor=amount,
        free_shipping=free,
        min_order_minor=reader.get(table, path, "min_order", reader.money, 0),
        first_order_only=reader.get(table, path, "first_order_only", _flag, False),
        min_tier=reader.get(table, path, "min_tier", _text, None),
        segment=reader.get(table, path, "segment", _text, None),
    )
    return CouponTemplate(terms, reader.get(table, path, "valid_days", _whole(1, 3660), None))


def _coupons(reader: _Reader, data: Any) -> dict[str, CouponTemplate]:
    templates = {}
    for name, item in reader.table(data, "coupons", None).items():
        templates[name] = _coupon(reader, item, f"coupons.{name}", set())
    return templates


def _rewards(reader: _Reader, data: Any) -> dict[str, Reward]:
    if not isinstance(data, list):
        reader.problem("rewards", data, "must be a list of [[rewards]] tables")
        return {}
    rewards: dict[str, Reward] = {}
    for i, item in enumerate(data):
        where = f"rewards[{i}]"
        table = reader.table(item, where, None)
        ident = reader.get(table, where, "id", _text) or f"rewards[{i}]"
        if ident in rewards:
            reader.problem(f"{where}.id", ident, "reward ids must be unique")
        rewards[ident] = Reward(
            id=ident,
            name=reader.get(table, where, "name", _text, ident),
            points=reader.get(table, where, "points", _whole(1)),
            coupon=_coupon(reader, table, where, {"id", "name", "points"}),
        )
    return rewards


def _referral(reader: _Reader, data: Any, coupons: dict[str, CouponTemplate]) -> ReferralRules:
    path = "referral"
    table = reader.table(
        data,
        path,
        {"referrer_points", "friend_points", "referrer_coupon", "friend_coupon", "min_order"},
    )
    rules = ReferralRules(
        referrer_points=reader.get(table, path, "referrer_points", _whole(0), 0),
        friend_points=reader.get(table, path, "friend_points", _whole(0), 0),
        referrer_coupon=reader.get(table, path, "referrer_coupon", _text, None),
        friend_coupon=reader.get(table, path, "friend_coupon", _text, None),
        min_order_minor=reader.get(table, path, "min_order", reader.money, 0),
    )
    for key in ("referrer_coupon", "friend_coupon"):
        name = getattr(rules, key)
        if name is not None and name not in coupons:
            reader.problem(f"referral.{key}", name, "names no [coupons.NAME] template")
    if not (rules.referrer_points or rules.friend_points) and not (
        rules.referrer_coupon or rules.friend_coupon
    ):
        reader.problem(path, None, "rewards nobody: give points or a coupon to either side")
    return rules


def _check_tier_names(
    reader: _Reader,
    tiers: TierRules | None,
    coupons: dict[str, CouponTemplate],
    rewards: dict[str, Reward],
) -> None:
    names = {t.name for t in tiers.levels} if tiers else set()
    wanted = [(f"coupons.{k}.min_tier", v) for k, v in coupons.items()]
    wanted += [(f"rewards[{k}].min_tier", r.coupon) for k, r in rewards.items()]
    for where, template in wanted:
        tier = template.terms.min_tier
        if tier is not None and tier not in names:
            reader.problem(where, tier, "names no tier in [[tiers.levels]]")


__all__ = ["BUILTIN_EVENTS", "parse_program"]
