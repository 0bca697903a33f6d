"""Referrals: a code per customer, guarded recording, rewards on the friend's first order.

Every function here owns its transaction and takes ``db`` (a store URL or an Engine).
"""

from holdfast.services.referrals.codes import record_referral, referral_code
from holdfast.services.referrals.report import referral_report
from holdfast.services.referrals.results import (
    ReferralCodeView,
    ReferralReport,
    ReferralView,
    ReferrerLine,
    RewardRun,
)
from holdfast.services.referrals.rewards import reward_referrals

__all__ = [
    "ReferralCodeView",
    "ReferralReport",
    "ReferralView",
    "ReferrerLine",
    "RewardRun",
    "record_referral",
    "referral_code",
    "referral_report",
    "reward_referrals",
]
