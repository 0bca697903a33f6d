"""Plain-words checks on the data a model is fitted on, run before the fit.

Impossible input raises (holdfast.errors.UserError / InputError); data that can be fitted but
should not be trusted yields messages, which the fitter issues as FitWarning and keeps in
FitResult.messages. The thresholds are rules of thumb, documented in docs/models.md.
"""

from __future__ import annotations

import numpy as np

from holdfast.errors import UserError

#: Fewer repeat buyers than this and the dropout/purchase-rate split rests on too little data.
MIN_REPEAT_BUYERS = 20
#: A customer whose repeat purchases exceed both this and OUTLIER_FACTOR x the 99th percentile
#: of repeat buyers looks like duplicated orders (an import that double counts, a test account).
OUTLIER_MIN = 100
OUTLIER_FACTOR = 20.0


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q-quantile of ``values`` with frequency ``weights``."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    idx = int(np.searchsorted(cum, q * cum[-1], side="left"))
    return float(values[order][min(idx, len(order) - 1)])


def repeat_buyer_messages(model: str, x: np.ndarray, w: np.ndarray) -> list[str]:
    """Refuse data without repeat buyers; warn when there are few of them."""
    total = float(w.sum())
    repeat = float(w[x > 0].sum())
    if repeat == 0:
        raise UserError(
            f"cannot fit the {model}: none of the {total:.0f} customers made a repeat purchase, "
            "so neither the purchase rate nor the dropout can be estimated"
        )
    if repeat < MIN_REPEAT_BUYERS:
        return [
            f"only {repeat:.0f} of {total:.0f} customers made a repeat purchase: the estimates "
            "rest on very little data and may be far off"
        ]
    return []


def outlier_messages(x: np.ndarray, w: np.ndarray) -> list[str]:
    """Customers with implausibly many purchases compared with everyone else."""
    repeat = x > 0
    if not repeat.any():
        return []
    q99 = weighted_quantile(x[repeat], w[repeat], 0.99)
    limit = max(OUTLIER_MIN, OUTLIER_FACTOR * q99)
    odd = np.flatnonzero(x > limit)
    if odd.size == 0:
        return []
    top = np.sort(x[odd])[::-1][:5]
    shown = ", ".join(f"{v:.0f}" for v in top)
    more = f" (and {odd.size - 5} more)" if odd.size > 5 else ""
    return [
        f"{odd.size} customer row(s) have far more repeat purchases than the rest ({shown}{more}; "
        f"99 % of repeat buyers have at most {q99:.0f}): check for duplicated orders or test "
        "accounts; they are kept in the fit and pull the purchase-rate estimates"
    ]
