"""The ``holdfast`` command: each module below registers its subcommands on ``app``."""

from __future__ import annotations

# The command modules import their services inside the commands, so that help and start-up
# do not pay for pandas, ibis, sqlalchemy and scipy (tests/cli/test_startup.py).
import holdfast.cli.coupon_cmd  # registers commands
import holdfast.cli.referral_cmd  # registers commands
import holdfast.cli.simulate_cmd  # noqa: F401  (registers commands)
from holdfast.cli import (
    customer_cmd,  # noqa: F401  (registers commands)
    db_cmd,  # noqa: F401  (registers commands)
    demo_cmd,  # noqa: F401  (registers commands)
    fit_cmd,  # noqa: F401  (registers commands)
    import_cmd,  # noqa: F401  (registers commands)
    loyalty_cmd,  # noqa: F401  (registers commands)
    points_cmd,  # noqa: F401  (registers commands)
    report_cmd,  # noqa: F401  (registers commands)
    score_cmd,  # noqa: F401  (registers commands)
    segments_cmd,  # noqa: F401  (registers commands)
    tier_cmd,  # noqa: F401  (registers commands)
    version_cmd,  # noqa: F401  (registers commands)
)
from holdfast.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``holdfast`` console script."""
    app()
