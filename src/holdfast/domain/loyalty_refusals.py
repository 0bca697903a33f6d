"""The business refusals of loyalty, coupons and referrals, each with its own CLI exit code.

A caller (a shop's checkout, a script) can tell "not enough points" from "coupon already
used" by the exit code alone; the message is one line for a person.

::

    Refused (10)
    ├── InsufficientPoints (11)   the balance does not cover the redemption
    ├── AlreadyUsed (12)          a single-use coupon or a per-customer limit is used up
    ├── Expired (13)              a coupon outside its validity window
    ├── NotEligible (14)          a rule says no: minimum order, first order, tier, self-referral
    └── KeyConflict (15)          an idempotency key replayed with a different request
"""

from __future__ import annotations

from holdfast.errors import Refused


class InsufficientPoints(Refused):
    """The customer's balance is smaller than the points asked for."""

    exit_code = 11


class AlreadyUsed(Refused):
    """A coupon (or the customer's share of a shared coupon) is already used up."""

    exit_code = 12


class Expired(Refused):
    """A coupon is not valid at this time."""

    exit_code = 13


class NotEligible(Refused):
    """A rule of the program excludes this customer, order or referral."""

    exit_code = 14


class KeyConflict(Refused):
    """The idempotency key belongs to an earlier request with other details."""

    exit_code = 15
