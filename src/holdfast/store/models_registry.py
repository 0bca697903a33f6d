"""Imports every table module so ``Base.metadata`` knows the whole schema."""

from holdfast.store import tables  # noqa: F401
