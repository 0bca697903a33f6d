"""What a scoring run computes: score levels, model, horizon, VIP share, basket thresholds."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from holdfast.domain.lifecycle import StageRules
from holdfast.domain.segments import check_bins
from holdfast.errors import UserError


@dataclass(frozen=True)
class ScoreOptions:
    """Settings of a scoring run, recorded with it.

    ``bins``: RFM score levels (2-10). ``model``: bgnbd, mbgnbd or paretonbd. ``horizon_weeks``
    and ``discount_rate`` (a year): for expected purchases and predicted value. ``vip_share``:
    the top share of customers by predicted value who are VIPs. ``window_days``: use the global
    stage rule with this window instead of the personal one. ``top_products``, ``min_support``
    and ``min_confidence``: recommendations and the basket rules behind them.
    """

    bins: int = 5
    model: str = "bgnbd"
    horizon_weeks: float = 52.0
    discount_rate: float = 0.10
    vip_share: float = 0.10
    window_days: int | None = None
    new_days: int = 30
    top_products: int = 3
    min_support: float = 0.01
    min_confidence: float = 0.1
    timezone: str = "UTC"

    def checked(self) -> ScoreOptions:
        """These options, or a UserError naming the bad one."""
        check_bins(self.bins)
        if not (math.isfinite(self.horizon_weeks) and self.horizon_weeks > 0):
            raise UserError(f"the horizon must be a positive number of weeks: {self.horizon_weeks}")
        if not 0 < self.vip_share <= 1:
            raise UserError(f"the VIP share must be in (0, 1], got {self.vip_share!r}")
        if self.top_products < 1:
            raise UserError(f"recommend at least 1 product, got {self.top_products}")
        self.rules.checked()
        return self

    @property
    def rules(self) -> StageRules:
        """The lifecycle stage rules these options ask for."""
        return StageRules(new_days=self.new_days, window_days=self.window_days)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready settings, recorded on the run."""
        return asdict(self)
