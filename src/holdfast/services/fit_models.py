"""Fitting one model inside a use case: the purchase models by name, FitWarnings turned into
plain-words diagnostics, and the parameter table every output shows.

Statistical trouble never stops a fit here: each :class:`~holdfast.errors.FitWarning` becomes
one diagnostic line; other warnings pass through untouched.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from types import ModuleType

import pandas as pd

from holdfast.errors import FitWarning, UserError
from holdfast.models import (
    BetaGeo,
    FitResult,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    bgnbd,
    gammagamma,
    mbgnbd,
    paretonbd,
)

#: Purchase models by option name: (fitter class, prediction module).
MODELS: dict[str, tuple[type, ModuleType]] = {
    "bgnbd": (BetaGeo, bgnbd),
    "mbgnbd": (ModifiedBetaGeo, mbgnbd),
    "paretonbd": (ParetoNBD, paretonbd),
}

PARAMETER_COLUMNS = ("model", "parameter", "estimate", "std_error", "ci_low", "ci_high")


class NotEnoughData(UserError):
    """The data cannot support a fit (for example nobody bought twice)."""


def model_name(name: str) -> str:
    """The option name of a purchase model ("BG/NBD", "bg-nbd" -> "bgnbd"), or a UserError."""
    key = name.lower().replace("/", "").replace("-", "").replace("_", "")
    if key not in MODELS:
        raise UserError(f"unknown model {name!r}: use one of {', '.join(MODELS)}")
    return key


def collect(fit: Callable[[], FitResult], diagnostics: list[str]) -> FitResult:
    """Run a fit, appending its FitWarnings to ``diagnostics`` prefixed by the model name."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        result = fit()
    for item in caught:
        if issubclass(item.category, FitWarning):
            text = str(item.message)
            prefixed = text.startswith(f"{result.model}: ")
            diagnostics.append(text if prefixed else f"{result.model}: {text}")
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    return result


def fit_purchase_model(
    model: str, penalizer: float, summary: pd.DataFrame, diagnostics: list[str]
) -> FitResult:
    """The named purchase model fitted on a summary's frequency, recency and T."""
    fitter, _ = MODELS[model]
    return collect(
        lambda: fitter(penalizer=penalizer).fit(
            summary["frequency"], summary["recency"], summary["T"]
        ),
        diagnostics,
    )


def fit_spend_model(summary: pd.DataFrame, diagnostics: list[str]) -> FitResult | None:
    """Gamma-Gamma on the repeat buyers with a positive mean repeat spend, or None (and why)."""
    repeat = summary[summary["frequency"] > 0]
    paid = repeat[repeat["monetary_value"] > 0]
    if len(paid) < len(repeat):
        diagnostics.append(
            f"Gamma-Gamma: {len(repeat) - len(paid):,} repeat buyer(s) whose repeat purchases "
            "were all free are left out of the spend model"
        )
    try:
        spend = collect(
            lambda: GammaGamma().fit(paid["frequency"], paid["monetary_value"]), diagnostics
        )
        gammagamma.expected_spend(spend.params)  # refuses q <= 1 (infinite mean spend)
    except UserError as error:
        diagnostics.append(
            f"Gamma-Gamma: the spend model could not be used ({error}); expected spend, "
            "revenue and value are left empty"
        )
        return None
    return spend


def parameter_table(results: list[FitResult | None]) -> pd.DataFrame:
    """model, parameter, estimate, std_error, ci_low, ci_high for each fitted result."""
    rows = [
        {
            "model": result.model,
            "parameter": name,
            "estimate": value,
            "std_error": result.stderr.get(name, math.nan),
            "ci_low": result.intervals.get(name, (math.nan, math.nan))[0],
            "ci_high": result.intervals.get(name, (math.nan, math.nan))[1],
        }
        for result in results
        if result is not None
        for name, value in result.params.items()
    ]
    return pd.DataFrame(rows, columns=list(PARAMETER_COLUMNS))
