"""The fit procedure shared by the purchase-count models (BG/NBD, MBG/NBD, Pareto/NBD)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from holdfast.errors import UserError
from holdfast.models import diagnostics
from holdfast.models._fit import Likelihood, compress, fit_model, scale_for
from holdfast.models._validate import purchase_columns
from holdfast.models.result import FitResult

#: Starting log-parameters on the rescaled time axis (largest T = 1); the first is lifetimes'.
STARTS: tuple[tuple[float, ...], ...] = (
    (0.1, 0.1, 0.1, 0.1),
    (-1.0, -2.0, -0.5, 0.5),
    (1.0, 1.0, 1.0, 1.0),
    (-2.0, -3.0, 1.0, 2.0),
)


def fit_purchase_model(
    *,
    model: str,
    names: Sequence[str],
    rate_params: Sequence[str],
    make_likelihood: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], Likelihood],
    frequency: object,
    recency: object,
    T: object,
    weights: object,
    penalizer: float,
) -> FitResult:
    """Validate, diagnose, rescale time, compress identical rows and fit.

    ``rate_params`` are the parameters measured in time units (alpha, beta), which absorb the
    time scaling; the reported log-likelihood is on the caller's time unit.
    """
    if not (math.isfinite(penalizer) and penalizer >= 0):
        raise UserError(f"penalizer must be a number >= 0, got {penalizer!r}")
    x, tx, age, w = purchase_columns(frequency, recency, T, weights)
    messages = diagnostics.repeat_buyer_messages(model, x, w)
    messages += diagnostics.outlier_messages(x, w)
    scale = scale_for(age, w)
    if not (age[w > 0] > 0).any():
        raise UserError(f"cannot fit the {model}: every customer has T = 0 (no time observed)")
    (cx, ctx, cT), cw = compress([x, tx * scale, age * scale], w)
    lik = make_likelihood(cx, ctx, cT, cw)
    total = float(cw.sum())
    log_scale = [-math.log(scale) if n in rate_params else 0.0 for n in names]
    return fit_model(
        model=model,
        names=names,
        lik=lik,
        starts=[np.array(s) for s in STARTS],
        total=total,
        penalizer=penalizer,
        log_scale=log_scale,
        loglik_offset=float(cw @ cx) * math.log(scale),
        n_customers=total,
        messages=messages,
        stacklevel=4,
    )
