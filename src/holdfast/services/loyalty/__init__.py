"""Loyalty programs: points on an append-only ledger, tiers, rewards and the members' club.

Every function here owns its transaction and takes ``db`` (a store URL or an Engine). The
coupons and referrals services build on ``earn``, ``redeem``, ``redeem_reward`` (with their
coupon issuer) and ``tiers_of``; those signatures are kept stable.
"""

from holdfast.services.loyalty.batch import EarnRequest, earn_many
from holdfast.services.loyalty.birthdays import earn_birthdays
from holdfast.services.loyalty.expiry import (
    Expiring,
    ExpirySummary,
    expire_points,
    expiring_points,
)
from holdfast.services.loyalty.orders import OrderPointsSummary, earn_for_orders
from holdfast.services.loyalty.points import (
    adjust,
    balance,
    earn,
    earn_event,
    join,
    redeem,
    reverse,
    statement,
)
from holdfast.services.loyalty.program import (
    ProgramInfo,
    current_program,
    load_program,
    read_program_file,
)
from holdfast.services.loyalty.results import (
    Balance,
    BatchSummary,
    EntryView,
    PointsResult,
    RewardResult,
)
from holdfast.services.loyalty.rewards import Issuer, RewardClaim, redeem_reward, rewards
from holdfast.services.loyalty.tiers import (
    TierSummary,
    TierView,
    recompute_tiers,
    tier_changes,
    tier_status,
    tiers_of,
)

__all__ = [
    "Balance",
    "BatchSummary",
    "EarnRequest",
    "EntryView",
    "Expiring",
    "ExpirySummary",
    "Issuer",
    "OrderPointsSummary",
    "PointsResult",
    "ProgramInfo",
    "RewardClaim",
    "RewardResult",
    "TierSummary",
    "TierView",
    "adjust",
    "balance",
    "current_program",
    "earn",
    "earn_birthdays",
    "earn_event",
    "earn_for_orders",
    "earn_many",
    "expire_points",
    "expiring_points",
    "join",
    "load_program",
    "read_program_file",
    "recompute_tiers",
    "redeem",
    "redeem_reward",
    "reverse",
    "rewards",
    "statement",
    "tier_changes",
    "tier_status",
    "tiers_of",
]
