"""The reward catalogue: a customer spends points on a reward, which becomes a coupon.

The points side lives here; the coupon is made by an *issuer* the coupons service passes in
(``issue(conn, claim) -> code``). The issuer runs inside the same transaction as the points
debit, so either both happen or neither does, and a replayed key returns the first coupon
code without calling the issuer again. Without an issuer only the points are taken and the
result carries no code (the caller issues the coupon from ``RewardClaim.template``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from holdfast.domain.coupons import CouponTemplate
from holdfast.domain.loyalty_program import Program, Reward
from holdfast.domain.loyalty_refusals import NotEligible
from holdfast.errors import NotFound
from holdfast.services.loyalty.db import Db, as_utc, customer_id, reading, transaction
from holdfast.services.loyalty.keys import check_key, claim, fingerprint, save_results
from holdfast.services.loyalty.ledger import Change, write_debit
from holdfast.services.loyalty.points import check_member
from holdfast.services.loyalty.program import require_program
from holdfast.services.loyalty.results import RewardResult
from holdfast.services.loyalty.tiers import tiers_of


@dataclass(frozen=True)
class RewardClaim:
    """What an issuer needs to make the reward's coupon: who, which reward, its template,
    the redeem entry that paid for it (a stable reference) and the time."""

    customer: str
    customer_id: int
    reward: Reward
    template: CouponTemplate
    entry_id: int
    key: str
    at: datetime


Issuer = Callable[[sa.Connection, RewardClaim], str]


def rewards(db: Db) -> list[Reward]:
    """The program's reward catalogue, cheapest first."""
    with reading(db) as conn:
        program = require_program(conn)
    return sorted(program.rewards.values(), key=lambda r: (r.points, r.id))


def redeem_reward(
    db: Db,
    customer: str,
    reward_id: str,
    key: str,
    *,
    issue: Issuer | None = None,
    now: datetime | None = None,
) -> RewardResult:
    """Spend the reward's points (oldest first) and have ``issue`` make its coupon, in one
    transaction. InsufficientPoints when short; NotEligible when the reward's coupon needs
    a higher tier than the customer holds, or the customer is not a member of the club."""
    key, at = check_key(key), as_utc(now)
    digest = fingerprint("reward", customer=customer, reward=reward_id)
    with transaction(db) as conn:
        ident = customer_id(conn, customer)
        first = claim(conn, key, "reward", digest)
        if first is not None:
            return RewardResult.replay(first)
        program = require_program(conn)
        reward = program.rewards.get(reward_id)
        if reward is None:
            known = ", ".join(sorted(program.rewards)) or "none"
            raise NotFound(f"no reward {reward_id!r} in the catalogue (rewards: {known})")
        check_member(conn, program, ident, customer)
        _check_tier(conn, program, reward, ident, customer)
        change = Change(ident, reward.points, "redeem", at, key, f"reward:{reward.id}", reward.name)
        written = write_debit(conn, change)
        assert written is not None
        code = None
        if issue is not None:
            paid = RewardClaim(customer, ident, reward, reward.coupon, written.entry_id, key, at)
            code = issue(conn, paid)
        result = RewardResult(
            key, customer, reward.id, written.entry_id, written.points, written.balance, code
        )
        save_results(conn, {key: result.stored()})
        return result


def _check_tier(
    conn: sa.Connection, program: Program, reward: Reward, ident: int, customer: str
) -> None:
    needed = reward.coupon.terms.min_tier
    if needed is None or program.tiers is None:
        return
    held = tiers_of(conn, program, [ident]).get(ident)
    have = program.tiers.rank(held.name) if held else None
    want = program.tiers.rank(needed)
    if have is None or want is None or have < want:
        raise NotEligible(f"reward {reward.id} is for tier {needed} and above; {customer} is not")
