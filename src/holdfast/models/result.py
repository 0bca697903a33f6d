"""FitResult: what a model fit returns, and how it is kept (JSON, never pickle)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from holdfast.errors import InputError

#: Bumped when the JSON layout changes incompatibly.
FORMAT_VERSION = 1


@dataclass(frozen=True)
class FitResult:
    """A fitted customer-base model.

    ``params`` maps the papers' parameter names to floats (for example r, alpha, a, b for the
    BG/NBD); ``loglik`` is the total log-likelihood as the papers print it; ``stderr`` and
    ``intervals`` (95 %, from the observed information, see docs/models.md) are keyed like
    ``params`` and are NaN when the information matrix is singular. ``converged`` is False when
    the optimiser failed or a parameter ran to a boundary; ``messages`` says why in plain words.
    ``n_customers`` is the sum of the weights (one per input row by default) and ``n_rows`` the
    number of distinct rows the likelihood was evaluated on after compression.
    """

    model: str
    params: dict[str, float]
    loglik: float
    stderr: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    converged: bool
    n_customers: float
    n_rows: int
    penalizer: float = 0.0
    messages: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> float:
        return self.params[name]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (NaN written as null)."""
        data = asdict(self)
        data["format_version"] = FORMAT_VERSION
        data["stderr"] = {k: _finite_or_none(v) for k, v in self.stderr.items()}
        data["intervals"] = {
            k: [_finite_or_none(lo), _finite_or_none(hi)] for k, (lo, hi) in self.intervals.items()
        }
        return data

    def to_json(self, **kwargs: Any) -> str:
        """The result as a JSON document (``json.dumps`` keyword arguments pass through)."""
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FitResult:
        """Rebuild a result from :meth:`to_dict` output."""
        try:
            version = int(data.get("format_version", FORMAT_VERSION))
            if version > FORMAT_VERSION:
                raise InputError(
                    f"model file format {version} is newer than this holdfast understands "
                    f"({FORMAT_VERSION}); upgrade holdfast"
                )
            return cls(
                model=str(data["model"]),
                params={str(k): float(v) for k, v in data["params"].items()},
                loglik=float(data["loglik"]),
                stderr={str(k): _nan_if_none(v) for k, v in data.get("stderr", {}).items()},
                intervals={
                    str(k): (_nan_if_none(v[0]), _nan_if_none(v[1]))
                    for k, v in data.get("intervals", {}).items()
                },
                converged=bool(data["converged"]),
                n_customers=float(data["n_customers"]),
                n_rows=int(data.get("n_rows", 0)),
                penalizer=float(data.get("penalizer", 0.0)),
                messages=[str(m) for m in data.get("messages", [])],
            )
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise InputError(f"not a holdfast model file: {error!r}") from None

    @classmethod
    def from_json(cls, text: str) -> FitResult:
        """Rebuild a result from :meth:`to_json` output."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"not a holdfast model file: {error}") from None
        if not isinstance(data, dict):
            raise InputError("not a holdfast model file: expected a JSON object")
        return cls.from_dict(data)


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _nan_if_none(value: object) -> float:
    return math.nan if value is None else float(value)  # type: ignore[arg-type]
