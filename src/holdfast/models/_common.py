"""Small helpers shared by the model modules: parameter lookup, broadcasting, stable sums."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from holdfast.errors import InputError


def read_params(params: Mapping[str, float], names: Sequence[str]) -> tuple[float, ...]:
    """The named parameters as floats, refusing missing, non-finite or non-positive values."""
    values = []
    for name in names:
        if name not in params:
            raise InputError(
                f"parameter {name!r} is missing: expected {', '.join(names)}, got "
                f"{', '.join(map(str, params)) or 'nothing'}"
            )
        value = float(params[name])
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"parameter {name!r} must be a positive number, got {value!r}")
        values.append(value)
    return tuple(values)


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of products without BLAS: numpy's multithreaded ddot leaves OpenBLAS threads
    spinning between the element-wise passes of a likelihood and slows them down several-fold
    on a small machine; einsum's own loop does not."""
    return float(np.einsum("i,i->", a, b))


def arrays(*values: object) -> list[np.ndarray]:
    """Broadcast the arguments to float64 arrays of one shape."""
    return list(np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values)))


def out(value: np.ndarray) -> np.ndarray | float:
    """A Python float for 0-d results, the array otherwise."""
    return float(value) if np.ndim(value) == 0 else value


def softplus(d: np.ndarray) -> np.ndarray:
    """log(1 + exp(d)) without overflow (faster than numpy's logaddexp)."""
    return np.maximum(d, 0.0) + np.log1p(np.exp(-np.abs(d)))


def one_minus_pow_over(log_base: np.ndarray, e: np.ndarray) -> np.ndarray:
    """(1 - base**e) / e, continuous at e = 0 (where it is -log(base))."""
    e = np.asarray(e, dtype=float)
    tiny = np.abs(e) < 1e-12
    safe = np.where(tiny, 1.0, e)
    return np.where(tiny, -log_base, -np.expm1(e * log_base) / safe)
