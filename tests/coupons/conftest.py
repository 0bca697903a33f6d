"""Fixtures of the coupon tests (see coupon_fixtures)."""

from coupon_fixtures import example_program, pg_loyalty, store_url  # noqa: F401
