"""Fixtures of the referral tests: the coupon tests' stores."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "coupons"))

from coupon_fixtures import example_program, pg_loyalty, store_url  # noqa: F401
