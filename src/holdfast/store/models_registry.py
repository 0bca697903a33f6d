"""Imports every table module so ``Base.metadata`` knows the whole schema."""

from holdfast.store import loyalty_tables, tables  # noqa: F401
