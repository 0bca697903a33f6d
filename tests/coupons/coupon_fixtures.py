"""Stores for the coupon and referral tests: the loyalty tests' fixtures and helpers, reused.

The same test bodies run on a SQLite file and on PostgreSQL (``store_url``); seeding with
plain SQL (loyalty_helpers) and forked races (loyalty_race) come from tests/loyalty, which
is put on the import path here rather than copied.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

LOYALTY_TESTS = Path(__file__).resolve().parents[1] / "loyalty"
if str(LOYALTY_TESTS) not in sys.path:
    sys.path.insert(0, str(LOYALTY_TESTS))

_spec = importlib.util.spec_from_file_location("loyalty_stores", LOYALTY_TESTS / "conftest.py")
assert _spec is not None and _spec.loader is not None
_stores = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_stores)

example_program = _stores.example_program
pg_loyalty = _stores.pg_loyalty
store_url = _stores.store_url
