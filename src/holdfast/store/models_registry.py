"""Imports every table module so ``Base.metadata`` knows the whole schema."""

import holdfast.store.coupon_tables  # noqa: F401
from holdfast.store import loyalty_tables, score_tables, tables  # noqa: F401
