"""Coupons: named and batch codes, atomic redemption, release, and automatic coupons.

Every function here owns its transaction and takes ``db`` (a store URL or an Engine).
"""

from holdfast.services.coupons.create import create_batch, create_coupon, set_disabled, show_coupon
from holdfast.services.coupons.issue import (
    birthday_coupon,
    issue_coupon,
    issue_from,
    next_order_coupon,
    reward_coupon,
    win_back_coupon,
)
from holdfast.services.coupons.redeem import redeem, release, release_undone_orders
from holdfast.services.coupons.results import (
    BatchResult,
    CouponView,
    IssuedCoupon,
    RedemptionResult,
    ReleaseResult,
)
from holdfast.services.coupons.spec import CouponSpec

__all__ = [
    "BatchResult",
    "CouponSpec",
    "CouponView",
    "IssuedCoupon",
    "RedemptionResult",
    "ReleaseResult",
    "birthday_coupon",
    "create_batch",
    "create_coupon",
    "issue_coupon",
    "issue_from",
    "next_order_coupon",
    "redeem",
    "release",
    "release_undone_orders",
    "reward_coupon",
    "set_disabled",
    "show_coupon",
    "win_back_coupon",
]
